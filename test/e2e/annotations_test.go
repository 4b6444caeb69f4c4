package e2e

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
)

const annPrefix = "nginx.ingress.kubernetes.io/"

// annotated is an Ingress for host with one Prefix / path to svc and the
// given ingress-nginx annotations (keys without the prefix).
func annotated(ns, name, host, svc string, ann map[string]string) *networkingv1.Ingress {
	ing := ingress(ns, name, rule(host, prefix("/", svc)))
	ing.Annotations = map[string]string{}
	for k, v := range ann {
		ing.Annotations[annPrefix+k] = v
	}
	return ing
}

// TestAnnotationsProxy: proxy settings take effect, seen from the client
// and the backend.
func TestAnnotationsProxy(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	deploy(t, ns, "web", 1)
	host := hostFor(ns, "tuned")
	createIngress(t, annotated(ns, "tuned", host, "web", map[string]string{
		"proxy-body-size":    "1k",
		"proxy-read-timeout": "1",
		"proxy-http-version": "1.0",
		"upstream-vhost":     "internal.example",
		"x-forwarded-prefix": "/shop",
	}))
	eventually(t, settle, "served", expect(request{host: host, path: "/"}, 200, "web-"))
	r, err := get(host, "/x")
	if err != nil || r.echo == nil {
		t.Fatalf("%v %v", r, err)
	}
	if r.echo.Host != "internal.example" {
		t.Errorf("upstream-vhost: backend saw Host %q", r.echo.Host)
	}
	if r.echo.Proto != "HTTP/1.0" {
		t.Errorf("proxy-http-version 1.0: backend saw %s", r.echo.Proto)
	}
	if got := r.echo.Headers.Get("X-Forwarded-Prefix"); got != "/shop" {
		t.Errorf("x-forwarded-prefix: backend saw %q", got)
	}
	// proxy-body-size 1k: a 2 KiB body is refused by nginx with 413.
	if r, err := do(request{method: "POST", host: host, path: "/", body: strings.Repeat("x", 2048)}); err != nil || r.status != 413 {
		t.Errorf("2 KiB body with proxy-body-size 1k: %v %v, want 413", r, err)
	}
	if r, err := do(request{method: "POST", host: host, path: "/", body: strings.Repeat("x", 512)}); err != nil || r.status != 200 {
		t.Errorf("512 B body with proxy-body-size 1k: %v %v, want 200", r, err)
	}
	// proxy-read-timeout 1: a backend that takes 3 s times out (504).
	if r, err := do(request{host: host, path: "/", header: http.Header{"X-Echo-Delay": {"3s"}}}); err != nil || r.status != 504 {
		t.Errorf("slow backend with proxy-read-timeout 1: %v %v, want 504", r, err)
	}
	// Another Ingress without annotations keeps the defaults.
	plain := hostFor(ns, "plain")
	createIngress(t, ingress(ns, "plain", rule(plain, prefix("/", "web"))))
	eventually(t, settle, "plain served", expect(request{host: plain, path: "/"}, 200, "web-"))
	if r, err := get(plain, "/"); err != nil || r.echo.Host != plain || r.echo.Proto != "HTTP/1.1" {
		t.Errorf("defaults leaked across Ingresses: %v %v", r, err)
	}
}

// TestAnnotationsRedirects: permanent, temporal, app-root, and the
// HTTP-to-HTTPS switches.
func TestAnnotationsRedirects(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	deploy(t, ns, "web", 1)
	moved, temp, root, forced, nossl := hostFor(ns, "moved"), hostFor(ns, "temp"), hostFor(ns, "root"), hostFor(ns, "forced"), hostFor(ns, "nossl")
	createIngress(t, annotated(ns, "moved", moved, "web", map[string]string{"permanent-redirect": "https://new.example.com/place?x=1", "permanent-redirect-code": "308"}))
	createIngress(t, annotated(ns, "temp", temp, "web", map[string]string{"temporal-redirect": "https://tmp.example.com/"}))
	createIngress(t, annotated(ns, "root", root, "web", map[string]string{"app-root": "/app"}))
	createIngress(t, annotated(ns, "forced", forced, "web", map[string]string{"force-ssl-redirect": "true"}))
	nosslIng := annotated(ns, "nossl", nossl, "web", map[string]string{"ssl-redirect": "false"})
	nosslIng.Spec.TLS = []networkingv1.IngressTLS{{Hosts: []string{nossl}}}
	createIngress(t, nosslIng)

	check := func(host, path string, status int, location string) {
		t.Helper()
		eventually(t, settle, host+path, func() error {
			r, err := get(host, path)
			if err != nil {
				return err
			}
			if r.status != status || (location != "" && r.header.Get("Location") != location) {
				return errorf("%s%s: %d Location %q, want %d %q", host, path, r.status, r.header.Get("Location"), status, location)
			}
			return nil
		})
	}
	check(moved, "/any/path", 308, "https://new.example.com/place?x=1")
	check(temp, "/x", 302, "https://tmp.example.com/")
	check(root, "/", 302, "http://"+root+"/app")
	check(root, "/other", 200, "") // only / is redirected
	check(forced, "/p?q=1", 308, "")
	if r, _ := get(forced, "/p?q=1"); r != nil && !strings.HasPrefix(r.header.Get("Location"), "https://"+forced) {
		t.Errorf("force-ssl-redirect Location %q", r.header.Get("Location"))
	}
	check(nossl, "/", 200, "") // TLS host, but ssl-redirect "false"

	// As ingress-nginx: the redirect drops one trailing "/" (not before a
	// query), and ACME HTTP-01 paths (no-tls-redirect-locations) of a TLS
	// host stay on plain HTTP.
	for p, want := range map[string]string{"/app/": "/app", "/app/?x=1": "/app/?x=1", "/": ""} {
		eventually(t, settle, "forced "+p, func() error {
			r, err := get(forced, p)
			if err != nil {
				return err
			}
			loc, err := url.Parse(r.header.Get("Location"))
			if err != nil || r.status != 308 || loc.Scheme != "https" || loc.Hostname() != forced || loc.RequestURI() != orSlash(want) || strings.HasSuffix(r.header.Get("Location"), "/") != strings.HasSuffix(want, "/") {
				return errorf("%s: %d Location %q, want 308 to https://%s%s", p, r.status, r.header.Get("Location"), forced, want)
			}
			return nil
		})
	}
	// preserve-trailing-slash keeps it.
	keep := hostFor(ns, "keep")
	createIngress(t, annotated(ns, "keep", keep, "web", map[string]string{"force-ssl-redirect": "true", "preserve-trailing-slash": "true"}))
	eventually(t, settle, "preserve-trailing-slash", func() error {
		r, err := get(keep, "/app/")
		if err != nil {
			return err
		}
		if loc, err := url.Parse(r.header.Get("Location")); err != nil || r.status != 308 || loc.Hostname() != keep || loc.Path != "/app/" {
			return errorf("/app/: %d Location %q, want 308 to https://%s/app/", r.status, r.header.Get("Location"), keep)
		}
		return nil
	})
	acme := hostFor(ns, "acme")
	acmeIng := ingress(ns, "acme", rule(acme, prefix("/", "web")))
	acmeIng.Spec.TLS = []networkingv1.IngressTLS{{Hosts: []string{acme}}}
	createIngress(t, acmeIng)
	createIngress(t, ingress(ns, "acme-solver", rule(acme, exact("/.well-known/acme-challenge/token-1", "web"))))
	check(acme, "/app", 308, "")
	check(acme, "/.well-known/acme-challenge/token-1", 200, "")
}

// orSlash is p, or "/" for "" (url.URL.RequestURI's answer for no path).
func orSlash(p string) string {
	if p == "" {
		return "/"
	}
	return p
}

// TestAnnotationsSourceRanges: allow and deny lists by client address;
// whitelist-source-range, allowlist-source-range's old name, both ways.
func TestAnnotationsSourceRanges(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	deploy(t, ns, "web", 1)
	open, closed, denied := hostFor(ns, "open"), hostFor(ns, "closed"), hostFor(ns, "denied")
	narrow := hostFor(ns, "narrow")
	createIngress(t, annotated(ns, "open", open, "web", map[string]string{"whitelist-source-range": "0.0.0.0/0,::/0"}))
	createIngress(t, annotated(ns, "closed", closed, "web", map[string]string{"allowlist-source-range": "192.0.2.1/32"}))
	createIngress(t, annotated(ns, "denied", denied, "web", map[string]string{"denylist-source-range": "0.0.0.0/0,::/0"}))
	// TEST-NET-1 holds no plausible client, here or on a real cluster.
	createIngress(t, annotated(ns, "narrow", narrow, "web", map[string]string{"whitelist-source-range": "192.0.2.0/24"}))
	eventually(t, settle, "allowed", expect(request{host: open, path: "/"}, 200, "web-"))
	eventually(t, settle, "not in allowlist", expect(request{host: closed, path: "/"}, 403, ""))
	eventually(t, settle, "not in whitelist", expect(request{host: narrow, path: "/"}, 403, ""))
	eventually(t, settle, "in denylist", expect(request{host: denied, path: "/"}, 403, ""))
}

// TestAnnotationsInvalidAndUnsupported: a refused value fails the
// Ingress closed (503) with an Event naming the annotation; unsupported
// annotations (snippets) are ignored with one Event listing them.
func TestAnnotationsInvalidAndUnsupported(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	deploy(t, ns, "web", 1)
	bad, snip := hostFor(ns, "bad"), hostFor(ns, "snip")
	createIngress(t, annotated(ns, "bad", bad, "web", map[string]string{"proxy-read-timeout": "60; return 200 pwned"}))
	createIngress(t, annotated(ns, "snip", snip, "web", map[string]string{
		"configuration-snippet": "return 200 pwned;", "server-snippet": "location /x { return 200 pwned; }"}))
	eventually(t, settle, "invalid annotation fails closed", expect(request{host: bad, path: "/"}, 503, ""))
	waitEvent(t, ns, "bad", corev1.EventTypeWarning, "InvalidAnnotation", annPrefix+"proxy-read-timeout")
	eventually(t, settle, "snippets ignored, Ingress served", expect(request{host: snip, path: "/x"}, 200, "web-"))
	waitEvent(t, ns, "snip", corev1.EventTypeWarning, "UnsupportedAnnotations", annPrefix+"configuration-snippet")
	if r, _ := get(snip, "/x"); r != nil && strings.Contains(string(r.body), "pwned") {
		t.Error("a snippet reached nginx")
	}
}
