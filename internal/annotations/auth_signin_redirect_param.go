package annotations

import (
	"fmt"
	"regexp"
	"strings"
)

var queryParamRe = regexp.MustCompile(`^[A-Za-z0-9._~-]{1,64}$`)

func init() {
	register(Def{
		Key:   "auth-signin-redirect-param",
		Scope: ScopeLocation,
		Risk:  RiskLow,
		Doc:   "The query parameter `auth-signin` carries the original URL in (default `rd`): letters, digits and `._~-`.",
		Parse: func(value string, s *Set) error {
			v := strings.TrimSpace(value)
			if !queryParamRe.MatchString(v) {
				return fmt.Errorf("%q is not a query parameter name (up to 64 letters, digits and ._~-)", value)
			}
			s.AuthSigninRedirectParam = &v
			return nil
		},
	})
}
