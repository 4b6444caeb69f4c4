package annotations

func init() {
	register(Def{
		Key:   "auth-url",
		Scope: ScopeLocation,
		Risk:  RiskHigh,
		Doc: "External authentication, as ingress-nginx does it with nginx's `auth_request`: before each request nginx asks this " +
			"`http(s)://host[:port]/path?query` (a GET without the body, with the client's headers and `X-Original-URL`, " +
			"`X-Original-Method`, `X-Sent-From`, `X-Auth-Request-Redirect`, `X-Real-IP`, `X-Forwarded-For`, `X-Request-ID`); a 2xx " +
			"lets the request through, 401 or 403 is the answer, anything else 500. The host is a DNS name (resolved at request " +
			"time with the controller's nameservers; write it fully qualified, e.g. `auth.ns.svc.cluster.local`) or an IP address. " +
			"nginx variables (ingress-nginx's `$host`, …) are refused.",
		Parse: func(value string, s *Set) error {
			u, host, err := parseServiceURL(value)
			if err != nil {
				return err
			}
			s.AuthURL, s.AuthURLHost = &u, host
			return nil
		},
	})
}
