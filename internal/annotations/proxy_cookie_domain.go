package annotations

func init() {
	register(Def{
		Key:   "proxy-cookie-domain",
		Scope: ScopeLocation,
		Risk:  RiskMedium,
		Doc: "`<domain> <replacement>`: the endpoint's `Set-Cookie` headers with `Domain=<domain>` get `Domain=<replacement>` " +
			"(nginx `proxy_cookie_domain`: compared without case, a leading `.` dropped from both); both DNS names, no regex or variable; " +
			"`off` (default): unchanged. Not for gRPC.",
		Parse: func(value string, s *Set) error {
			p, err := parseTextPair(value, "domain", cookieDomainWord)
			if err != nil {
				return err
			}
			s.ProxyCookieDomain = &p
			return nil
		},
	})
}
