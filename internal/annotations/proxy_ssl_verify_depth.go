package annotations

func init() {
	register(Def{
		Key:   "proxy-ssl-verify-depth",
		Scope: ScopeIngress,
		Risk:  RiskLow,
		Doc:   "Longest certificate chain `proxy-ssl-verify` accepts, 0 to 100; default 1 (`0` means 1, as in ingress-nginx).",
		Parse: func(value string, s *Set) error {
			n, err := parseVerifyDepth(value)
			if err != nil {
				return err
			}
			s.ProxySSLVerifyDepth = &n
			return nil
		},
	})
}
