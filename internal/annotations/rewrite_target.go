package annotations

import (
	"fmt"
	"regexp"
	"strings"
)

// rewriteTargetRe is what a rewrite target may hold: path characters and
// the capture groups $1 to $9 of the path regex, nothing else with a '$'.
var rewriteTargetRe = regexp.MustCompile(`^(/[A-Za-z0-9._~!&()*+,=:@/-]*|\$[1-9])+$`)

func init() {
	register(Def{
		Key:   "rewrite-target",
		Scope: ScopeIngress,
		Risk:  RiskMedium,
		Doc: "Path sent to the endpoints instead of the request's: nginx `rewrite \"(?i)<path>\" <target> break;` for each path of the " +
			"Ingress, so `$1`...`$9` are the path regex's capture groups (the query string is kept). Implies `use-regex` " +
			"(unless the target equals the path). The target is path characters (`A-Z a-z 0-9 / . _ ~ ! & ( ) * + , = : @ -`) " +
			"and `$1`-`$9`; no other `$`, no query, no absolute URL.",
		Parse: func(value string, s *Set) error {
			v := strings.TrimSpace(value)
			if len(v) > 2048 || !rewriteTargetRe.MatchString(v) {
				return fmt.Errorf("%q is not a rewrite target: a path (starting with / or a capture group) of A-Z a-z 0-9 / . _ ~ ! & ( ) * + , = : @ - and $1-$9 only", value)
			}
			s.RewriteTarget = &v
			return nil
		},
	})
}
