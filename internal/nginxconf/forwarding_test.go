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
		if got := pathUnderAny(path, list); got != want {
			t.Errorf("%s: %v, want %v", path, got, want)
		}
	}
}

// TestRealIP: where the client's address comes from for each combination
// of use-proxy-protocol, enable-real-ip/use-forwarded-headers and
// ssl-passthrough's TLS socket.
func TestRealIP(t *testing.T) {
	pt := &Passthrough{}
	cidrs := func(g configmap.Config, c ...string) configmap.Config { g.ProxyRealIPCIDR = c; return g }
	d := configmap.Defaults()
	pp, fwd, realip := d, d, d
	pp.UseProxyProtocol, pp.UseForwardedHeaders = true, true
	fwd.UseForwardedHeaders = true
	realip.EnableRealIP, realip.ForwardedForHeader = true, "X-Client-IP"
	for _, c := range []struct {
		name string
		g    configmap.Config
		pt   *Passthrough
		want *RealIP
	}{
		{"defaults", d, nil, nil},
		{"passthrough alone: its PROXY header", d, pt, &RealIP{ProxyProtocol: true, From: []string{"unix:"}}},
		{"use-proxy-protocol wins over the header", cidrs(pp, "10.0.0.0/8"), nil, &RealIP{ProxyProtocol: true, From: []string{"10.0.0.0/8"}}},
		{"use-proxy-protocol with passthrough", cidrs(pp, "10.0.0.0/8"), pt, &RealIP{ProxyProtocol: true, From: []string{"10.0.0.0/8", "unix:"}}},
		{"use-forwarded-headers", fwd, nil, &RealIP{Header: "X-Forwarded-For", From: []string{"0.0.0.0/0"}}},
		{"enable-real-ip, loopback trusted", cidrs(realip, "127.0.0.0/8"), pt, &RealIP{Header: "X-Client-IP", From: []string{"127.0.0.0/8", "unix:"}}},
		{"enable-real-ip, loopback not trusted", cidrs(realip, "10.0.0.0/8"), pt, &RealIP{Header: "X-Client-IP", From: []string{"10.0.0.0/8"}}},
	} {
		got := realIP(c.g, c.pt)
		if (got == nil) != (c.want == nil) || (got != nil && (got.ProxyProtocol != c.want.ProxyProtocol || got.Header != c.want.Header || strings.Join(got.From, " ") != strings.Join(c.want.From, " "))) {
			t.Errorf("%s: %+v, want %+v", c.name, got, c.want)
		}
	}
	if p := fullForwardedPeer(pp); p != "$proxy_protocol_addr" {
		t.Errorf("compute-full-forwarded-for with use-proxy-protocol appends %s", p)
	}
	if p := fullForwardedPeer(fwd); p != "$realip_remote_addr" {
		t.Errorf("compute-full-forwarded-for appends %s", p)
	}
}
