package configmap

import (
	"fmt"

	"github.com/atrium-ingress/atrium/internal/annotations"
)

// GlobalAuth holds ingress-nginx's global-auth-* keys as written: each is
// the annotation of the same name without "global-" (auth-url, ...),
// checked with that annotation's own validator, so that one value is valid
// or not in both places.
type GlobalAuth struct {
	URL, Method, Signin, SigninRedirectParam, ResponseHeaders, RequestRedirect string
	CacheKey, CacheDuration, AlwaysSetCookie                                   string
	// Refused: a global-auth-* value was refused. The paths global auth
	// would cover answer 503 then (a previous value may not exist after a
	// restart, and no auth at all must never be the fallback).
	Refused bool
}

// fields pairs each annotation key with its field.
func (g *GlobalAuth) fields() map[string]*string {
	return map[string]*string{
		"auth-url": &g.URL, "auth-method": &g.Method, "auth-signin": &g.Signin,
		"auth-signin-redirect-param": &g.SigninRedirectParam, "auth-response-headers": &g.ResponseHeaders,
		"auth-request-redirect": &g.RequestRedirect, "auth-cache-key": &g.CacheKey,
		"auth-cache-duration": &g.CacheDuration, "auth-always-set-cookie": &g.AlwaysSetCookie,
	}
}

// Annotations returns the values set as annotations with prefix, for the
// core to read as it reads an Ingress's.
func (g GlobalAuth) Annotations(prefix string) map[string]string {
	out := map[string]string{}
	for key, v := range g.fields() {
		if *v != "" {
			out[prefix+"/"+key] = *v
		}
	}
	return out
}

func init() {
	docs := map[string]string{
		"auth-url":                   "URL of the external auth service for every Ingress without its own `auth-url` (and without `enable-global-auth: \"false\"`), as in ingress-nginx; paths under `no-auth-locations` are left out. The value takes what the `auth-url` annotation takes. Unlike other keys, a refused `global-auth-*` value does not keep the previous one: the paths global auth covers answer 503 until it is fixed.",
		"auth-method":                "`auth-method` of `global-auth-url`.",
		"auth-signin":                "`auth-signin` of `global-auth-url`.",
		"auth-signin-redirect-param": "`auth-signin-redirect-param` of `global-auth-url`.",
		"auth-response-headers":      "`auth-response-headers` of `global-auth-url`.",
		"auth-request-redirect":      "`auth-request-redirect` of `global-auth-url`.",
		"auth-cache-key":             "`auth-cache-key` of `global-auth-url`.",
		"auth-cache-duration":        "`auth-cache-duration` of `global-auth-url`.",
		"auth-always-set-cookie":     "`auth-always-set-cookie` of `global-auth-url`.",
	}
	for key, doc := range docs {
		field := func(c *Config) *string { return c.GlobalAuth.fields()[key] }
		register(Key{Name: "global-" + key, Doc: doc,
			Parse: func(v string, c *Config) error {
				if v != "" {
					if _, err := annotations.ParseOne(key, v); err != nil {
						return fmt.Errorf("%v (as the %s annotation)", err, key)
					}
				}
				*field(c) = v
				return nil
			},
			keep:        func(dst *Config, _ Config) { dst.GlobalAuth.Refused = true },
			failsClosed: true,
		})
	}
	listKey("no-auth-locations", "Comma-separated path prefixes `global-auth-url` leaves out, compared with each Ingress path as ingress-nginx does; default /.well-known/acme-challenge (ACME HTTP-01 challenges).", ",", func(f string) (string, error) {
		if !pathPrefixRe.MatchString(f) {
			return "", fmt.Errorf("%q is not a path (/ then letters, digits and -._~/)", f)
		}
		return f, nil
	}, func(c *Config) *[]string { return &c.NoAuthLocations })
}
