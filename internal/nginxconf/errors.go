package nginxconf

import (
	"slices"
	"sort"
	"strconv"

	networkingv1 "k8s.io/api/networking/v1"
)

// Error answers, as ingress-nginx gives them:
//
//   - custom-http-errors (the ConfigMap key for every location, the
//     annotation instead of it for its Ingress's locations): a response
//     with one of the codes, from the endpoints (proxy_intercept_errors)
//     or from nginx, is replaced by the answer of an error location, which
//     asks the default backend with the URI "/" and the error headers;
//     with disable-proxy-intercept-errors only nginx's own are (also for
//     the ConfigMap's codes, where ingress-nginx ignored the annotation);
//   - the default backend of the ConfigMap key is --default-backend-service;
//     of the annotation, the default-backend annotation's Service if set.
//     When the chosen one has no ready endpoint the next answers:
//     annotation, then --default-backend-service, then Atrium's built-in
//     404 (ingress-nginx checks endpoints when it writes the config;
//     Atrium's endpoints change without a reload, so a Lua access handler
//     in the error locations decides per request);
//   - default-backend also serves the Ingress's paths whose Service has no
//     ready endpoint or cannot be used, telling it so with X-Code 503 (a
//     Lua access handler, only in the locations of such Ingresses: the
//     common request path stays balancer-only).

// builtinErrorLocation answers 404 itself, as ingress-nginx's internal
// default backend (used when --default-backend-service is not set or has
// no endpoint) does for every request.
const builtinErrorLocation = "@atrium_builtin_404"

// errorLocationName names the error location for one upstream and code.
// Upstream names are "<namespace>_<service>_<port>" of validated parts, so
// the name is plain and cannot be builtinErrorLocation.
func errorLocationName(upstream string, code int) string {
	return "@atrium_error_" + upstream + "_" + strconv.Itoa(code)
}

// errorLocation returns the error location for code with default backend
// u ("" for the built-in one), recording it and those it falls back on;
// upstreamName is what the access log names u (the default-backend
// annotation's name; --default-backend-service's is b.dflt's, which wins
// when both are one Service, since they share the location).
func (b *builder) errorLocation(u, upstreamName string, code int) string {
	if u == "" {
		b.errorLocs[builtinErrorLocation] = ErrorLocation{Name: builtinErrorLocation, Code: 404, UpstreamName: defaultBackendUpstreamName}
		return builtinErrorLocation
	}
	next := ""
	if g := b.dflt.Upstream; g != "" && g != u {
		next = b.errorLocation(g, b.dflt.UpstreamName, code)
	} else {
		next = b.errorLocation("", "", code)
	}
	if u == b.dflt.Upstream {
		upstreamName = b.dflt.UpstreamName
	}
	name := errorLocationName(u, code)
	b.errorLocs[name] = ErrorLocation{Name: name, Code: code, Upstream: u, Next: next, UpstreamName: upstreamName}
	return name
}

// globalErrorCodes are the ConfigMap's custom-http-errors.
func (b *builder) globalErrorCodes() []int {
	if b.opts.Global == nil {
		return nil
	}
	return b.opts.Global.CustomHTTPErrors
}

// withErrors adds the error answers to a location of an Ingress with
// annotations a (zero for the built-in fallbacks); info names the
// location's Ingress and backend for the default backend.
func (b *builder) withErrors(l Location, a ingressAnnotations, info ErrorInfo) Location {
	if l.Redirect != nil {
		return l // a redirect is not an error
	}
	codes, target, targetName := b.globalErrorCodes(), b.dflt.Upstream, b.dflt.UpstreamName
	// A refused annotation fails the Ingress closed: none of its own
	// error answers, only the ConfigMap's.
	if !a.failClosed {
		if a.customErrors != nil {
			codes = a.customErrors
			if a.defaultUpstream != "" {
				target, targetName = a.defaultUpstream, a.defaultUpstreamName
			}
		}
		if a.defaultUpstream != "" && (l.Upstream != "" || l.Status == 503) {
			l.DefaultUpstream, l.DefaultUpstreamName = a.defaultUpstream, a.defaultUpstreamName
			if l.UpstreamName == "" {
				// atrium.lua's default_backend() renames the request, and
				// nginx lets Lua assign the http-level map's variable only
				// once a `set` (or a log format printing it) indexes it:
				// this location's own makes sure.
				l.UpstreamName = noUpstreamName
			}
		}
	}
	l.ErrorPages, l.PassErrors, l.NoEndpointError = nil, false, false
	for _, c := range codes {
		l.ErrorPages = append(l.ErrorPages, ErrorPage{Code: c, Location: b.errorLocation(target, targetName, c)})
	}
	if a.passErrors && !a.failClosed && len(l.ErrorPages) > 0 {
		l.PassErrors = true
		// ingress-nginx's balancer answers a backend without endpoints
		// with nginx's own 503 (in the rewrite phase), which error_page
		// catches whatever proxy_intercept_errors says; Atrium's balancer
		// proxies to the sink instead, so such a location checks first.
		// Not for gRPC: there the sink's 503 speaks gRPC, and
		// proxy_intercept_errors never applied.
		proxied := l.Upstream != "" || l.DefaultUpstream != ""
		l.NoEndpointError = proxied && !l.Proxy.GRPC() && slices.ContainsFunc(l.ErrorPages, func(p ErrorPage) bool { return p.Code == 503 })
	}
	if len(l.ErrorPages) > 0 || l.DefaultUpstream != "" {
		l.ErrorInfo = &info
	}
	return l
}

// errorInfo is what the default backend is told about a location: its
// Ingress, and its backend's Service and port if they are valid names.
func errorInfo(ns, ingress string, be *networkingv1.IngressBackend) ErrorInfo {
	info := ErrorInfo{Namespace: ns, Ingress: ingress}
	if be == nil || be.Service == nil || validateServiceName(be.Service.Name) != nil {
		return info
	}
	info.Service = be.Service.Name
	switch p := be.Service.Port; {
	case p.Name != "" && validatePortName(p.Name) == nil:
		info.Port = p.Name
	case p.Name == "" && p.Number > 0 && p.Number <= 65535:
		info.Port = strconv.Itoa(int(p.Number))
	}
	return info
}

// serverErrorLocations returns the error locations a server's locations
// name, with those they fall back on, sorted by name.
func (b *builder) serverErrorLocations(locs []Location) []ErrorLocation {
	seen := map[string]bool{}
	var out []ErrorLocation
	var add func(name string)
	add = func(name string) {
		if name == "" || seen[name] {
			return
		}
		seen[name] = true
		el := b.errorLocs[name]
		out = append(out, el)
		add(el.Next)
	}
	for _, l := range locs {
		for _, p := range l.ErrorPages {
			add(p.Location)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// firstPortBackend resolves a Service by name at its first port, as
// ingress-nginx picks the port of a default backend.
func (b *builder) firstPortBackend(ns, name string, obj ObjectRef, field string) backendResult {
	port := networkingv1.ServiceBackendPort{}
	if svc, ok := b.be.services[ns+"/"+name]; ok && len(svc.Spec.Ports) > 0 {
		port.Number = svc.Spec.Ports[0].Port
	}
	return b.be.resolve(ns, &networkingv1.IngressServiceBackend{Name: name, Port: port}, obj, field, &b.ps, false)
}
