package annotations

func init() {
	register(Def{
		Key:   "auth-always-set-cookie",
		Scope: ScopeLocation,
		Risk:  RiskLow,
		Doc: "`true` passes the `Set-Cookie` of the `auth-url` answer to the client on every response, errors included " +
			"(default: only on 2xx and 3xx responses, nginx's `add_header` rule).",
		Parse: func(value string, s *Set) error {
			b, err := parseBool(value)
			if err != nil {
				return err
			}
			s.AuthAlwaysSetCookie = &b
			return nil
		},
	})
}
