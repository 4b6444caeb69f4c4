package annotations

func init() {
	register(Def{
		Key:   "canary-by-header-pattern",
		Scope: ScopeIngress,
		Risk:  RiskMedium,
		Doc: "With `canary-by-header` and without `canary-by-header-value`: a regular expression (PCRE, unanchored, " +
			"case-sensitive) that a header value must match to choose the canary; letters, digits and `- . _ ~ / : ^ $ [ ] ( ) { } * + ? | ,` " +
			"(no backslash), and it must compile with Go's RE2. Matching is bounded (`lua_regex_match_limit`).",
		Parse: func(value string, s *Set) error {
			p, err := parseHeaderPattern(value)
			if err != nil {
				return err
			}
			s.CanaryByHeaderPattern = &p
			return nil
		},
	})
}
