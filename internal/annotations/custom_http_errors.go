package annotations

func init() {
	register(Def{
		Key:   "custom-http-errors",
		Scope: ScopeLocation,
		Risk:  RiskLow,
		Doc: "Comma-separated status codes (400-599). A response of the Ingress's paths with one of them (from the endpoints " +
			"or nginx) is replaced by the answer of the `default-backend` annotation's Service, else of " +
			"`--default-backend-service`, else a plain 404; that Service gets the request with the URI `/` and `X-Code`, " +
			"`X-Format` (the Accept header), `X-Original-URI`, `X-Namespace`, `X-Ingress-Name`, `X-Service-Name`, " +
			"`X-Service-Port` and `X-Request-ID`. Replaces the ConfigMap's `custom-http-errors` for these paths.",
		Parse: func(value string, s *Set) error {
			codes, err := parseStatusCodes(value)
			if err != nil {
				return err
			}
			s.CustomHTTPErrors = codes
			return nil
		},
	})
}
