package annotations

func init() {
	register(Def{
		Key:   "canary",
		Scope: ScopeIngress,
		Risk:  RiskLow,
		Doc: "`true`: the Ingress is a canary. Its paths serve nothing themselves: each becomes the alternative backend of the " +
			"path with the same host, path and pathType of a non-canary Ingress, chosen per request by `canary-by-header`, then " +
			"`canary-by-cookie`, then `canary-weight`. One canary per path (a later one gets a `PathConflict` Event). The main " +
			"Ingress's annotations apply to canary requests; the canary's own are ignored but for `load-balance`, `upstream-hash-by` " +
			"and `affinity-canary-behavior` (a Warning Event lists the others). Its spec.tls and spec.defaultBackend are ignored.",
		Parse: func(value string, s *Set) error {
			b, err := parseBool(value)
			if err != nil {
				return err
			}
			s.Canary = &b
			return nil
		},
	})
}
