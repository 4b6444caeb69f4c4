package annotations

import (
	"fmt"
	"sort"
	"strings"
)

// proxySSLProtocols are the names ingress-nginx accepts. OpenSSL 3 no
// longer speaks SSLv2 or SSLv3, so nginx ignores those two.
var proxySSLProtocols = map[string]bool{"SSLv2": true, "SSLv3": true, "TLSv1": true, "TLSv1.1": true, "TLSv1.2": true, "TLSv1.3": true}

func init() {
	register(Def{
		Key:   "proxy-ssl-protocols",
		Scope: ScopeIngress,
		Risk:  RiskLow,
		Doc: "Space-separated TLS versions offered to the endpoints: `TLSv1`, `TLSv1.1`, `TLSv1.2`, `TLSv1.3` (`SSLv2`, `SSLv3` are " +
			"accepted and ignored by OpenSSL). Default, as in ingress-nginx: `TLSv1 TLSv1.1 TLSv1.2` (no TLS 1.3).",
		Parse: func(value string, s *Set) error {
			seen := map[string]bool{}
			var out []string
			for _, f := range strings.Fields(value) {
				if !proxySSLProtocols[f] {
					return fmt.Errorf("%q is not one of SSLv2, SSLv3, TLSv1, TLSv1.1, TLSv1.2, TLSv1.3", f)
				}
				if !seen[f] {
					seen[f] = true
					out = append(out, f)
				}
			}
			if len(out) == 0 {
				return fmt.Errorf("%q names no protocol", value)
			}
			sort.Strings(out)
			s.ProxySSLProtocols = out
			return nil
		},
	})
}
