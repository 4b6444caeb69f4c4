package annotations

func init() {
	register(Def{
		Key:   "proxy-buffering",
		Scope: ScopeLocation,
		Risk:  RiskLow,
		Doc:   "`on` or `off`: buffer responses from the endpoint (nginx default on).",
		Parse: func(value string, s *Set) error {
			b, err := parseOnOff(value)
			if err != nil {
				return err
			}
			s.ProxyBuffering = &b
			return nil
		},
	})
}
