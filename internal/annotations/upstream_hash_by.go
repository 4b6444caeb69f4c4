package annotations

func init() {
	register(Def{
		Key:   "upstream-hash-by",
		Scope: ScopeLocation,
		Risk:  RiskHigh,
		Doc: "Consistent hashing (ketama ring, 160 points per endpoint): requests with the same key go to the same endpoint, and " +
			"only about 1/n of the keys move when an endpoint comes or goes. The key is text and nginx variables as nginx writes them " +
			"(`$request_uri`, `${http_x_user}-v1`); the variables may be `$remote_addr`, `$binary_remote_addr`, `$request_uri`, `$uri`, " +
			"`$args`, `$host`, `$scheme`, `$request_method`, `$server_name`, `$http_*`, `$cookie_*`, `$arg_*`, `$1`-`$9` and a few more, " +
			"the text letters, digits and `. _ ~ : / @ ! , + = -`. Takes precedence over `load-balance`. " +
			"`upstream-hash-by-subset` maps a key to a few endpoints instead of one.",
		Parse: func(value string, s *Set) error {
			k, err := parseHashKey(value)
			if err != nil {
				return err
			}
			s.UpstreamHashBy = k
			return nil
		},
	})
}
