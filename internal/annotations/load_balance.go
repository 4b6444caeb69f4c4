package annotations

import (
	"fmt"
	"strings"
)

// LoadBalanceAlgorithms are load-balance's values (ConfigMap key and
// annotation), with ingress-nginx's leastconn name as an alias.
var LoadBalanceAlgorithms = map[string]string{
	"round_robin": "round_robin", "least_conn": "least_conn", "least_connections": "least_conn", "ewma": "ewma",
}

// ParseLoadBalance reads a load-balance value (shared with the ConfigMap key).
func ParseLoadBalance(v string) (string, error) {
	a, ok := LoadBalanceAlgorithms[strings.TrimSpace(v)]
	if !ok {
		return "", fmt.Errorf("%q is not round_robin, least_conn (or least_connections) or ewma", strings.TrimSpace(v))
	}
	return a, nil
}

func init() {
	register(Def{
		Key:   "load-balance",
		Scope: ScopeLocation,
		Risk:  RiskLow,
		Doc: "How the paths' requests pick an endpoint: `round_robin`, `least_conn` (alias `least_connections`: fewest " +
			"requests in flight, counted across nginx workers) or `ewma` (ingress-nginx's peak EWMA: the lower decayed response time of two " +
			"random endpoints); default the ConfigMap's `load-balance`. `upstream-hash-by` and `affinity` take precedence, as in ingress-nginx.",
		Parse: func(value string, s *Set) error {
			a, err := ParseLoadBalance(value)
			if err != nil {
				return err
			}
			s.LoadBalance = &a
			return nil
		},
	})
}
