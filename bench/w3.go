package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/atrium-ingress/atrium/test/cluster"
)

// W3 lives in namespace w3: Services s0..sN-1, each with an EndpointSlice of
// 2 of the 4 shared pods, and Ingresses i0..iN-1 for hosts iN.bench.local.
const w3NS = "w3"

// burstWorkers is how many goroutines create the Ingresses of a burst,
// as a `kubectl apply` of a big directory or a GitOps sync would.
const burstWorkers = 16

// w3Services creates the Services and EndpointSlices for n hosts (those that
// do not exist yet). Untimed: the burst measures the Ingresses.
func w3Services(ctx context.Context, e *env, n int) error {
	have, err := e.cs.CoreV1().Services(w3NS).List(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	exists := map[string]bool{}
	for _, s := range have.Items {
		exists[s.Name] = true
	}
	return parallel(ctx, n, burstWorkers, func(ctx context.Context, i int) error {
		name := fmt.Sprintf("s%d", i)
		if exists[name] {
			return nil
		}
		return e.service(ctx, w3NS, name, []*cluster.Pod{e.shared[i%4], e.shared[(i+1)%4]})
	})
}

// w3Clear deletes every W3 Ingress and waits until the controller serves
// only the others again.
func w3Clear(ctx context.Context, e *env) error {
	if err := e.cs.NetworkingV1().Ingresses(w3NS).DeleteCollection(ctx, metav1.DeleteOptions{}, metav1.ListOptions{}); err != nil {
		return err
	}
	return e.quiesce(ctx, time.Second, 60*time.Second)
}

// scaleResult is one W3 burst.
type scaleResult struct {
	N             int     `json:"ingresses"`
	CreateSeconds float64 `json:"createSeconds"` // until the last create call returned
	ServeSeconds  float64 `json:"serveSeconds"`  // until every host answered 200
	Reloads       float64 `json:"reloads"`       // reason="config", any result, until quiet
	Failures      float64 `json:"failedReloads"`
	ConfBytes     int64   `json:"confBytes"`
	Controller    memory  `json:"controller"`
	// ControllerHeap is the Go heap in use (go_memstats_heap_inuse_bytes):
	// live data plus fragmentation, without memory the runtime has not yet
	// returned to the OS, which RSS still counts.
	ControllerHeap float64 `json:"controllerHeapInuse"`
	Nginx          memory  `json:"nginx"`
}

// w3Burst creates n Ingresses at once (their Services exist) and measures
// how long until all serve, how many reloads that took, and the resulting
// nginx.conf size and memory. No W3 Ingress may exist before.
func w3Burst(ctx context.Context, e *env, n int, timeout time.Duration) (scaleResult, error) {
	r := scaleResult{N: n}
	if err := e.quiesce(ctx, time.Second, 60*time.Second); err != nil {
		return r, err
	}
	reloads0, err := e.reloads(ctx)
	if err != nil {
		return r, err
	}
	failed0, _ := e.metric(ctx, "atrium_nginx_reloads_total", `reason="config"`, `result="failure"`)
	hosts := make([]string, n)
	for i := range hosts {
		hosts[i] = fmt.Sprintf("i%d.bench.local", i)
	}
	start := time.Now()
	served := make(chan error, 1)
	checkCtx, stopCheck := context.WithCancel(ctx)
	defer stopCheck()
	go func() { served <- e.allServing(checkCtx, hosts, timeout) }()
	err = parallel(ctx, n, burstWorkers, func(ctx context.Context, i int) error {
		return e.createIngress(ctx, w3NS, fmt.Sprintf("i%d", i), hosts[i], fmt.Sprintf("s%d", i), nil)
	})
	if err != nil {
		return r, err
	}
	r.CreateSeconds = time.Since(start).Seconds()
	if err := <-served; err != nil {
		return r, err
	}
	r.ServeSeconds = time.Since(start).Seconds()
	// Reloads still triggered by the burst count too: wait for quiet.
	if err := e.quiesce(ctx, 2*time.Second, 60*time.Second); err != nil {
		return r, err
	}
	reloads1, err := e.reloads(ctx)
	if err != nil {
		return r, err
	}
	failed1, _ := e.metric(ctx, "atrium_nginx_reloads_total", `reason="config"`, `result="failure"`)
	r.Reloads, r.Failures = reloads1-reloads0, failed1-failed0
	st, err := os.Stat(e.nginxConf())
	if err != nil {
		return r, err
	}
	r.ConfBytes = st.Size()
	if r.Controller, err = procMemory(e.ctrl.PID()); err != nil {
		return r, err
	}
	if r.ControllerHeap, err = e.metric(ctx, "go_memstats_heap_inuse_bytes"); err != nil {
		return r, err
	}
	r.Nginx, err = treeMemory(e.nginxMaster())
	return r, err
}

// allServing returns once every host has answered 200. It probes the hosts
// not yet served in rounds over a few keepalive connections (a round is
// short once most hosts serve), resting 20 ms between rounds so the
// prober does not starve the controller of CPU on a 2-core box.
func (e *env) allServing(ctx context.Context, hosts []string, timeout time.Duration) error {
	const workers = 4
	tr := &http.Transport{MaxIdleConnsPerHost: workers, DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{Timeout: 2 * time.Second}).DialContext(ctx, "tcp", e.ctrl.HTTPAddr())
	}}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 3 * time.Second}
	ok := func(host string) bool {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+host+"/", nil)
		req.Header.Set("X-Echo-Plain", "1")
		resp, err := client.Do(req)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	}
	deadline := time.Now().Add(timeout)
	pending := hosts
	for len(pending) > 0 {
		if time.Now().After(deadline) {
			return fmt.Errorf("%d of %d hosts not serving after %s (e.g. %s)", len(pending), len(hosts), timeout, pending[0])
		}
		var mu sync.Mutex
		var still []string
		parallel(ctx, len(pending), workers, func(ctx context.Context, i int) error {
			if !ok(pending[i]) {
				mu.Lock()
				still = append(still, pending[i])
				mu.Unlock()
			}
			return nil
		})
		if ctx.Err() != nil {
			return ctx.Err()
		}
		pending = still
		if len(pending) > 0 && !sleepCtx(ctx, 20*time.Millisecond) {
			return ctx.Err()
		}
	}
	return nil
}

// w3 runs the 1,000-Ingress burst once per run (clearing in between) and
// leaves the last run's Ingresses in place for W2 and W4.
func w3(ctx context.Context, e *env, s sizes, rep *Report, log func(string, ...any)) error {
	n := s.w3N
	log("W3: creating %d Services and EndpointSlices", n)
	if err := w3Services(ctx, e, n); err != nil {
		return err
	}
	var rs []scaleResult
	for run := range s.runs {
		if run > 0 {
			if err := w3Clear(ctx, e); err != nil {
				return err
			}
		}
		r, err := w3Burst(ctx, e, n, 60*time.Second)
		if err != nil {
			return err
		}
		log("W3 run %d: %+v", run+1, r)
		rs = append(rs, r)
	}
	// Keep the config for inspection (bench/results/ is not committed).
	if b, err := os.ReadFile(e.nginxConf()); err == nil {
		_ = os.WriteFile(filepath.Join(e.results, fmt.Sprintf("nginx-%d.conf", n)), b, 0o644)
	}
	w := fmt.Sprintf("W3 (%s Ingresses)", thousands(n))
	addScale(rep, w, rs, true)
	rep.Raw[w] = rs
	return nil
}

// w3Large is the 5,000-Ingress burst: reported without goals, one run
// (about a minute each on 2 cores, most of it creating objects).
func w3Large(ctx context.Context, e *env, s sizes, rep *Report, log func(string, ...any)) error {
	n := s.w3LargeN
	log("W3: creating %d Services and EndpointSlices", n)
	if err := w3Services(ctx, e, n); err != nil {
		return err
	}
	if err := w3Clear(ctx, e); err != nil {
		return err
	}
	r, err := w3Burst(ctx, e, n, 180*time.Second)
	if err != nil {
		return err
	}
	log("W3 %d: %+v", n, r)
	w := fmt.Sprintf("W3 (%s Ingresses)", thousands(n))
	addScale(rep, w, []scaleResult{r}, false)
	rep.Raw[w] = r
	return nil
}

func addScale(rep *Report, w string, rs []scaleResult, goals bool) {
	g := func(x *Goal) *Goal {
		if goals {
			return x
		}
		return nil
	}
	f := func(fn func(scaleResult) float64) []float64 {
		out := make([]float64, len(rs))
		for i, r := range rs {
			out[i] = fn(r)
		}
		return out
	}
	const mib = 1 << 20
	rep.add(w, "burst → every host 200", "s", "median", f(func(r scaleResult) float64 { return r.ServeSeconds }), g(le(3)),
		fmt.Sprintf("%d parallel creates", burstWorkers))
	rep.add(w, "burst: create calls done", "s", "median", f(func(r scaleResult) float64 { return r.CreateSeconds }), nil, "")
	rep.add(w, "nginx reloads", "", "median", f(func(r scaleResult) float64 { return r.Reloads }), g(le(3)), "")
	rep.add(w, "failed reloads", "", "total", f(func(r scaleResult) float64 { return r.Failures }), g(le(0)), "")
	rep.add(w, "nginx.conf size", "B", "median", f(func(r scaleResult) float64 { return float64(r.ConfBytes) }), nil, "")
	rep.add(w, "nginx.conf per Ingress", "B", "median", f(func(r scaleResult) float64 { return float64(r.ConfBytes) / float64(r.N) }), g(le(1536)), "")
	rep.add(w, "controller RSS", "MiB", "median", f(func(r scaleResult) float64 { return float64(r.Controller.RSS) / mib }), g(le(100)), "")
	rep.add(w, "controller Go heap in use", "MiB", "median", f(func(r scaleResult) float64 { return r.ControllerHeap / mib }), nil, "")
	rep.add(w, "controller peak RSS (VmHWM)", "MiB", "median", f(func(r scaleResult) float64 { return float64(r.Controller.HWM) / mib }), nil, "")
	rep.add(w, "nginx RSS, master + workers", "MiB", "median", f(func(r scaleResult) float64 { return float64(r.Nginx.RSS) / mib }), g(le(250)), "")
	rep.add(w, "nginx PSS, master + workers", "MiB", "median", f(func(r scaleResult) float64 { return float64(r.Nginx.PSS) / mib }), nil, "shared pages counted once")
}

// thousands formats 1000 as "1,000".
func thousands(n int) string {
	if n < 1000 {
		return fmt.Sprint(n)
	}
	return fmt.Sprintf("%s,%03d", thousands(n/1000), n%1000)
}
