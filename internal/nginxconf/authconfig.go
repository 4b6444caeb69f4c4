package nginxconf

import (
	"crypto/sha256"
	"encoding/hex"
	"net"
	"path/filepath"
	"strconv"
	"strings"
)

// authLocations finishes the authentication of a server's locations, once
// they are final (sorted, with the exact copies noAutoRedirect made): a
// location that answers by itself drops it (its `return` comes before
// nginx's access phase), each auth-url location gets its internal
// location and signin location numbered in the server, and the request
// headers for the endpoints are gathered.
func authLocations(srv *Server) {
	n := 0
	for i := range srv.Locations {
		l := &srv.Locations[i]
		if l.Upstream == "" && l.DefaultUpstream == "" {
			l.BasicAuth, l.ExternalAuth = nil, nil
		}
		var hs []RequestHeader
		if c := srv.ClientAuth; c != nil {
			hs = append(hs, clientCertHeaders(c)...)
		}
		if l.BasicAuth != nil {
			// As ingress-nginx: the endpoints never see the password.
			hs = append(hs, RequestHeader{Name: "Authorization"})
		}
		if e := l.ExternalAuth; e != nil {
			c := *e
			c.Index = n
			c.Location = "/_atrium%auth-" + strconv.Itoa(n)
			if c.Signin != nil {
				si := *c.Signin
				si.Location = "@atrium_signin_" + strconv.Itoa(n)
				c.Signin = &si
			}
			n++
			if c.Cache != nil {
				ac := *c.Cache
				ac.Scope = authCacheScope(srv, l, &c)
				c.Cache = &ac
			}
			if srv.ClientAuth != nil {
				c.ClientCertHeaders = clientCertHeaders(srv.ClientAuth)
			}
			l.ExternalAuth = &c
			for _, h := range c.ResponseHeaders {
				if !hasRequestHeader(hs, h.Name) { // basic auth's removal of Authorization wins
					hs = append(hs, RequestHeader{Name: h.Name, Var: h.Var})
				}
			}
		}
		l.RequestHeaders = hs
	}
}

// authCacheScope is the start of an auth cache key: a hash of what makes
// one auth-url answer differ from another's besides the key (the server,
// the location, the URL and method), so that two
// Ingresses, or one Ingress's paths, never share answers, also once their
// internal locations are numbered anew.
func authCacheScope(srv *Server, l *Location, e *ExternalAuth) string {
	parts := []string{srv.ServerName, strconv.Itoa(int(l.Match)), l.Path, e.URL, e.Method}
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(sum[:12])
}

// authCachePath is the auth cache's directory when some location of
// servers caches auth-url answers ("" when none does).
func authCachePath(servers []Server, tempDir string) string {
	for _, srv := range servers {
		for _, l := range srv.Locations {
			if l.ExternalAuth != nil && l.ExternalAuth.Cache != nil {
				return filepath.Join(tempDir, "auth-cache")
			}
		}
	}
	return ""
}

// clientCertHeaders are the headers ingress-nginx sends the endpoints (and
// the auth-url service) of a server that verifies client certificates.
func clientCertHeaders(c *ClientAuth) []RequestHeader {
	var hs []RequestHeader
	if c.PassCertificate {
		hs = append(hs, RequestHeader{Name: "ssl-client-cert", Var: "ssl_client_escaped_cert"})
	}
	return append(hs,
		RequestHeader{Name: "ssl-client-verify", Var: "ssl_client_verify"},
		RequestHeader{Name: "ssl-client-subject-dn", Var: "ssl_client_s_dn"},
		RequestHeader{Name: "ssl-client-issuer-dn", Var: "ssl_client_i_dn"})
}

func hasRequestHeader(hs []RequestHeader, name string) bool {
	for _, h := range hs {
		if strings.EqualFold(h.Name, name) {
			return true
		}
	}
	return false
}

// resolvers are the nameservers rendered: only when an auth-url or a
// mirror-target location may need them, IPv6 in brackets.
func resolvers(servers []Server, ns []string) []string {
	// Mirror targets are proxied through a variable, so their names are
	// resolved per request too.
	need := hasMirrors(servers)
	for _, srv := range servers {
		for _, l := range srv.Locations {
			need = need || (l.ExternalAuth != nil && net.ParseIP(l.ExternalAuth.Host) == nil)
		}
	}
	if !need {
		return nil
	}
	out := make([]string, 0, len(ns))
	for _, a := range ns {
		if ip := net.ParseIP(a); ip != nil && ip.To4() == nil {
			a = "[" + ip.String() + "]"
		}
		out = append(out, a)
	}
	return out
}
