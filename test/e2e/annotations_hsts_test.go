package e2e

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/atrium-ingress/atrium/test/echoserver/echo"
)

// hstsDefault is the ConfigMap's default HSTS value (hsts, hsts-max-age,
// hsts-include-subdomains and hsts-preload unset, as deploy/ installs it).
const hstsDefault = "max-age=31536000; includeSubDomains"

// hstsCheck sends rq and checks its status, Strict-Transport-Security
// (exactly one, with the value sts; none if sts is "") and the headers in
// more (exactly one each, with that value), which show that the location
// meant was the one that answered.
func hstsCheck(rq request, status int, sts string, more map[string]string) func() error {
	return func() error {
		r, err := do(rq)
		if err != nil {
			return err
		}
		scheme := "http"
		if rq.https {
			scheme = "https"
		}
		what := fmt.Sprintf("%s %s://%s%s", rq.method, scheme, rq.host, rq.path)
		if r.status != status {
			return fmt.Errorf("%s: %s, want %d", what, r, status)
		}
		got := r.header.Values("Strict-Transport-Security")
		if (sts == "" && len(got) != 0) || (sts != "" && (len(got) != 1 || got[0] != sts)) {
			return fmt.Errorf("%s: Strict-Transport-Security %q, want %q", what, got, sts)
		}
		for k, v := range more {
			if got := r.header.Values(k); len(got) != 1 || got[0] != v {
				return fmt.Errorf("%s: %s %q, want %q", what, k, got, v)
			}
		}
		return nil
	}
}

// TestHSTS: Strict-Transport-Security on every HTTPS answer of two TLS
// hosts (each its own server and certificate), also from locations with
// their own response headers (enable-cors, custom-headers, auth-url,
// auth-signin), where nginx would drop the http-level header; one header,
// not two, also when the endpoint sends its own; a custom-headers
// Strict-Transport-Security replaces it; none over plain HTTP, redirected
// or served.
func TestHSTS(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	deploy(t, ns, "web", 1)
	authURL := authService(t, ns, "auth") + echo.AuthPath
	allowResponseHeaders(t, "X-Atrium-Hsts", "Strict-Transport-Security")
	createConfigMap(t, ns, "headers", map[string]string{"X-Atrium-Hsts": "set"})
	createConfigMap(t, ns, "own-sts", map[string]string{"Strict-Transport-Security": "max-age=60"})
	// one redirects plain HTTP to HTTPS (the default); two serves it.
	one, two := hostFor(ns, "one"), hostFor(ns, "two")
	for i, host := range []string{one, two} {
		label := strings.SplitN(host, ".", 2)[0]
		secret := label + "-cert"
		if _, err := env.client.CoreV1().Secrets(ns).Create(context.Background(), selfSignedSecret(t, ns, secret, int64(3001+i), host), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		add := func(name, path string, ann map[string]string) {
			ing := ingress(ns, label+"-"+name, rule(host, prefix(path, "web")))
			ing.Spec.TLS = []networkingv1.IngressTLS{{Hosts: []string{host}, SecretName: secret}}
			if host == two {
				ann["ssl-redirect"] = "false"
			}
			createIngress(t, withAnnotations(ing, ann))
		}
		add("plain", "/", map[string]string{})
		add("cors", "/cors", map[string]string{"enable-cors": "true"})
		add("headers", "/headers", map[string]string{"custom-headers": ns + "/headers"})
		add("own-sts", "/own-sts", map[string]string{"custom-headers": ns + "/own-sts"})
		add("auth", "/auth", map[string]string{"auth-url": authURL})
		add("signin", "/signin", map[string]string{"auth-url": authURL, "auth-signin": "https://login.example.com/start"})
	}
	for i, host := range []string{one, two} {
		eventually(t, settle, host+" certificate", func() error {
			if s, err := servedSerial(host); err != nil || s != int64(3001+i) {
				return fmt.Errorf("serial %d, %v", s, err)
			}
			return nil
		})
	}

	origin := http.Header{"Origin": {"https://app.example"}}
	preflight := http.Header{"Origin": {"https://app.example"}, "Access-Control-Request-Method": {"POST"}}
	bearer := http.Header{"Authorization": {"Bearer someone"}}
	cors := map[string]string{"Access-Control-Allow-Origin": "*"}
	custom := map[string]string{"X-Atrium-Hsts": "set"}
	type check struct {
		rq     request
		status int
		more   map[string]string
	}
	checks := func(host string) []check {
		return []check{
			{request{host: host, path: "/x"}, 200, nil},
			{request{host: host, path: "/cors", header: origin}, 200, cors},
			{request{method: http.MethodOptions, host: host, path: "/cors", header: preflight}, 204, cors},
			{request{host: host, path: "/headers"}, 200, custom},
			{request{host: host, path: "/headers", header: http.Header{echo.HeaderStatus: {"503"}}}, 503, custom},
			{request{host: host, path: "/auth", header: bearer}, 200, nil},
			{request{host: host, path: "/auth"}, 401, map[string]string{"WWW-Authenticate": `Bearer realm="echo"`}},
			{request{host: host, path: "/signin"}, 302, nil},
		}
	}
	for _, host := range []string{one, two} {
		for _, c := range checks(host) {
			rq := c.rq
			rq.https = true
			eventually(t, settle, "HTTPS "+host+rq.path, hstsCheck(rq, c.status, hstsDefault, c.more))
		}
		rq := request{host: host, path: "/own-sts", https: true}
		eventually(t, settle, "HTTPS "+host+rq.path, hstsCheck(rq, 200, "max-age=60", nil))
		// An endpoint's own Strict-Transport-Security is replaced, as
		// ingress-nginx does (browsers obey the first of two).
		for _, p := range []string{"/x", "/cors", "/headers"} {
			rq := request{host: host, path: p, https: true, header: http.Header{echo.HeaderHeader: {"Strict-Transport-Security: max-age=0"}}}
			eventually(t, settle, "endpoint's HSTS "+host+p, hstsCheck(rq, 200, hstsDefault, nil))
		}
	}
	// Plain HTTP: one redirects every path, with no HSTS; two serves them
	// from the same locations, with no HSTS either.
	for _, c := range checks(one) {
		if c.rq.method == http.MethodOptions {
			// A preflight is answered before the redirect, as in
			// ingress-nginx (its redirect came later, in Lua).
			eventually(t, settle, "HTTP preflight "+one+c.rq.path, hstsCheck(c.rq, 204, "", c.more))
			continue
		}
		eventually(t, settle, "HTTP "+one+c.rq.path, hstsCheck(c.rq, 308, "", nil))
	}
	for _, c := range checks(two) {
		eventually(t, settle, "HTTP "+two+c.rq.path, hstsCheck(c.rq, c.status, "", c.more))
	}
	// Over plain HTTP (TLS ended in front, say) an endpoint's own header
	// passes unchanged, as in ingress-nginx, which replaced it on HTTPS only.
	for _, p := range []string{"/x", "/cors", "/headers"} {
		rq := request{host: two, path: p, header: http.Header{echo.HeaderHeader: {"Strict-Transport-Security: max-age=5"}}}
		eventually(t, settle, "HTTP endpoint's HSTS "+two+p, hstsCheck(rq, 200, "max-age=5", nil))
	}
}
