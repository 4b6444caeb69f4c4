package annotations

import (
	"fmt"
	"strings"
)

func init() {
	register(Def{
		Key:   "auth-secret-type",
		Scope: ScopeLocation,
		Risk:  RiskLow,
		Doc:   "How `auth-secret` holds its users: `auth-file` (default: an htpasswd file under the key `auth`) or `auth-map` (one key per user, the password hash as its value).",
		Parse: func(value string, s *Set) error {
			switch v := strings.ToLower(strings.TrimSpace(value)); v {
			case "auth-file", "auth-map":
				s.AuthSecretType = &v
				return nil
			}
			return fmt.Errorf("%q is not auth-file or auth-map", value)
		},
	})
}
