package annotations

func init() {
	register(Def{
		Key:   "session-cookie-partitioned",
		Scope: ScopeIngress,
		Risk:  RiskLow,
		Doc: "`true`: the `affinity` cookie is Partitioned (CHIPS) whenever it is Secure (HTTPS, or `session-cookie-secure`); " +
			"browsers drop a Partitioned cookie without Secure, so over plain HTTP it stays unpartitioned.",
		Parse: func(value string, s *Set) error {
			b, err := parseBool(value)
			if err != nil {
				return err
			}
			s.SessionCookiePartitioned = &b
			return nil
		},
	})
}
