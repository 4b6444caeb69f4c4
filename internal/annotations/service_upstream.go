package annotations

func init() {
	register(Def{
		Key:   "service-upstream",
		Scope: ScopeIngress,
		Risk:  RiskLow,
		Doc: "`true`: proxy to the Service's ClusterIP and port (one peer; kube-proxy picks the pod) instead of its endpoints. " +
			"A Service without a ClusterIP (headless, ExternalName) keeps its endpoints, with a Warning Event, as in ingress-nginx.",
		Parse: func(value string, s *Set) error {
			b, err := parseBool(value)
			if err != nil {
				return err
			}
			s.ServiceUpstream = &b
			return nil
		},
	})
}
