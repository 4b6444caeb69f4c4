package faults

import (
	"context"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/atrium-ingress/atrium/test/harness"
)

// TestDefaultBackendService: with --default-backend-service, unknown hosts
// go to that Service instead of the built-in 404 (unmatched paths of known
// hosts use the same fallback location; the golden case default-backends
// shows it).
func TestDefaultBackendService(t *testing.T) {
	fallback := backend(t, "fallback", 1) // its Service is the default backend
	ns := nsOf(fallback)
	c, err := harness.StartController(context.Background(), harness.ControllerOptions{
		Binary: bin, Kubeconfig: cp.Kubeconfig, Dir: filepath.Join(tmp, "dflt"),
		ExtraArgs: []string{"--default-backend-service", ns + "/fallback", "--election-id", "dflt-test"},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop()
	d := &net.Dialer{Timeout: 3 * time.Second}
	cl := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true,
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return d.DialContext(ctx, "tcp", c.HTTPAddr())
		}}}
	for _, h := range []string{"nobody-knows.example", "another.unknown.example"} {
		code, pod, err := get(cl, h)
		if err != nil || code != 200 || !strings.Contains(pod, "fallback") {
			t.Errorf("%s: %d %q %v, want the default backend's pod", h, code, pod, err)
		}
	}
}
