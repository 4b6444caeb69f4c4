package annotations

func init() {
	register(Def{
		Key:   "ssl-prefer-server-ciphers",
		Scope: ScopeServer,
		Risk:  RiskLow,
		Doc: "`true` or `false`: for TLS 1.2 on the Ingress's hosts the order of `ssl-ciphers` decides over the client's (nginx " +
			"`ssl_prefer_server_ciphers on` or `off` in their servers). The oldest Ingress with it on a host decides, a newer " +
			"one with the other value gets an Event; a rule without host does not set it. Default true (the http level's, as ingress-nginx).",
		Parse: func(value string, s *Set) error {
			b, err := parseBool(value)
			if err != nil {
				return err
			}
			s.SSLPreferServerCiphers = &b
			return nil
		},
	})
}
