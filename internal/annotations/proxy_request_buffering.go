package annotations

func init() {
	register(Def{
		Key:   "proxy-request-buffering",
		Scope: ScopeLocation,
		Risk:  RiskLow,
		Doc:   "`on` or `off`: read the whole request body before proxying; default: the ConfigMap's `proxy-request-buffering` (on).",
		Parse: func(value string, s *Set) error {
			b, err := parseOnOff(value)
			if err != nil {
				return err
			}
			s.ProxyRequestBuffering = &b
			return nil
		},
	})
}
