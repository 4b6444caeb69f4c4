package annotations

import (
	"fmt"
	"strings"
)

func init() {
	register(Def{
		Key:   "connection-proxy-header",
		Scope: ScopeLocation,
		Risk:  RiskLow,
		Doc: "Connection header sent to the endpoints instead of Atrium's (`upgrade` for WebSocket requests, else none): " +
			"`keep-alive`, `close` or `upgrade`.",
		Parse: func(value string, s *Set) error {
			v := strings.ToLower(strings.TrimSpace(value))
			switch v {
			case "keep-alive", "close", "upgrade":
				s.ConnectionProxyHeader = &v
				return nil
			}
			return fmt.Errorf("%q is not keep-alive, close or upgrade", value)
		},
	})
}
