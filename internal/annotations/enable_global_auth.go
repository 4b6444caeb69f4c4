package annotations

func init() {
	register(Def{
		Key:   "enable-global-auth",
		Scope: ScopeIngress,
		Risk:  RiskLow,
		Doc: "`false` leaves this Ingress's paths out of the ConfigMap's `global-auth-url` (default `true`: an Ingress without " +
			"its own `auth-url` gets the global one, but for paths under `no-auth-locations`), as in ingress-nginx.",
		Parse: func(value string, s *Set) error {
			v, err := parseBool(value)
			if err != nil {
				return err
			}
			s.EnableGlobalAuth = &v
			return nil
		},
	})
}
