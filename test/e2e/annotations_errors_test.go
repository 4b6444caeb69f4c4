package e2e

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// errorHeaders checks the headers an error answer got, as ingress-nginx
// sends them to the default backend.
func errorHeaders(r *result, want map[string]string) error {
	if r.echo == nil {
		return errorf("not answered by an echoserver: %v", r)
	}
	for k, v := range want {
		if got := r.echo.Headers.Get(k); got != v {
			return errorf("%s: %q, want %q (pod %s, path %s)", k, got, v, r.pod(), r.echo.Path)
		}
	}
	return nil
}

// TestAnnotationsCustomHTTPErrors: custom-http-errors with default-backend.
// A listed code from the endpoints is answered by the default-backend
// Service, asked for "/" with the error headers; other codes pass; when
// that Service has no endpoint, Atrium's default backend (404) answers.
// default-backend also serves the paths whose Service is missing or has
// no ready endpoint, with X-Code 503 and the request unchanged.
func TestAnnotationsCustomHTTPErrors(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	deploy(t, ns, "web", 1)
	deploy(t, ns, "errors", 1)
	host := hostFor(ns, "errs")
	ing := ingress(ns, "errs", rule(host, prefix("/", "web"), exact("/gone", "gone")))
	ing.Annotations = map[string]string{annPrefix + "custom-http-errors": "502,500", annPrefix + "default-backend": "errors"}
	createIngress(t, ing)
	eventually(t, settle, "served", expect(request{host: host, path: "/"}, 200, "web-"))

	// web answers 500: the errors Service answers instead (the client's
	// headers reach it too, so it also answers 500 here).
	failing := request{host: host, path: "/shop/cart?item=1", header: http.Header{
		"X-Echo-Status": {"500"}, "Accept": {"application/json"}, "X-Request-Id": {"e2e-req-1"}}}
	eventually(t, settle, "500 answered by the default backend", func() error {
		r, err := do(failing)
		if err != nil {
			return err
		}
		if r.status != 500 || !strings.HasPrefix(r.pod(), "errors-") || r.echo.Path != "/?item=1" {
			return errorf("got %v, want 500 from errors-* for /?item=1", r)
		}
		return errorHeaders(r, map[string]string{
			"X-Code": "500", "X-Format": "application/json", "X-Original-URI": "/shop/cart?item=1",
			"X-Namespace": ns, "X-Ingress-Name": "errs", "X-Service-Name": "web", "X-Service-Port": "http",
			"X-Request-Id": "e2e-req-1",
		})
	})
	// A code not listed passes through.
	if err := expect(request{host: host, path: "/x", header: http.Header{"X-Echo-Status": {"404"}}}, 404, "web-")(); err != nil {
		t.Error(err)
	}

	// The path whose Service does not exist: default-backend serves it.
	eventually(t, settle, "missing Service served by default-backend", func() error {
		r, err := get(host, "/gone")
		if err != nil {
			return err
		}
		if r.status != 200 || !strings.HasPrefix(r.pod(), "errors-") || r.echo.Path != "/gone" {
			return errorf("got %v, want 200 from errors-* for /gone", r)
		}
		return errorHeaders(r, map[string]string{"X-Code": "503", "X-Service-Name": "gone", "X-Ingress-Name": "errs", "X-Original-URI": ""})
	})

	// The default backend without endpoints: the error goes on to
	// Atrium's default backend, which answers 404.
	scale(t, ns, "errors", 0)
	eventually(t, settle, "built-in 404 when the default backend has no endpoint", expect(failing, 404, ""))
	if r, _ := do(failing); r != nil && r.echo != nil {
		t.Errorf("answered by pod %s, want Atrium's default backend", r.pod())
	}

	// web without endpoints: the default backend serves its paths.
	scale(t, ns, "errors", 1)
	scale(t, ns, "web", 0)
	eventually(t, settle, "no ready endpoint: default-backend serves", func() error {
		r, err := get(host, "/app?v=2")
		if err != nil {
			return err
		}
		if r.status != 200 || !strings.HasPrefix(r.pod(), "errors-") || r.echo.Path != "/app?v=2" {
			return errorf("got %v, want 200 from errors-* for /app?v=2", r)
		}
		return errorHeaders(r, map[string]string{"X-Code": "503", "X-Service-Name": "web", "X-Service-Port": "http", "X-Namespace": ns})
	})
}

// TestAnnotationsDisableProxyInterceptErrors: with custom-http-errors and
// disable-proxy-intercept-errors, the endpoints' own answers with the
// listed codes reach the client unchanged, while the errors nginx makes
// itself still get the error pages: a path whose Service has no ready
// endpoint is served by default-backend, and once that has none either,
// the 503 goes on to Atrium's default backend (404) instead of passing.
func TestAnnotationsDisableProxyInterceptErrors(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	deploy(t, ns, "web", 1)
	deploy(t, ns, "errors", 1)
	deploy(t, ns, "idle", 0)
	host := hostFor(ns, "pass")
	ing := ingress(ns, "pass", rule(host, prefix("/", "web"), prefix("/idle", "idle")))
	ing.Annotations = map[string]string{
		annPrefix + "custom-http-errors": "500,503", annPrefix + "default-backend": "errors",
		annPrefix + "disable-proxy-intercept-errors": "true",
	}
	createIngress(t, ing)
	eventually(t, settle, "served", expect(request{host: host, path: "/"}, 200, "web-"))

	// web's 500 and 503 pass (the errors Service would also answer with
	// the status the client asks for, so the pod tells who answered).
	for _, code := range []int{500, 503} {
		rq := request{host: host, path: "/shop", header: http.Header{"X-Echo-Status": {strconv.Itoa(code)}}}
		eventually(t, settle, fmt.Sprintf("web's %d passes", code), expect(rq, code, "web-"))
	}

	// No ready endpoint: default-backend serves, as without the annotation.
	eventually(t, settle, "default-backend serves the idle Service's path", func() error {
		r, err := get(host, "/idle/x")
		if err != nil {
			return err
		}
		if r.status != 200 || !strings.HasPrefix(r.pod(), "errors-") || r.echo.Path != "/idle/x" {
			return errorf("got %v, want 200 from errors-* for /idle/x", r)
		}
		return errorHeaders(r, map[string]string{"X-Code": "503", "X-Service-Name": "idle"})
	})

	// Neither has one: nginx's own 503 gets the error page, whose default
	// backend has no endpoint either, so Atrium's built-in 404 answers.
	scale(t, ns, "errors", 0)
	eventually(t, settle, "no endpoint anywhere: the 503 page (built-in 404)", func() error {
		r, err := get(host, "/idle/x")
		if err != nil {
			return err
		}
		if r.status != 404 || r.echo != nil {
			return errorf("got %v, want Atrium's 404", r)
		}
		return nil
	})
	// web's own 503 still passes.
	if err := expect(request{host: host, path: "/", header: http.Header{"X-Echo-Status": {"503"}}}, 503, "web-")(); err != nil {
		t.Error(err)
	}
}
