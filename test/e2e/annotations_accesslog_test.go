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
// requests out of nginx's access log. The suite's controller runs without
// an access log, so this starts a second one (same binary and identity)
// with --access-log, serving only its own IngressClass in this namespace.
func TestAnnotationsAccessLog(t *testing.T) {
	if env.local == nil {
		t.Skip("starts a second controller process, which only the local cluster can")
	}
	t.Parallel()
	ns := newNamespace(t)
	deploy(t, ns, "web", 1)
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
	for name, host := range map[string]string{"logged": logged, "quiet": quiet} {
		ing := ingress(ns, name, rule(host, prefix("/", "web")))
		ing.Spec.IngressClassName = ptr.To(class)
		if name == "quiet" {
			withAnnotations(ing, map[string]string{"enable-access-log": "false"})
		}
		createIngress(t, ing)
	}
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "tcp", ctrl.HTTPAddr())
		},
		DisableKeepAlives: true,
	}}
	send := func(host, p string) error {
		resp, err := client.Get("http://" + host + p)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		_, _ = io.Copy(io.Discard, resp.Body)
		if resp.StatusCode != 200 {
			return fmt.Errorf("%s%s: %d", host, p, resp.StatusCode)
		}
		return nil
	}
	// Wait for both to be served, then send one marked request each.
	eventually(t, settle, "second controller serves", func() error {
		if err := send(logged, "/warmup"); err != nil {
			return err
		}
		return send(quiet, "/warmup")
	})
	eventually(t, settle, "the logged request in the access log", func() error {
		if err := send(quiet, "/atrium-quiet-marker"); err != nil {
			return err
		}
		if err := send(logged, "/atrium-logged-marker"); err != nil {
			return err
		}
		b, err := os.ReadFile(logPath)
		if err != nil {
			return err
		}
		if !strings.Contains(string(b), "/atrium-logged-marker") {
			return fmt.Errorf("not logged:\n%s", b)
		}
		return nil
	})
	b, _ := os.ReadFile(logPath)
	if strings.Contains(string(b), "/atrium-quiet-marker") {
		t.Errorf("enable-access-log \"false\": the request was logged:\n%s", b)
	}
	// The default line is ingress-nginx's ("upstreaminfo"), which log
	// parsers written for it expect: ... [upstream] [alternative] addr
	// length time status request-id.
	upstreaminfo := regexp.MustCompile(`^127\.0\.0\.1 - - \[[^]]+\] "GET /atrium-logged-marker HTTP/1\.1" 200 \d+ "-" "Go-http-client/1\.1" \d+ [0-9.]+ \[[^] ]+\] \[\] [0-9.:]+ \d+ [0-9.]+ 200 [0-9a-f]{32}$`)
	for _, line := range strings.Split(string(b), "\n") {
		if strings.Contains(line, "/atrium-logged-marker") && !upstreaminfo.MatchString(line) {
			t.Errorf("access log line is not ingress-nginx's default format:\n%s", line)
		}
	}
}
