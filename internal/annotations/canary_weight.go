package annotations

func init() {
	register(Def{
		Key:   "canary-weight",
		Scope: ScopeIngress,
		Risk:  RiskLow,
		Doc: "Requests left undecided by header and cookie go to the canary with probability weight/`canary-weight-total` " +
			"(a whole number from 0; 0, the default, sends none; the total or more sends all).",
		Parse: func(value string, s *Set) error {
			n, err := parseBoundedInt(value, 0, 1000000)
			if err != nil {
				return err
			}
			s.CanaryWeight = &n
			return nil
		},
	})
}
