package configmap

import (
	"fmt"
	"strings"
)

// loadBalanceValues are load-balance's values, as the annotation of the
// same name takes them (ingress-nginx's least_connections is an alias).
var loadBalanceValues = map[string]string{
	"round_robin": "round_robin", "least_conn": "least_conn", "least_connections": "least_conn", "ewma": "ewma",
}

// Load balancing.
func init() {
	register(Key{Name: "load-balance",
		Doc: "How requests pick an endpoint where no `load-balance`, `upstream-hash-by` or `affinity` annotation says: " +
			"`round_robin` (default), `least_conn` (alias `least_connections`) or `ewma`; see the `load-balance` annotation.",
		Parse: func(v string, c *Config) error {
			a, ok := loadBalanceValues[strings.TrimSpace(v)]
			if !ok {
				return fmt.Errorf("%q is not round_robin, least_conn (or least_connections) or ewma", strings.TrimSpace(v))
			}
			c.LoadBalance = a
			return nil
		},
		keep: func(dst *Config, prev Config) { dst.LoadBalance = prev.LoadBalance },
	})
}
