package annotations

import (
	"fmt"
	"strings"
)

func init() {
	register(Def{
		Key:   "proxy-http-version",
		Scope: ScopeLocation,
		Risk:  RiskLow,
		Doc:   "HTTP version to endpoints: `1.1` (default) or `1.0`.",
		Parse: func(value string, s *Set) error {
			v := strings.TrimSpace(value)
			if v != "1.0" && v != "1.1" {
				return fmt.Errorf("%q is not 1.0 or 1.1", value)
			}
			s.ProxyHTTPVersion = &v
			return nil
		},
	})
}
