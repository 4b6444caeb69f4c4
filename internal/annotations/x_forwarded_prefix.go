package annotations

func init() {
	register(Def{
		Key:   "x-forwarded-prefix",
		Scope: ScopeLocation,
		Risk:  RiskLow,
		Doc:   "Send this path as the X-Forwarded-Prefix header to the endpoints.",
		Parse: func(value string, s *Set) error {
			p, err := parsePath(value)
			if err != nil {
				return err
			}
			s.XForwardedPrefix = &p
			return nil
		},
	})
}
