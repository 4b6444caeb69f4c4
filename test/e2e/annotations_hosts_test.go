package e2e

import (
	"net"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
)

// portSuffix is what Atrium puts after a host in its redirects for the
// listener of a scheme: nginx's port unless it is the default. Locally the
// tests dial nginx itself; a real cluster maps node ports to nginx's 80
// and 443.
func portSuffix(https bool) string {
	addr, dflt := env.httpAddr, "80"
	if https {
		addr, dflt = env.httpsAddr, "443"
	}
	_, port, _ := net.SplitHostPort(addr)
	if env.local == nil || port == dflt {
		return ""
	}
	return ":" + port
}

// redirectCheck waits until host+path answers status with Location loc.
func redirectCheck(t *testing.T, rq request, status int, loc string) {
	t.Helper()
	eventually(t, settle, rq.host+rq.path, func() error {
		r, err := do(rq)
		if err != nil {
			return err
		}
		if r.status != status || r.header.Get("Location") != loc {
			return errorf("%s%s: %d Location %q, want %d %q", rq.host, rq.path, r.status, r.header.Get("Location"), status, loc)
		}
		return nil
	})
}

// TestAnnotationsFromToWWWRedirect: www.<host> answers 308 to <host> with
// ingress-nginx's URI (one trailing slash dropped) over HTTP and HTTPS;
// the reverse for a www host; the host itself is served.
func TestAnnotationsFromToWWWRedirect(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	deploy(t, ns, "web", 1)
	site, www := hostFor(ns, "site"), "www."+hostFor(ns, "blog")
	ing := annotated(ns, "site", site, "web", map[string]string{"from-to-www-redirect": "true"})
	ing.Spec.Rules = append(ing.Spec.Rules, rule(www, prefix("/", "web")))
	ing.Spec.TLS = []networkingv1.IngressTLS{{Hosts: []string{site}}}
	createIngress(t, ing)

	eventually(t, settle, "host served over HTTPS", expect(request{host: site, path: "/", https: true}, 200, "web-"))
	plain, tls := "http://"+site+portSuffix(false), "https://"+site+portSuffix(true)
	redirectCheck(t, request{host: "www." + site, path: "/a/b/"}, 308, plain+"/a/b")
	redirectCheck(t, request{host: "www." + site, path: "/a/b?q=1"}, 308, plain+"/a/b?q=1")
	redirectCheck(t, request{host: "www." + site, path: "/"}, 308, plain)
	redirectCheck(t, request{host: "www." + site, path: "/x/", https: true}, 308, tls+"/x")
	redirectCheck(t, request{host: strings.TrimPrefix(www, "www."), path: "/p"}, 308, "http://"+www+portSuffix(false)+"/p")
	// The hosts themselves are served, not redirected (site redirects
	// plain HTTP to HTTPS: it has TLS).
	eventually(t, settle, "www host served", expect(request{host: www, path: "/p"}, 200, "web-"))
	redirectCheck(t, request{host: site, path: "/p"}, 308, tls+"/p")
}

// TestAnnotationsServerAlias: aliases (exact, and nginx's wildcard of any
// depth) are served like the host; an alias that is another Ingress's host
// stays that Ingress's, with a Warning Event on the aliasing Ingress.
func TestAnnotationsServerAlias(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	deploy(t, ns, "web", 1)
	deploy(t, ns, "other", 1)
	main, alias, owned := hostFor(ns, "main"), hostFor(ns, "alias"), hostFor(ns, "owned")
	wild := "w." + ns + ".e2e.test"
	createIngress(t, ingress(ns, "owner", rule(owned, prefix("/", "other"))))
	createIngress(t, annotated(ns, "aliased", main, "web", map[string]string{"server-alias": alias + ",*." + wild + "," + owned}))

	eventually(t, settle, "host served", expect(request{host: main, path: "/"}, 200, "web-"))
	eventually(t, settle, "alias served", expect(request{host: alias, path: "/x"}, 200, "web-"))
	eventually(t, settle, "wildcard alias, two labels deep", expect(request{host: "a.b." + wild, path: "/"}, 200, "web-"))
	eventually(t, settle, "wildcard alias over HTTPS", expect(request{host: "c." + wild, path: "/", https: true}, 200, "web-"))
	if err := expect(request{host: wild, path: "/"}, 404, "")(); err != nil {
		t.Errorf("*.%s must not match %s itself: %v", wild, wild, err)
	}
	eventually(t, settle, "another Ingress's host keeps its backend", expect(request{host: owned, path: "/"}, 200, "other-"))
	waitEvent(t, ns, "aliased", corev1.EventTypeWarning, "HostConflict", owned)
	r, err := do(request{host: alias, path: "/x"})
	if err != nil || r.echo == nil || r.echo.Host != alias {
		t.Errorf("the backend must see the alias as Host: %v %v", r, err)
	}
}
