package nginxconf

import (
	"regexp"
	"strings"

	"github.com/atrium-ingress/atrium/internal/configmap"
)

// headerVarRe: header names that map to an $http_* variable as they are.
var headerVarRe = regexp.MustCompile(`^[A-Za-z0-9-]+$`)

// forwardHeaders is what every proxied request tells its endpoint, as
// ingress-nginx's template does. X-Forwarded-For keeps the client's list
// only with both use-forwarded-headers and compute-full-forwarded-for:
// otherwise a client could forge it. X-Original-Forwarded-For passes the
// incoming forwarded-for-header on unchanged.
func forwardHeaders(g configmap.Config) []ForwardHeader {
	xff := "$remote_addr"
	if fullForwardedFor(g) {
		xff = "$atrium_full_xff"
	}
	original := "$http_x_forwarded_for"
	if headerVarRe.MatchString(g.ForwardedForHeader) {
		original = "$http_" + strings.ToLower(strings.ReplaceAll(g.ForwardedForHeader, "-", "_"))
	}
	return []ForwardHeader{
		{"Host", "$atrium_upstream_host"},
		{"X-Forwarded-Prefix", "$atrium_fwd_prefix"},
		{"X-Request-ID", "$atrium_request_id"},
		{"X-Real-IP", "$remote_addr"},
		{"X-Forwarded-For", xff},
		{"X-Forwarded-Host", "$atrium_fwd_host"},
		{"X-Forwarded-Port", "$atrium_fwd_port"},
		{"X-Forwarded-Proto", "$atrium_fwd_proto"},
		{"X-Forwarded-Scheme", "$atrium_fwd_proto"},
		{"X-Scheme", "$atrium_fwd_proto"},
		{"X-Original-Forwarded-For", original},
	}
}

// fullForwardedFor: compute-full-forwarded-for counts only together with
// use-forwarded-headers (the client's list is trusted only then).
func fullForwardedFor(g configmap.Config) bool {
	return g.UseForwardedHeaders && g.ComputeFullForwardedFor
}

// pathUnderAny: no-tls-redirect-locations and no-auth-locations, compared
// with the Ingress path as ingress-nginx does (a prefix of the path as
// written, so a cert-manager solver's Exact
// /.well-known/acme-challenge/<token> path is served over plain HTTP on a
// host with TLS, and without global auth).
func pathUnderAny(path string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(path, p) {
			return true
		}
	}
	return false
}

// realIP decides where nginx takes the client's address from, as
// ingress-nginx: with use-proxy-protocol the PROXY header, else with
// enable-real-ip or use-forwarded-headers the forwarded-for-header, each
// believed only from the proxy-real-ip-cidr peers. With ssl-passthrough
// (pt) the front's TLS socket is a hop of Atrium's own whose PROXY header
// carries the client's address: believed with use-proxy-protocol and when
// nothing else is configured; with a forwarded-for-header the socket is a
// trusted peer when proxy-real-ip-cidr trusts loopback, where
// ingress-nginx's own hop came from.
func realIP(g configmap.Config, pt *Passthrough) *RealIP {
	from := append([]string(nil), g.ProxyRealIPCIDR...)
	switch {
	case g.UseProxyProtocol:
		if pt != nil {
			from = append(from, "unix:")
		}
		return &RealIP{ProxyProtocol: true, From: from}
	case g.EnableRealIP || g.UseForwardedHeaders:
		if pt != nil && trustsLoopback(g.ProxyRealIPCIDR) {
			from = append(from, "unix:")
		}
		return &RealIP{Header: g.ForwardedForHeader, From: from}
	case pt != nil:
		return &RealIP{ProxyProtocol: true, From: []string{"unix:"}}
	}
	return nil
}

// fullForwardedPeer is what compute-full-forwarded-for appends: the peer
// as it connected (not $proxy_add_x_forwarded_for, which the realip module
// has already rewritten), or with use-proxy-protocol the address in the
// PROXY header, as ingress-nginx.
func fullForwardedPeer(g configmap.Config) string {
	if g.UseProxyProtocol {
		return "$proxy_protocol_addr"
	}
	return "$realip_remote_addr"
}
