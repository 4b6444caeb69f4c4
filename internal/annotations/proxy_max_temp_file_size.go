package annotations

func init() {
	register(Def{
		Key:   "proxy-max-temp-file-size",
		Scope: ScopeLocation,
		Risk:  RiskLow,
		Doc: "Largest temporary file a buffered answer (`proxy-buffering` on) may spill to when it does not fit the buffers " +
			"(nginx `proxy_max_temp_file_size`): a size with an optional k, m or g suffix; `0`: no temporary file, nginx then reads " +
			"from the endpoint only as fast as the client takes the answer; nginx requires 0 or at least `proxy-buffer-size`, " +
			"so a smaller size is refused; default 1024m.",
		Parse: func(value string, s *Set) error {
			v, err := parseSize(value)
			if err != nil {
				return err
			}
			s.ProxyMaxTempFileSize = &v
			return nil
		},
	})
}
