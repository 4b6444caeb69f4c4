package e2e

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestEndpointChurnUnderLoad: pods are replaced every second while a
// bounded load runs; no request fails, and (where the controller's metrics
// are reachable) nginx is not reloaded once. Not parallel: it measures
// reloads, which other tests would cause.
func TestEndpointChurnUnderLoad(t *testing.T) {
	ns := newNamespace(t)
	deploy(t, ns, "churn", 4)
	host := hostFor(ns, "churn")
	createIngress(t, ingress(ns, "churn", rule(host, prefix("/", "churn"))))
	eventually(t, settle, "served", expect(request{host: host, path: "/"}, 200, "churn-"))
	reloadsBefore := reloads(t)

	const (
		workers     = 8
		maxRequests = 40000
		maxDuration = 8 * time.Second
		// pace keeps the load steady across the churn instead of finishing
		// its count in the first second.
		pace = 2 * time.Millisecond
	)
	var sent, failed atomic.Int64
	var firstErr atomic.Value
	stop := make(chan struct{})
	var wg sync.WaitGroup
	pods := map[string]bool{}
	var podsMu sync.Mutex
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := keepAliveClient()
			for sent.Load() < maxRequests {
				select {
				case <-stop:
					return
				default:
				}
				time.Sleep(pace)
				sent.Add(1)
				req, _ := http.NewRequest("GET", "http://"+host+"/load", nil)
				req.Header.Set("X-Echo-Plain", "1")
				resp, err := c.Do(req)
				if err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
					continue
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, fmt.Sprintf("status %d: %.100s", resp.StatusCode, body))
					continue
				}
				podsMu.Lock()
				pods[strings.TrimSpace(string(body))] = true
				podsMu.Unlock()
			}
		}()
	}
	deadline := time.After(maxDuration)
	replaced := 0
churn:
	for {
		select {
		case <-deadline:
			break churn
		case <-time.After(time.Second):
		}
		if sent.Load() >= maxRequests {
			break
		}
		if err := env.backends.replace(context.Background(), ns, "churn", 2*time.Second); err != nil {
			t.Fatal(err)
		}
		replaced++
	}
	close(stop)
	wg.Wait()
	t.Logf("%d requests, %d failed, %d pods replaced, %d pods answered", sent.Load(), failed.Load(), replaced, len(pods))
	if failed.Load() != 0 {
		t.Errorf("%d of %d requests failed during endpoint churn; first: %v", failed.Load(), sent.Load(), firstErr.Load())
	}
	if replaced < 3 {
		t.Errorf("only %d replacements happened; the load loop ended too early to prove anything", replaced)
	}
	if len(pods) <= 4 {
		t.Errorf("only pods %v answered: the new pods never got traffic", keys(pods))
	}
	if after := reloads(t); reloadsBefore >= 0 && after != reloadsBefore {
		t.Errorf("nginx reloaded %d times during endpoint churn, want 0", after-reloadsBefore)
	}
}

func keepAliveClient() *http.Client {
	d := &net.Dialer{Timeout: 5 * time.Second}
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return d.DialContext(ctx, "tcp", env.httpAddr)
		},
		MaxIdleConnsPerHost: 4,
	}}
}

// reloads returns the controller's count of successful config reloads, or
// -1 where its metrics are not reachable (a real cluster).
func reloads(t *testing.T) int {
	t.Helper()
	if env.local == nil {
		t.Log("controller metrics not reachable on this cluster: reload count not checked")
		return -1
	}
	resp, err := http.Get(env.local.controller.MetricsURL())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	total := 0
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		l := sc.Text()
		if strings.HasPrefix(l, "atrium_nginx_reloads_total{") && strings.Contains(l, `reason="config"`) {
			f := strings.Fields(l)
			v, _ := strconv.ParseFloat(f[len(f)-1], 64)
			total += int(v)
		}
	}
	return total
}
