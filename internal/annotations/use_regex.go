package annotations

func init() {
	register(Def{
		Key:   "use-regex",
		Scope: ScopeServer,
		Risk:  RiskLow,
		Doc: "`true`: the Ingress's paths are regular expressions. As in ingress-nginx this applies to the whole host: every " +
			"Prefix and ImplementationSpecific path of the Ingress's hosts, from every Ingress, becomes `location ~* \"^<path>\"` " +
			"(case-insensitive, anchored at the start only, so a prefix match), tried longest path first; Exact paths stay exact. " +
			"A regex may use letters, digits and `/ . _ ~ - ! & , = : @ ( ) \\| ? * + [ ] ^ $ \\` (`$` only at the end or before `)` or `\\|`; " +
			"`\\` only before punctuation other than `$`, or before `d D w W s S`) and must compile with Go's RE2 (so no backreferences, " +
			"lookaround or `{n,m}`); a path that does not is refused. Requests are matched case-insensitively there.",
		Parse: func(value string, s *Set) error {
			b, err := parseBool(value)
			if err != nil {
				return err
			}
			s.UseRegex = &b
			return nil
		},
	})
}
