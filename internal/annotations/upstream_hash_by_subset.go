package annotations

func init() {
	register(Def{
		Key:   "upstream-hash-by-subset",
		Scope: ScopeLocation,
		Risk:  RiskLow,
		Doc: "With `upstream-hash-by`: `true` maps each key to a subset of `upstream-hash-by-subset-size` endpoints and picks one of " +
			"them at random per request. The subset is the first endpoints met walking the hash ring from the key's point, so it is " +
			"stable while the endpoints stay, and only keys whose subset gains or loses an endpoint change (ingress-nginx groups the " +
			"sorted endpoints into fixed subsets, which can reshuffle many keys when an endpoint comes or goes). Ignored, with an Event, " +
			"without `upstream-hash-by`.",
		Parse: func(value string, s *Set) error {
			b, err := parseBool(value)
			if err != nil {
				return err
			}
			s.UpstreamHashBySubset = &b
			return nil
		},
	})
}
