package annotations

func init() {
	register(Def{
		Key:   "proxy-ssl-ciphers",
		Scope: ScopeIngress,
		Risk:  RiskMedium,
		Doc:   "OpenSSL cipher list offered to the endpoints (TLS 1.2 and older); default `DEFAULT`. Checked as `ssl-ciphers` is: a list that selects no cipher is refused (nginx would fail to load).",
		Parse: func(value string, s *Set) error {
			v, err := parseCipherList(value)
			if err != nil {
				return err
			}
			s.ProxySSLCiphers = &v
			return nil
		},
	})
}
