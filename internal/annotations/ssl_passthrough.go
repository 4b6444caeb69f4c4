package annotations

func init() {
	register(Def{
		Key:   "ssl-passthrough",
		Scope: ScopeIngress,
		Risk:  RiskLow,
		Doc: "`true`: TLS connections for the Ingress's hosts go unopened to the endpoints of the Service of path `/` " +
			"(else of `spec.defaultBackend`), chosen by SNI; nginx's other annotations cannot apply to them. Plain HTTP " +
			"to these hosts is proxied over HTTPS. Needs the controller flag `--enable-ssl-passthrough`; without it the " +
			"annotation is ignored with a Warning Event.",
		Parse: func(value string, s *Set) error {
			b, err := parseBool(value)
			if err != nil {
				return err
			}
			s.SSLPassthrough = &b
			return nil
		},
	})
}
