package nginxconf

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/atrium-ingress/atrium/internal/annotations"
	"github.com/atrium-ingress/atrium/internal/configmap"
)

// Header is one custom response header (custom-headers), validated.
type Header struct {
	Name  string
	Value string // printable ASCII; rendered literally (see quoteValue)
}

// headerNameRe is ingress-nginx's rule for custom-headers names.
var headerNameRe = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// nginxWrittenHeaders are response headers nginx writes from its own
// state. add_header cannot replace them (ingress-nginx's more_set_headers
// could), so Atrium refuses them rather than send two.
var nginxWrittenHeaders = map[string]bool{
	"server": true, "date": true, "content-type": true, "content-length": true, "content-encoding": true,
	"transfer-encoding": true, "connection": true, "keep-alive": true, "location": true, "upgrade": true, "trailer": true,
}

// maxCustomHeadersBytes bounds a custom-headers ConfigMap's data.
const maxCustomHeadersBytes = 64 << 10

// DroppedDataAnnotation marks a cached ConfigMap whose data the controller
// dropped because it cannot be a custom-headers ConfigMap; its value says
// why (see CustomHeaders). The cache then holds no large or unrelated
// ConfigMap data.
const DroppedDataAnnotation = "atrium-ingress.io/dropped-data"

// CustomHeaders checks the data of a custom-headers ConfigMap as
// ingress-nginx does (names of letters, digits, '-' and '_'; values of
// printable ASCII) plus Atrium's limits, and returns the headers sorted by
// name. It does not check global-allowed-response-headers, which may
// change while the ConfigMap does not.
func CustomHeaders(data map[string]string) ([]Header, error) {
	total := 0
	out := make([]Header, 0, len(data))
	for name, value := range data {
		if !headerNameRe.MatchString(name) || len(name) > 128 {
			return nil, fmt.Errorf("key %q is not a header name (letters, digits, - and _)", name)
		}
		if nginxWrittenHeaders[strings.ToLower(name)] {
			return nil, fmt.Errorf("header %q is written by nginx itself and cannot be set", name)
		}
		if value == "" {
			return nil, fmt.Errorf("header %q has an empty value", name)
		}
		for i := 0; i < len(value); i++ {
			if c := value[i]; c < 0x20 || c > 0x7e {
				return nil, fmt.Errorf("the value of header %q has a character that is not printable ASCII (%q)", name, c)
			}
		}
		// As add-headers writes it ("Name: value", each '$' a variable).
		if n := configmap.RenderedLen(name+": "+value) + 15*strings.Count(value, "$"); n > configmap.MaxArgument {
			return nil, fmt.Errorf("header %q is %d bytes once written into nginx.conf, more than its %d", name, n, configmap.MaxArgument)
		}
		if total += len(name) + len(value); total > maxCustomHeadersBytes {
			return nil, fmt.Errorf("holds more than %d KiB of headers", maxCustomHeadersBytes>>10)
		}
		out = append(out, Header{Name: name, Value: value})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// customHeaders applies custom-headers: the ConfigMap in the Ingress's
// namespace, every header allowed by global-allowed-response-headers (exact
// names, as in ingress-nginx). Anything else fails the Ingress closed, as
// ingress-nginx denies its locations.
func (b *builder) customHeaders(ing *networkingv1.Ingress, ref ObjectRef, prefix string, s annotations.Set, a *ingressAnnotations) {
	if s.CustomHeaders == nil {
		return
	}
	field := "metadata.annotations[" + prefix + "/custom-headers]"
	n := *s.CustomHeaders
	fail := func(reason Reason, format string, args ...any) {
		a.failClosed = true
		b.ps.add(ref, field, reason, "%s; the Ingress's paths answer 503 until it is fixed", fmt.Sprintf(format, args...))
	}
	if n.Namespace != ing.Namespace {
		fail(ReasonInvalidAnnotation, "ConfigMap %s is not in the Ingress's namespace %s", n, ing.Namespace)
		return
	}
	cm, ok := b.configMaps[n.String()]
	if !ok {
		fail(ReasonConfigMapNotFound, "ConfigMap %s not found", n)
		return
	}
	if why := cm.Annotations[DroppedDataAnnotation]; why != "" {
		fail(ReasonInvalidCustomHeaders, "ConfigMap %s: %s", n, why)
		return
	}
	headers, err := CustomHeaders(cm.Data)
	if err != nil {
		fail(ReasonInvalidCustomHeaders, "ConfigMap %s: %v", n, err)
		return
	}
	allowed := map[string]bool{}
	for _, h := range b.global().AllowedResponseHeaders {
		allowed[h] = true
	}
	for _, h := range headers {
		if !allowed[h.Name] {
			fail(ReasonInvalidCustomHeaders, "ConfigMap %s: header %q is not listed in global-allowed-response-headers of the controller's ConfigMap", n, h.Name)
			return
		}
	}
	a.headers = headers
}

// global returns the ConfigMap settings in effect.
func (b *builder) global() configmap.Config {
	if b.opts.Global != nil {
		return *b.opts.Global
	}
	return configmap.Defaults()
}

// configMapsByName indexes a snapshot's ConfigMaps by namespace/name.
func configMapsByName(cms []*corev1.ConfigMap) map[string]*corev1.ConfigMap {
	out := make(map[string]*corev1.ConfigMap, len(cms))
	for _, cm := range cms {
		out[cm.Namespace+"/"+cm.Name] = cm
	}
	return out
}

// readdHSTS says whether a location must repeat the http-level HSTS
// add_header: nginx drops inherited add_header directives in a location
// with its own, unless a custom header sets Strict-Transport-Security.
func readdHSTS(l Location, hsts bool) bool {
	if !hsts || (l.CORS == nil && len(l.Headers) == 0 && l.ExternalAuth == nil) {
		return false
	}
	for _, h := range l.Headers {
		if strings.EqualFold(h.Name, "Strict-Transport-Security") {
			return false
		}
	}
	return true
}

// locationHideHeaders are the ConfigMap's hide-headers a location must
// repeat: nginx drops the inherited proxy_hide_header (grpc_hide_header)
// directives in a location with its own, which CORS, custom headers and a
// repeated HSTS header have (ReaddHSTS, so call it after readdHSTS).
func locationHideHeaders(l Location, hide []string) []string {
	if len(hide) == 0 || (l.CORS == nil && len(l.Headers) == 0 && !l.ReaddHSTS) {
		return nil
	}
	return hide
}
