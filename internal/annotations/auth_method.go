package annotations

import (
	"fmt"
	"strings"
)

// authMethods are the methods ingress-nginx's auth-method takes.
var authMethods = map[string]bool{"GET": true, "HEAD": true, "POST": true, "PUT": true, "PATCH": true, "DELETE": true,
	"CONNECT": true, "OPTIONS": true, "TRACE": true}

func init() {
	register(Def{
		Key:   "auth-method",
		Scope: ScopeLocation,
		Risk:  RiskLow,
		Doc: "The method of the `auth-url` request (default GET: nginx's subrequests are GETs, `X-Original-Method` carries " +
			"the client's). As in ingress-nginx, setting it also sends `X-Original-URI` and `X-Scheme`. One of GET, HEAD, " +
			"POST, PUT, PATCH, DELETE, CONNECT, OPTIONS, TRACE.",
		Parse: func(value string, s *Set) error {
			v := strings.ToUpper(strings.TrimSpace(value))
			if !authMethods[v] {
				return fmt.Errorf("%q is not one of GET, HEAD, POST, PUT, PATCH, DELETE, CONNECT, OPTIONS, TRACE", value)
			}
			s.AuthMethod = &v
			return nil
		},
	})
}
