package annotations

func init() {
	register(Def{
		Key:   "temporal-redirect",
		Scope: ScopeLocation,
		Risk:  RiskMedium,
		Doc:   "Answer every path with a 302 to this absolute http(s) URL; `permanent-redirect` wins if both are set.",
		Parse: func(value string, s *Set) error {
			u, err := parseURL(value)
			if err != nil {
				return err
			}
			s.TemporalRedirect = &u
			return nil
		},
	})
}
