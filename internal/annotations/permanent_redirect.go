package annotations

func init() {
	register(Def{
		Key:   "permanent-redirect",
		Scope: ScopeLocation,
		Risk:  RiskMedium,
		Doc:   "Answer every path with a redirect to this absolute http(s) URL (301 unless `permanent-redirect-code`); no nginx variables.",
		Parse: func(value string, s *Set) error {
			u, err := parseURL(value)
			if err != nil {
				return err
			}
			s.PermanentRedirect = &u
			return nil
		},
	})
}
