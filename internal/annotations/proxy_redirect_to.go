package annotations

import "strings"

func init() {
	register(Def{
		Key:   "proxy-redirect-to",
		Scope: ScopeLocation,
		Risk:  RiskMedium,
		Doc: "What replaces `proxy-redirect-from` at the start of an endpoint's `Location` and `Refresh` headers: an absolute " +
			"http(s) URL or a path (nginx then adds the request's scheme and host); no variable or capture. `off` (default): " +
			"no rewrite.",
		Parse: func(value string, s *Set) error {
			v := strings.TrimSpace(value)
			if strings.EqualFold(v, "off") {
				off := "off"
				s.ProxyRedirectTo = &off
				return nil
			}
			u, err := parseRedirectText(v)
			if err != nil {
				return err
			}
			s.ProxyRedirectTo = &u
			return nil
		},
	})
}
