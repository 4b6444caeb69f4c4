package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/atrium-ingress/atrium/test/echoserver/echo"
)

// The rate-limit tests count answers, never time them: nginx counts per
// client address and per replica, so each assertion holds for any number
// of controller replicas the requests may spread over (up to a few).

// clientAddress is the test client's address as nginx sees it (the
// endpoint's X-Real-IP), which differs from 127.0.0.1 on a real cluster.
func clientAddress(t *testing.T, host string) string {
	t.Helper()
	var addr string
	eventually(t, settle, "client address", func() error {
		r, err := get(host, "/")
		if err != nil {
			return err
		}
		if r.status != 200 || r.echo == nil || r.echo.Headers.Get("X-Real-IP") == "" {
			return errorf("%s: %s, want an echo with X-Real-IP", host, r)
		}
		addr = r.echo.Headers.Get("X-Real-IP")
		return nil
	})
	return addr
}

// burst sends n requests at once (n goroutines, each bounded by the
// client's timeout) and counts the answers by status.
func burst(host string, n int, header http.Header) (map[int]int, error) {
	var mu sync.Mutex
	var wg sync.WaitGroup
	counts := map[int]int{}
	var firstErr error
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := do(request{host: host, path: "/", header: header})
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if firstErr == nil {
					firstErr = err
				}
				return
			}
			counts[r.status]++
		}()
	}
	wg.Wait()
	return counts, firstErr
}

// onlyStatuses checks that counts holds at least one of each wanted status
// and nothing else.
func onlyStatuses(counts map[int]int, want ...int) error {
	total := 0
	for _, w := range want {
		if counts[w] == 0 {
			return fmt.Errorf("no %d among %v", w, counts)
		}
		total += counts[w]
	}
	all := 0
	for _, n := range counts {
		all += n
	}
	if all != total {
		return fmt.Errorf("statuses other than %v among %v", want, counts)
	}
	return nil
}

// TestAnnotationsRateLimits: limit-rps and limit-rpm refuse the requests
// over limit plus burst with 503 (limit-req-status-code's default), per
// client address; an allow-listed client is never refused.
func TestAnnotationsRateLimits(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	deploy(t, ns, "web", 1)
	probe, rps, rpm, allowed, old := hostFor(ns, "probe"), hostFor(ns, "rps"), hostFor(ns, "rpm"), hostFor(ns, "allowed"), hostFor(ns, "old")
	createIngress(t, ingress(ns, "probe", rule(probe, prefix("/", "web"))))
	me := clientAddress(t, probe)

	// 2 per second with a burst of 2: of 30 requests at once, a few pass.
	createIngress(t, annotated(ns, "rps", rps, "web", map[string]string{"limit-rps": "2", "limit-burst-multiplier": "1"}))
	// 1 per minute with a burst of 1: two pass in a minute, then 503.
	createIngress(t, annotated(ns, "rpm", rpm, "web", map[string]string{"limit-rpm": "1", "limit-burst-multiplier": "1"}))
	// The same limit, but this client is allow-listed.
	createIngress(t, annotated(ns, "allowed", allowed, "web", map[string]string{
		"limit-rps": "1", "limit-burst-multiplier": "1", "limit-allowlist": "192.0.2.0/24," + me}))
	// The older name of the allow-list.
	createIngress(t, annotated(ns, "old", old, "web", map[string]string{
		"limit-rpm": "1", "limit-burst-multiplier": "1", "limit-whitelist": me}))
	for _, h := range []string{rps, rpm, allowed, old} {
		// Once: more probes would use up limit-rpm 1's budget.
		eventuallyOnce(t, settle, h+" served", expect(request{host: h, path: "/"}, 200, "web-"))
	}

	time.Sleep(1500 * time.Millisecond) // limit-rps: the probes above are forgotten
	counts, err := burst(rps, 30, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := onlyStatuses(counts, 200, 503); err != nil {
		t.Errorf("limit-rps 2, burst 2, 30 requests at once: %v", err)
	}
	seq := func(host string, n int) map[int]int {
		counts := map[int]int{}
		for i := 0; i < n; i++ {
			r, err := get(host, "/")
			if err != nil {
				t.Fatal(err)
			}
			counts[r.status]++
		}
		return counts
	}
	// The first request was the readiness probe; one more may pass per
	// replica, then the minute's budget is spent.
	if c := seq(rpm, 10); onlyStatuses(c, 200, 503) != nil && onlyStatuses(c, 503) != nil {
		t.Errorf("limit-rpm 1, burst 1, 10 requests in a row: %v, want 503 after the burst", c)
	}
	// Allow-listing this client on the limited Ingress is a reload that
	// keeps the zones (nginx refuses one that changes a zone's key).
	ing, err := env.client.NetworkingV1().Ingresses(ns).Get(context.Background(), "rps", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ing.Annotations[annPrefix+"limit-allowlist"] = me
	if _, err := env.client.NetworkingV1().Ingresses(ns).Update(context.Background(), ing, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, settle, "allow-list added to limit-rps", func() error {
		c, err := burst(rps, 30, nil)
		if err != nil {
			return err
		}
		return onlyStatuses(c, 200)
	})
	if c, err := burst(allowed, 30, nil); err != nil || onlyStatuses(c, 200) != nil {
		t.Errorf("limit-allowlist %s: %v %v, want only 200", me, c, err)
	}
	if c := seq(old, 10); onlyStatuses(c, 200) != nil {
		t.Errorf("limit-whitelist %s: %v, want only 200", me, c)
	}
}

// TestAnnotationsLimitConnections: limit-connections counts requests in
// progress from one address; those over it get 503 (limit-conn-status-code).
func TestAnnotationsLimitConnections(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	deploy(t, ns, "web", 1)
	host := hostFor(ns, "conn")
	createIngress(t, annotated(ns, "conn", host, "web", map[string]string{"limit-connections": "1"}))
	eventually(t, settle, "served", expect(request{host: host, path: "/"}, 200, "web-"))
	// Six slow requests at once: one per replica is served, the rest refused.
	counts, err := burst(host, 6, http.Header{echo.HeaderDelay: {"2s"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := onlyStatuses(counts, 200, 503); err != nil {
		t.Errorf("limit-connections 1, 6 slow requests at once: %v", err)
	}
	// Quick requests one after the other are never over the limit. nginx
	// releases a request's count when it frees the request, just after the
	// client has read the answer, so each waits a moment for the previous.
	for i := 0; i < 5; i++ {
		time.Sleep(50 * time.Millisecond)
		if r, err := get(host, "/"); err != nil || r.status != 200 {
			t.Errorf("sequential request %d: %v %v", i, r, err)
		}
	}
}

// TestAnnotationsLimitRate: limit-rate (KiB/s) throttles a response, so a
// transfer takes at least about size/rate; limit-rate-after sends the
// first KiB at full speed. Asserted with generous bounds: half the ideal
// time, and completion within the client's timeout where the throttled
// transfer would take minutes.
func TestAnnotationsLimitRate(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	deploy(t, ns, "web", 1)
	slow, after := hostFor(ns, "slow"), hostFor(ns, "after")
	createIngress(t, annotated(ns, "slow", slow, "web", map[string]string{"limit-rate": "20"}))
	createIngress(t, annotated(ns, "after", after, "web", map[string]string{"limit-rate": "1", "limit-rate-after": "1024"}))
	for _, h := range []string{slow, after} {
		eventually(t, settle, h+" served", expect(request{host: h, path: "/"}, 200, "web-"))
	}
	const size = 100 << 10
	fetch := func(host string) time.Duration {
		t.Helper()
		start := time.Now()
		r, err := do(request{host: host, path: "/", header: http.Header{echo.HeaderSize: {strconv.Itoa(size)}}})
		if err != nil {
			t.Fatalf("%s: %v", host, err)
		}
		if r.status != 200 || !bytes.Equal(r.body, echo.Filler(size)) {
			t.Fatalf("%s: %d, %d bytes, want the %d filler bytes", host, r.status, len(r.body), size)
		}
		return time.Since(start)
	}
	// 100 KiB at 20 KiB/s: about 4 s after nginx's first second's worth.
	if d := fetch(slow); d < 2*time.Second {
		t.Errorf("limit-rate 20: 100 KiB took %s, want at least 2s", d)
	}
	// At 1 KiB/s the transfer would take 100 s (beyond the client's 10 s
	// timeout); limit-rate-after 1024 lets it through unthrottled.
	fetch(after)
}
