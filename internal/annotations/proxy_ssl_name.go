package annotations

import (
	"fmt"
	"net"
	"strings"
)

func init() {
	register(Def{
		Key:   "proxy-ssl-name",
		Scope: ScopeIngress,
		Risk:  RiskHigh,
		Doc: "Name `proxy-ssl-verify` checks the endpoint's certificate against, and the SNI sent with `proxy-ssl-server-name`. " +
			"Default: the Service's name `<service>.<namespace>.svc` (an ExternalName Service's external name), " +
			"where ingress-nginx uses `upstream_balancer`, which no certificate carries.",
		Parse: func(value string, s *Set) error {
			v := strings.TrimSuffix(strings.ToLower(strings.TrimSpace(value)), ".")
			if len(v) > 253 || !hostRe.MatchString(v) || strings.Contains(v, ":") || net.ParseIP(v) != nil {
				return fmt.Errorf("%q is not a DNS name", value)
			}
			s.ProxySSLName = &v
			return nil
		},
	})
}
