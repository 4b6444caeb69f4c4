package main

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"time"

	"github.com/atrium-ingress/atrium/bench/load"
)

// w1 measures throughput and latency through Atrium's nginx and through a
// hand-written minimal nginx.conf for the same two pods, with the same
// worker count. The two alternate (A R, R A, A R, ...) so that drift on
// a shared machine (page cache, CPU frequency, noisy neighbours) hits both
// alike; each figure is the median of runs, the ratio the median of the
// per-run ratios of adjacent measurements.
// refHeaders names the reference that also sends Atrium's request headers.
const refHeaders = "reference+headers"

func w1(ctx context.Context, e *env, s sizes, rep *Report, log func(string, ...any)) error {
	var servers []string
	for _, p := range e.shared[:2] {
		servers = append(servers, net.JoinHostPort(p.IP, "8080"))
	}
	ref, err := startReference(ctx, filepath.Join(e.tmp, "reference"), servers, false)
	if err != nil {
		return err
	}
	defer ref.stop()
	// Not a goal: the same reference sending Atrium's request headers shows
	// how much of the gap those headers are (nginx builds them, the pod parses them).
	refh, err := startReference(ctx, filepath.Join(e.tmp, "reference-headers"), servers, true)
	if err != nil {
		return err
	}
	defer refh.stop()
	targets := map[string]string{"Atrium": e.ctrl.HTTPAddr(), "reference": ref.Addr, refHeaders: refh.Addr}
	res := map[string][]load.Result{}
	for run := range s.runs {
		// Rotate so that drift during a run hits each target in turn.
		all := []string{"Atrium", "reference", refHeaders}
		order := append(all[run%3:], all[:run%3]...)
		for _, name := range order {
			o := load.Options{Addr: targets[name], Host: benchHost, Header: map[string]string{"X-Echo-Plain": "1"},
				Conns: 32, Duration: s.w1Warmup, MaxRequests: int64(s.w1Warmup.Seconds() * 100_000)}
			if _, err := load.Run(ctx, o); err != nil { // warm-up: connections, caches
				return err
			}
			o.Duration, o.MaxRequests = s.w1Duration, int64(s.w1Duration.Seconds()*100_000)
			r, err := load.Run(ctx, o)
			if err != nil {
				return err
			}
			log("W1 run %d %s: %.0f req/s p50 %s p99 %s non-2xx %d socket errors %d %v", run+1, name, r.RPS,
				r.P50.Round(time.Microsecond), r.P99.Round(time.Microsecond), r.Non2xx, r.SocketErrors, r.Errors)
			res[name] = append(res[name], r)
		}
	}
	var ratio, ratioH []float64
	for i := range res["Atrium"] {
		ratio = append(ratio, res["Atrium"][i].RPS/res["reference"][i].RPS)
		ratioH = append(ratioH, res["Atrium"][i].RPS/res[refHeaders][i].RPS)
	}
	for _, name := range []string{"Atrium", "reference", refHeaders} {
		rs := res[name]
		rep.add("W1", name+" throughput", "rps", "median", collect(rs, func(r load.Result) float64 { return r.RPS }), nil,
			fmt.Sprintf("32 conns, %s", s.w1Duration))
		rep.add("W1", name+" p50", "ms", "median", collect(rs, func(r load.Result) float64 { return ms(r.P50) }), nil, "")
		rep.add("W1", name+" p99", "ms", "median", collect(rs, func(r load.Result) float64 { return ms(r.P99) }), nil, "")
		rep.add("W1", name+" non-2xx + socket errors", "", "total", collect(rs, func(r load.Result) float64 { return float64(r.Non2xx + r.SocketErrors) }), le(0), "")
	}
	rep.add("W1", "throughput ratio Atrium/reference", "ratio", "median", ratio, ge(0.95), "")
	rep.add("W1", "throughput ratio Atrium/"+refHeaders, "ratio", "median", ratioH, nil, "")
	rep.Raw["W1"] = res
	return nil
}

func collect(rs []load.Result, f func(load.Result) float64) []float64 {
	out := make([]float64, len(rs))
	for i, r := range rs {
		out[i] = f(r)
	}
	return out
}

func ms(d time.Duration) float64 { return float64(d) / 1e6 }
