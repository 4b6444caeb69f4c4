package annotations

func init() {
	register(Def{
		Key:   "proxy-cookie-path",
		Scope: ScopeLocation,
		Risk:  RiskMedium,
		Doc: "`<path> <replacement>`: in the endpoint's `Set-Cookie` headers a `Path` starting with `<path>` gets that start " +
			"replaced (nginx `proxy_cookie_path`, case-sensitive): `/app/ /` makes `Path=/app/x` `Path=/x`; both absolute paths of " +
			"`A-Z a-z 0-9 / . _ ~ ! & ( ) * + , = : @ -`, no regex or variable; `off` (default): unchanged. Not for gRPC.",
		Parse: func(value string, s *Set) error {
			p, err := parseTextPair(value, "path", cookiePathWord)
			if err != nil {
				return err
			}
			s.ProxyCookiePath = &p
			return nil
		},
	})
}
