package nginxconf

import (
	"fmt"
	"sort"
	"strings"

	"github.com/atrium-ingress/atrium/internal/configmap"
)

// The ConfigMap's add-headers and proxy-set-headers name ConfigMaps of
// headers for every response and every request to an endpoint, as in
// ingress-nginx. A problem with either is recorded against the
// controller's ConfigMap (Options.GlobalSource) and leaves that set out;
// everything else is served as before.

// globalHeaders resolves add-headers and proxy-set-headers into cfg.
func (b *builder) globalHeaders(cfg *Config) {
	if n := cfg.G.AddHeaders; n != "" {
		if hs, ok := b.headerConfigMap("add-headers", n); ok {
			b.responseHeaders(cfg, hs)
		}
	}
	if n := cfg.G.ProxySetHeaders; n != "" {
		if hs, ok := b.headerConfigMap("proxy-set-headers", n); ok {
			b.proxySetHeaders(cfg, hs)
		}
	}
}

// headerConfigMap reads the headers of the ConfigMap key names (checked
// as custom-headers' are); ok is false after a recorded problem.
func (b *builder) headerConfigMap(key, name string) ([]Header, bool) {
	cm, ok := b.configMaps[name]
	if !ok {
		b.globalProblem(key, ReasonConfigMapNotFound, "ConfigMap %s not found; no %s are set", name, key)
		return nil, false
	}
	if why := cm.Annotations[DroppedDataAnnotation]; why != "" {
		b.globalProblem(key, ReasonInvalidCustomHeaders, "ConfigMap %s: %s; no %s are set", name, why, key)
		return nil, false
	}
	hs, err := CustomHeaders(cm.Data)
	if err != nil {
		b.globalProblem(key, ReasonInvalidCustomHeaders, "ConfigMap %s: %v; no %s are set", name, err, key)
		return nil, false
	}
	return hs, true
}

// responseHeaders takes add-headers: literal values (rendered with qval).
// Strict-Transport-Security is refused while the hsts keys send it.
func (b *builder) responseHeaders(cfg *Config, hs []Header) {
	for _, h := range hs {
		if cfg.G.HSTS && strings.EqualFold(h.Name, "Strict-Transport-Security") {
			b.globalProblem("add-headers", ReasonInvalidCustomHeaders, "header %s is sent by the hsts keys (set hsts to false to send your own); no add-headers are set", h.Name)
			return
		}
	}
	cfg.ResponseHeaders = hs
	for _, h := range hs {
		cfg.LiteralDollar = cfg.LiteralDollar || strings.Contains(h.Value, "$")
	}
}

// defaultBackendHeaders are what custom-http-errors tells the default
// backend (ingress-nginx's names).
var defaultBackendHeaders = map[string]bool{
	"x-code": true, "x-format": true, "x-original-uri": true, "x-namespace": true, "x-ingress-name": true,
	"x-service-name": true, "x-service-port": true,
}

// proxySetHeaders takes proxy-set-headers: values with allow-listed
// variables (rendered with qlog); headers Atrium sets itself are refused.
func (b *builder) proxySetHeaders(cfg *Config, hs []Header) {
	out := make([]Header, 0, len(hs))
	for _, h := range hs {
		if n := strings.ToLower(h.Name); reservedRequestHeaders[n] || defaultBackendHeaders[n] {
			b.globalProblem("proxy-set-headers", ReasonInvalidCustomHeaders, "header %s is set by Atrium itself; no proxy-set-headers are set", h.Name)
			return
		}
		v, err := configmap.ParseVarText(h.Value)
		if err != nil {
			b.globalProblem("proxy-set-headers", ReasonInvalidCustomHeaders, "header %s: %v; no proxy-set-headers are set", h.Name, err)
			return
		}
		out = append(out, Header{Name: h.Name, Value: v})
	}
	cfg.ProxySetHeaders = out
}

// globalProblem records a problem of a ConfigMap key's value.
func (b *builder) globalProblem(key string, reason Reason, format string, args ...any) {
	b.ps.add(b.opts.GlobalSource, "data["+key+"]", reason, "%s", fmt.Sprintf(format, args...))
}

// ownResponseHeaders lists, lower-cased and sorted, the add-headers names
// a location sets itself (custom-headers; the CORS headers): there the
// global value is cleared first, so the location's wins instead of both
// being sent (add-headers' more_set_headers runs before add_header).
func ownResponseHeaders(l Location, global []Header) []string {
	if len(global) == 0 {
		return nil
	}
	own := map[string]bool{}
	for _, h := range l.Headers {
		own[strings.ToLower(h.Name)] = true
	}
	var out []string
	for _, h := range global {
		n := strings.ToLower(h.Name)
		if own[n] || (l.CORS != nil && strings.HasPrefix(n, "access-control-")) {
			out = append(out, h.Name)
		}
	}
	sort.Strings(out)
	return out
}

// locationProxySetHeaders are the proxy-set-headers a location with its
// own RequestHeaders repeats: not those it sets itself (auth-response-
// headers, basic auth's Authorization, the client certificate headers),
// which would otherwise be sent twice.
func locationProxySetHeaders(l Location, global []Header) []Header {
	if len(l.RequestHeaders) == 0 {
		return nil
	}
	var out []Header
	for _, h := range global {
		if !hasRequestHeader(l.RequestHeaders, h.Name) {
			out = append(out, h)
		}
	}
	return out
}
