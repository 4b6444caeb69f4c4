package annotations

import (
	"fmt"
	"regexp"
	"strings"
)

// matchCNChars are the characters of auth-tls-match-cn after "CN=": those
// of a path regex (see validateRegexPath in the core) plus the space.
// CVE-2025-1097 pasted this value into an nginx `if` unchecked.
var matchCNChars = regexp.MustCompile(`^[A-Za-z0-9 /._~!&(),=:@|?*+\[\]^$\\-]{1,512}$`)

// matchCNEscapes are the characters a backslash may precede.
const matchCNEscapes = `./-_~!&(),=:@|?*+[]^\dDwWsS`

func init() {
	register(Def{
		Key:   "auth-tls-match-cn",
		Scope: ScopeServer,
		Risk:  RiskHigh,
		Doc: "`CN=` and a regular expression the client certificate's subject DN (e.g. `CN=client,O=Org`) must match, " +
			"unanchored and case-sensitive as in ingress-nginx; otherwise 403. The regex uses letters, digits, spaces and " +
			"`/._~!&(),=:@|?*+[]^$\\-` (no `{n,m}`, backreferences or lookaround); `$` may only end the regex or a branch.",
		Parse: func(value string, s *Set) error {
			re, ok := strings.CutPrefix(value, "CN=")
			if !ok {
				return fmt.Errorf("%q does not start with CN=", value)
			}
			if !matchCNChars.MatchString(re) {
				return fmt.Errorf("%q has characters outside letters, digits, spaces and /._~!&(),=:@|?*+[]^$\\-", value)
			}
			for i := 0; i < len(re); i++ {
				switch re[i] {
				case '$':
					if i+1 < len(re) && re[i+1] != ')' && re[i+1] != '|' {
						return fmt.Errorf("%q: '$' may only end the regex or a branch (before ')' or '|')", value)
					}
				case '\\':
					if i+1 >= len(re) || !strings.ContainsRune(matchCNEscapes, rune(re[i+1])) {
						return fmt.Errorf("%q: a backslash may only precede punctuation other than '$', or one of d D w W s S", value)
					}
					i++
				}
			}
			if _, err := regexp.Compile(value); err != nil {
				return fmt.Errorf("%q is not a regular expression Atrium accepts: %v", value, err)
			}
			s.AuthTLSMatchCN = &value
			return nil
		},
	})
}
