package annotations

func init() {
	register(Def{
		Key:   "custom-headers",
		Scope: ScopeLocation,
		Risk:  RiskMedium,
		Doc: "`namespace/name` of a ConfigMap in the Ingress's namespace whose keys and values are set as response headers " +
			"(replacing the endpoint's, on every status), as in ingress-nginx 1.10+: each name must be listed in the ConfigMap key " +
			"`global-allowed-response-headers`, names are letters, digits, `-` and `_`, values printable ASCII (`$` is literal). " +
			"A missing ConfigMap or a refused header makes the paths answer 503. Atrium also refuses headers nginx writes itself " +
			"(`Server`, `Date`, `Content-Type`, `Content-Length`, `Content-Encoding`, `Transfer-Encoding`, `Connection`, `Keep-Alive`, `Location`, `Upgrade`, `Trailer`).",
		Parse: func(value string, s *Set) error {
			n, err := parseObjectName(value)
			if err != nil {
				return err
			}
			s.CustomHeaders = &n
			return nil
		},
	})
}
