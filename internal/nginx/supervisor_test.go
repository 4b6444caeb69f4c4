package nginx

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// These tests drive the real nginx over loopback. Without nginx they skip
// locally but fail in CI, where a silent skip would hide a broken setup.

type env struct {
	t            *testing.T
	s            *Supervisor
	paths        Paths
	port, status int
}

func newEnv(t *testing.T, mutate func(*Options)) *env {
	t.Helper()
	if _, err := os.Stat(defaultBinary); err != nil {
		if os.Getenv("CI") == "" {
			t.Skipf("nginx not installed: %v", err)
		}
		t.Fatalf("nginx not installed, required in CI: %v", err)
	}
	e := &env{t: t, port: freePort(t), status: freePort(t)}
	opts := Options{
		Dir:           filepath.Join(searchableTempDir(t), "run"),
		StatusURL:     fmt.Sprintf("http://127.0.0.1:%d/atrium/config-hash", e.status),
		ReloadTimeout: 10 * time.Second,
		Logger:        slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	if mutate != nil {
		mutate(&opts)
	}
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	e.s, e.paths = s, opts.Paths()
	t.Cleanup(func() { e.stop() })
	return e
}

// stop shuts nginx down and makes sure none of its processes survive, even
// when the test failed half-way.
func (e *env) stop() {
	t := e.t
	pid := e.s.PID()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.s.Shutdown(ctx); err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	if live := liveGroupMembers(pid); pid != 0 && len(live) > 0 {
		t.Errorf("nginx processes %v of group %d remain after Shutdown; killing them", live, pid)
		_ = syscall.Kill(-pid, syscall.SIGKILL)
	}
}

// liveGroupMembers lists the processes in process group pgid that are not
// zombies. (Orphaned workers killed by the supervisor are reaped by init,
// which may take a while or, in a container without one, never happen.)
func liveGroupMembers(pgid int) []int {
	entries, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		i := bytes.LastIndexByte(stat, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(stat[i+1:])) // state ppid pgrp ...
		if len(f) > 2 && f[0] != "Z" && f[0] != "X" && f[2] == strconv.Itoa(pgid) {
			out = append(out, pid)
		}
	}
	return out
}

// conf renders a minimal config: one server answering body, one serving hash.
func (e *env) conf(body, hash, extra string) []byte {
	p := e.paths
	return fmt.Appendf(nil, `worker_processes 1;
worker_shutdown_timeout 5s;
pid %[1]s;
error_log %[2]s notice;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path %[3]s/client_body;
    proxy_temp_path %[3]s/proxy;
    fastcgi_temp_path %[3]s/fastcgi;
    uwsgi_temp_path %[3]s/uwsgi;
    scgi_temp_path %[3]s/scgi;
    server { listen 127.0.0.1:%[4]d; location / { return 200 "%[5]s"; } }
    server { listen 127.0.0.1:%[6]d; location = /atrium/config-hash { return 200 "%[7]s"; } }
    %[8]s
}
`, p.PIDFile, p.ErrorLog, p.TempDir, e.port, body, e.status, hash, extra)
}

func (e *env) candidate(body string) Candidate {
	hash := "h-" + body
	return Candidate{Config: e.conf(body, hash, ""), Hash: hash}
}

func (e *env) apply(c Candidate) (Result, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return e.s.Apply(ctx, c)
}

func (e *env) mustApply(c Candidate, want Result) {
	e.t.Helper()
	res, err := e.apply(c)
	if err != nil {
		e.t.Fatalf("Apply: %v", err)
	}
	if res != want {
		e.t.Fatalf("Apply = %v, want %v", res, want)
	}
}

// body GETs / on the test server.
func (e *env) body() (string, error) {
	c := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := c.Get(fmt.Sprintf("http://127.0.0.1:%d/", e.port))
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

func (e *env) mustServe(want string) {
	e.t.Helper()
	got, err := e.body()
	if err != nil || got != want {
		e.t.Fatalf("GET / = %q, %v; want %q", got, err, want)
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// eventually retries f until it succeeds or the generous bound passes.
func eventually(t *testing.T, f func() error) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("condition not met: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

func TestApplyStartReloadUnchangedInvalidShutdown(t *testing.T) {
	e := newEnv(t, nil)
	s := e.s
	if s.Ready() || s.PID() != 0 {
		t.Fatal("ready before the first Apply")
	}

	e.mustApply(e.candidate("v1"), ResultStarted)
	e.mustServe("v1")
	pid := s.PID()
	if pid == 0 || !s.Ready() || s.LastGood() != "h-v1" {
		t.Fatalf("after start: pid %d ready %v last good %q", pid, s.Ready(), s.LastGood())
	}

	e.mustApply(e.candidate("v2"), ResultReloaded)
	e.mustServe("v2")
	if s.PID() != pid {
		t.Fatalf("reload changed the master PID: %d -> %d", pid, s.PID())
	}

	// Same content in fresh slices is still unchanged.
	c2 := e.candidate("v2")
	c2.Config = append([]byte(nil), c2.Config...)
	e.mustApply(c2, ResultUnchanged)

	bad := Candidate{Config: e.conf("v3", "h-v3", "bogus_directive on;"), Hash: "h-v3",
		Files: map[string]File{"certs/new.pem": {Data: []byte("x"), Mode: 0o600}}}
	_, err := e.apply(bad)
	if err == nil || !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), `unknown directive "bogus_directive"`) {
		t.Fatalf("Apply(broken) = %v; want ErrInvalidConfig quoting nginx", err)
	}
	e.mustServe("v2")
	if s.PID() != pid || !s.Ready() || s.LastGood() != "h-v2" {
		t.Fatalf("after a rejected config: pid %d ready %v last good %q", s.PID(), s.Ready(), s.LastGood())
	}
	if onDisk, _ := os.ReadFile(e.paths.Config); string(onDisk) != string(c2.Config) {
		t.Fatal("nginx.conf is no longer the last good config")
	}
	if _, err := os.Stat(filepath.Join(e.paths.Dir, "certs/new.pem")); !os.IsNotExist(err) {
		t.Fatalf("files of a rejected candidate stayed: %v", err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if s.PID() != 0 || s.Ready() {
		t.Fatalf("after Shutdown: pid %d ready %v", s.PID(), s.Ready())
	}
	if live := liveGroupMembers(pid); len(live) > 0 {
		t.Fatalf("nginx processes %v of group %d remain after Shutdown", live, pid)
	}
	if _, err := e.body(); err == nil {
		t.Fatal("still serving after Shutdown")
	}
	if _, err := e.apply(e.candidate("v4")); !errors.Is(err, ErrShutdown) {
		t.Fatalf("Apply after Shutdown = %v, want ErrShutdown", err)
	}
}

func TestManagedFiles(t *testing.T) {
	e := newEnv(t, nil)
	c := e.candidate("v1")
	c.Files = map[string]File{
		"certs/a.pem": {Data: []byte("key a"), Mode: 0o600},
		"certs/b.pem": {Data: []byte("cert b")},
	}
	e.mustApply(c, ResultStarted)
	assertFile(t, filepath.Join(e.paths.Dir, "certs/a.pem"), "key a", 0o600)
	assertFile(t, filepath.Join(e.paths.Dir, "certs/b.pem"), "cert b", 0o644)
	leftover := filepath.Join(e.paths.Dir, "certs/leftover.pem") // e.g. from an earlier run
	if err := os.WriteFile(leftover, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}

	c2 := e.candidate("v2")
	c2.Files = map[string]File{"certs/b.pem": {Data: []byte("cert b")}}
	e.mustApply(c2, ResultReloaded)
	for _, gone := range []string{"certs/a.pem", "certs/leftover.pem"} {
		if _, err := os.Stat(filepath.Join(e.paths.Dir, gone)); !os.IsNotExist(err) {
			t.Errorf("stale %s not removed: %v", gone, err)
		}
	}
	assertFile(t, filepath.Join(e.paths.Dir, "certs/b.pem"), "cert b", 0o644)

	for _, rel := range []string{"../evil.pem", "certs/../../evil.pem", "/tmp/evil.pem", "nginx.conf"} {
		c3 := e.candidate("v3")
		c3.Files = map[string]File{rel: {Data: []byte("evil")}}
		if _, err := e.apply(c3); err == nil || !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("Apply with file %q = %v, want ErrInvalidConfig", rel, err)
		}
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(e.paths.Dir), "evil.pem")); !os.IsNotExist(err) {
		t.Errorf("a file escaped Dir: %v", err)
	}
	e.mustServe("v2")
}

func TestRestartAfterMasterKilled(t *testing.T) {
	e := newEnv(t, nil)
	e.mustApply(e.candidate("v1"), ResultStarted)
	ctx, cancel := context.WithCancel(context.Background())
	runDone := make(chan error, 1)
	go func() { runDone <- e.s.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-runDone; err != nil {
			t.Errorf("Run: %v", err)
		}
	})

	old := e.s.PID()
	if err := syscall.Kill(old, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	eventually(t, func() error {
		pid := e.s.PID()
		if pid == 0 || pid == old || !e.s.Ready() {
			return fmt.Errorf("pid %d (old %d), ready %v", pid, old, e.s.Ready())
		}
		// The orphaned workers of the killed master must be gone, or they
		// (not the new master) could be what answers below.
		if live := liveGroupMembers(old); len(live) > 0 {
			return fmt.Errorf("processes %v of the killed master's group %d still run", live, old)
		}
		if got, err := e.body(); err != nil || got != "v1" {
			return fmt.Errorf("GET / = %q, %v", got, err)
		}
		return nil
	})
	if n := e.s.Restarts(); n != 1 {
		t.Fatalf("Restarts = %d, want 1", n)
	}
	// Still supervisable: a reload reaches the new master.
	e.mustApply(e.candidate("v2"), ResultReloaded)
	e.mustServe("v2")
}

func TestStartFailureKeepsStateConsistent(t *testing.T) {
	e := newEnv(t, nil)
	l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", e.port))
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.apply(e.candidate("v1"))
	l.Close()
	if err == nil || !strings.Contains(err.Error(), "Address already in use") {
		t.Fatalf("Apply with the port taken = %v; want nginx's bind error", err)
	}
	if e.s.PID() != 0 || e.s.Ready() || e.s.LastGood() != "" {
		t.Fatalf("after a failed start: pid %d ready %v last good %q", e.s.PID(), e.s.Ready(), e.s.LastGood())
	}
	if _, err := os.Stat(e.paths.Config); !os.IsNotExist(err) {
		t.Fatalf("nginx.conf of a failed start stayed: %v", err)
	}
	e.mustApply(e.candidate("v1"), ResultStarted)
	e.mustServe("v1")
}

func TestRejectedReloadKeepsOldConfig(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.ReloadTimeout = 5 * time.Second })
	e.mustApply(e.candidate("v1"), ResultStarted)
	good, _ := os.ReadFile(e.paths.Config)
	pid := e.s.PID()

	// nginx -t does not bind, so this passes the test and fails in the reload.
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	extra := fmt.Sprintf("server { listen %s; }", taken.Addr())
	_, err = e.apply(Candidate{Config: e.conf("v2", "h-v2", extra), Hash: "h-v2"})
	if err == nil || !strings.Contains(err.Error(), "bind()") {
		t.Fatalf("Apply with an unbindable listen = %v; want a timeout quoting the bind error", err)
	}
	e.mustServe("v1")
	if e.s.PID() != pid || !e.s.Ready() || e.s.LastGood() != "h-v1" {
		t.Fatalf("after a rejected reload: pid %d ready %v last good %q", e.s.PID(), e.s.Ready(), e.s.LastGood())
	}
	if onDisk, _ := os.ReadFile(e.paths.Config); string(onDisk) != string(good) {
		t.Fatal("nginx.conf was not restored to the last good config")
	}
	// After an unconfirmed reload nginx might run either config, so even the
	// last good candidate is applied again rather than reported unchanged.
	e.mustApply(e.candidate("v1"), ResultReloaded)
	e.mustApply(e.candidate("v1"), ResultUnchanged)
	e.mustApply(e.candidate("v3"), ResultReloaded)
	e.mustServe("v3")
}

func TestWithoutStatusURL(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.StatusURL = "" })
	e.mustApply(e.candidate("v1"), ResultStarted)
	e.mustServe("v1") // the pid file is written after the listeners are bound
	e.mustApply(e.candidate("v2"), ResultReloaded)
	eventually(t, func() error { // a reload is only signalled
		if got, err := e.body(); err != nil || got != "v2" {
			return fmt.Errorf("GET / = %q, %v", got, err)
		}
		return nil
	})
}

func TestConcurrentApplies(t *testing.T) {
	e := newEnv(t, nil)
	e.mustApply(e.candidate("v0"), ResultStarted)
	pid := e.s.PID()
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			if _, err := e.apply(e.candidate(fmt.Sprintf("c%d", i))); err != nil {
				t.Errorf("Apply c%d: %v", i, err)
			}
		})
	}
	wg.Wait()
	want := strings.TrimPrefix(e.s.LastGood(), "h-")
	e.mustServe(want)
	if e.s.PID() != pid {
		t.Fatalf("master PID changed: %d -> %d", pid, e.s.PID())
	}
}

// TestShutdownDrainsThenEscalates: SIGQUIT lets an in-flight request finish;
// one that outlives the Shutdown deadline gets nginx terminated.
func TestShutdownDrainsThenEscalates(t *testing.T) {
	for _, tc := range []struct {
		name     string
		delay    time.Duration // backend response time
		deadline time.Duration // Shutdown's
		graceful bool
	}{
		{"drains", 300 * time.Millisecond, 10 * time.Second, true},
		{"escalates", time.Minute, 300 * time.Millisecond, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			arrived := make(chan struct{}, 1)
			release := make(chan struct{})
			backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				arrived <- struct{}{}
				select {
				case <-time.After(tc.delay):
				case <-release:
				}
				io.WriteString(w, "slow")
			}))
			t.Cleanup(backend.Close)
			t.Cleanup(func() { close(release) })

			e := newEnv(t, nil)
			proxyPort := freePort(t)
			extra := fmt.Sprintf("server { listen 127.0.0.1:%d; location / { proxy_pass %s; } }", proxyPort, backend.URL)
			e.mustApply(Candidate{Config: e.conf("v1", "h-v1", extra), Hash: "h-v1"}, ResultStarted)
			pid := e.s.PID()

			got := make(chan string, 1)
			go func() {
				c := &http.Client{Timeout: 30 * time.Second}
				resp, err := c.Get(fmt.Sprintf("http://127.0.0.1:%d/", proxyPort))
				if err != nil {
					got <- err.Error()
					return
				}
				defer resp.Body.Close()
				b, _ := io.ReadAll(resp.Body)
				got <- string(b)
			}()
			select {
			case <-arrived:
			case <-time.After(10 * time.Second):
				t.Fatal("request never reached the backend")
			}

			ctx, cancel := context.WithTimeout(context.Background(), tc.deadline)
			defer cancel()
			err := e.s.Shutdown(ctx)
			if tc.graceful {
				if err != nil {
					t.Fatalf("Shutdown: %v", err)
				}
				if body := <-got; body != "slow" {
					t.Fatalf("in-flight request got %q, want it to complete", body)
				}
			} else if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("Shutdown = %v, want a deadline error", err)
			}
			if e.s.PID() != 0 {
				t.Fatal("PID set after Shutdown")
			}
			if live := liveGroupMembers(pid); len(live) > 0 {
				t.Fatalf("nginx processes %v remain after Shutdown", live)
			}
		})
	}
}
