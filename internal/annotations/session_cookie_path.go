package annotations

func init() {
	register(Def{
		Key:   "session-cookie-path",
		Scope: ScopeIngress,
		Risk:  RiskMedium,
		Doc: "Path attribute of the `affinity` cookie (a plain path); default the Ingress path as written, or `/` for a " +
			"regular-expression path that is not a plain path (ingress-nginx wrote the regex: set this with `use-regex`).",
		Parse: func(value string, s *Set) error {
			p, err := parsePath(value)
			if err != nil {
				return err
			}
			s.SessionCookiePath = &p
			return nil
		},
	})
}
