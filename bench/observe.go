package main

// What the bench observes from outside, as a user would: answers through
// nginx, the controller's /metrics, nginx's pid file and nginx.conf.

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/atrium-ingress/atrium/test/cluster"
	"github.com/atrium-ingress/atrium/test/harness"
)

// get sends one GET for host through Atrium's nginx on a new connection,
// asking the echoserver for a plain body (its pod name).
func (e *env) get(ctx context.Context, host string) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+host+"/", nil)
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("X-Echo-Plain", "1")
	resp, err := e.probe.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, strings.TrimSpace(string(b)), err
}

// waitFor polls host every `every` until it answers 200 (and, if pod is
// set, from that pod), and returns how long that took. Bounded by timeout.
func (e *env) waitFor(ctx context.Context, host string, timeout, every time.Duration, pod *cluster.Pod) (time.Duration, error) {
	start := time.Now()
	var last string
	for {
		code, body, err := e.get(ctx, host)
		if err == nil && code == 200 && (pod == nil || body == pod.Name) {
			return time.Since(start), nil
		}
		last = fmt.Sprintf("%d %.60q %v", code, body, err)
		if time.Since(start) > timeout {
			return 0, fmt.Errorf("%s not served (want pod %v) after %s; last answer: %s\ncontroller log:\n%s",
				host, podName(pod), timeout, last, harness.Tail(e.ctrl.LogPath, 15))
		}
		if !sleepCtx(ctx, every) {
			return 0, ctx.Err()
		}
	}
}

func podName(p *cluster.Pod) string {
	if p == nil {
		return "any"
	}
	return p.Name
}

// metric sums the samples of a metric family whose labels contain every
// filter string, from the controller's /metrics.
func (e *env) metric(ctx context.Context, name string, filters ...string) (float64, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, e.ctrl.MetricsURL(), nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err
	}
	var total float64
lines:
	for _, l := range strings.Split(string(b), "\n") {
		if !strings.HasPrefix(l, name+" ") && !strings.HasPrefix(l, name+"{") {
			continue
		}
		for _, f := range filters {
			if !strings.Contains(l, f) {
				continue lines
			}
		}
		f := strings.Fields(l)
		v, _ := strconv.ParseFloat(f[len(f)-1], 64)
		total += v
	}
	return total, nil
}

// reloads counts nginx reloads for configuration changes (both results).
func (e *env) reloads(ctx context.Context) (float64, error) {
	return e.metric(ctx, "atrium_nginx_reloads_total", `reason="config"`)
}

// quiesce waits until the controller serves every Ingress that exists
// (atrium_ingresses is set once nginx runs the config) and then has not
// finished a rebuild for `quiet` (atrium_syncs_total stands still), so
// one measurement's tail (deletions, late events) does not leak into the
// next. The first condition matters with 1,000 Ingresses, where one
// rebuild takes longer than `quiet`. Bounded by limit.
func (e *env) quiesce(ctx context.Context, quiet, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	n, err := e.ingressCount(ctx)
	if err != nil {
		return err
	}
	if err := e.waitIngresses(ctx, n, limit); err != nil {
		return err
	}
	last, err := e.metric(ctx, "atrium_syncs_total")
	if err != nil {
		return err
	}
	since := time.Now()
	for time.Since(since) < quiet {
		if time.Now().After(deadline) {
			return fmt.Errorf("controller still rebuilding after %s", limit)
		}
		if !sleepCtx(ctx, 100*time.Millisecond) {
			return ctx.Err()
		}
		n, err := e.metric(ctx, "atrium_syncs_total")
		if err != nil {
			return err
		}
		if n != last {
			last, since = n, time.Now()
		}
	}
	return nil
}

// waitIngresses waits until the controller serves exactly n Ingresses.
func (e *env) waitIngresses(ctx context.Context, n int, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		got, err := e.metric(ctx, "atrium_ingresses")
		if err == nil && int(got) == n {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("controller serves %v Ingresses, want %d (after %s)", got, n, limit)
		}
		if !sleepCtx(ctx, 100*time.Millisecond) {
			return ctx.Err()
		}
	}
}

// ingressCount is how many Ingresses exist (all served: all name our class).
func (e *env) ingressCount(ctx context.Context) (int, error) {
	l, err := e.cs.NetworkingV1().Ingresses("").List(ctx, metav1.ListOptions{})
	if err != nil {
		return 0, err
	}
	return len(l.Items), nil
}

// background labels W2 and W4 rows with the Ingresses present.
func (e *env) background(ctx context.Context) (string, error) {
	n, err := e.ingressCount(ctx)
	if n == 1 {
		return "1 Ingress present", err
	}
	return thousands(n) + " Ingresses present", err
}

// nginxConf is the path of the nginx.conf the controller writes.
func (e *env) nginxConf() string { return filepath.Join(e.ctrl.Opts.Dir, "nginx", "nginx.conf") }

// nginxMaster reads the running master's PID from nginx.pid (0 if none).
func (e *env) nginxMaster() int {
	b, err := os.ReadFile(filepath.Join(e.ctrl.Opts.Dir, "nginx", "nginx.pid"))
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return pid
}
