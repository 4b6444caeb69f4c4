package annotations

func init() {
	register(Def{
		Key:   "ssl-redirect",
		Scope: ScopeLocation,
		Risk:  RiskLow,
		Doc:   "`false` stops redirecting HTTP to HTTPS for this Ingress's paths on TLS hosts (default true).",
		Parse: func(value string, s *Set) error {
			b, err := parseBool(value)
			if err != nil {
				return err
			}
			s.SSLRedirect = &b
			return nil
		},
	})
}
