package annotations

func init() {
	register(Def{
		Key:   "enable-access-log",
		Scope: ScopeLocation,
		Risk:  RiskLow,
		Doc:   "`false` turns nginx's access log off for this Ingress's paths (default true: the controller's access log setting).",
		Parse: func(value string, s *Set) error {
			b, err := parseBool(value)
			if err != nil {
				return err
			}
			s.EnableAccessLog = &b
			return nil
		},
	})
}
