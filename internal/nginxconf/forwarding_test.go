package nginxconf

import (
	"strings"
	"testing"

	"github.com/atrium-ingress/atrium/internal/configmap"
)

// TestForwardHeadersReserved: every header Atrium sets towards endpoints
// is one auth-response-headers may not name (it would be sent twice).
func TestForwardHeadersReserved(t *testing.T) {
	for _, h := range forwardHeaders(configmap.Defaults()) {
		if !reservedRequestHeaders[strings.ToLower(h.Name)] {
			t.Errorf("%s is set for every request but not reserved", h.Name)
		}
	}
}

// TestForwardHeadersOriginal: X-Original-Forwarded-For follows
// forwarded-for-header, and X-Forwarded-For keeps the client's list only
// with both use-forwarded-headers and compute-full-forwarded-for.
func TestForwardHeadersOriginal(t *testing.T) {
	value := func(g configmap.Config, name string) string {
		for _, h := range forwardHeaders(g) {
			if h.Name == name {
				return h.Value
			}
		}
		return ""
	}
	g := configmap.Defaults()
	if v := value(g, "X-Original-Forwarded-For"); v != "$http_x_forwarded_for" {
		t.Errorf("default: %q", v)
	}
	g.ForwardedForHeader = "X-Client-IP"
	if v := value(g, "X-Original-Forwarded-For"); v != "$http_x_client_ip" {
		t.Errorf("X-Client-IP: %q", v)
	}
	g.ForwardedForHeader = "X.Odd"
	if v := value(g, "X-Original-Forwarded-For"); v != "$http_x_forwarded_for" {
		t.Errorf("a name that is no variable falls back: %q", v)
	}
	g = configmap.Defaults()
	g.ComputeFullForwardedFor = true
	if v := value(g, "X-Forwarded-For"); v != "$remote_addr" {
		t.Errorf("compute-full-forwarded-for alone: %q", v)
	}
	g.UseForwardedHeaders = true
	if v := value(g, "X-Forwarded-For"); v != "$atrium_full_xff" {
		t.Errorf("with use-forwarded-headers: %q", v)
	}
}

// TestNoTLSRedirect: prefixes of the Ingress path, as ingress-nginx.
func TestNoTLSRedirect(t *testing.T) {
	list := []string{"/.well-known/acme-challenge", "/health"}
	for path, want := range map[string]bool{
		"/.well-known/acme-challenge/tok": true, "/healthz": true, "/": false, "/app/health": false,
	} {
		if got := noTLSRedirect(path, list); got != want {
			t.Errorf("%s: %v, want %v", path, got, want)
		}
	}
}
