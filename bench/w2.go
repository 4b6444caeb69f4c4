package main

import (
	"context"
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/atrium-ingress/atrium/test/cluster"
)

// w2Samples is how many changes one W2 run times.
const w2Samples = 20

// w2Poll is how often W2 asks nginx whether the change is served.
const w2Poll = 10 * time.Millisecond

// w2 times apply-to-serve: an Ingress for a new host, whose Service and
// EndpointSlice already exist, from the create call until nginx answers
// 200; and an EndpointSlice change (its single pod replaced by another)
// until the new pod answers. tag is a DNS-safe name for the background
// (the Ingresses present), which labels the rows.
//
// Unlike the other workloads W2 is not repeated -runs times: its 20
// samples are the repetitions, and p50/p90/max are taken over them. With
// 1,000 Ingresses each sample costs a full reload (about 2 s on 2 cores),
// and three passes would not fit the 15-minute budget of `make bench`.
func w2(ctx context.Context, e *env, tag string, rep *Report, log func(string, ...any)) error {
	// One Service per sample so each new Ingress also brings a new upstream,
	// as a new application would. Created once, reused by both backgrounds.
	if err := parallel(ctx, w2Samples, 8, func(ctx context.Context, i int) error {
		return e.service(ctx, "w2", fmt.Sprintf("s%d", i), []*cluster.Pod{e.shared[i%4], e.shared[(i+1)%4]})
	}); err != nil {
		return err
	}
	if err := e.service(ctx, "w2", "ep", e.shared[:1]); err != nil {
		return err
	}
	epHost := "ep-" + tag + ".w2.bench.local"
	if err := e.createIngress(ctx, "w2", "ep-"+tag, epHost, "ep", nil); err != nil {
		return err
	}
	// Untimed set-up: after the recovery workload's apiserver outage the
	// controller's informers may still be in client-go's reflector back-off
	// (up to about a minute), so the new EndpointSlice can take that long.
	if _, err := e.waitFor(ctx, epHost, 90*time.Second, 50*time.Millisecond, e.shared[0]); err != nil {
		return err
	}
	label, err := e.background(ctx)
	if err != nil {
		return err
	}
	if err := e.quiesce(ctx, time.Second, 30*time.Second); err != nil {
		return err
	}
	var ing, ep []float64
	labels := map[string]string{"bench": "w2-" + tag}
	for i := range w2Samples {
		name := fmt.Sprintf("%s-%d", tag, i)
		start := time.Now()
		if err := e.createIngress(ctx, "w2", name, name+".w2.bench.local", fmt.Sprintf("s%d", i), labels); err != nil {
			return err
		}
		if _, err := e.waitFor(ctx, name+".w2.bench.local", 30*time.Second, w2Poll, nil); err != nil {
			return err
		}
		ing = append(ing, ms(time.Since(start)))
		sleepCtx(ctx, 100*time.Millisecond) // let the controller finish its tail (Events, endpoint push)
	}
	svc, err := e.cs.CoreV1().Services("w2").Get(ctx, "ep", metav1.GetOptions{})
	if err != nil {
		return err
	}
	for i := range w2Samples {
		pod := e.shared[(i+1)%2] // the slice starts with shared[0]
		start := time.Now()
		if err := cluster.SyncEndpoints(ctx, e.cs, svc, cluster.EndpointsFor([]*cluster.Pod{pod})); err != nil {
			return err
		}
		if _, err := e.waitFor(ctx, epHost, 30*time.Second, w2Poll, pod); err != nil {
			return err
		}
		ep = append(ep, ms(time.Since(start)))
		sleepCtx(ctx, 100*time.Millisecond)
	}
	log("W2 (%s): Ingress p50 %.0f ms p90 %.0f ms max %.0f ms; endpoints p50 %.0f ms p90 %.0f ms max %.0f ms", label,
		percentile(ing, 50), percentile(ing, 90), percentile(ing, 100), percentile(ep, 50), percentile(ep, 90), percentile(ep, 100))
	w := "W2 (" + label + ")"
	one := func(v float64) []float64 { return []float64{v} }
	note := fmt.Sprintf("%d samples, poll %s", w2Samples, w2Poll)
	rep.add(w, "new Ingress → 200, p50", "ms", "median", one(percentile(ing, 50)), nil, note)
	// The goals: 300 ms with a few Ingresses, 500 ms with 1,000.
	ingGoal := le(300)
	if tag != "small" {
		ingGoal = le(500)
	}
	rep.add(w, "new Ingress → 200, p90", "ms", "median", one(percentile(ing, 90)), ingGoal, "")
	rep.add(w, "new Ingress → 200, max", "ms", "median", one(percentile(ing, 100)), nil, "")
	rep.add(w, "EndpointSlice change → new pod answers, p50", "ms", "median", one(percentile(ep, 50)), nil, note)
	rep.add(w, "EndpointSlice change → new pod answers, p90", "ms", "median", one(percentile(ep, 90)), le(300), "")
	rep.add(w, "EndpointSlice change → new pod answers, max", "ms", "median", one(percentile(ep, 100)), nil, "")
	rep.Raw[w] = map[string]any{"newIngressMs": ing, "endpointChangeMs": ep}
	// The sample Ingresses go in one call (a reload or two), so the next
	// workload starts from the background it expects.
	if err := e.cs.NetworkingV1().Ingresses("w2").DeleteCollection(ctx, metav1.DeleteOptions{},
		metav1.ListOptions{LabelSelector: "bench=w2-" + tag}); err != nil {
		return err
	}
	return e.quiesce(ctx, time.Second, 30*time.Second)
}
