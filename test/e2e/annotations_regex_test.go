package e2e

import (
	"fmt"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
)

// withAnnotations sets ingress-nginx annotations (keys without the prefix).
func withAnnotations(ing *networkingv1.Ingress, ann map[string]string) *networkingv1.Ingress {
	if ing.Annotations == nil {
		ing.Annotations = map[string]string{}
	}
	for k, v := range ann {
		ing.Annotations[annPrefix+k] = v
	}
	return ing
}

func implSpecific(p, svc string) path {
	return path{p, networkingv1.PathTypeImplementationSpecific, svc, httpPort}
}

// expectEcho checks that host+path is answered 200 by a pod of svc that
// saw the request URI want.
func expectEcho(rq request, svc, want string) func() error {
	return func() error {
		r, err := do(rq)
		if err != nil {
			return err
		}
		if r.status != 200 || r.echo == nil || r.echo.Service != svc || r.echo.Path != want {
			seen := ""
			if r.echo != nil {
				seen = fmt.Sprintf(" (service %q saw %q)", r.echo.Service, r.echo.Path)
			}
			return fmt.Errorf("%s%s: %s%s, want 200 from %s seeing %q", rq.host, rq.path, r, seen, svc, want)
		}
		return nil
	}
}

// TestAnnotationsRegexRewrite: use-regex and rewrite-target as
// ingress-nginx has them: every non-Exact path of the host, from every
// Ingress, becomes a case-insensitive regex anchored at the start, tried
// longest first; rewrite-target rewrites with the capture groups; Exact
// paths and other hosts keep the Ingress specification's matching.
func TestAnnotationsRegexRewrite(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	deploy(t, ns, "web", 1)
	deploy(t, ns, "api", 1)
	host, other, bad := hostFor(ns, "regex"), hostFor(ns, "other"), hostFor(ns, "bad")
	createIngress(t, withAnnotations(ingress(ns, "rewrite", rule(host, implSpecific("/something(/|$)(.*)", "web"))),
		map[string]string{"use-regex": "true", "rewrite-target": "/$2"}))
	createIngress(t, withAnnotations(ingress(ns, "regex", rule(host, implSpecific("/api/v[0-9]+/admin", "web"))),
		map[string]string{"use-regex": "true"}))
	// No annotations: its paths on the regex host are regexes all the same.
	createIngress(t, ingress(ns, "plain",
		rule(host, prefix("/foo", "api"), prefix("/api", "api"), exact("/exact", "api"), prefix("/a(b", "api")),
		rule(other, prefix("/foo", "api"))))
	createIngress(t, withAnnotations(ingress(ns, "bad", rule(bad, prefix("/", "web"))),
		map[string]string{"rewrite-target": "/$host"}))

	for _, c := range []struct {
		path, svc, want string
	}{
		{"/something/new?q=1", "web", "/new?q=1"}, // $2, query kept
		{"/something", "web", "/"},
		{"/SOMETHING/Up", "web", "/Up"},                       // case-insensitive match
		{"/foobar", "api", "/foobar"},                         // "^/foo" is a plain string prefix now
		{"/FOO/x", "api", "/FOO/x"},                           // case-insensitive, no rewrite
		{"/api/v2/admin/users", "web", "/api/v2/admin/users"}, // the longer regex is tried first
		{"/api/v2/other", "api", "/api/v2/other"},
		{"/exact", "api", "/exact"},
	} {
		eventually(t, settle, host+c.path, expectEcho(request{host: host, path: c.path}, c.svc, c.want))
	}
	for _, p := range []string{"/somethingelse", "/exact/x", "/EXACT"} {
		eventually(t, settle, host+p+" unmatched", expect(request{host: host, path: p}, 404, ""))
	}
	// Another host keeps Prefix matching by path element, case-sensitive.
	eventually(t, settle, other+"/foo/x", expectEcho(request{host: other, path: "/foo/x"}, "api", "/foo/x"))
	eventually(t, settle, other+"/foobar", expect(request{host: other, path: "/foobar"}, 404, ""))
	eventually(t, settle, other+"/FOO", expect(request{host: other, path: "/FOO"}, 404, ""))
	// A path that is no regex is refused where paths are regexes.
	waitEvent(t, ns, "plain", corev1.EventTypeWarning, "InvalidField", "are regular expressions")
	// A target naming an nginx variable fails the Ingress closed.
	eventually(t, settle, "invalid rewrite-target fails closed", expect(request{host: bad, path: "/"}, 503, ""))
	waitEvent(t, ns, "bad", corev1.EventTypeWarning, "InvalidAnnotation", annPrefix+"rewrite-target")
}

// TestAnnotationsRewriteImpliesRegex: rewrite-target alone, without
// use-regex, makes the host's paths regexes as ingress-nginx does
// (case-insensitive, anchored at the start, host-wide), unless the target
// is the path itself, which is no rewrite.
func TestAnnotationsRewriteImpliesRegex(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	deploy(t, ns, "web", 1)
	deploy(t, ns, "api", 1)
	host, same := hostFor(ns, "rewrite"), hostFor(ns, "same")
	createIngress(t, withAnnotations(ingress(ns, "rewrite", rule(host, implSpecific("/api(/|$)(.*)", "api"))),
		map[string]string{"rewrite-target": "/$2"}))
	// No annotations: its Prefix path on that host is a regex all the same.
	createIngress(t, ingress(ns, "plain", rule(host, prefix("/foo", "web"), prefix("/", "web"))))
	// A target equal to the path: Prefix matching stays.
	createIngress(t, withAnnotations(ingress(ns, "same", rule(same, prefix("/app", "api"))),
		map[string]string{"rewrite-target": "/app"}))
	createIngress(t, ingress(ns, "same-plain", rule(same, prefix("/foo", "web"))))

	for _, c := range []struct {
		host, path, svc, want string
	}{
		{host, "/api/x?q=1", "api", "/x?q=1"},
		{host, "/API/x", "api", "/x"}, // case-insensitive; a Prefix path would not match
		{host, "/Api", "api", "/"},
		{host, "/api", "api", "/"},
		{host, "/apix", "web", "/apix"},     // (/|$) after /api: not this path
		{host, "/foobar", "web", "/foobar"}, // "^/foo" is a string prefix, no longer by element
		{host, "/FOO/y", "web", "/FOO/y"},
		{same, "/app/x", "api", "/app/x"}, // no rewrite
		{same, "/foo", "web", "/foo"},
	} {
		eventually(t, settle, c.host+c.path, expectEcho(request{host: c.host, path: c.path}, c.svc, c.want))
	}
	// Prefix matching by element, case-sensitive, where no path is a regex.
	for _, p := range []string{"/foobar", "/FOO", "/APP/x", "/apps"} {
		eventually(t, settle, same+p+" unmatched", expect(request{host: same, path: p}, 404, ""))
	}
}
