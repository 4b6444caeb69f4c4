package annotations

func init() {
	register(Def{
		Key:   "auth-tls-secret",
		Scope: ScopeServer,
		Risk:  RiskMedium,
		Doc: "Client certificates: `namespace/name` (or `name`) of a Secret in the Ingress's namespace whose `ca.crt` holds the " +
			"CAs that client certificates must chain to (and optionally `ca.crl`, a PEM CRL). It applies to the whole host " +
			"(nginx verifies during the TLS handshake, per server), as in ingress-nginx: the oldest Ingress with it sets the " +
			"host's settings and a different setting on a newer Ingress is refused with a `HostConflict` Event. A missing " +
			"Secret, no `ca.crt` or a CA that does not parse makes the whole host answer 403, as in ingress-nginx. A host " +
			"without a certificate of its own serves the default one.",
		Parse: func(value string, s *Set) error {
			n, err := parseSecretName(value)
			if err != nil {
				return err
			}
			s.AuthTLSSecret = &n
			return nil
		},
	})
}
