package annotations

import (
	"fmt"
	"strconv"
	"strings"
)

func init() {
	register(Def{
		Key:   "upstream-hash-by-subset-size",
		Scope: ScopeLocation,
		Risk:  RiskLow,
		Doc: "The number of endpoints in each `upstream-hash-by-subset` subset, 1 to 1000 (default 3, as ingress-nginx); with fewer " +
			"endpoints the subset is all of them. Ignored, with an Event, without `upstream-hash-by`.",
		Parse: func(value string, s *Set) error {
			n, err := strconv.Atoi(strings.TrimSpace(value))
			if err != nil || n < 1 || n > 1000 {
				return fmt.Errorf("%q is not a subset size from 1 to 1000", value)
			}
			s.UpstreamHashBySubsetSize = &n
			return nil
		},
	})
}
