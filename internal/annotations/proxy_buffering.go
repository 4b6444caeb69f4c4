package annotations

func init() {
	register(Def{
		Key:   "proxy-buffering",
		Scope: ScopeLocation,
		Risk:  RiskLow,
		Doc:   "`on` or `off`: buffer responses from the endpoint; default off, as ingress-nginx (responses stream to the client, so server-sent events work).",
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
