package annotations

func init() {
	register(Def{
		Key:   "canary-by-cookie",
		Scope: ScopeIngress,
		Risk:  RiskMedium,
		Doc: "Cookie that chooses the canary when the header did not: `always` sends the request to the canary, `never` to " +
			"the main backend, any other value leaves it to `canary-weight`.",
		Parse: func(value string, s *Set) error {
			n, err := parseCookieName(value)
			if err != nil {
				return err
			}
			s.CanaryByCookie = &n
			return nil
		},
	})
}
