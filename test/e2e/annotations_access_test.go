package e2e

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// TestAnnotationsSatisfy: satisfy any or all with the source ranges. Until
// Atrium supports authentication the source ranges are a path's only
// access check, so both answer alike: a client outside the allow-list (or
// in the deny-list) gets 403 with either. The case that matters now is
// default-backend, whose Lua handler would pass "satisfy any" by itself if
// it ran in the access phase, opening the path to everyone.
func TestAnnotationsSatisfy(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	deploy(t, ns, "web", 1)
	probe := hostFor(ns, "probe")
	createIngress(t, ingress(ns, "probe", rule(probe, prefix("/", "web"))))
	me := clientAddress(t, probe)
	const elsewhere = "192.0.2.1/32"
	cases := []struct {
		name   string
		ann    map[string]string
		status int
	}{
		{"any-outside", map[string]string{"satisfy": "any", "allowlist-source-range": elsewhere}, 403},
		{"all-outside", map[string]string{"satisfy": "all", "allowlist-source-range": elsewhere}, 403},
		{"any-denied", map[string]string{"satisfy": "any", "denylist-source-range": me}, 403},
		{"any-inside", map[string]string{"satisfy": "any", "allowlist-source-range": me}, 200},
		{"any-default-backend", map[string]string{"satisfy": "any", "allowlist-source-range": elsewhere, "default-backend": "web"}, 403},
		{"all-default-backend", map[string]string{"satisfy": "all", "allowlist-source-range": me, "default-backend": "web"}, 200},
	}
	for _, c := range cases {
		createIngress(t, annotated(ns, c.name, hostFor(ns, c.name), "web", c.ann))
	}
	for _, c := range cases {
		eventually(t, settle, c.name, expect(request{host: hostFor(ns, c.name), path: "/"}, c.status, ""))
	}
}

// TestAnnotationsSSLPassthroughWithoutFlag: the controller under test runs
// without --enable-ssl-passthrough (as deploy/ installs it), so the
// annotation is ignored with a Warning Event and nginx terminates TLS with
// its own certificate. test/faults covers the flag.
func TestAnnotationsSSLPassthroughWithoutFlag(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	pods := deployProtocols(t, ns, "secure", 1)
	host := hostFor(ns, "pass")
	createIngress(t, withAnnotations(ingress(ns, "pass", rule(host, portNamed(prefix("/", "secure"), "https"))),
		map[string]string{"ssl-passthrough": "true"}))
	waitEvent(t, ns, "pass", corev1.EventTypeWarning, "IgnoredAnnotations", "--enable-ssl-passthrough")
	r, err := do(request{host: host, path: "/", https: true})
	if err != nil {
		t.Fatal(err)
	}
	if name := leafName(r.tls); name == "" || strings.HasPrefix(name, pods[0]) {
		t.Errorf("the client saw certificate %q: nginx must terminate TLS without the flag", name)
	}
}
