package annotations

func init() {
	register(Def{
		Key:   "allowlist-source-range",
		Scope: ScopeLocation,
		Risk:  RiskMedium,
		Doc:   "Comma-separated CIDRs allowed to reach this Ingress's paths (others get 403).",
		Parse: func(value string, s *Set) error {
			c, err := parseCIDRs(value)
			if err != nil {
				return err
			}
			s.AllowSourceRange = append(s.AllowSourceRange, c...)
			return nil
		},
	})
}
