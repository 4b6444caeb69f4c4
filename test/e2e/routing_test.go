package e2e

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// TestProxying: methods, paths and headers reach the backend as the client
// sent them, over HTTP/1.1, with the forwarding headers set by the proxy.
func TestProxying(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	deploy(t, ns, "web", 1)
	host := hostFor(ns, "proxy")
	createIngress(t, ingress(ns, "web", rule(host, prefix("/", "web"))))
	eventually(t, settle, "host served", expect(request{host: host, path: "/"}, 200, "web-"))

	for _, m := range []string{"GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"} {
		for _, p := range []string{"/", "/a/b/c", "/with?query=1&x=y", "/trailing/"} {
			r, err := do(request{method: m, host: host, path: p, body: "payload", header: http.Header{
				"User-Agent": {"atrium-e2e/1.0"}, "X-Forwarded-For": {"6.6.6.6"}, "X-Request-Id": {"fixed-id"}}})
			if err != nil {
				t.Fatalf("%s %s: %v", m, p, err)
			}
			if r.status != 200 || r.echo == nil {
				t.Fatalf("%s %s: %s", m, p, r)
			}
			e := r.echo
			if e.Method != m || e.Path != p || e.Proto != "HTTP/1.1" {
				t.Errorf("%s %s reached the backend as %s %s %s", m, p, e.Method, e.Path, e.Proto)
			}
			if e.Host != host {
				t.Errorf("Host %q reached the backend as %q", host, e.Host)
			}
			if ua := e.Headers.Get("User-Agent"); ua != "atrium-e2e/1.0" {
				t.Errorf("User-Agent reached the backend as %q", ua)
			}
			// Client-supplied X-Forwarded-For is not trusted by default.
			if xff := e.Headers.Get("X-Forwarded-For"); xff == "" || strings.Contains(xff, "6.6.6.6") {
				t.Errorf("X-Forwarded-For = %q, want the client address only", xff)
			}
			if e.Headers.Get("X-Forwarded-Proto") != "http" || e.Headers.Get("X-Forwarded-Host") != host || e.Headers.Get("X-Real-Ip") == "" {
				t.Errorf("forwarding headers: proto %q host %q real-ip %q", e.Headers.Get("X-Forwarded-Proto"), e.Headers.Get("X-Forwarded-Host"), e.Headers.Get("X-Real-Ip"))
			}
			// ingress-nginx's other two: the scheme again, and the client's
			// X-Forwarded-For as it came.
			if e.Headers.Get("X-Forwarded-Scheme") != "http" || e.Headers.Get("X-Original-Forwarded-For") != "6.6.6.6" {
				t.Errorf("X-Forwarded-Scheme %q, X-Original-Forwarded-For %q; want http and 6.6.6.6",
					e.Headers.Get("X-Forwarded-Scheme"), e.Headers.Get("X-Original-Forwarded-For"))
			}
			if e.Headers.Get("X-Request-Id") != "fixed-id" {
				t.Errorf("X-Request-ID from the client was not kept: %q", e.Headers.Get("X-Request-Id"))
			}
			if m == "POST" && e.BodyLength != int64(len("payload")) {
				t.Errorf("POST body reached the backend with %d bytes", e.BodyLength)
			}
		}
	}
	r, err := get(host, "/")
	if err != nil {
		t.Fatal(err)
	}
	if id := r.echo.Headers.Get("X-Request-Id"); len(id) != 32 {
		t.Errorf("X-Request-ID not generated when absent: %q", id)
	}
}

// TestUnknownHostGetsBuiltIn404: no rule, no default backend -> 404.
func TestUnknownHostGetsBuiltIn404(t *testing.T) {
	t.Parallel()
	for _, p := range []string{"/", "/x/y"} {
		r, err := get("nobody-serves-this.e2e.test", p)
		if err != nil {
			t.Fatal(err)
		}
		if r.status != 404 {
			t.Errorf("unknown host %s: %s, want 404", p, r)
		}
	}
}

// TestHostRules: exact hosts, one-label wildcards and host-less rules.
func TestHostRules(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	deploy(t, ns, "exact", 1)
	deploy(t, ns, "wild", 1)
	deploy(t, ns, "any", 1)
	base := ns + ".hosts.test"
	createIngress(t, ingress(ns, "hosts",
		rule("foo."+base, prefix("/", "exact")),
		rule("*."+base, prefix("/", "wild")),
		rule("", prefix("/"+ns, "any")),
	))
	eventually(t, settle, "exact host", expect(request{host: "foo." + base, path: "/"}, 200, "exact-"))
	cases := []struct {
		host, path string
		status     int
		pod        string
	}{
		{"foo." + base, "/x", 200, "exact-"},
		{"FOO." + strings.ToUpper(base), "/x", 200, "exact-"}, // host names are case-insensitive
		{"bar." + base, "/", 200, "wild-"},
		{"baz.bar." + base, "/", 404, ""}, // one label only
		{base, "/", 404, ""},              // the wildcard needs a label
		{"whatever.example", "/" + ns, 200, "any-"},
		{"whatever.example", "/" + ns + "/deeper", 200, "any-"},
		{"foo." + base + ":8080", "/", 200, "exact-"}, // a port in Host is ignored for matching
	}
	for _, c := range cases {
		if err := expect(request{host: c.host, path: c.path}, c.status, c.pod)(); err != nil {
			t.Error(err)
		}
	}
}

// TestPathTable is the matching table of the Kubernetes Ingress
// documentation, row by row, through the real proxy. Each path of a row goes
// to its own Service (p0, p1, p2), so the test sees which rule matched.
func TestPathTable(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	for i := 0; i < 3; i++ {
		deploy(t, ns, fmt.Sprintf("p%d", i), 1)
	}
	type pt struct {
		typ  networkingv1.PathType
		path string
	}
	P := func(p string) pt { return pt{networkingv1.PathTypePrefix, p} }
	E := func(p string) pt { return pt{networkingv1.PathTypeExact, p} }
	rows := []struct {
		paths []pt
		req   string
		want  int // index of the path that must answer, -1 for no match (404)
	}{
		{[]pt{P("/")}, "/anything/at/all", 0},
		{[]pt{E("/foo")}, "/foo", 0},
		{[]pt{E("/foo")}, "/bar", -1},
		{[]pt{E("/foo")}, "/foo/", -1},
		{[]pt{E("/foo/")}, "/foo", -1},
		{[]pt{P("/foo")}, "/foo", 0},
		{[]pt{P("/foo")}, "/foo/", 0},
		{[]pt{P("/foo/")}, "/foo", 0},
		{[]pt{P("/foo/")}, "/foo/", 0},
		{[]pt{P("/aaa/bb")}, "/aaa/bbb", -1},
		{[]pt{P("/aaa/bbb")}, "/aaa/bbb", 0},
		{[]pt{P("/aaa/bbb/")}, "/aaa/bbb", 0},
		{[]pt{P("/aaa/bbb")}, "/aaa/bbb/", 0},
		{[]pt{P("/aaa/bbb")}, "/aaa/bbb/ccc", 0},
		{[]pt{P("/aaa/bbb")}, "/aaa/bbbxyz", -1},
		{[]pt{P("/"), P("/aaa")}, "/aaa/ccc", 1},
		{[]pt{P("/"), P("/aaa"), P("/aaa/bbb")}, "/aaa/bbb", 2},
		{[]pt{P("/"), P("/aaa"), P("/aaa/bbb")}, "/ccc", 0},
		{[]pt{P("/aaa")}, "/ccc", -1},
		{[]pt{P("/foo"), E("/foo")}, "/foo", 1},
		{[]pt{E("/foo"), P("/foo")}, "/foo", 0},
		// Beyond the table: matching stays case-sensitive, and nginx's
		// habits (301 for a missing trailing slash) never show.
		{[]pt{P("/foo")}, "/FOO", -1},
		{[]pt{E("/Foo")}, "/foo", -1},
		{[]pt{P("/foo/")}, "/foo?x=1", 0},
	}
	var rules []networkingv1.IngressRule
	for i, row := range rows {
		r := rule(fmt.Sprintf("row%d.%s.paths.test", i, ns))
		for j, p := range row.paths {
			r.HTTP.Paths = append(r.HTTP.Paths, networkingv1.HTTPIngressPath{Path: p.path, PathType: ptr.To(p.typ),
				Backend: networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{Name: fmt.Sprintf("p%d", j), Port: httpPort}}})
		}
		rules = append(rules, r)
	}
	createIngress(t, ingress(ns, "table", rules...))
	eventually(t, settle, "table served", expect(request{host: "row0." + ns + ".paths.test", path: "/x"}, 200, "p0-"))
	for i, row := range rows {
		host := fmt.Sprintf("row%d.%s.paths.test", i, ns)
		status, pod := 404, ""
		if row.want >= 0 {
			status, pod = 200, fmt.Sprintf("p%d-", row.want)
		}
		if err := expect(request{host: host, path: row.req}, status, pod)(); err != nil {
			t.Errorf("row %d %v: %v", i, row.paths, err)
		}
	}
}

// TestIngressClass: Ingresses of another class are never served.
func TestIngressClass(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	deploy(t, ns, "web", 1)
	ours, theirs, legacy := hostFor(ns, "ours"), hostFor(ns, "theirs"), hostFor(ns, "legacy")
	other := ingress(ns, "other", rule(theirs, prefix("/", "web")))
	other.Spec.IngressClassName = ptr.To("someone-else")
	createIngress(t, other)
	leg := ingress(ns, "legacy", rule(legacy, prefix("/", "web")))
	leg.Spec.IngressClassName = nil
	leg.Annotations = map[string]string{"kubernetes.io/ingress.class": env.class}
	createIngress(t, leg)
	createIngress(t, ingress(ns, "ours", rule(ours, prefix("/", "web"))))
	eventually(t, settle, "our class", expect(request{host: ours, path: "/"}, 200, "web-"))
	eventually(t, settle, "legacy annotation", expect(request{host: legacy, path: "/"}, 200, "web-"))
	if err := expect(request{host: theirs, path: "/"}, 404, "")(); err != nil {
		t.Error("another class was served:", err)
	}
	// And we never write to it.
	got, err := env.client.NetworkingV1().Ingresses(ns).Get(context.Background(), "other", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Status.LoadBalancer.Ingress) != 0 {
		t.Errorf("status of another class's Ingress was written: %v", got.Status.LoadBalancer)
	}
}

// TestDeleteIngress: a deleted Ingress's host answers 404.
func TestDeleteIngress(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	deploy(t, ns, "web", 1)
	host := hostFor(ns, "gone")
	createIngress(t, ingress(ns, "gone", rule(host, prefix("/", "web"))))
	eventually(t, settle, "served", expect(request{host: host, path: "/"}, 200, "web-"))
	if err := env.client.NetworkingV1().Ingresses(ns).Delete(context.Background(), "gone", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, settle, "404 after delete", expect(request{host: host, path: "/"}, 404, ""))
}

// TestDefaultBackendOfIngress: spec.defaultBackend answers paths of the
// Ingress's hosts that no rule matches.
func TestDefaultBackendOfIngress(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	deploy(t, ns, "app", 1)
	deploy(t, ns, "fallback", 1)
	host := hostFor(ns, "dflt")
	ing := ingress(ns, "dflt", rule(host, prefix("/app", "app")))
	ing.Spec.DefaultBackend = &networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{Name: "fallback", Port: httpPort}}
	createIngress(t, ing)
	eventually(t, settle, "rule", expect(request{host: host, path: "/app/x"}, 200, "app-"))
	eventually(t, settle, "default backend", expect(request{host: host, path: "/other"}, 200, "fallback-"))
}
