package annotations

import (
	"fmt"
	"strings"
)

func init() {
	register(Def{
		Key:   "affinity",
		Scope: ScopeIngress,
		Risk:  RiskLow,
		Doc: "`cookie`: session affinity. A request without a valid affinity cookie gets an endpoint and a cookie " +
			"(`session-cookie-*`) that sends the client's later requests to the same endpoint while it stays ready; " +
			"endpoint changes keep the other sessions where they are (see `affinity-mode`). Takes precedence over " +
			"`upstream-hash-by` and `load-balance`. Applies to this Ingress's paths (ingress-nginx applied it to every path " +
			"of the Service).",
		Parse: func(value string, s *Set) error {
			v := strings.TrimSpace(value)
			if v != "cookie" {
				return fmt.Errorf("%q is not cookie (the only affinity type)", v)
			}
			s.Affinity = &v
			return nil
		},
	})
}
