package annotations

func init() {
	register(Def{
		Key:   "session-cookie-expires",
		Scope: ScopeIngress,
		Risk:  RiskMedium,
		Doc:   "Seconds from now written as the `affinity` cookie's Expires date (for browsers without Max-Age); default none.",
		Parse: func(value string, s *Set) error {
			n, err := parseCookieSeconds(value)
			if err != nil {
				return err
			}
			s.SessionCookieExpires = &n
			return nil
		},
	})
}
