package annotations

import (
	"fmt"
	"strconv"
	"strings"
)

func init() {
	register(Def{
		Key:   "proxy-next-upstream-tries",
		Scope: ScopeLocation,
		Risk:  RiskLow,
		Doc: "Most tries of one request (the first one included), 0 to 100; `0` means one per endpoint; default: the ConfigMap's `proxy-next-upstream-tries` (3). " +
			"Atrium tries each endpoint at most once per request.",
		Parse: func(value string, s *Set) error {
			n, err := strconv.Atoi(strings.TrimSpace(value))
			if err != nil || n < 0 || n > 100 {
				return fmt.Errorf("%q is not a number of tries from 0 to 100", value)
			}
			s.ProxyNextUpstreamTries = &n
			return nil
		},
	})
}
