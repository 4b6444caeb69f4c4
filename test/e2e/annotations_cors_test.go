package e2e

import (
	"fmt"
	"net/http"
	"testing"
)

// corsCheck sends one request with an Origin and checks the CORS answer:
// wantOrigin "" means no Access-Control-Allow-Origin; preflight means nginx
// answered 204 itself (no pod), else a pod answered 200.
func corsCheck(host, method, origin, wantOrigin string, preflight bool, more map[string]string) func() error {
	return func() error {
		h := http.Header{}
		if origin != "" {
			h.Set("Origin", origin)
		}
		if method == http.MethodOptions {
			h.Set("Access-Control-Request-Method", "POST")
		}
		h.Add("X-Echo-Header", "Access-Control-Allow-Origin: https://from-the-endpoint.example")
		r, err := do(request{method: method, host: host, path: "/api/x", header: h})
		if err != nil {
			return err
		}
		what := fmt.Sprintf("%s %s Origin %q", method, host, origin)
		switch {
		case preflight && (r.status != 204 || r.header.Get("X-Pod") != ""):
			return fmt.Errorf("%s: %s, want a 204 preflight answer from nginx", what, r)
		case !preflight && (r.status != 200 || r.header.Get("X-Pod") == ""):
			return fmt.Errorf("%s: %s, want 200 from a pod", what, r)
		}
		if got := r.header.Values("Access-Control-Allow-Origin"); (wantOrigin == "" && len(got) != 0) || (wantOrigin != "" && (len(got) != 1 || got[0] != wantOrigin)) {
			return fmt.Errorf("%s: Access-Control-Allow-Origin %q, want %q", what, got, wantOrigin)
		}
		for k, v := range more {
			if got := r.header.Values(k); (v == "" && len(got) != 0) || (v != "" && (len(got) != 1 || got[0] != v)) {
				return fmt.Errorf("%s: %s %q, want %q", what, k, got, v)
			}
		}
		return nil
	}
}

// TestAnnotationsCORS: enable-cors with ingress-nginx's defaults (any
// origin) and with an origin list: allowed origins get the headers (the
// endpoint's own replaced) and preflights answered 204 by nginx; other
// origins are proxied untouched.
func TestAnnotationsCORS(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	deploy(t, ns, "web", 1)
	anyHost, listed, plain := hostFor(ns, "any"), hostFor(ns, "listed"), hostFor(ns, "plain")
	createIngress(t, annotated(ns, "any", anyHost, "web", map[string]string{"enable-cors": "true"}))
	createIngress(t, annotated(ns, "listed", listed, "web", map[string]string{
		"enable-cors":            "true",
		"cors-allow-origin":      "https://app.example.com, https://*.example.org",
		"cors-allow-methods":     "GET, POST",
		"cors-allow-headers":     "X-Custom",
		"cors-expose-headers":    "X-Total",
		"cors-allow-credentials": "false",
		"cors-max-age":           "600",
	}))
	createIngress(t, annotated(ns, "plain", plain, "web", map[string]string{"cors-allow-origin": "https://app.example.com"}))

	defaults := map[string]string{
		"Access-Control-Allow-Credentials": "true",
		"Access-Control-Allow-Methods":     "GET,PUT,POST,DELETE,PATCH,OPTIONS",
		"Access-Control-Allow-Headers":     "DNT,Keep-Alive,User-Agent,X-Requested-With,If-Modified-Since,Cache-Control,Content-Type,Range,Authorization",
		"Access-Control-Max-Age":           "1728000",
		"Access-Control-Expose-Headers":    "",
	}
	eventually(t, settle, "any origin", corsCheck(anyHost, "GET", "https://whoever.example", "*", false, defaults))
	eventually(t, settle, "any origin, preflight", corsCheck(anyHost, "OPTIONS", "https://whoever.example", "*", true, defaults))

	listedHeaders := map[string]string{
		"Access-Control-Allow-Credentials": "",
		"Access-Control-Allow-Methods":     "GET,POST",
		"Access-Control-Allow-Headers":     "X-Custom",
		"Access-Control-Expose-Headers":    "X-Total",
		"Access-Control-Max-Age":           "600",
	}
	none := map[string]string{"Access-Control-Allow-Methods": "", "Access-Control-Max-Age": ""}
	for _, c := range []struct {
		method, origin, want string
		preflight            bool
		more                 map[string]string
	}{
		{"GET", "https://app.example.com", "https://app.example.com", false, listedHeaders},
		{"GET", "https://APP.example.com", "https://APP.example.com", false, listedHeaders}, // as ingress-nginx: case-insensitive
		{"OPTIONS", "https://app.example.com", "https://app.example.com", true, listedHeaders},
		{"POST", "https://shop.example.org", "https://shop.example.org", false, listedHeaders},
		{"GET", "https://a.b.example.org", "", false, none}, // the wildcard is one label
		{"GET", "https://example.org", "", false, none},
		{"GET", "http://app.example.com", "", false, none},
		{"GET", "https://app.example.com.evil.example", "", false, none},
		{"GET", "https://evil.example/https://app.example.com", "", false, none},
		{"OPTIONS", "https://evil.example", "", false, none}, // not a CORS preflight for us: proxied
		{"GET", "", "", false, none},
	} {
		eventually(t, settle, fmt.Sprintf("%s %s", c.method, c.origin), corsCheck(listed, c.method, c.origin, c.want, c.preflight, c.more))
	}
	// cors-* without enable-cors change nothing: the endpoint's header passes.
	eventually(t, settle, "not enabled", corsCheck(plain, "GET", "https://app.example.com", "https://from-the-endpoint.example", false, none))
}
