package annotations

func init() {
	register(Def{
		Key:   "session-cookie-domain",
		Scope: ScopeIngress,
		Risk:  RiskMedium,
		Doc:   "Domain attribute of the `affinity` cookie (a domain name, optionally with a leading dot); default none (the host only).",
		Parse: func(value string, s *Set) error {
			d, err := parseCookieDomain(value)
			if err != nil {
				return err
			}
			s.SessionCookieDomain = &d
			return nil
		},
	})
}
