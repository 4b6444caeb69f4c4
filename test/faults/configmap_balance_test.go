package faults

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/atrium-ingress/atrium/test/echoserver/echo"
	"github.com/atrium-ingress/atrium/test/harness"
)

// TestConfigMapLoadBalance: the ConfigMap's load-balance least_conn is the
// default of every path: the common balancer avoids the pod busy with a
// slow request (round robin would alternate).
func TestConfigMapLoadBalance(t *testing.T) {
	host := backend(t, "lb", 2)
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "atrium-lb"}, Data: map[string]string{
		"load-balance": "least_conn",
	}}
	if _, err := cs.CoreV1().ConfigMaps("default").Create(context.Background(), cm, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cs.CoreV1().ConfigMaps("default").Delete(context.Background(), cm.Name, metav1.DeleteOptions{})
	})
	c, err := harness.StartController(context.Background(), harness.ControllerOptions{
		Binary: bin, Kubeconfig: cp.Kubeconfig, Dir: filepath.Join(tmp, "lb", "run"),
		ExtraArgs: []string{"--configmap", "default/atrium-lb", "--election-id", "lb-test"},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop()
	d := &net.Dialer{Timeout: 3 * time.Second}
	cl := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true,
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return d.DialContext(ctx, "tcp", c.HTTPAddr())
		}}}
	pod := func(delay string) (string, error) {
		req, _ := http.NewRequest("GET", "http://"+host+"/", nil)
		if delay != "" {
			req.Header.Set(echo.HeaderDelay, delay)
		}
		r, err := cl.Do(req)
		if err != nil {
			return "", err
		}
		r.Body.Close()
		if r.StatusCode != 200 {
			return "", fmt.Errorf("status %d", r.StatusCode)
		}
		return r.Header.Get(echo.HeaderPod), nil
	}
	until(t, 30*time.Second, "least_conn from the ConfigMap", func() error {
		var wg sync.WaitGroup
		var busy string
		wg.Add(1)
		go func() {
			defer wg.Done()
			busy, _ = pod("3s")
		}()
		time.Sleep(500 * time.Millisecond)
		seen := map[string]bool{}
		for i := 0; i < 10; i++ {
			p, err := pod("")
			if err != nil {
				return err
			}
			seen[p] = true
		}
		wg.Wait()
		if busy == "" || len(seen) != 1 || seen[busy] {
			return fmt.Errorf("slow request on %q, quick ones on %v", busy, seen)
		}
		return nil
	})
}
