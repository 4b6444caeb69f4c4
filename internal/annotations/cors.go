package annotations

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// The CORS annotations, as ingress-nginx has them. Only enable-cors turns
// CORS on; the others change its defaults (which the core applies).

// corsOriginRe is one allowed origin: http(s), a DNS name that may start
// with "*." (any one label, as ingress-nginx's wildcard), an optional port.
var corsOriginRe = regexp.MustCompile(`^https?://(\*\.)?[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*(:[0-9]{1,5})?$`)

// corsTokenRe is an HTTP method or header name as the CORS headers list them.
var corsTokenRe = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// parseCORSList reads a comma-separated list of tokens (star: "*" allowed
// as a token) and returns it joined by "," without spaces.
func parseCORSList(v, what string, star bool) (string, error) {
	var out []string
	for _, f := range strings.Split(v, ",") {
		f = strings.TrimSpace(f)
		switch {
		case f == "":
			continue
		case f == "*" && star, corsTokenRe.MatchString(f):
			out = append(out, f)
		default:
			return "", fmt.Errorf("%q is not a %s (letters, digits, '-' and '_')", f, what)
		}
	}
	if len(out) == 0 {
		return "", fmt.Errorf("no %s given", what)
	}
	return strings.Join(out, ","), nil
}

func init() {
	register(Def{
		Key:   "enable-cors",
		Scope: ScopeIngress,
		Risk:  RiskLow,
		Doc: "`true` answers CORS for this Ingress's paths as ingress-nginx does: when the request's Origin is allowed " +
			"(`cors-allow-origin`), the responses get the `Access-Control-Allow-*` headers (replacing the endpoint's) and a " +
			"preflight (`OPTIONS`) is answered 204 by nginx.",
		Parse: func(value string, s *Set) error {
			b, err := parseBool(value)
			if err != nil {
				return err
			}
			s.EnableCORS = &b
			return nil
		},
	})
	register(Def{
		Key:   "cors-allow-origin",
		Scope: ScopeIngress,
		Risk:  RiskMedium,
		Doc: "Comma-separated origins allowed by `enable-cors`: `*` (any, the default; sent as `*`) or `http(s)://host[:port]`, " +
			"where host may start with `*.` for any one label; an allowed request Origin is sent back as Access-Control-Allow-Origin.",
		Parse: func(value string, s *Set) error {
			var out []string
			seen := map[string]bool{}
			for _, f := range strings.Split(value, ",") {
				f = strings.ToLower(strings.TrimSpace(f))
				switch {
				case f == "":
					continue
				case f != "*" && (len(f) > 300 || !corsOriginRe.MatchString(f)):
					return fmt.Errorf("%q is not * or an origin http(s)://host[:port] (host may start with *.)", f)
				}
				if p := strings.LastIndexByte(f, ':'); p > 5 {
					if n, err := strconv.Atoi(f[p+1:]); err != nil || n < 1 || n > 65535 {
						return fmt.Errorf("%q has an invalid port", f)
					}
				}
				if !seen[f] {
					seen[f] = true
					out = append(out, f)
				}
			}
			switch {
			case len(out) == 0:
				return fmt.Errorf("no origin given")
			case seen["*"] && len(out) > 1:
				return fmt.Errorf("%q: * allows every origin and cannot be combined with others", value)
			}
			s.CORSAllowOrigin = out
			return nil
		},
	})
	register(Def{
		Key:   "cors-allow-methods",
		Scope: ScopeIngress,
		Risk:  RiskLow,
		Doc:   "Access-Control-Allow-Methods for `enable-cors`: comma-separated methods; default `GET,PUT,POST,DELETE,PATCH,OPTIONS`.",
		Parse: func(value string, s *Set) error {
			v, err := parseCORSList(value, "method", false)
			if err != nil {
				return err
			}
			s.CORSAllowMethods = &v
			return nil
		},
	})
	register(Def{
		Key:   "cors-allow-headers",
		Scope: ScopeIngress,
		Risk:  RiskLow,
		Doc: "Access-Control-Allow-Headers for `enable-cors`: comma-separated header names; default " +
			"`DNT,Keep-Alive,User-Agent,X-Requested-With,If-Modified-Since,Cache-Control,Content-Type,Range,Authorization`.",
		Parse: func(value string, s *Set) error {
			v, err := parseCORSList(value, "header name", false)
			if err != nil {
				return err
			}
			s.CORSAllowHeaders = &v
			return nil
		},
	})
	register(Def{
		Key:   "cors-expose-headers",
		Scope: ScopeIngress,
		Risk:  RiskLow,
		Doc:   "Access-Control-Expose-Headers for `enable-cors`: comma-separated header names or `*`; default none.",
		Parse: func(value string, s *Set) error {
			v, err := parseCORSList(value, "header name", true)
			if err != nil {
				return err
			}
			s.CORSExposeHeaders = &v
			return nil
		},
	})
	register(Def{
		Key:   "cors-allow-credentials",
		Scope: ScopeIngress,
		Risk:  RiskLow,
		Doc:   "`false` leaves out Access-Control-Allow-Credentials (default `true`) for `enable-cors`.",
		Parse: func(value string, s *Set) error {
			b, err := parseBool(value)
			if err != nil {
				return err
			}
			s.CORSAllowCredentials = &b
			return nil
		},
	})
	register(Def{
		Key:   "cors-max-age",
		Scope: ScopeIngress,
		Risk:  RiskLow,
		Doc:   "Access-Control-Max-Age in seconds for `enable-cors`; default 1728000.",
		Parse: func(value string, s *Set) error {
			n, err := strconv.Atoi(strings.TrimSpace(value))
			if err != nil || n < 0 || n > 1<<31-1 {
				return fmt.Errorf("%q is not a number of seconds from 0 to 2147483647", value)
			}
			s.CORSMaxAge = &n
			return nil
		},
	})
}
