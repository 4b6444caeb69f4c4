package annotations

func init() {
	register(Def{
		Key:   "auth-secret",
		Scope: ScopeLocation,
		Risk:  RiskMedium,
		Doc: "The Secret (`name`, or `namespace/name` in the Ingress's namespace) holding the users of `auth-type: basic`: an " +
			"htpasswd file under the key `auth`, or with `auth-secret-type: auth-map` one key per user whose value is the " +
			"password hash. Hashes: `$apr1$`, `$1$`, `$5$`, `$6$`, bcrypt (`$2a$`, `$2b$`, `$2y$`), `{SHA}` and `{SSHA}`; plain " +
			"text, `{PLAIN}` and DES crypt are refused. A missing Secret or key, or a line that is not `user:hash`, makes the paths answer 503.",
		Parse: func(value string, s *Set) error {
			n, err := parseSecretName(value)
			if err != nil {
				return err
			}
			s.AuthSecret = &n
			return nil
		},
	})
}
