package annotations

func init() {
	register(Def{
		Key:   "canary-weight-total",
		Scope: ScopeIngress,
		Risk:  RiskLow,
		Doc:   "The total `canary-weight` is a share of; default 100. As in ingress-nginx, a total below 100 counts as 100.",
		Parse: func(value string, s *Set) error {
			n, err := parseBoundedInt(value, 1, 1000000)
			if err != nil {
				return err
			}
			s.CanaryWeightTotal = &n
			return nil
		},
	})
}
