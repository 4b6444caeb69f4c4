package annotations

import "fmt"

func init() {
	register(Def{
		Key:   "canary-by-header-value",
		Scope: ScopeIngress,
		Risk:  RiskMedium,
		Doc: "With `canary-by-header`: the exact header value (letters, digits and `- . _ ~ / :`) that chooses the canary, " +
			"instead of `always`; any other value falls through (there is no `never` then).",
		Parse: func(value string, s *Set) error {
			if !basicValueRe.MatchString(value) {
				return fmt.Errorf("%q is not 1-256 of letters, digits and - . _ ~ / :", value)
			}
			s.CanaryByHeaderValue = &value
			return nil
		},
	})
}
