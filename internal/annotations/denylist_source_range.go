package annotations

func init() {
	register(Def{
		Key:   "denylist-source-range",
		Scope: ScopeLocation,
		Risk:  RiskMedium,
		Doc:   "Comma-separated CIDRs refused (403); checked before the allowlist.",
		Parse: func(value string, s *Set) error {
			c, err := parseCIDRs(value)
			if err != nil {
				return err
			}
			s.DenySourceRange = append(s.DenySourceRange, c...)
			return nil
		},
	})
}
