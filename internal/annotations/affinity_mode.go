package annotations

import (
	"fmt"
	"strings"
)

func init() {
	register(Def{
		Key:   "affinity-mode",
		Scope: ScopeIngress,
		Risk:  RiskMedium,
		Doc: "`balanced` (default): the cookie holds a random key placed on a consistent-hash ring of the endpoints, so a " +
			"scale-up moves about 1/n of the sessions to the new endpoints and a removed endpoint's sessions spread over the others. " +
			"`persistent`: the cookie names its endpoint (a salted hash), so sessions never move while their endpoint is ready. " +
			"`persistent-drainable` is read as `persistent` (Atrium only knows ready endpoints, so a terminating pod's sessions move at once).",
		Parse: func(value string, s *Set) error {
			v := strings.TrimSpace(value)
			switch v {
			case "balanced", "persistent":
			case "persistent-drainable":
				v = "persistent"
			default:
				return fmt.Errorf("%q is not balanced or persistent", v)
			}
			s.AffinityMode = &v
			return nil
		},
	})
}
