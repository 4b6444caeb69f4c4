package annotations

func init() {
	register(Def{
		Key:   "from-to-www-redirect",
		Scope: ScopeServer,
		Risk:  RiskLow,
		Doc: "`true` answers requests for `www.` plus the host (or, for a host starting with `www.`, the host without it) " +
			"with a 308 (the ConfigMap's http-redirect-code) to the same URI on the host, as ingress-nginx does: same scheme, the listener's port when not the default, " +
			"one trailing `/` of the URI dropped. Not when that name is a host of an Ingress rule (a Warning Event says so), " +
			"nor for wildcard hosts. Over HTTPS the redirect uses the host's certificate when it covers the name.",
		Parse: func(value string, s *Set) error {
			b, err := parseBool(value)
			if err != nil {
				return err
			}
			s.FromToWWWRedirect = &b
			return nil
		},
	})
}
