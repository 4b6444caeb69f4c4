package annotations

import (
	"fmt"
	"regexp"
	"strings"
)

// cipherListRe is ingress-nginx's allow-list for proxy-ssl-ciphers.
var cipherListRe = regexp.MustCompile(`^[A-Za-z0-9+:_!-]+$`)

func init() {
	register(Def{
		Key:   "proxy-ssl-ciphers",
		Scope: ScopeIngress,
		Risk:  RiskMedium,
		Doc:   "OpenSSL cipher list offered to the endpoints (TLS 1.2 and older); default `DEFAULT`.",
		Parse: func(value string, s *Set) error {
			v := strings.TrimSpace(value)
			if len(v) > 2048 || !cipherListRe.MatchString(v) {
				return fmt.Errorf("%q is not an OpenSSL cipher list (letters, digits and + : _ ! -)", value)
			}
			s.ProxySSLCiphers = &v
			return nil
		},
	})
}
