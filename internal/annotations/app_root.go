package annotations

import (
	"fmt"
)

func init() {
	register(Def{
		Key:   "app-root",
		Scope: ScopeServer,
		Risk:  RiskLow,
		Doc:   "Redirect `/` to this path (302) on the Ingress's hosts.",
		Parse: func(value string, s *Set) error {
			p, err := parsePath(value)
			if err != nil {
				return err
			}
			if p == "/" {
				return fmt.Errorf("app-root must not be / (it would redirect to itself)")
			}
			s.AppRoot = &p
			return nil
		},
	})
}
