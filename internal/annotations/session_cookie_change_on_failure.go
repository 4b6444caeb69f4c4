package annotations

func init() {
	register(Def{
		Key:   "session-cookie-change-on-failure",
		Scope: ScopeIngress,
		Risk:  RiskLow,
		Doc: "`true`: when the cookie's endpoint fails (as `proxy-next-upstream` says), the retry goes to another endpoint and " +
			"the cookie is replaced; `false` (default): retries stay on the cookie's endpoint, as in ingress-nginx.",
		Parse: func(value string, s *Set) error {
			b, err := parseBool(value)
			if err != nil {
				return err
			}
			s.SessionCookieChangeOnFailure = &b
			return nil
		},
	})
}
