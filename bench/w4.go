package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/atrium-ingress/atrium/bench/load"
	"github.com/atrium-ingress/atrium/test/cluster"
)

const (
	w4Host  = "w4.bench.local"
	w4Every = 2 * time.Second // one endpoint replaced this often
	w4Keep  = 5 * time.Second // a replaced pod keeps running this long
)

// w4State is W4's Service and its current 4 pods, kept across runs and
// backgrounds (the pods are replaced all the time anyway).
type w4State struct {
	svc  *corev1.Service
	pods []*cluster.Pod
	// deleting tracks replaced pods still in their 5 s: a run does not
	// wait for its last ones (the next run or w4's return does).
	deleting sync.WaitGroup
}

// w4 runs a load of 16 keepalive connections against a 4-pod Service
// while one endpoint is replaced every 2 s the way a rolling update does
// it: the new pod is added to the EndpointSlice and the old one removed in
// the same update, and the old pod's process lives on 5 s (its in-flight
// requests finish) before it is deleted. Endpoint changes must never
// reload nginx nor fail a request. Counts are totals over s.w4Passes
// passes (1: W4's goal is "never", which one 30 s pass of ~800,000
// requests and ~14 replacements per background tests as well as three,
// and three would not fit `make bench` into 15 minutes).
func w4(ctx context.Context, e *env, s sizes, st *w4State, rep *Report, log func(string, ...any)) error {
	if st.svc == nil {
		for range 4 {
			p, err := e.addPod(ctx, "w4", e.newPodName("w4"))
			if err != nil {
				return err
			}
			st.pods = append(st.pods, p)
		}
		if err := e.service(ctx, "w4", "w4", st.pods); err != nil {
			return err
		}
		var err error
		if st.svc, err = e.cs.CoreV1().Services("w4").Get(ctx, "w4", metav1.GetOptions{}); err != nil {
			return err
		}
		if err := e.createIngress(ctx, "w4", "w4", w4Host, "w4", nil); err != nil {
			return err
		}
		if _, err := e.waitFor(ctx, w4Host, 30*time.Second, 50*time.Millisecond, nil); err != nil {
			return err
		}
	}
	label, err := e.background(ctx)
	if err != nil {
		return err
	}
	defer st.deleting.Wait()
	var results []load.Result
	var reloads, updates, replaced []float64
	for run := range s.w4Passes {
		if err := e.quiesce(ctx, time.Second, 30*time.Second); err != nil {
			return err
		}
		r0, err := e.reloads(ctx)
		if err != nil {
			return err
		}
		u0, _ := e.metric(ctx, "atrium_endpoint_updates_total", `result="success"`)
		done := make(chan load.Result, 1)
		loadErr := make(chan error, 1)
		go func() {
			r, err := load.Run(ctx, load.Options{Addr: e.ctrl.HTTPAddr(), Host: w4Host, Header: map[string]string{"X-Echo-Plain": "1"},
				Conns: 16, Duration: s.w4Duration, MaxRequests: int64(s.w4Duration.Seconds() * 100_000)})
			loadErr <- err
			done <- r
		}()
		n, churnErr := w4Churn(ctx, e, st, s.w4Duration)
		if err := <-loadErr; err != nil {
			return err
		}
		res := <-done
		if churnErr != nil {
			return churnErr
		}
		if err := e.quiesce(ctx, time.Second, 30*time.Second); err != nil {
			return err
		}
		r1, err := e.reloads(ctx)
		if err != nil {
			return err
		}
		u1, _ := e.metric(ctx, "atrium_endpoint_updates_total", `result="success"`)
		log("W4 (%s) run %d: %d requests (%.0f req/s), %d non-2xx, %d socket errors %v, %v reloads, %d pods replaced, %v endpoint updates",
			label, run+1, res.Requests, res.RPS, res.Non2xx, res.SocketErrors, res.Errors, r1-r0, n, u1-u0)
		results = append(results, res)
		reloads, updates, replaced = append(reloads, r1-r0), append(updates, u1-u0), append(replaced, float64(n))
	}
	w := "W4 (" + label + ")"
	rep.add(w, "requests", "", "total", collect(results, func(r load.Result) float64 { return float64(r.Requests) }), nil,
		fmt.Sprintf("16 conns, %d × %s, 1 of 4 pods replaced every %s", s.w4Passes, s.w4Duration, w4Every))
	rep.add(w, "non-2xx", "", "total", collect(results, func(r load.Result) float64 { return float64(r.Non2xx) }), le(0), "")
	rep.add(w, "socket errors", "", "total", collect(results, func(r load.Result) float64 { return float64(r.SocketErrors) }), le(0), "")
	rep.add(w, "nginx reloads", "", "total", reloads, le(0), "")
	rep.add(w, "pods replaced", "", "total", replaced, nil, "")
	rep.add(w, "endpoint tables pushed (no reload)", "", "total", updates, nil, "")
	rep.Raw[w] = results
	return nil
}

// w4Churn replaces the oldest pod every w4Every for d; replaced pods are
// deleted w4Keep later, in the background (st.deleting).
func w4Churn(ctx context.Context, e *env, st *w4State, d time.Duration) (int, error) {
	end := time.Now().Add(d)
	n := 0
	for time.Until(end) > w4Every/2 {
		if !sleepCtx(ctx, w4Every) {
			return n, ctx.Err()
		}
		p, err := e.addPod(ctx, "w4", e.newPodName("w4"))
		if err != nil {
			return n, err
		}
		old := st.pods[0]
		st.pods = append(st.pods[1:], p)
		if err := cluster.SyncEndpoints(ctx, e.cs, st.svc, cluster.EndpointsFor(st.pods)); err != nil {
			return n, err
		}
		n++
		st.deleting.Add(1)
		go func() {
			defer st.deleting.Done()
			sleepCtx(ctx, w4Keep)
			_ = old.Delete()
		}()
	}
	return n, nil
}
