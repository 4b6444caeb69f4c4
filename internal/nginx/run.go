package nginx

import (
	"context"
	"fmt"
	"syscall"
	"time"
)

const (
	sigReload = syscall.SIGHUP
	// sigGraceful makes the master stop accepting, let workers finish
	// in-flight requests (up to worker_shutdown_timeout) and exit.
	sigGraceful = syscall.SIGQUIT
	// sigFast makes the master terminate its workers at once.
	sigFast = syscall.SIGTERM

	minBackoff = 100 * time.Millisecond
	maxBackoff = 5 * time.Second
	// stableAfter is how long nginx must have run for the backoff to reset,
	// so a config that crashes nginx right away does not restart it 10×/s.
	stableAfter = 30 * time.Second
	// termGrace is how long SIGTERM gets before SIGKILL in Shutdown.
	termGrace = 2 * time.Second
)

// Run supervises until ctx is done: when the master exits unexpectedly it is
// restarted with the last good config, after a backoff that starts at
// 100ms and doubles up to 5s while nginx keeps dying. Run never stops
// nginx (Shutdown does) and returns nil when ctx is done. Only one Run
// should be active at a time.
func (s *Supervisor) Run(ctx context.Context) error {
	delay := minBackoff
	var runningSince time.Time
	for {
		s.mu.Lock()
		running := s.proc != nil
		need := !running && !s.stopping && s.haveGood
		changed := s.changed
		s.mu.Unlock()

		switch {
		case running:
			if runningSince.IsZero() {
				runningSince = time.Now()
			}
		case need:
			if !runningSince.IsZero() { // it just died
				if time.Since(runningSince) >= stableAfter {
					delay = minBackoff
				}
				runningSince = time.Time{}
			}
			if !sleep(ctx, delay) {
				return nil
			}
			delay = min(2*delay, maxBackoff)
			if err := s.restart(ctx); err != nil && ctx.Err() == nil {
				s.log.Error("nginx: restart failed", "err", err, "retry_in", delay)
			}
			continue
		}
		select {
		case <-ctx.Done():
			return nil
		case <-changed:
		}
	}
}

// restart brings nginx back with the last good candidate, unless Apply or
// Shutdown got there first.
func (s *Supervisor) restart(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(s.stopCtx, cancel)()
	if err := s.lock(ctx); err != nil {
		return err
	}
	defer s.unlock()
	s.mu.Lock()
	skip := s.proc != nil || s.stopping || s.good == nil
	s.mu.Unlock()
	if skip {
		return nil
	}
	if err := s.restore(); err != nil {
		return fmt.Errorf("nginx: restoring the last good config: %w", err)
	}
	if err := s.start(ctx, s.good.Hash); err != nil {
		return err
	}
	s.uncertain = false
	s.mu.Lock()
	s.restarts++
	s.mu.Unlock()
	s.log.Info("nginx restarted with the last good config", "hash", s.good.Hash, "pid", s.PID())
	return nil
}

// Shutdown stops nginx: SIGQUIT, so workers finish in-flight requests (up
// to the config's worker_shutdown_timeout); if it has not exited when ctx
// is done, SIGTERM, then SIGKILL after 2s. After Shutdown has started, Apply
// fails with ErrShutdown and Run no longer restarts nginx. It returns nil
// if nginx exited gracefully (or was not running).
func (s *Supervisor) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.stopping, s.ready = true, false
	s.mu.Unlock()
	s.stopCancel() // abort a pending Apply/restart wait so the op lock frees up
	if s.lock(ctx) == nil {
		defer s.unlock()
	} // else: escalate anyway, without the lock, against a stuck Apply

	s.mu.Lock()
	p := s.proc
	s.mu.Unlock()
	if p == nil {
		return nil
	}
	p.expected.Store(true)
	s.log.Info("nginx: graceful shutdown", "pid", p.pid)
	_ = p.signal(sigGraceful)
	select {
	case <-p.done:
		return nil
	case <-ctx.Done():
	}
	s.log.Warn("nginx: graceful shutdown timed out; terminating", "pid", p.pid)
	_ = p.signal(sigFast)
	t := time.NewTimer(termGrace)
	defer t.Stop()
	select {
	case <-p.done:
	case <-t.C:
		p.forceKill()
		<-p.done
	}
	return fmt.Errorf("nginx: shutdown was not graceful: %w", ctx.Err())
}

// sleep waits d or until ctx is done; it reports whether d elapsed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
