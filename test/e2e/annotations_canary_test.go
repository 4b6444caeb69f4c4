package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
)

// canaryIngress is a canary Ingress for host "/" to svc.
func canaryIngress(ns, name, host, svc string, ann map[string]string) *networkingv1.Ingress {
	ann["canary"] = "true"
	return annotated(ns, name, host, svc, ann)
}

// TestCanary: header, then cookie, then weight, as ingress-nginx; the
// weight lands within a binomial tolerance; a second canary for the same
// path is refused.
func TestCanary(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	deploy(t, ns, "web", 2)
	deploy(t, ns, "canary", 1)
	host, byValue, byPattern := hostFor(ns, "shop"), hostFor(ns, "value"), hostFor(ns, "pattern")
	for _, h := range []string{host, byValue, byPattern} {
		createIngress(t, ingress(ns, "main-"+strings.Split(h, ".")[0], rule(h, prefix("/", "web"))))
	}
	createIngress(t, canaryIngress(ns, "canary", host, "canary", map[string]string{
		"canary-by-header": "X-Canary", "canary-by-cookie": "canary", "canary-weight": "20",
	}))
	createIngress(t, canaryIngress(ns, "canary-value", byValue, "canary", map[string]string{
		"canary-by-header": "X-Canary", "canary-by-header-value": "v2",
	}))
	createIngress(t, canaryIngress(ns, "canary-pattern", byPattern, "canary", map[string]string{
		"canary-by-header": "X-Canary", "canary-by-header-pattern": "^beta-[0-9]+$",
	}))
	hdr := func(h, v string) request { return request{host: h, path: "/", header: http.Header{"X-Canary": {v}}} }
	both := func(h, header, cookie string) request {
		return request{host: h, path: "/", header: http.Header{"X-Canary": {header}, "Cookie": {"canary=" + cookie}}}
	}
	eventually(t, settle, "header always", expect(hdr(host, "always"), 200, "canary-"))
	// The header decides first: never wins over the cookie's always.
	for _, c := range []struct {
		what string
		rq   request
		pod  string
	}{
		{"header never", hdr(host, "never"), "web-"},
		{"header never, cookie always", both(host, "never", "always"), "web-"},
		{"other header value, cookie always", both(host, "maybe", "always"), "canary-"},
		{"no header, cookie always", withCookie(host, "canary", "always"), "canary-"},
		{"other header value, cookie never", both(host, "maybe", "never"), "web-"},
		{"header value v2", hdr(byValue, "v2"), "canary-"},
		{"header value: always is not special", hdr(byValue, "always"), "web-"},
		{"header pattern", hdr(byPattern, "beta-42"), "canary-"},
		{"header pattern, unanchored miss", hdr(byPattern, "xbeta-42"), "web-"},
	} {
		for i := 0; i < 10; i++ {
			if err := expect(c.rq, 200, c.pod)(); err != nil {
				t.Fatalf("%s: %v", c.what, err)
			}
		}
	}
	// canary-weight 20 of 100: 1,000 undecided requests, expected 200
	// canary answers, standard deviation 12.6; 150-250 is ±4 sd (a false
	// failure about once in 15,000 runs).
	n := 0
	for i := 0; i < 1000; i++ {
		r, err := get(host, "/")
		if err != nil || r.status != 200 {
			t.Fatalf("request %d: %v %v", i, r, err)
		}
		if strings.HasPrefix(r.pod(), "canary-") {
			n++
		}
	}
	if n < 150 || n > 250 {
		t.Fatalf("canary-weight 20: %d of 1000 requests went to the canary, want 150-250", n)
	}
	// Weight 0 (the default) sends nothing undecided to the canary.
	for i := 0; i < 50; i++ {
		if err := expect(request{host: byValue, path: "/"}, 200, "web-")(); err != nil {
			t.Fatalf("weight 0: %v", err)
		}
	}
	// One canary per path: the later one is refused with an Event.
	createIngress(t, canaryIngress(ns, "canary-late", host, "canary", map[string]string{"canary-weight": "100"}))
	waitEvent(t, ns, "canary-late", "Warning", "PathConflict", "already has a canary")
	if err := expect(hdr(host, "always"), 200, "canary-")(); err != nil {
		t.Fatalf("the first canary after the refused one: %v", err)
	}
}

// TestCanaryAffinity: with affinity on the main Ingress, a client stays on
// the backend its cookie names, canary or main (affinity-canary-behavior
// sticky, the default).
func TestCanaryAffinity(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	deploy(t, ns, "web", 2)
	deploy(t, ns, "canary", 2)
	host := hostFor(ns, "sticky")
	createIngress(t, annotated(ns, "main", host, "web", map[string]string{"affinity": "cookie"}))
	createIngress(t, canaryIngress(ns, "canary", host, "canary", map[string]string{"canary-weight": "50"}))
	eventually(t, settle, "canary in place", expect(withCookie(host, "canary", "x"), 200, ""))
	seen := map[string]bool{}
	eventually(t, settle, "sessions on both backends stay there", func() error {
		r, err := get(host, "/")
		if err != nil || r.status != 200 {
			return fmt.Errorf("%v %v", r, err)
		}
		c, _ := affinityCookie(r, "INGRESSCOOKIE")
		if c == "" {
			return fmt.Errorf("no affinity cookie from %s", r.pod())
		}
		for i := 0; i < 10; i++ {
			if err := expect(withCookie(host, "INGRESSCOOKIE", c), 200, r.pod())(); err != nil {
				return fmt.Errorf("session started on %s: %v", r.pod(), err)
			}
		}
		seen[strings.SplitN(r.pod(), "-", 2)[0]] = true
		if !seen["web"] || !seen["canary"] {
			return fmt.Errorf("sessions so far on %v, want both web and canary", keys(seen))
		}
		return nil
	})
}
