package annotations

func init() {
	register(Def{
		Key:   "auth-proxy-set-headers",
		Scope: ScopeLocation,
		Risk:  RiskMedium,
		Doc: "`namespace/name` of a ConfigMap in the Ingress's namespace whose keys and values are sent to the `auth-url` service " +
			"as request headers, as in ingress-nginx. Names are letters, digits, `-` and `_`; values printable ASCII with nginx " +
			"variables from the `log-format-upstream` allow-list (`$http_*`, `$remote_addr`, `${request_method}`...). Headers " +
			"Atrium sends the service itself (`Host`, `X-Original-URL`, `X-Forwarded-*`, ...) are refused. A missing ConfigMap or " +
			"a refused header makes the paths answer 503.",
		Parse: func(value string, s *Set) error {
			n, err := parseObjectName(value)
			if err != nil {
				return err
			}
			s.AuthProxySetHeaders = &n
			return nil
		},
	})
}
