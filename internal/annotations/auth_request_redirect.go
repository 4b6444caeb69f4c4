package annotations

func init() {
	register(Def{
		Key:   "auth-request-redirect",
		Scope: ScopeLocation,
		Risk:  RiskMedium,
		Doc:   "The `X-Auth-Request-Redirect` header sent to `auth-url` (default: the request URI): an absolute http(s) URL or a path.",
		Parse: func(value string, s *Set) error {
			u, err := parseURLOrPath(value)
			if err != nil {
				return err
			}
			s.AuthRequestRedirect = &u
			return nil
		},
	})
}
