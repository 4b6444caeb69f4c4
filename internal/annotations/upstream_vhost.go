package annotations

func init() {
	register(Def{
		Key:   "upstream-vhost",
		Scope: ScopeLocation,
		Risk:  RiskLow,
		Doc:   "Host header sent to the endpoints instead of the client's.",
		Parse: func(value string, s *Set) error {
			h, err := parseHostHeader(value)
			if err != nil {
				return err
			}
			s.UpstreamVhost = &h
			return nil
		},
	})
}
