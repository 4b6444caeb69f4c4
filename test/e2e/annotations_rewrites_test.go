package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/atrium-ingress/atrium/test/echoserver/echo"
)

// TestAnnotationsCookieAndRedirectRewrites: proxy-cookie-domain and
// proxy-cookie-path rewrite the Domain and Path of the pod's Set-Cookie
// (nginx drops the leading "." of a domain),
// proxy-redirect-from/-to the start of its Location header (to a URL, or
// to a path nginx completes with the request's scheme and host), and
// proxy-redirect-from "default" is nginx's (the upstream URL nginx proxies
// to becomes "/"); without them the headers pass unchanged.
func TestAnnotationsCookieAndRedirectRewrites(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	deploy(t, ns, "web", 1)
	rewritten, relative, dflt, plain := hostFor(ns, "rewritten"), hostFor(ns, "relative"), hostFor(ns, "dflt"), hostFor(ns, "plain")
	createIngress(t, annotated(ns, "rewritten", rewritten, "web", map[string]string{
		"proxy-cookie-domain": "backend.svc.cluster.local .example.com",
		"proxy-cookie-path":   "/app/ /",
		"proxy-redirect-from": "http://backend.svc:8080/app/",
		"proxy-redirect-to":   "https://public.example.com/",
	}))
	createIngress(t, annotated(ns, "relative", relative, "web", map[string]string{
		"proxy-redirect-from": "http://backend.svc:8080/app/", "proxy-redirect-to": "/public/",
	}))
	createIngress(t, annotated(ns, "dflt", dflt, "web", map[string]string{"proxy-redirect-from": "default"}))
	createIngress(t, ingress(ns, "plain", rule(plain, prefix("/", "web"))))
	for _, h := range []string{rewritten, relative, dflt, plain} {
		eventually(t, settle, h+" served", expect(request{host: h, path: "/"}, 200, "web-"))
	}
	const cookie = "sid=1; Domain=backend.svc.cluster.local; Path=/app/cart; HttpOnly"
	answer := func(host, location string) (*result, error) {
		hdr := http.Header{echo.HeaderHeader: {"Set-Cookie: " + cookie}}
		if location != "" {
			hdr.Set(echo.HeaderStatus, "302")
			hdr.Add(echo.HeaderHeader, "Location: "+location)
		}
		return do(request{host: host, path: "/", header: hdr})
	}
	eventually(t, settle, "proxy-cookie-domain, proxy-cookie-path", func() error {
		r, err := answer(rewritten, "")
		if err != nil {
			return err
		}
		if got, want := r.header.Get("Set-Cookie"), "sid=1; Domain=example.com; Path=/cart; HttpOnly"; got != want {
			return fmt.Errorf("Set-Cookie %q, want %q", got, want)
		}
		return nil
	})
	for _, c := range []struct{ what, host, location, want string }{
		{"proxy-redirect-to a URL", rewritten, "http://backend.svc:8080/app/next?x=1", "https://public.example.com/next?x=1"},
		{"another start", rewritten, "http://backend.svc:8080/other", "http://backend.svc:8080/other"},
		{"proxy-redirect-to a path", relative, "http://backend.svc:8080/app/next", "http://" + relative + "*/public/next"},
		{"proxy-redirect-from default", dflt, "http://atrium_balancer/next", "http://" + dflt + "*/next"},
		{"no proxy-redirect", plain, "http://backend.svc:8080/app/next", "http://backend.svc:8080/app/next"},
	} {
		eventually(t, settle, c.what, func() error {
			r, err := answer(c.host, c.location)
			if err != nil {
				return err
			}
			got := r.header.Get("Location")
			// "*" stands for the port nginx adds to a path it completes.
			pre, suf, port := strings.Cut(c.want, "*")
			if r.status != 302 || (!port && got != c.want) || (port && (!strings.HasPrefix(got, pre) || !strings.HasSuffix(got, suf))) {
				return fmt.Errorf("%s: %d Location %q, want 302 %q", c.what, r.status, got, c.want)
			}
			return nil
		})
	}
	eventually(t, settle, "no proxy-cookie-*", func() error {
		if r, err := answer(plain, ""); err != nil || r.header.Get("Set-Cookie") != cookie {
			return fmt.Errorf("without proxy-cookie-*: %v %v, want Set-Cookie %q", r, err, cookie)
		}
		return nil
	})
}
