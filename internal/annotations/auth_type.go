package annotations

import (
	"fmt"
	"strings"
)

func init() {
	register(Def{
		Key:   "auth-type",
		Scope: ScopeLocation,
		Risk:  RiskLow,
		Doc: "`basic`: HTTP basic authentication against the users of `auth-secret` (nginx's `auth_basic`); wrong or missing " +
			"credentials get 401 with `WWW-Authenticate`, and the `Authorization` header is not passed to the endpoints. " +
			"`digest` is refused: it needs a third-party nginx module that Atrium's nginx does not have.",
		Parse: func(value string, s *Set) error {
			switch v := strings.ToLower(strings.TrimSpace(value)); v {
			case "basic":
				s.AuthType = &v
				return nil
			case "digest":
				return fmt.Errorf("digest authentication needs nginx's third-party auth-digest module, which Atrium's nginx does not have; use basic")
			}
			return fmt.Errorf("%q is not basic", value)
		},
	})
}
