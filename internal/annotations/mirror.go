package annotations

import (
	"fmt"
	"net"
	"net/url"
	"strings"
)

// MirrorTarget is a validated mirror-target: an absolute http(s) URL
// without '$', query or fragment, optionally followed by $request_uri.
type MirrorTarget struct {
	// URL is the target up to $request_uri.
	URL string
	// RequestURI says the target ended with $request_uri: the mirror gets
	// the client's URI (path and query) appended to URL.
	RequestURI bool
	// Host is URL's host name without port, the default mirror-host.
	Host string
	// HasPath says URL has a path (more than the host): nginx then sends
	// that path instead of the request's.
	HasPath bool
}

// requestURIVar is the one nginx variable a mirror-target may use, as in
// ingress-nginx's documented example (https://test.env.com/$request_uri).
const requestURIVar = "$request_uri"

// parseMirrorTarget checks a mirror-target. Only $request_uri, and only at
// the end, may follow the URL: any other '$' would be an nginx variable.
func parseMirrorTarget(v string) (MirrorTarget, error) {
	v = strings.TrimSpace(v)
	base, withURI := strings.CutSuffix(v, requestURIVar)
	if !urlChars.MatchString(base) || strings.ContainsAny(base, "#?") {
		return MirrorTarget{}, fmt.Errorf("%q is not an http or https URL followed by nothing or %s (no quotes, spaces, ';', '{', '}', '\\\\', query, fragment or other '$')", v, requestURIVar)
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.Opaque != "" {
		return MirrorTarget{}, fmt.Errorf("%q is not an absolute http or https URL with a host", v)
	}
	host := strings.ToLower(u.Hostname())
	if ip := net.ParseIP(host); ip == nil && (len(host) > 253 || !hostRe.MatchString(host)) {
		return MirrorTarget{}, fmt.Errorf("%q: %q is not a host name or IP address", v, host)
	}
	if p := u.Port(); p != "" {
		if _, err := parseCount(p, 65535, "a port"); err != nil || p == "0" {
			return MirrorTarget{}, fmt.Errorf("%q: port %q is not from 1 to 65535", v, p)
		}
	}
	return MirrorTarget{URL: base, RequestURI: withURI, Host: host, HasPath: u.Path != ""}, nil
}

func init() {
	register(Def{
		Key:   "mirror-target",
		Scope: ScopeIngress,
		Risk:  RiskHigh,
		Doc: "URL to which every request to the Ingress's paths is copied (nginx `mirror`; the answers are ignored): " +
			"`http(s)://host[:port][/path]`, optionally followed by `$request_uri` (the client's path and query), the only variable allowed. " +
			"A host name is resolved at request time by the resolvers of the controller's /etc/resolv.conf (use a fully qualified name). " +
			"Without `$request_uri` the mirror gets the target's path, or, without one, the internal path `/_atrium_mirror_<id>` " +
			"(as ingress-nginx sends its `/_mirror-<uid>`). A slow mirror slows the requests it copies.",
		Parse: func(value string, s *Set) error {
			t, err := parseMirrorTarget(value)
			if err != nil {
				return err
			}
			s.MirrorTarget = &t
			return nil
		},
	})
	register(Def{
		Key:   "mirror-host",
		Scope: ScopeIngress,
		Risk:  RiskHigh,
		Doc:   "Host header of the mirrored requests; default the host of `mirror-target`.",
		Parse: func(value string, s *Set) error {
			h, err := parseHostHeader(value)
			if err != nil {
				return err
			}
			s.MirrorHost = &h
			return nil
		},
	})
	register(Def{
		Key:   "mirror-request-body",
		Scope: ScopeIngress,
		Risk:  RiskLow,
		Doc: "`on` (default) or `off`: send the request body to the mirror too (`on` reads the whole body before proxying). " +
			"With `off` the mirror gets no body and no Content-Length (ingress-nginx keeps the length, so its mirror waits for a body that never comes).",
		Parse: func(value string, s *Set) error {
			b, err := parseOnOff(value)
			if err != nil {
				return err
			}
			s.MirrorRequestBody = &b
			return nil
		},
	})
}
