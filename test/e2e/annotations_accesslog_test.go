package e2e

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/atrium-ingress/atrium/test/harness"
)

// TestAnnotationsAccessLog: enable-access-log "false" keeps an Ingress's
// requests out of nginx's access log, and the default line is
// ingress-nginx's, upstream names included. The suite's controller runs
// without an access log, so this starts a second one (same binary and
// identity) with --access-log, serving only its own IngressClass in this
// namespace.
func TestAnnotationsAccessLog(t *testing.T) {
	if env.local == nil {
		t.Skip("starts a second controller process, which only the local cluster can")
	}
	t.Parallel()
	ns := newNamespace(t)
	deploy(t, ns, "web", 1)
	deploy(t, ns, "canary", 1)
	ctx := context.Background()
	class := "atrium-accesslog-" + ns
	if _, err := env.client.NetworkingV1().IngressClasses().Create(ctx, &networkingv1.IngressClass{
		ObjectMeta: metav1.ObjectMeta{Name: class},
		Spec:       networkingv1.IngressClassSpec{Controller: "atrium-ingress.io/e2e-accesslog"},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = env.client.NetworkingV1().IngressClasses().Delete(context.Background(), class, metav1.DeleteOptions{})
	})

	dir, err := os.MkdirTemp("", "atrium-e2e-accesslog-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	logPath := filepath.Join(dir, "access.log")
	main := env.local.controller.Opts
	ctrl, err := harness.StartController(ctx, harness.ControllerOptions{
		Binary: main.Binary, Kubeconfig: main.Kubeconfig, Env: main.Env, Dir: filepath.Join(dir, "run"),
		ExtraArgs: []string{
			"--access-log", logPath, "--controller-class", "atrium-ingress.io/e2e-accesslog", "--ingress-class", class,
			"--watch-namespace", ns, "--disable-leader-election", "--publish-status-address", "127.0.0.1",
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ctrl.Stop)

	logged, quiet := hostFor(ns, "logged"), hostFor(ns, "quiet")
	// "/" names web's port by name ("http"), "/by-number" by number (80);
	// a canary takes "/" on request.
	byNumber := path{"/by-number", networkingv1.PathTypePrefix, "web", networkingv1.ServiceBackendPort{Number: 80}}
	for name, host := range map[string]string{"logged": logged, "quiet": quiet} {
		ing := ingress(ns, name, rule(host, prefix("/", "web"), byNumber))
		ing.Spec.IngressClassName = ptr.To(class)
		if name == "quiet" {
			withAnnotations(ing, map[string]string{"enable-access-log": "false"})
		}
		createIngress(t, ing)
	}
	canary := canaryIngress(ns, "logged-canary", logged, "canary", map[string]string{"canary-by-header": "X-Canary"})
	canary.Spec.IngressClassName = ptr.To(class)
	createIngress(t, canary)
	// A Service that does not exist: the default-backend annotation's
	// Service answers, under ingress-nginx's name for it.
	fallback := annotated(ns, "fallback", hostFor(ns, "fallback"), "missing", map[string]string{"default-backend": "web"})
	fallback.Spec.IngressClassName = ptr.To(class)
	createIngress(t, fallback)
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "tcp", ctrl.HTTPAddr())
		},
		DisableKeepAlives: true,
	}}
	sendWith := func(host, p, canary string, want int) error {
		req, err := http.NewRequest("GET", "http://"+host+p, nil)
		if err != nil {
			return err
		}
		if canary != "" {
			req.Header.Set("X-Canary", canary)
		}
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		_, _ = io.Copy(io.Discard, resp.Body)
		if resp.StatusCode != want {
			return fmt.Errorf("%s%s: %d, want %d", host, p, resp.StatusCode, want)
		}
		return nil
	}
	send := func(host, p string) error { return sendWith(host, p, "", 200) }
	// Wait for both to be served, then send one marked request each.
	eventually(t, settle, "second controller serves", func() error {
		if err := send(logged, "/warmup"); err != nil {
			return err
		}
		if err := sendWith(logged, "/warmup", "always", 200); err != nil {
			return err
		}
		if err := send(hostFor(ns, "fallback"), "/warmup"); err != nil {
			return err
		}
		return send(quiet, "/warmup")
	})
	eventually(t, settle, "the logged requests in the access log", func() error {
		if err := send(quiet, "/atrium-quiet-marker"); err != nil {
			return err
		}
		if err := send(logged, "/atrium-logged-marker"); err != nil {
			return err
		}
		if err := send(logged, "/by-number/atrium-number-marker"); err != nil {
			return err
		}
		if err := sendWith(logged, "/atrium-canary-marker", "always", 200); err != nil {
			return err
		}
		if err := send(hostFor(ns, "fallback"), "/atrium-fallback-marker"); err != nil {
			return err
		}
		// No Ingress has this host: the built-in 404.
		if err := sendWith(hostFor(ns, "unknown"), "/atrium-unmatched-marker", "", 404); err != nil {
			return err
		}
		b, err := os.ReadFile(logPath)
		if err != nil {
			return err
		}
		for _, m := range []string{"/atrium-logged-marker", "/atrium-number-marker", "/atrium-canary-marker", "/atrium-fallback-marker", "/atrium-unmatched-marker"} {
			if !strings.Contains(string(b), m) {
				return fmt.Errorf("%s not logged:\n%s", m, b)
			}
		}
		return nil
	})
	b, _ := os.ReadFile(logPath)
	if strings.Contains(string(b), "/atrium-quiet-marker") {
		t.Errorf("enable-access-log \"false\": the request was logged:\n%s", b)
	}
	// The default line is ingress-nginx's ("upstreaminfo"), which log
	// parsers written for it expect: ... [upstream] [alternative] addr
	// length time status request-id, the upstreams named as ingress-nginx
	// named them: <namespace>-<service>-<port as the Ingress writes it>,
	// the main backend's even when the canary took the request,
	// custom-default-backend-<namespace>-<service> when default-backend's
	// Service did, and upstream-default-backend when no Ingress path did
	// (Atrium's built-in 404 answers, not proxied, as ingress-nginx's
	// internal 404 server was named).
	upstreaminfo := func(path string, status int, upstream, alternative string) *regexp.Regexp {
		addr := `[0-9.:]+ \d+ [0-9.]+ ` + fmt.Sprint(status)
		if status == 404 {
			addr = `- - - -` // not proxied
		}
		return regexp.MustCompile(`^127\.0\.0\.1 - - \[[^]]+\] "GET ` + regexp.QuoteMeta(path) + ` HTTP/1\.1" ` + fmt.Sprint(status) +
			` \d+ "-" "Go-http-client/1\.1" \d+ [0-9.]+ \[` + regexp.QuoteMeta(upstream) + `\] \[` + regexp.QuoteMeta(alternative) + `\] ` +
			addr + ` [0-9a-f]{32}$`)
	}
	for marker, want := range map[string]*regexp.Regexp{
		"/atrium-logged-marker":    upstreaminfo("/atrium-logged-marker", 200, ns+"-web-http", ""),
		"/atrium-number-marker":    upstreaminfo("/by-number/atrium-number-marker", 200, ns+"-web-80", ""),
		"/atrium-canary-marker":    upstreaminfo("/atrium-canary-marker", 200, ns+"-web-http", ns+"-canary-http"),
		"/atrium-fallback-marker":  upstreaminfo("/atrium-fallback-marker", 200, "custom-default-backend-"+ns+"-web", ""),
		"/atrium-unmatched-marker": upstreaminfo("/atrium-unmatched-marker", 404, "upstream-default-backend", ""),
	} {
		for _, line := range strings.Split(string(b), "\n") {
			if strings.Contains(line, marker) && !want.MatchString(line) {
				t.Errorf("access log line is not ingress-nginx's default format (want %s):\n%s", want, line)
			}
		}
	}
}
