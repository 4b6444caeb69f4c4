package annotations

func init() {
	register(Def{
		Key:   "proxy-buffer-size",
		Scope: ScopeLocation,
		Risk:  RiskLow,
		Doc: "Size of the buffer for the endpoint's response headers, and of each of the 4 response buffers " +
			"(nginx `proxy_buffer_size` and `proxy_buffers 4 <size>`, as ingress-nginx); 1k to 1m (allocated per request); nginx default 4k.",
		Parse: func(value string, s *Set) error {
			v, err := parseBoundedSize(value, 1<<10, 1<<20)
			if err != nil {
				return err
			}
			s.ProxyBufferSize = &v
			return nil
		},
	})
}
