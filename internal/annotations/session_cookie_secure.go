package annotations

func init() {
	register(Def{
		Key:   "session-cookie-secure",
		Scope: ScopeIngress,
		Risk:  RiskLow,
		Doc:   "`true`: the `affinity` cookie is always Secure; otherwise it is Secure on HTTPS requests only.",
		Parse: func(value string, s *Set) error {
			b, err := parseBool(value)
			if err != nil {
				return err
			}
			s.SessionCookieSecure = &b
			return nil
		},
	})
}
