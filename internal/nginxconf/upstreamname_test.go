package nginxconf

import (
	"strings"
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
)

// upstreamNameSnapshot has Services web and web-v2 (port "http" 80) and
// errors and global (port 80), and Ingresses naming web by port number and
// by port name, a canary, a default-backend annotation with
// custom-http-errors, a spec.defaultBackend and service-upstream.
func upstreamNameSnapshot() Snapshot {
	s := Snapshot{IngressClasses: []*networkingv1.IngressClass{atriumClass()}}
	for _, o := range []struct {
		name, port string
		number     int32
	}{{"web", "http", 80}, {"web-v2", "http", 80}, {"errors", "", 80}, {"global", "", 80}} {
		svc, es := backendObjects("default", o.name, o.port, o.number)
		s.Services = append(s.Services, svc)
		s.EndpointSlices = append(s.EndpointSlices, es)
	}
	prefix := fzPtr(networkingv1.PathTypePrefix)
	exact := fzPtr(networkingv1.PathTypeExact)

	shop := newIngress("default", "shop", 0)
	shop.Spec.Rules = []networkingv1.IngressRule{ingressRule("shop.test",
		httpPath("/num", exact, serviceBackend("web", "", 80)),
		httpPath("/named", exact, serviceBackend("web", "http", 0)),
		httpPath("/missing", exact, serviceBackend("nope", "", 8080)))}

	canary := newIngress("default", "shop-canary", 1)
	canary.Annotations = map[string]string{annotationPrefix + "canary": "true", annotationPrefix + "canary-by-header": "X-Canary"}
	canary.Spec.Rules = []networkingv1.IngressRule{ingressRule("shop.test", httpPath("/num", exact, serviceBackend("web-v2", "http", 0)))}

	custom := newIngress("default", "custom", 2)
	custom.Annotations = map[string]string{annotationPrefix + "default-backend": "errors", annotationPrefix + "custom-http-errors": "503"}
	custom.Spec.Rules = []networkingv1.IngressRule{ingressRule("custom.test", httpPath("/", prefix, serviceBackend("web", "http", 0)))}

	fallback := newIngress("default", "fallback", 3)
	fallback.Spec.DefaultBackend = fzPtr(serviceBackend("web", "http", 0))
	fallback.Spec.Rules = []networkingv1.IngressRule{ingressRule("fallback.test", httpPath("/only", exact, serviceBackend("web", "", 80)))}

	clusterIP := newIngress("default", "cluster-ip", 4)
	clusterIP.Annotations = map[string]string{annotationPrefix + "service-upstream": "true"}
	clusterIP.Spec.Rules = []networkingv1.IngressRule{ingressRule("cluster-ip.test", httpPath("/", prefix, serviceBackend("web", "", 80)))}

	s.Ingresses = []*networkingv1.Ingress{shop, canary, custom, fallback, clusterIP}
	return s
}

func modelLocation(t *testing.T, cfg *Config, host, path string) Location {
	t.Helper()
	for _, srv := range cfg.Servers {
		if srv.Host != host {
			continue
		}
		for _, l := range srv.Locations {
			if l.Path == path {
				return l
			}
		}
	}
	t.Fatalf("no location %q on host %q", path, host)
	return Location{}
}

// TestUpstreamNames: the access log names upstreams as ingress-nginx did
// ("<namespace>-<service>-<port as the Ingress gives it>",
// upstream-default-backend, custom-default-backend-<namespace>-<service>)
// while the upstreams keep Atrium's names, which the Lua balancer uses.
func TestUpstreamNames(t *testing.T) {
	o := testOptions(t, goldenDir)
	o.DefaultBackend = nsName("default/global")
	cfg, _, err := Build(upstreamNameSnapshot(), o)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		host, path, upstream, name string
	}{
		{"shop.test", "/num", "default_web_80", "default-web-80"},
		{"shop.test", "/named", "default_web_80", "default-web-http"},
		// An ingress-nginx upstream without endpoints logged its name too.
		{"shop.test", "/missing", "", "default-nope-8080"},
		{"custom.test", "/", "default_web_80", "default-web-http"},
		{"fallback.test", "/only", "default_web_80", "default-web-80"},
		// spec.defaultBackend, for the host's other paths.
		{"fallback.test", "/", "default_web_80", "default-web-http"},
		// service-upstream: one name with or without it, as ingress-nginx.
		{"cluster-ip.test", "/", "default_web_80_clusterip", "default-web-80"},
		// --default-backend-service for unmatched requests.
		{"", "/", "default_global_80", "upstream-default-backend"},
	} {
		l := modelLocation(t, cfg, c.host, c.path)
		if l.Upstream != c.upstream || l.UpstreamName != c.name {
			t.Errorf("%s%s: upstream %q named %q, want %q named %q", c.host, c.path, l.Upstream, l.UpstreamName, c.upstream, c.name)
		}
	}

	num := modelLocation(t, cfg, "shop.test", "/num")
	if num.Canary == nil {
		t.Fatal("shop.test/num: no canary")
	}
	if num.Canary.Upstream != "default_web-v2_80" || num.Canary.UpstreamName != "default-web-v2-http" {
		t.Errorf("canary: upstream %q named %q, want default_web-v2_80 named default-web-v2-http", num.Canary.Upstream, num.Canary.UpstreamName)
	}
	// atrium_canary.lua reads the name for $proxy_alternative_upstream_name.
	if !strings.Contains(" "+num.Canary.Rules+" ", " name=default-web-v2-http ") {
		t.Errorf("canary rules %q lack name=default-web-v2-http", num.Canary.Rules)
	}

	custom := modelLocation(t, cfg, "custom.test", "/")
	if custom.DefaultUpstream != "default_errors_80" || custom.DefaultUpstreamName != "custom-default-backend-default-errors" {
		t.Errorf("default-backend: %q named %q, want default_errors_80 named custom-default-backend-default-errors", custom.DefaultUpstream, custom.DefaultUpstreamName)
	}
	// The error answers name who gives them: the annotation's Service,
	// then --default-backend-service, then the built-in 404 (logged as
	// ingress-nginx logged its internal 404 server).
	want := map[string]string{"default_errors_80": "custom-default-backend-default-errors", "default_global_80": "upstream-default-backend", "": "upstream-default-backend"}
	var seen int
	for _, srv := range cfg.Servers {
		if srv.Host != "custom.test" {
			continue
		}
		for _, el := range srv.ErrorLocations {
			seen++
			if el.UpstreamName != want[el.Upstream] {
				t.Errorf("error location %s (upstream %q): named %q, want %q", el.Name, el.Upstream, el.UpstreamName, want[el.Upstream])
			}
		}
	}
	if seen != 3 {
		t.Errorf("%d error locations on custom.test, want 3 (annotation, global, built-in)", seen)
	}

	// The upstreams themselves keep Atrium's names.
	for _, u := range cfg.Upstreams {
		if strings.Contains(u.Name, "-80") || strings.HasPrefix(u.Name, "upstream-") || strings.HasPrefix(u.Name, "custom-") {
			t.Errorf("upstream %q carries a log name", u.Name)
		}
	}
}

// TestUpstreamNameBuiltinDefault: without --default-backend-service the
// built-in 404 answers unmatched requests, logged as upstream-default-backend
// as ingress-nginx's internal 404 server was.
func TestUpstreamNameBuiltinDefault(t *testing.T) {
	cfg, _, err := Build(upstreamNameSnapshot(), testOptions(t, goldenDir))
	if err != nil {
		t.Fatal(err)
	}
	if l := modelLocation(t, cfg, "", "/"); l.Upstream != "" || l.UpstreamName != "upstream-default-backend" {
		t.Errorf("built-in default backend: upstream %q named %q, want none named upstream-default-backend", l.Upstream, l.UpstreamName)
	}
}
