package annotations

func init() {
	register(Def{
		Key:   "proxy-connect-timeout",
		Scope: ScopeLocation,
		Risk:  RiskLow,
		Doc:   "Seconds to wait for a connection to an endpoint; default 5.",
		Parse: func(value string, s *Set) error {
			d, err := parseSeconds(value)
			if err != nil {
				return err
			}
			s.ProxyConnectTimeout = &d
			return nil
		},
	})
}
