package annotations

func init() {
	register(Def{
		Key:   "session-cookie-conditional-samesite-none",
		Scope: ScopeIngress,
		Risk:  RiskLow,
		Doc: "`true`: leave `SameSite=None` out for the browsers that reject or misread it, by ingress-nginx's User-Agent " +
			"checks (`Chrome/4`, `Chrome/5`, `Chrome/6`, iOS 12, Safari on macOS 10.14).",
		Parse: func(value string, s *Set) error {
			b, err := parseBool(value)
			if err != nil {
				return err
			}
			s.SessionCookieConditionalSameSiteNone = &b
			return nil
		},
	})
}
