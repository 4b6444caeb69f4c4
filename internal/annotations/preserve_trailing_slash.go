package annotations

func init() {
	register(Def{
		Key:   "preserve-trailing-slash",
		Scope: ScopeLocation,
		Risk:  RiskLow,
		Doc:   "`true` keeps a trailing `/` in the redirect to HTTPS (`ssl-redirect`, `force-ssl-redirect`); by default one is dropped, as ingress-nginx does.",
		Parse: func(value string, s *Set) error {
			b, err := parseBool(value)
			if err != nil {
				return err
			}
			s.PreserveTrailingSlash = &b
			return nil
		},
	})
}
