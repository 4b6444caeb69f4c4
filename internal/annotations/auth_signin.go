package annotations

import (
	"fmt"
	"strings"
)

func init() {
	register(Def{
		Key:   "auth-signin",
		Scope: ScopeLocation,
		Risk:  RiskHigh,
		Doc: "Where a 401 of `auth-url` sends the client instead (302): an absolute http(s) URL or a path on the same host. " +
			"As in ingress-nginx, `rd=<scheme>://<host><escaped request URI>` is added unless the query already has the " +
			"redirect parameter (`auth-signin-redirect-param`). Variables such as `$escaped_request_uri` are refused: leave " +
			"`rd` out and Atrium adds it.",
		Parse: func(value string, s *Set) error {
			if strings.Contains(value, "$escaped_request_uri") {
				return fmt.Errorf("%q holds the nginx variable $escaped_request_uri: leave the redirect parameter out and Atrium "+
					"adds it, with the original URL, as ingress-nginx does", value)
			}
			u, err := parseURLOrPath(value)
			if err != nil {
				return err
			}
			s.AuthSignin = &u
			return nil
		},
	})
}
