package annotations

func init() {
	register(Def{
		Key:   "auth-tls-verify-depth",
		Scope: ScopeServer,
		Risk:  RiskLow,
		Doc:   "Longest client certificate chain accepted, 0 to 100; default 1 (`0` means 1, as in ingress-nginx).",
		Parse: func(value string, s *Set) error {
			n, err := parseVerifyDepth(value)
			if err != nil {
				return err
			}
			s.AuthTLSVerifyDepth = &n
			return nil
		},
	})
}
