package annotations

func init() {
	register(Def{
		Key:   "proxy-ssl-server-name",
		Scope: ScopeIngress,
		Risk:  RiskLow,
		Doc:   "`on`: send `proxy-ssl-name` as SNI to the endpoints. Default `off`.",
		Parse: func(value string, s *Set) error {
			b, err := parseOnOff(value)
			if err != nil {
				return err
			}
			s.ProxySSLServerName = &b
			return nil
		},
	})
}
