// Command bench measures Atrium against its performance goals on a local
// cluster in a box (test/cluster: a real kube-apiserver and etcd, emulated
// pods in network namespaces) with the real controller binary and nginx:
//
//	core      Build+Render of the pure core at 100, 1,000 and 10,000 Ingresses
//	W1        throughput through Atrium vs. a hand-written minimal nginx.conf
//	W2        apply-to-serve latency of a new Ingress and of an endpoint change
//	W3        a burst of 1,000 (then 5,000) Ingresses: time, reloads, sizes, memory
//	W4        endpoint churn under load: no failed request, no reload
//	recovery  nginx master killed; kube-apiserver down for 30 s
//
// It prints a Markdown table and writes bench/results/latest.json. Every
// figure is the median of -runs runs unless marked as a total. It needs root
// (network namespaces) and the tools `make setup` installs, and it cleans up
// everything it started on exit and on Ctrl-C (a second Ctrl-C exits at
// once; the children die with it via Pdeathsig, and the next run of any
// harness removes leftover namespaces and links).
//
// Usage: go run ./bench [-runs 3] [-quick] [-only core,W1,W2,W3,W4,recovery]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/atrium-ingress/atrium/test/cluster"
)

// sizes are the knobs -quick shrinks.
type sizes struct {
	runs                 int
	w1Duration, w1Warmup time.Duration
	w3N, w3LargeN        int // w3LargeN 0: skipped
	w4Duration           time.Duration
	w4Passes             int // W4 is not repeated -runs times (see w4)
	outage               time.Duration
}

var workloads = []string{"core", "W1", "W2", "W3", "W4", "recovery"}

func main() { os.Exit(run()) }

func run() int {
	runs := flag.Int("runs", 3, "runs per figure of core, W1, W3 and the nginx kill (the median is reported); -quick makes the default 1")
	quick := flag.Bool("quick", false, "smaller sizes for a smoke run (W3 at 200 Ingresses, no 5,000; shorter loads)")
	only := flag.String("only", "", "comma-separated workloads to run: "+strings.Join(workloads, ","))
	out := flag.String("out", "", "JSON results path (default <module>/bench/results/latest.json)")
	flag.Parse()
	s := sizes{runs: *runs, w1Duration: 10 * time.Second, w1Warmup: time.Second, w3N: 1000, w3LargeN: 5000,
		w4Duration: 30 * time.Second, w4Passes: 1, outage: 30 * time.Second}
	if *quick {
		s = sizes{runs: 1, w1Duration: 3 * time.Second, w1Warmup: 500 * time.Millisecond, w3N: 200,
			w4Duration: 10 * time.Second, w4Passes: 1, outage: 10 * time.Second}
		flag.Visit(func(f *flag.Flag) {
			if f.Name == "runs" {
				s.runs = *runs
			}
		})
	}
	if s.runs < 1 {
		fmt.Fprintln(os.Stderr, "bench: -runs must be at least 1")
		return 2
	}
	want, err := selected(*only)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 2
	}
	root, err := cluster.ModuleRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 1
	}
	if *out == "" {
		*out = filepath.Join(root, "bench", "results", "latest.json")
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() { <-ctx.Done(); stop() }() // a second Ctrl-C kills at once

	began := time.Now()
	log := func(format string, args ...any) {
		fmt.Fprintf(os.Stderr, "[%6.1fs] %s\n", time.Since(began).Seconds(), fmt.Sprintf(format, args...))
	}
	rep := &Report{Date: began, Runs: s.runs, Quick: *quick, Only: keys(want), Machine: machine(),
		Versions: map[string]string{"atrium": checkout(root), "go": runtime.Version(), "nginx": nginxVersion()}, Raw: map[string]any{},
		Settings: map[string]any{"workerProcesses": workerProcesses, "syncHoldOff": "50ms", "syncMaxDelay": "1s (default)",
			"w1Duration": s.w1Duration.String(), "w3": s.w3N, "w3Large": s.w3LargeN, "w4Duration": s.w4Duration.String(), "w4Passes": s.w4Passes, "outage": s.outage.String()}}
	finish := func() int {
		rep.Duration = time.Since(began).Round(time.Second).String()
		rep.Markdown(os.Stdout)
		if err := rep.Write(*out); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			return 1
		}
		log("wrote %s", *out)
		if len(rep.Errors) > 0 || ctx.Err() != nil {
			return 1
		}
		return 0
	}

	if want["core"] {
		if err := core(ctx, root, s.runs, *quick, rep, log); err != nil {
			rep.fail("core", err)
		}
	}
	if !want["W1"] && !want["W2"] && !want["W3"] && !want["W4"] && !want["recovery"] {
		return finish()
	}
	e, err := startEnv(ctx, log)
	if err != nil {
		rep.fail("setup", err)
		return finish()
	}
	e.results = filepath.Dir(*out)
	defer func() {
		// The controller's log explains slow figures; keep it next to the JSON.
		if b, err := os.ReadFile(e.ctrl.LogPath); err == nil {
			_ = os.WriteFile(filepath.Join(filepath.Dir(*out), "controller.log"), b, 0o644)
		}
		log("cleaning up")
		e.close()
	}()
	if v, err := e.cs.Discovery().ServerVersion(); err == nil {
		rep.Versions["kubernetes"] = v.GitVersion
	}
	// step runs one workload; a failure is reported and the next one runs,
	// unless the run was interrupted.
	step := func(name string, fn func() error) {
		if ctx.Err() != nil {
			return
		}
		log("%s", name)
		if err := fn(); err != nil {
			if ctx.Err() != nil {
				err = errors.New("interrupted")
			}
			rep.fail(name, err)
		}
	}
	w4st := &w4State{}
	background := "small" // a DNS-safe tag for W2's names
	small := func() {
		if want["W2"] {
			step("W2", func() error { return w2(ctx, e, background, rep, log) })
		}
		if want["W4"] {
			step("W4", func() error { return w4(ctx, e, s, w4st, rep, log) })
		}
	}
	// The order keeps every measurement's conditions alike across runs:
	// the small-background work first, then W3's 1,000 Ingresses, which
	// stay for the large-background W2 and W4, then 5,000.
	if want["W1"] {
		step("W1", func() error { return w1(ctx, e, s, rep, log) })
	}
	kills := &nginxKills{e: e, runs: s.runs}
	if want["recovery"] {
		step("recovery", func() error {
			if err := kills.next(ctx, true, log); err != nil {
				return err
			}
			if err := apiserverOutage(ctx, e, s, rep, log); err != nil {
				return err
			}
			return kills.next(ctx, false, log)
		})
	}
	small()
	if want["recovery"] {
		step("recovery (remaining nginx kills)", func() error { return kills.finish(ctx, rep, log) })
	}
	if want["W3"] {
		step("W3", func() error { return w3(ctx, e, s, rep, log) })
	} else if want["W2"] || want["W4"] {
		step("W3 state for W2/W4 (untimed)", func() error {
			if err := w3Services(ctx, e, s.w3N); err != nil {
				return err
			}
			_, err := w3Burst(ctx, e, s.w3N, 120*time.Second)
			return err
		})
	}
	background = "large"
	small()
	if want["W3"] && s.w3LargeN > 0 {
		step("W3 large", func() error { return w3Large(ctx, e, s, rep, log) })
	}
	return finish()
}

// selected parses -only (empty: everything), case-insensitively.
func selected(only string) (map[string]bool, error) {
	want := map[string]bool{}
	if only == "" {
		for _, w := range workloads {
			want[w] = true
		}
		return want, nil
	}
	for _, w := range strings.Split(only, ",") {
		i := slices.IndexFunc(workloads, func(x string) bool { return strings.EqualFold(x, strings.TrimSpace(w)) })
		if i < 0 {
			return nil, fmt.Errorf("unknown workload %q in -only (want %s)", w, strings.Join(workloads, ","))
		}
		want[workloads[i]] = true
	}
	return want, nil
}

func keys(m map[string]bool) []string {
	var out []string
	for _, w := range workloads {
		if m[w] {
			out = append(out, w)
		}
	}
	return out
}
