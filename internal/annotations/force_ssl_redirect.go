package annotations

func init() {
	register(Def{
		Key:   "force-ssl-redirect",
		Scope: ScopeLocation,
		Risk:  RiskLow,
		Doc:   "`true` redirects HTTP to HTTPS even where the host has no TLS section (e.g. TLS ends at a load balancer in front).",
		Parse: func(value string, s *Set) error {
			b, err := parseBool(value)
			if err != nil {
				return err
			}
			s.ForceSSLRedirect = &b
			return nil
		},
	})
}
