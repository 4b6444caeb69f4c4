package annotations

import "fmt"

func init() {
	register(Def{
		Key:   "auth-cache-key",
		Scope: ScopeLocation,
		Risk:  RiskHigh,
		Doc: "Caches the `auth-url` answers (nginx's proxy cache, `auth-cache-duration` says which and how long): requests with " +
			"the same key get the answer of the first without asking the service again. The key is text and nginx variables as " +
			"in `upstream-hash-by` (`$http_authorization`, `$cookie_session$remote_user`; `$1`-`$9` are refused), taken from the " +
			"client's request; Atrium adds the host, the Ingress path and the auth URL, so two Ingresses never share answers. " +
			"Choose variables that tell users apart: a key that is the same for two users gives the second the first's answer. " +
			"As in nginx, an answer with `Set-Cookie`, `Cache-Control: no-store`/`private`/`no-cache` or `Vary: *` is not cached.",
		Parse: func(value string, s *Set) error {
			k, err := parseHashKey(value)
			if err != nil {
				return err
			}
			for _, p := range k {
				if hashCaptures.MatchString(p.Var) {
					return fmt.Errorf("%q: $%s (a regex capture) is not one a cache key may use: the auth request has none", value, p.Var)
				}
			}
			s.AuthCacheKey = k
			return nil
		},
	})
}
