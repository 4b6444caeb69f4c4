package annotations

func init() {
	register(Def{
		Key:   "proxy-send-timeout",
		Scope: ScopeLocation,
		Risk:  RiskLow,
		Doc:   "Seconds to wait between two writes to the endpoint; default 60.",
		Parse: func(value string, s *Set) error {
			d, err := parseSeconds(value)
			if err != nil {
				return err
			}
			s.ProxySendTimeout = &d
			return nil
		},
	})
}
