package annotations

func init() {
	register(Def{
		Key:   "ssl-ciphers",
		Scope: ScopeServer,
		Risk:  RiskLow,
		Doc: "OpenSSL cipher list for TLS 1.2 on the Ingress's hosts (nginx `ssl_ciphers` in their servers; TLS 1.3 suites are not " +
			"affected), as the ConfigMap's `ssl-ciphers` takes it: `:`-separated words with `!`, `-`, `+`, `@STRENGTH` and " +
			"`@SECLEVEL=0-5`, read as OpenSSL reads them; a list that selects no cipher nginx's OpenSSL has is refused. The oldest " +
			"Ingress with it on a host decides, a newer one with another list gets an Event; a rule without host does not set it. " +
			"Default: the ConfigMap's `ssl-ciphers`.",
		Parse: func(value string, s *Set) error {
			v, err := parseCipherList(value)
			if err != nil {
				return err
			}
			s.SSLCiphers = &v
			return nil
		},
	})
}
