package annotations

func init() {
	register(Def{
		Key:   "auth-tls-pass-certificate-to-upstream",
		Scope: ScopeServer,
		Risk:  RiskLow,
		Doc: "`true` sends the client certificate (URL-encoded PEM) to the endpoints in the `ssl-client-cert` header. With " +
			"`auth-tls-secret` the endpoints always get `ssl-client-verify`, `ssl-client-subject-dn` and `ssl-client-issuer-dn` " +
			"(and client-sent headers of those names never reach them).",
		Parse: func(value string, s *Set) error {
			b, err := parseBool(value)
			if err != nil {
				return err
			}
			s.AuthTLSPassCertificate = &b
			return nil
		},
	})
}
