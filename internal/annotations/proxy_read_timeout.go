package annotations

func init() {
	register(Def{
		Key:   "proxy-read-timeout",
		Scope: ScopeLocation,
		Risk:  RiskLow,
		Doc:   "Seconds to wait between two reads from the endpoint; default 60.",
		Parse: func(value string, s *Set) error {
			d, err := parseSeconds(value)
			if err != nil {
				return err
			}
			s.ProxyReadTimeout = &d
			return nil
		},
	})
}
