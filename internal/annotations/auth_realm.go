package annotations

import (
	"fmt"
	"regexp"
)

// realmRe is what a basic-auth realm may hold: it goes into nginx's
// auth_basic and from there, unescaped, into WWW-Authenticate's quoted
// realm, so no quote, backslash or '$' (nor ';', '{', '}').
var realmRe = regexp.MustCompile(`^[A-Za-z0-9 ._~:/?#@!&()*+,=%-]{0,256}$`)

func init() {
	register(Def{
		Key:   "auth-realm",
		Scope: ScopeLocation,
		Risk:  RiskMedium,
		Doc: "The realm `auth-type: basic` names in `WWW-Authenticate` (default empty, as in ingress-nginx): up to 256 letters, " +
			"digits, spaces and `._~:/?#@!&()*+,=%-`.",
		Parse: func(value string, s *Set) error {
			if !realmRe.MatchString(value) {
				return fmt.Errorf("%q is not a realm (up to 256 letters, digits, spaces and ._~:/?#@!&()*+,=%%-)", value)
			}
			s.AuthRealm = &value
			return nil
		},
	})
}
