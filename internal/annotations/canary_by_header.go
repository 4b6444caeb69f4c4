package annotations

func init() {
	register(Def{
		Key:   "canary-by-header",
		Scope: ScopeIngress,
		Risk:  RiskMedium,
		Doc: "Request header that chooses the canary: `always` sends the request to the canary, `never` to the main backend, " +
			"any other value (or none) leaves it to `canary-by-cookie` and `canary-weight`.",
		Parse: func(value string, s *Set) error {
			h, err := parseHeaderName(value)
			if err != nil {
				return err
			}
			s.CanaryByHeader = &h
			return nil
		},
	})
}
