package annotations

import (
	"fmt"
	"strings"
)

func init() {
	register(Def{
		Key:   "satisfy",
		Scope: ScopeLocation,
		Risk:  RiskLow,
		Doc: "`all` (nginx's default) or `any`: whether a request must pass every access check of the path or one " +
			"(nginx `satisfy`). The checks are the source ranges (`allowlist-`/`denylist-source-range`) and, when " +
			"Atrium supports them, authentication; with only source ranges both answer alike.",
		Parse: func(value string, s *Set) error {
			v := strings.ToLower(strings.TrimSpace(value))
			if v != "any" && v != "all" {
				return fmt.Errorf("%q is not any or all", value)
			}
			s.Satisfy = &v
			return nil
		},
	})
}
