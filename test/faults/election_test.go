package faults

import (
	"context"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/atrium-ingress/atrium/test/harness"
)

// TestLeaderElection: two replicas share a Lease. Both serve traffic; only
// the leader writes Ingress status (each publishes its own address, so the
// status shows who wrote it); when the leader is killed, the other takes
// over within the lease time and rewrites the status.
func TestLeaderElection(t *testing.T) {
	host := backend(t, "le", 1)
	ns := nsOf(host)
	start := func(name, addr string) *harness.Controller {
		c, err := harness.StartController(context.Background(), harness.ControllerOptions{
			Binary: bin, Kubeconfig: cp.Kubeconfig, Dir: filepath.Join(tmp, name),
			Env: []string{"POD_NAMESPACE=default", "POD_NAME=" + name},
			ExtraArgs: []string{"--election-id", "le-test", "--publish-status-address", addr,
				"--election-lease-duration", "4s", "--election-renew-deadline", "3s", "--election-retry-period", "500ms",
				"--update-status-on-shutdown=false"},
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(c.Stop)
		return c
	}
	a := start("replica-a", "192.0.2.1")
	b := start("replica-b", "192.0.2.2")
	for _, c := range []*harness.Controller{a, b} {
		if code := getVia(t, c, host); code != 200 {
			t.Fatalf("replica on %s answers %d: every replica must serve", c.HTTPAddr(), code)
		}
	}
	status := func() string {
		ing, err := cs.NetworkingV1().Ingresses(ns).Get(context.Background(), "le", metav1.GetOptions{})
		if err != nil || len(ing.Status.LoadBalancer.Ingress) != 1 {
			return ""
		}
		return ing.Status.LoadBalancer.Ingress[0].IP
	}
	leader := waitFor(t, 20*time.Second, "a leader writes status", func() string { return status() })
	lease, err := cs.CoordinationV1().Leases("default").Get(context.Background(), "le-test", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	holder := *lease.Spec.HolderIdentity
	want := map[string]string{"192.0.2.1": "replica-a", "192.0.2.2": "replica-b"}[leader]
	if holder != want {
		t.Fatalf("status written with %s but the Lease is held by %s", leader, holder)
	}
	// The other replica never overwrites it while the leader lives.
	time.Sleep(2 * time.Second)
	if s := status(); s != leader {
		t.Fatalf("status changed from %s to %s while the leader lived", leader, s)
	}
	killed, survivor := a, "192.0.2.2"
	if holder == "replica-b" {
		killed, survivor = b, "192.0.2.1"
	}
	killed.Kill() // a crash: the Lease is not released
	stopNginx(killed)
	took := time.Now()
	waitFor(t, 20*time.Second, "the other replica takes over", func() string {
		if s := status(); s == survivor {
			return s
		}
		return ""
	})
	t.Logf("took over in %s (lease 4s)", time.Since(took).Round(100*time.Millisecond))
}

func stopNginx(c *harness.Controller) { c.Stop() } // after Kill, Stop ends the orphaned nginx

// nsOf returns the namespace in a host made by backend: name.<ns>.faults.test.
func nsOf(host string) string {
	parts := strings.Split(host, ".")
	return parts[1]
}

func getVia(t *testing.T, c *harness.Controller, host string) int {
	t.Helper()
	d := &net.Dialer{Timeout: 3 * time.Second}
	cl := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return d.DialContext(ctx, "tcp", c.HTTPAddr())
		},
	}}
	deadline := time.Now().Add(30 * time.Second)
	for {
		code, _, err := get(cl, host)
		if err == nil && code == 200 || time.Now().After(deadline) {
			return code
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func waitFor(t *testing.T, timeout time.Duration, what string, f func() string) string {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		if v := f(); v != "" {
			return v
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, timeout)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
