package annotations

import "strings"

func init() {
	register(Def{
		Key:   "proxy-redirect-from",
		Scope: ScopeLocation,
		Risk:  RiskMedium,
		Doc: "With `proxy-redirect-to`, nginx's `proxy_redirect <from> <to>`: an endpoint's `Location` (and `Refresh`) header " +
			"starting with this absolute http(s) URL or path gets that start replaced; no regex or variable. `default` is nginx's " +
			"`proxy_redirect default` (it rewrites only nginx's own upstream URL, which endpoints do not send) and " +
			"`off` (default) leaves the headers unchanged; both ignore `proxy-redirect-to`, as in ingress-nginx. Not for gRPC.",
		Parse: func(value string, s *Set) error {
			v := strings.TrimSpace(value)
			if k := strings.ToLower(v); k == "off" || k == "default" {
				s.ProxyRedirectFrom = &k
				return nil
			}
			u, err := parseRedirectText(v)
			if err != nil {
				return err
			}
			s.ProxyRedirectFrom = &u
			return nil
		},
	})
}
