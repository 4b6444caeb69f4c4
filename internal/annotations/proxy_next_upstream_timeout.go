package annotations

import (
	"fmt"
	"strconv"
	"strings"
)

func init() {
	register(Def{
		Key:   "proxy-next-upstream-timeout",
		Scope: ScopeLocation,
		Risk:  RiskLow,
		Doc: "Seconds since a request's first try after which it is not tried on another endpoint any more " +
			"(nginx `proxy_next_upstream_timeout`, `grpc_next_upstream_timeout` for gRPC), 0 to 86400; `0`: no limit; " +
			"default: the ConfigMap's `proxy-next-upstream-timeout` (0).",
		Parse: func(value string, s *Set) error {
			n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(value), "s"))
			if err != nil || n < 0 || n > 86400 {
				return fmt.Errorf("%q is not a number of seconds from 0 to 86400", value)
			}
			s.ProxyNextUpstreamTimeout = &n
			return nil
		},
	})
}
