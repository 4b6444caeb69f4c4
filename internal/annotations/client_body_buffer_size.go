package annotations

func init() {
	register(Def{
		Key:   "client-body-buffer-size",
		Scope: ScopeLocation,
		Risk:  RiskLow,
		Doc:   "Request bodies up to this size are kept in memory, larger ones go to a temporary file (nginx `client_body_buffer_size`); 1k to 64m; default: the ConfigMap's `client-body-buffer-size` (8k).",
		Parse: func(value string, s *Set) error {
			v, err := parseBoundedSize(value, 1<<10, 64<<20)
			if err != nil {
				return err
			}
			s.ClientBodyBufferSize = &v
			return nil
		},
	})
}
