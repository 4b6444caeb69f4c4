package annotations

func init() {
	register(Def{
		Key:   "disable-proxy-intercept-errors",
		Scope: ScopeLocation,
		Risk:  RiskLow,
		Doc: "`true`: where `custom-http-errors` apply (the annotation's codes or the ConfigMap's), the endpoints' own answers " +
			"with those codes reach the client unchanged; the errors nginx makes itself (no ready endpoint, 502, 504) still " +
			"get the default backend's answer.",
		Parse: func(value string, s *Set) error {
			b, err := parseBool(value)
			if err != nil {
				return err
			}
			s.DisableProxyInterceptErrors = &b
			return nil
		},
	})
}
