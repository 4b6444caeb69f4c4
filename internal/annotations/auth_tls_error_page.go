package annotations

func init() {
	register(Def{
		Key:   "auth-tls-error-page",
		Scope: ScopeServer,
		Risk:  RiskHigh,
		Doc: "Where a request with a missing or invalid client certificate goes instead of nginx's 400: an absolute http(s) " +
			"URL (a 302 to it) or a path on the same host (served from there).",
		Parse: func(value string, s *Set) error {
			u, err := parseURLOrPath(value)
			if err != nil {
				return err
			}
			s.AuthTLSErrorPage = &u
			return nil
		},
	})
}
