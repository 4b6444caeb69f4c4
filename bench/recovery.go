package main

import (
	"context"
	"fmt"
	"syscall"
	"time"
)

// backoffReset is how long nginx must have run before the supervisor's
// restart backoff is back at its 100 ms minimum (internal/nginx: stableAfter
// is 30 s). Kills closer together would measure the backoff's doubling,
// which is deliberate behaviour for a crash loop, not recovery speed.
const backoffReset = 31 * time.Second

// nginxKills measures SIGKILL of the nginx master until a new master
// serves 200, once per run. Runs need the restart backoff reset in
// between; rather than sleeping 31 s each time, the bench takes them at
// points far enough apart (before and after the apiserver outage, after
// the small W2/W4), all with the same few Ingresses present, and only
// waits for what is left.
type nginxKills struct {
	e             *env
	runs          int
	last          time.Time // zero: the backoff starts at its minimum
	serve, master []float64
}

// next takes one more measurement if runs remain; if the backoff has not
// reset yet it waits when wait is set, else it skips.
func (k *nginxKills) next(ctx context.Context, wait bool, log func(string, ...any)) error {
	if len(k.serve) >= k.runs {
		return nil
	}
	if left := backoffReset - time.Since(k.last); left > 0 {
		if !wait {
			return nil
		}
		log("recovery: waiting %s for the supervisor's restart backoff to reset", left.Round(time.Second))
		if !sleepCtx(ctx, left) {
			return ctx.Err()
		}
	}
	m, sv, err := killNginx(ctx, k.e)
	if err != nil {
		return err
	}
	k.last = time.Now()
	k.master, k.serve = append(k.master, m), append(k.serve, sv)
	log("recovery: nginx kill %d: new master after %.0f ms, serving after %.0f ms", len(k.serve), m, sv)
	return nil
}

// finish takes the remaining measurements and reports them.
func (k *nginxKills) finish(ctx context.Context, rep *Report, log func(string, ...any)) error {
	for len(k.serve) < k.runs {
		if err := k.next(ctx, true, log); err != nil {
			return err
		}
	}
	rep.add("Recovery", "nginx master SIGKILL → new master serves 200", "ms", "median", k.serve, nil, "restart backoff reset in between")
	rep.add("Recovery", "nginx master SIGKILL → new master running", "ms", "median", k.master, nil, "")
	rep.Raw["nginxKill"] = map[string]any{"serveMs": k.serve, "masterMs": k.master}
	return nil
}

// killNginx SIGKILLs the master and times (ms) until nginx.pid names a new
// live master, and until W1's host answers 200 after that: the killed
// master's workers die with it (the supervisor kills its process group),
// so that answer comes from the new master's workers.
func killNginx(ctx context.Context, e *env) (masterMs, serveMs float64, err error) {
	old := e.nginxMaster()
	if old == 0 || !pidAlive(old) {
		return 0, 0, fmt.Errorf("no running nginx master (pid file says %d)", old)
	}
	restarts0, err := e.metric(ctx, "atrium_nginx_restarts_total")
	if err != nil {
		return 0, 0, err
	}
	start := time.Now()
	if err := syscall.Kill(old, syscall.SIGKILL); err != nil {
		return 0, 0, err
	}
	for {
		if pid := e.nginxMaster(); pid != 0 && pid != old && pidAlive(pid) {
			break
		}
		if time.Since(start) > 30*time.Second {
			return 0, 0, fmt.Errorf("no new nginx master 30 s after SIGKILL")
		}
		if !sleepCtx(ctx, 5*time.Millisecond) {
			return 0, 0, ctx.Err()
		}
	}
	masterMs = ms(time.Since(start))
	if _, err := e.waitFor(ctx, benchHost, 30*time.Second, 10*time.Millisecond, nil); err != nil {
		return 0, 0, err
	}
	serveMs = ms(time.Since(start))
	// The supervisor counts the restart once it has confirmed the new
	// master, which may be just after the first 200: poll.
	for deadline := time.Now().Add(10 * time.Second); ; {
		n, err := e.metric(ctx, "atrium_nginx_restarts_total")
		if err == nil && n == restarts0+1 {
			return masterMs, serveMs, nil
		}
		if time.Now().After(deadline) {
			return 0, 0, fmt.Errorf("atrium_nginx_restarts_total went from %v to %v, want +1", restarts0, n)
		}
		if !sleepCtx(ctx, 20*time.Millisecond) {
			return 0, 0, ctx.Err()
		}
	}
}

// apiserverOutage stops kube-apiserver for s.outage while probing that
// nginx keeps serving, restarts it, creates an Ingress for a new host
// (its Service exists from before) and times until that host serves. It
// runs once: the figure is dominated by client-go's reflector backoff (up
// to 30 s, with jitter), and each run costs about a minute.
func apiserverOutage(ctx context.Context, e *env, s sizes, rep *Report, log func(string, ...any)) error {
	if err := e.service(ctx, "bench", "after-outage", e.shared[2:]); err != nil {
		return err
	}
	log("recovery: kube-apiserver down for %s", s.outage)
	e.cp.StopAPIServer()
	restarted := false
	defer func() {
		if !restarted {
			_ = e.cp.StartAPIServer()
		}
	}()
	var ok, failed float64
	end := time.Now().Add(s.outage)
	for time.Now().Before(end) {
		if code, _, err := e.get(ctx, benchHost); err == nil && code == 200 {
			ok++
		} else {
			failed++
		}
		if !sleepCtx(ctx, 100*time.Millisecond) {
			return ctx.Err()
		}
	}
	if err := e.cp.StartAPIServer(); err != nil {
		return err
	}
	restarted = true
	back := time.Now()
	host := "after-outage.bench.local"
	for {
		err := e.createIngress(ctx, "bench", "after-outage", host, "after-outage", nil)
		if err == nil {
			break
		}
		if time.Since(back) > 30*time.Second {
			return fmt.Errorf("creating an Ingress after the outage: %w", err)
		}
		if !sleepCtx(ctx, 100*time.Millisecond) {
			return ctx.Err()
		}
	}
	if _, err := e.waitFor(ctx, host, 180*time.Second, 50*time.Millisecond, nil); err != nil {
		return err
	}
	took := time.Since(back).Seconds()
	log("recovery: %v/%v probes served during the outage; new Ingress served %.1f s after the apiserver returned", ok, ok+failed, took)
	note := fmt.Sprintf("1 run, %s outage; client-go reflector backoff", s.outage)
	rep.add("Recovery", "apiserver back → new Ingress serves", "s", "median", []float64{took}, nil, note)
	rep.add("Recovery", "requests failed during the apiserver outage", "", "total", []float64{failed}, le(0),
		fmt.Sprintf("of %.0f, one every 100 ms", ok+failed))
	return nil
}
