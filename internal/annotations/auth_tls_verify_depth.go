package annotations

import (
	"fmt"
	"strconv"
	"strings"
)

func init() {
	register(Def{
		Key:   "auth-tls-verify-depth",
		Scope: ScopeServer,
		Risk:  RiskLow,
		Doc:   "Longest client certificate chain accepted, 0 to 100; default 1 (`0` means 1, as in ingress-nginx).",
		Parse: func(value string, s *Set) error {
			n, err := strconv.Atoi(strings.TrimSpace(value))
			if err != nil || n < 0 || n > 100 {
				return fmt.Errorf("%q is not a depth from 0 to 100", value)
			}
			if n == 0 {
				n = 1
			}
			s.AuthTLSVerifyDepth = &n
			return nil
		},
	})
}
