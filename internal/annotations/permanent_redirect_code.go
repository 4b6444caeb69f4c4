package annotations

import (
	"fmt"
	"strconv"
	"strings"
)

func init() {
	register(Def{
		Key:   "permanent-redirect-code",
		Scope: ScopeLocation,
		Risk:  RiskLow,
		Doc:   "Status of `permanent-redirect`: 300-308 (default 301).",
		Parse: func(value string, s *Set) error {
			n, err := strconv.Atoi(strings.TrimSpace(value))
			if err != nil || n < 300 || n > 308 {
				return fmt.Errorf("%q is not a redirect status from 300 to 308", value)
			}
			s.PermanentRedirectCode = &n
			return nil
		},
	})
}
