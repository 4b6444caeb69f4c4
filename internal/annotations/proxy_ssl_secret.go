package annotations

func init() {
	register(Def{
		Key:   "proxy-ssl-secret",
		Scope: ScopeIngress,
		Risk:  RiskMedium,
		Doc: "`namespace/name` of a Secret in the Ingress's namespace (any type, e.g. Opaque) with `tls.crt` and `tls.key` (the client " +
			"certificate presented to HTTPS/GRPCS endpoints) and/or `ca.crt` (the CAs `proxy-ssl-verify` trusts). The other " +
			"`proxy-ssl-*` annotations take effect only with it, as in ingress-nginx. A missing Secret, a Secret with neither, " +
			"or a certificate, key or CA that does not parse makes the paths answer 503.",
		Parse: func(value string, s *Set) error {
			n, err := parseObjectName(value)
			if err != nil {
				return err
			}
			s.ProxySSLSecret = &n
			return nil
		},
	})
}
