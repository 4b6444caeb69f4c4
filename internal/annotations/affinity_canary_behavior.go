package annotations

import (
	"fmt"
	"strings"
)

func init() {
	register(Def{
		Key:   "affinity-canary-behavior",
		Scope: ScopeIngress,
		Risk:  RiskLow,
		Doc: "On a `canary` Ingress whose main Ingress has `affinity`: `sticky` (default) gives the canary the main's affinity, " +
			"so a client sent to the canary stays there (its cookie names the canary); `legacy` balances the canary without " +
			"affinity. Either way a client whose cookie names the main backend stays on it, as in ingress-nginx.",
		Parse: func(value string, s *Set) error {
			v := strings.TrimSpace(value)
			if v != "sticky" && v != "legacy" {
				return fmt.Errorf("%q is not sticky or legacy", v)
			}
			s.AffinityCanaryBehavior = &v
			return nil
		},
	})
}
