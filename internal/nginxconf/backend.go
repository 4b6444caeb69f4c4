package nginxconf

import (
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
)

// backendResult is what an Ingress backend resolves to: an upstream, or a
// status to answer with when the backend cannot be used.
type backendResult struct {
	upstream string
	status   int
	// upstreamName is ingress-nginx's name for the backend (see
	// upstreamName), which the access log prints; set as soon as the
	// backend's names are valid, even when the backend cannot be used (an
	// ingress-nginx upstream without endpoints logged its name too).
	upstreamName string
	// tlsName is the name of what the upstream stands for, the default
	// proxy-ssl-name: "<service>.<namespace>.svc", or an ExternalName
	// Service's external name.
	tlsName string
}

// Upstream names in the access log ($proxy_upstream_name and
// $proxy_alternative_upstream_name) are ingress-nginx's, not Atrium's
// upstream names: log pipelines and dashboards written for ingress-nginx
// parse them. Atrium's own names (Upstream.Name) stay what the endpoint
// table and the Lua balancer key on.
const (
	// defaultBackendUpstreamName is ingress-nginx's name for
	// --default-backend-service, and for its internal 404 server when that
	// flag is unset (Atrium's built-in 404).
	defaultBackendUpstreamName = "upstream-default-backend"
	// customDefaultBackendPrefix starts ingress-nginx's name for a
	// default-backend annotation's Service: the prefix, then
	// "<namespace>-<service>".
	customDefaultBackendPrefix = "custom-default-backend-"
	// noUpstreamName is what the access log prints for a request no
	// upstream was named for (ingress-nginx's "-").
	noUpstreamName = "-"
)

// upstreamName is ingress-nginx's upstreamName: "<namespace>-<service>-<port>"
// with the port as the backend gives it, its number or its name, whatever
// Service port that resolves to (and with or without service-upstream, or
// for an ExternalName Service). "" when the backend gives neither. The
// caller has validated the names, so the result is plain.
func upstreamName(ns string, be *networkingv1.IngressServiceBackend) string {
	switch {
	case be.Port.Name != "":
		return ns + "-" + be.Name + "-" + be.Port.Name
	case be.Port.Number > 0 && be.Port.Number <= 65535:
		return ns + "-" + be.Name + "-" + strconv.Itoa(int(be.Port.Number))
	}
	return ""
}

// backends resolves Ingress backends to upstreams. It indexes Services and
// EndpointSlices once per Build and creates each upstream once.
type backends struct {
	services  map[string]*corev1.Service              // ns/name
	slices    map[string][]*discoveryv1.EndpointSlice // ns/service
	upstreams map[string]*Upstream
	// externalNames are the resolved addresses of ExternalName Services
	// (by ns/name) when they are allowed; nil means refused.
	externalNames map[string][]string
}

func newBackends(s Snapshot) *backends {
	b := &backends{
		services:  map[string]*corev1.Service{},
		slices:    map[string][]*discoveryv1.EndpointSlice{},
		upstreams: map[string]*Upstream{},
	}
	if s.ExternalNames != nil {
		b.externalNames = s.ExternalNames
	}
	for _, svc := range s.Services {
		b.services[svc.Namespace+"/"+svc.Name] = svc
	}
	for _, es := range s.EndpointSlices {
		svc := es.Labels[discoveryv1.LabelServiceName]
		if svc == "" {
			continue
		}
		b.slices[es.Namespace+"/"+svc] = append(b.slices[es.Namespace+"/"+svc], es)
	}
	return b
}

// resolve turns a Service backend into an upstream; with serviceUpstream
// (the service-upstream annotation) an upstream whose one peer is the
// Service's ClusterIP and port. Problems are recorded against obj at field;
// the caller degrades only this path (503).
func (b *backends) resolve(ns string, be *networkingv1.IngressServiceBackend, obj ObjectRef, field string, ps *problems, serviceUpstream bool) backendResult {
	fail := backendResult{status: 503}
	if err := validateServiceName(be.Name); err != nil {
		ps.add(obj, field+".name", ReasonInvalidField, "%v", err)
		return fail
	}
	if be.Port.Name != "" {
		if err := validatePortName(be.Port.Name); err != nil {
			ps.add(obj, field+".port.name", ReasonInvalidField, "%v", err)
			return fail
		}
	}
	fail.upstreamName = upstreamName(ns, be)
	svc, ok := b.services[ns+"/"+be.Name]
	if !ok {
		ps.add(obj, field+".name", ReasonServiceNotFound, "Service %s/%s not found", ns, be.Name)
		return fail
	}
	if svc.Spec.Type == corev1.ServiceTypeExternalName {
		if serviceUpstream {
			ps.add(obj, field+".name", ReasonNoClusterIP, "service-upstream: Service %s/%s is of type ExternalName and has no ClusterIP; proxying to its external name as without the annotation", ns, be.Name)
		}
		return b.externalName(ns, svc, be, obj, field, ps)
	}
	var sp *corev1.ServicePort
	for i := range svc.Spec.Ports {
		p := &svc.Spec.Ports[i]
		if (be.Port.Name != "" && p.Name == be.Port.Name) || (be.Port.Name == "" && p.Port == be.Port.Number) {
			sp = p
			break
		}
	}
	if sp == nil {
		want := be.Port.Name
		if want == "" {
			want = strconv.Itoa(int(be.Port.Number))
		}
		ps.add(obj, field+".port", ReasonServicePortNotFound, "Service %s/%s has no port %s", ns, be.Name, want)
		return fail
	}
	tlsName := be.Name + "." + ns + ".svc"
	if serviceUpstream {
		if ip := net.ParseIP(svc.Spec.ClusterIP); ip != nil {
			// Its own upstream, so Ingresses without the annotation keep
			// the endpoints of the same Service port (ingress-nginx shares
			// one upstream, and the first Ingress decides for all).
			name := fmt.Sprintf("%s_%s_%d_clusterip", ns, be.Name, sp.Port)
			b.upstreams[name] = &Upstream{Name: name, Servers: []string{net.JoinHostPort(ip.String(), strconv.Itoa(int(sp.Port)))}}
			return backendResult{upstream: name, tlsName: tlsName, upstreamName: fail.upstreamName}
		}
		// As ingress-nginx: a headless Service keeps its endpoints.
		ps.add(obj, field+".name", ReasonNoClusterIP, "service-upstream: Service %s/%s has no ClusterIP (headless); proxying to its endpoints", ns, be.Name)
	}
	name := fmt.Sprintf("%s_%s_%d", ns, be.Name, sp.Port)
	if _, ok := b.upstreams[name]; !ok {
		b.upstreams[name] = &Upstream{Name: name, Servers: b.endpoints(ns, be.Name, sp)}
	}
	return backendResult{upstream: name, tlsName: tlsName, upstreamName: fail.upstreamName}
}

// endpoints lists the ready addresses of a Service port, as ip:port sorted.
// The EndpointSlice port that carries the Service port's name holds the
// resolved target port, which is how named target ports work.
func (b *backends) endpoints(ns, svc string, sp *corev1.ServicePort) []string {
	seen := map[string]bool{}
	for _, es := range b.slices[ns+"/"+svc] {
		if es.AddressType != discoveryv1.AddressTypeIPv4 && es.AddressType != discoveryv1.AddressTypeIPv6 {
			continue
		}
		port := int32(-1)
		for _, p := range es.Ports {
			name := ""
			if p.Name != nil {
				name = *p.Name
			}
			if name == sp.Name && p.Port != nil {
				port = *p.Port
				break
			}
		}
		if port <= 0 || port > 65535 {
			continue
		}
		for _, ep := range es.Endpoints {
			if ep.Conditions.Ready != nil && !*ep.Conditions.Ready {
				continue
			}
			for _, a := range ep.Addresses {
				ip := net.ParseIP(a)
				if ip == nil {
					continue // never render something that is not an IP
				}
				seen[net.JoinHostPort(ip.String(), strconv.Itoa(int(port)))] = true
			}
		}
	}
	out := make([]string, 0, len(seen))
	for s := range seen {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// list returns the upstreams, sorted by name.
func (b *backends) list() []Upstream {
	out := make([]Upstream, 0, len(b.upstreams))
	for _, u := range b.upstreams {
		out = append(out, *u)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// externalName proxies to an ExternalName Service's resolved addresses
// (resolved by the controller, an effect kept out of the core), at the
// Ingress's port number or the Service port's number.
func (b *backends) externalName(ns string, svc *corev1.Service, be *networkingv1.IngressServiceBackend, obj ObjectRef, field string, ps *problems) backendResult {
	fail := backendResult{status: 503, upstreamName: upstreamName(ns, be)}
	if b.externalNames == nil {
		ps.add(obj, field+".name", ReasonServiceTypeRefused, "Service %s/%s is of type ExternalName, which Atrium proxies to only with --allow-external-name-services", ns, be.Name)
		return fail
	}
	port := be.Port.Number
	if be.Port.Name != "" {
		port = 0
		for _, p := range svc.Spec.Ports {
			if p.Name == be.Port.Name {
				port = p.Port
			}
		}
	}
	if port <= 0 || port > 65535 {
		ps.add(obj, field+".port", ReasonServicePortNotFound, "ExternalName Service %s/%s: the backend needs a port number (or a named port of the Service)", ns, be.Name)
		return fail
	}
	addrs := b.externalNames[ns+"/"+svc.Name]
	if len(addrs) == 0 {
		ps.add(obj, field+".name", ReasonExternalNameUnresolved, "ExternalName Service %s/%s: %q does not resolve", ns, be.Name, svc.Spec.ExternalName)
	}
	name := fmt.Sprintf("%s_%s_%d", ns, svc.Name, port)
	if _, ok := b.upstreams[name]; !ok {
		var servers []string
		for _, a := range addrs {
			if ip := net.ParseIP(a); ip != nil {
				servers = append(servers, net.JoinHostPort(ip.String(), strconv.Itoa(int(port))))
			}
		}
		sort.Strings(servers)
		b.upstreams[name] = &Upstream{Name: name, Servers: servers}
	}
	return backendResult{upstream: name, tlsName: externalTLSName(svc.Spec.ExternalName), upstreamName: fail.upstreamName}
}

// externalTLSName is an ExternalName Service's external name as a
// proxy-ssl-name, or "" when it is not a plain DNS name.
func externalTLSName(n string) string {
	n = strings.TrimSuffix(strings.ToLower(n), ".")
	if validateHost(n) != nil || n == "" || strings.HasPrefix(n, "*.") {
		return ""
	}
	return n
}
