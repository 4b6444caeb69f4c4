package annotations

func init() {
	register(Def{
		Key:   "proxy-read-timeout",
		Scope: ScopeLocation,
		Risk:  RiskLow,
		Doc:   "Seconds to wait between two reads from the endpoint; default 60. It also bounds gRPC locations (`grpc_read_timeout`: a server stream silent that long is reset) and upgraded connections (a WebSocket whose endpoint sends nothing that long is closed).",
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
