package annotations

import (
	"fmt"
	"strings"
)

// nextUpstreamValues are the conditions nginx's proxy_next_upstream (and
// grpc_next_upstream) takes.
var nextUpstreamValues = map[string]bool{
	"error": true, "timeout": true, "invalid_header": true, "http_500": true, "http_502": true, "http_503": true,
	"http_504": true, "http_403": true, "http_404": true, "http_429": true, "non_idempotent": true, "off": true,
}

func init() {
	register(Def{
		Key:   "proxy-next-upstream",
		Scope: ScopeLocation,
		Risk:  RiskMedium,
		Doc: "When to retry a request on another endpoint: space-separated `error timeout invalid_header http_500 http_502 " +
			"http_503 http_504 http_403 http_404 http_429 non_idempotent`, or `off` alone; default: the ConfigMap's `proxy-next-upstream` (`error timeout`).",
		Parse: func(value string, s *Set) error {
			var out []string
			seen := map[string]bool{}
			for _, f := range strings.Fields(value) {
				f = strings.ToLower(f)
				if !nextUpstreamValues[f] {
					return fmt.Errorf("%q is not one of error, timeout, invalid_header, http_500, http_502, http_503, http_504, http_403, http_404, http_429, non_idempotent, off", f)
				}
				if !seen[f] {
					seen[f] = true
					out = append(out, f)
				}
			}
			switch {
			case len(out) == 0:
				return fmt.Errorf("no condition given")
			case seen["off"] && len(out) > 1:
				return fmt.Errorf("%q: off cannot be combined with other conditions", value)
			}
			s.ProxyNextUpstream = out
			return nil
		},
	})
}
