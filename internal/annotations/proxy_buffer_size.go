package annotations

func init() {
	register(Def{
		Key:   "proxy-buffer-size",
		Scope: ScopeLocation,
		Risk:  RiskLow,
		Doc: "Size of the buffer for the endpoint's response headers, and of each response buffer " +
			"(nginx `proxy_buffer_size` and `proxy_buffers <proxy-buffers-number> <size>`, as ingress-nginx); 1k to 1m (allocated per request); default: the ConfigMap's `proxy-buffer-size` (4k).",
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
