package annotations

func init() {
	register(Def{
		Key:   "proxy-ssl-verify",
		Scope: ScopeIngress,
		Risk:  RiskLow,
		Doc: "`on`: verify the endpoint's certificate against `ca.crt` of `proxy-ssl-secret` and the name `proxy-ssl-name`; " +
			"a failed check answers 502. Default `off`. Where ingress-nginx skips the check silently (no `proxy-ssl-secret`, " +
			"or no `ca.crt` in it), Atrium answers 503 with an Event.",
		Parse: func(value string, s *Set) error {
			b, err := parseOnOff(value)
			if err != nil {
				return err
			}
			s.ProxySSLVerify = &b
			return nil
		},
	})
}
