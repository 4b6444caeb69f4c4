package annotations

import (
	"fmt"
	"regexp"
	"strings"
)

// authHeaderRe is ingress-nginx's rule for auth-response-headers names.
var authHeaderRe = regexp.MustCompile(`^[A-Za-z0-9_-]{1,128}$`)

func init() {
	register(Def{
		Key:   "auth-response-headers",
		Scope: ScopeLocation,
		Risk:  RiskMedium,
		Doc: "Comma-separated headers of the `auth-url` answer that are passed to the endpoints as request headers (replacing " +
			"what the client sent; removed when the answer has none). Names of letters, digits, `-` and `_`; the headers " +
			"Atrium sets itself (`Host`, `X-Forwarded-*`, `X-Real-IP`, `X-Request-ID`, …) are refused.",
		Parse: func(value string, s *Set) error {
			seen := map[string]bool{}
			var out []string
			for _, f := range strings.Split(value, ",") {
				f = strings.TrimSpace(f)
				switch {
				case f == "":
					continue
				case !authHeaderRe.MatchString(f):
					return fmt.Errorf("%q is not a header name (letters, digits, - and _)", f)
				case seen[strings.ToLower(f)]:
					continue
				}
				seen[strings.ToLower(f)] = true
				out = append(out, f)
			}
			if len(out) == 0 {
				return fmt.Errorf("no header name given")
			}
			s.AuthResponseHeaders = out
			return nil
		},
	})
}
