package annotations

func init() {
	register(Def{
		Key:   "session-cookie-max-age",
		Scope: ScopeIngress,
		Risk:  RiskMedium,
		Doc:   "Max-Age attribute of the `affinity` cookie, in seconds; default none (a session cookie).",
		Parse: func(value string, s *Set) error {
			n, err := parseCookieSeconds(value)
			if err != nil {
				return err
			}
			s.SessionCookieMaxAge = &n
			return nil
		},
	})
}
