package annotations

func init() {
	register(Def{
		Key:   "proxy-body-size",
		Scope: ScopeLocation,
		Risk:  RiskLow,
		Doc:   "Largest request body accepted (nginx `client_max_body_size`); `0` for no limit; default 1m.",
		Parse: func(value string, s *Set) error {
			v, err := parseSize(value)
			if err != nil {
				return err
			}
			s.ProxyBodySize = &v
			return nil
		},
	})
}
