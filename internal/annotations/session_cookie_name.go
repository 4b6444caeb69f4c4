package annotations

func init() {
	register(Def{
		Key:   "session-cookie-name",
		Scope: ScopeIngress,
		Risk:  RiskMedium,
		Doc:   "Name of the `affinity` cookie; default `INGRESSCOOKIE`.",
		Parse: func(value string, s *Set) error {
			n, err := parseCookieName(value)
			if err != nil {
				return err
			}
			s.SessionCookieName = &n
			return nil
		},
	})
}
