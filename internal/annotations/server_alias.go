package annotations

import (
	"fmt"
	"sort"
	"strings"
)

func init() {
	register(Def{
		Key:   "server-alias",
		Scope: ScopeServer,
		Risk:  RiskHigh,
		Doc: "Comma-separated further names (DNS names, or `*.` and a DNS name: nginx's wildcard of any depth) served " +
			"exactly like the Ingress's hosts. A name that is a host of an Ingress rule, a `from-to-www-redirect` name or " +
			"already an alias of an older Ingress stays theirs (a Warning Event says so); the oldest Ingress with aliases " +
			"for a host sets them. No regex names.",
		Parse: func(value string, s *Set) error {
			seen := map[string]bool{}
			var out []string
			for _, f := range strings.Split(value, ",") {
				if strings.TrimSpace(f) == "" {
					continue
				}
				n, err := parseServerName(f)
				if err != nil {
					return err
				}
				if !seen[n] {
					seen[n] = true
					out = append(out, n)
				}
			}
			if len(out) == 0 {
				return fmt.Errorf("no name given")
			}
			sort.Strings(out)
			s.ServerAlias = out
			return nil
		},
	})
}
