package annotations

import (
	"fmt"
	"strings"
)

func init() {
	register(Def{
		Key:   "session-cookie-samesite",
		Scope: ScopeIngress,
		Risk:  RiskLow,
		Doc:   "SameSite attribute of the `affinity` cookie: `None`, `Lax` or `Strict` (any case); default none.",
		Parse: func(value string, s *Set) error {
			var v string
			switch strings.ToLower(strings.TrimSpace(value)) {
			case "none":
				v = "None"
			case "lax":
				v = "Lax"
			case "strict":
				v = "Strict"
			default:
				return fmt.Errorf("%q is not None, Lax or Strict", strings.TrimSpace(value))
			}
			s.SessionCookieSameSite = &v
			return nil
		},
	})
}
