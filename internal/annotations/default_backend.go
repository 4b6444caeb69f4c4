package annotations

import (
	"fmt"
	"regexp"
	"strings"
)

// serviceNameRe is a Service name: a DNS label.
var serviceNameRe = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

func init() {
	register(Def{
		Key:   "default-backend",
		Scope: ScopeLocation,
		Risk:  RiskLow,
		Doc: "A Service of the Ingress's namespace (its first port) that answers, as in ingress-nginx, the Ingress's paths " +
			"whose Service has no ready endpoint (or does not exist), with `X-Code: 503` and the other headers listed under " +
			"`custom-http-errors`; and this Ingress's `custom-http-errors`. Not the paths no rule matches.",
		Parse: func(value string, s *Set) error {
			v := strings.TrimSpace(value)
			if !serviceNameRe.MatchString(v) {
				return fmt.Errorf("%q is not a Service name (a lower-case DNS label)", v)
			}
			s.DefaultBackend = &v
			return nil
		},
	})
}
