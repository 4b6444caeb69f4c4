package annotations

func init() {
	register(Def{
		Key:   "client-body-buffer-size",
		Scope: ScopeLocation,
		Risk:  RiskLow,
		Doc:   "Request bodies up to this size are kept in memory, larger ones go to a temporary file (nginx `client_body_buffer_size`); 1k to 64m; nginx default 8k or 16k.",
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
