package annotations

import (
	"fmt"
	"strings"
)

func init() {
	register(Def{
		Key:   "auth-tls-verify-client",
		Scope: ScopeServer,
		Risk:  RiskMedium,
		Doc: "nginx's `ssl_verify_client` for `auth-tls-secret`: `on` (default: a valid client certificate is required, else " +
			"400), `optional`, `optional_no_ca` (requested, not checked against the CA) or `off`. With `on`, plain-HTTP " +
			"requests to the Ingress's paths that are not redirected to HTTPS answer 403 (ingress-nginx served them " +
			"without a certificate).",
		Parse: func(value string, s *Set) error {
			switch v := strings.ToLower(strings.TrimSpace(value)); v {
			case "on", "off", "optional", "optional_no_ca":
				s.AuthTLSVerifyClient = &v
				return nil
			}
			return fmt.Errorf("%q is not on, off, optional or optional_no_ca", value)
		},
	})
}
