package nginxconf

import (
	"fmt"
	"net"
	"path/filepath"
	"sort"
	"strings"

	networkingv1 "k8s.io/api/networking/v1"
)

// ssl-passthrough, as ingress-nginx has it (behind --enable-ssl-passthrough):
// the TLS connections for the hosts of an Ingress with the annotation go to
// the Service of its path "/" (else its spec.defaultBackend) without being
// opened; the oldest such Ingress decides a host. Unlike ingress-nginx,
// which dials the Service's cluster IP, Atrium dials the endpoints, and it
// keeps the client address of the connections it terminates itself
// (ingress-nginx reports them all as 127.0.0.1).

// passEntry is the passthrough backend of one host.
type passEntry struct {
	owner    ObjectRef
	upstream string
}

// passthroughHost records the passthrough backend of one rule (index i) of
// an Ingress with ssl-passthrough.
func (b *builder) passthroughHost(in ingressInput, i int) {
	r := in.ing.Spec.Rules[i]
	field := b.annField("ssl-passthrough")
	if r.Host == "" {
		b.ps.add(in.ref, field, ReasonIgnoredAnnotation, "spec.rules[%d] has no host: TLS connections are routed by SNI, so it is not passed through", i)
		return
	}
	var be *networkingv1.IngressBackend
	beField := "spec.defaultBackend"
	if r.HTTP != nil {
		for j := range r.HTTP.Paths {
			if p := r.HTTP.Paths[j].Path; p == "/" || p == "" {
				be, beField = &r.HTTP.Paths[j].Backend, fmt.Sprintf("spec.rules[%d].http.paths[%d].backend", i, j)
				break
			}
		}
	}
	if be == nil {
		be = in.ing.Spec.DefaultBackend
	}
	if be == nil {
		b.ps.add(in.ref, field, ReasonIgnoredAnnotation, "host %q has no path / and the Ingress no spec.defaultBackend: nothing to pass its TLS connections to", r.Host)
		return
	}
	// The same field as the path's own resolution, so a problem with the
	// backend is reported once.
	res := b.backend(in.ing.Namespace, be, in.ref, beField, in.ann)
	if res.upstream == "" {
		return
	}
	cur, ok := b.passthrough[r.Host]
	switch {
	case !ok:
		b.passthrough[r.Host] = &passEntry{owner: in.ref, upstream: res.upstream}
	case cur.upstream != res.upstream:
		b.ps.add(in.ref, field, ReasonHostConflict, "the TLS connections of host %q already go to %s for the older Ingress %s; not to %s",
			r.Host, cur.upstream, refName(cur.owner), res.upstream)
	}
}

// passthroughConfig assembles the TLS front, or nil without the flag or
// without HTTPS (no certificate at all).
func (b *builder) passthroughConfig(cfg *Config) *Passthrough {
	o := b.opts
	if !o.SSLPassthrough || len(cfg.HTTPSListen) == 0 {
		return nil
	}
	pt := &Passthrough{
		TLSSocket: filepath.Join(o.sinkDir(), "tls.sock"),
		Socket:    filepath.Join(o.sinkDir(), "passthrough.sock"),
		HTTPSPort: o.HTTPSPort,
	}
	if cfg.G.UseProxyProtocol {
		pt.ClientFrom = cfg.G.ProxyRealIPCIDR
	}
	hosts := make([]string, 0, len(b.passthrough))
	for h := range b.passthrough {
		hosts = append(hosts, h)
	}
	sort.Strings(hosts)
	ups := map[string]bool{}
	for _, h := range hosts {
		e := b.passthrough[h]
		rt := PassthroughRoute{Host: h, Upstream: e.upstream}
		switch {
		case strings.HasPrefix(h, "*."):
			rt.Regex = serverName(h)
		case !strings.Contains(h, "."):
			// A map key may not be a word of map's syntax (default,
			// hostnames, include, volatile), quoted or not: dotless hosts
			// match by regex.
			rt.Regex = "~^" + h + "$"
		}
		pt.Routes = append(pt.Routes, rt)
		if !ups[e.upstream] {
			ups[e.upstream] = true
			pt.Upstreams = append(pt.Upstreams, *b.be.upstreams[e.upstream])
		}
	}
	sort.Slice(pt.Upstreams, func(i, j int) bool { return pt.Upstreams[i].Name < pt.Upstreams[j].Name })
	return pt
}

// trustsLoopback says whether a proxy-real-ip-cidr list covers 127.0.0.1.
func trustsLoopback(cidrs []string) bool {
	lo := net.ParseIP("127.0.0.1")
	for _, c := range cidrs {
		if _, n, err := net.ParseCIDR(c); err == nil && n.Contains(lo) {
			return true
		}
	}
	return false
}
