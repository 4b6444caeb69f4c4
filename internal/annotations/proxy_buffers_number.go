package annotations

import (
	"fmt"
	"strconv"
	"strings"
)

func init() {
	register(Def{
		Key:   "proxy-buffers-number",
		Scope: ScopeLocation,
		Risk:  RiskLow,
		Doc: "Number of response buffers per request, each of `proxy-buffer-size` (nginx `proxy_buffers`, as ingress-nginx); 3 to 256 " +
			"(nginx keeps two buffers' worth for sending, so it refuses fewer than 3); default: the ConfigMap's `proxy-buffers-number` (4).",
		Parse: func(value string, s *Set) error {
			n, err := strconv.Atoi(strings.TrimSpace(value))
			if err != nil || n < 3 || n > 256 {
				return fmt.Errorf("%q is not a number of buffers from 3 to 256", value)
			}
			s.ProxyBuffersNumber = &n
			return nil
		},
	})
}
