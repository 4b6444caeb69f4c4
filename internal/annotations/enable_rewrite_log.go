package annotations

func init() {
	register(Def{
		Key:   "enable-rewrite-log",
		Scope: ScopeLocation,
		Risk:  RiskLow,
		Doc: "`true` logs what nginx's rewrite module does with this Ingress's requests (nginx `rewrite_log`: e.g. the URI " +
			"`rewrite-target` made) in nginx's error log at the notice level, which the ConfigMap's `error-log-level` " +
			"(default notice) must include; default false.",
		Parse: func(value string, s *Set) error {
			b, err := parseBool(value)
			if err != nil {
				return err
			}
			s.EnableRewriteLog = &b
			return nil
		},
	})
}
