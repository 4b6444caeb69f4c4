package cluster

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/client-go/rest"
)

// Options configures Start. The zero value is what tests want.
type Options struct {
	// BinDir holds kube-apiserver and etcd; see BinDir for the default.
	BinDir string
	// TempDir is the parent of the control plane's directory
	// (default os.TempDir()).
	TempDir string
	// StartTimeout bounds each daemon's start-up, on top of ctx
	// (default 90s: a cold kube-apiserver on 2 busy cores is slow).
	StartTimeout time.Duration
	// APIServerArgs are extra kube-apiserver flags, appended last so they
	// override the defaults.
	APIServerArgs []string
}

// ControlPlane is a running etcd + kube-apiserver on loopback ports.
type ControlPlane struct {
	// Config authenticates as "admin" (group system:masters) and trusts the
	// apiserver's serving certificate.
	Config *rest.Config
	// Kubeconfig is the path of a kubeconfig file equivalent to Config.
	Kubeconfig string
	// Dir holds the etcd data, certificates, keys and the daemons' logs
	// (etcd.log, kube-apiserver.log); Stop removes it.
	Dir string

	opts         Options
	apiserverBin string
	etcdURL      string
	apiPort      int
	token        string

	mu        sync.Mutex // guards etcd, apiserver, stopped, portHold
	etcd      *process
	apiserver *process
	stopped   bool
	portHold  int // socket reserving apiPort while stopped, or -1
	stopOnce  sync.Once
}

// dirPrefix names control plane directories "atrium-cp-<pid>-..." so that a
// later Start can delete the ones left behind by a crashed process.
const dirPrefix = "atrium-cp-"

// Start launches etcd and kube-apiserver and waits until /readyz passes.
// On error nothing is left running.
func Start(ctx context.Context, opts Options) (*ControlPlane, error) {
	if opts.StartTimeout <= 0 {
		opts.StartTimeout = 90 * time.Second
	}
	if opts.TempDir == "" {
		opts.TempDir = os.TempDir()
	}
	bin, err := BinDir(opts.BinDir)
	if err != nil {
		return nil, err
	}
	etcdBin, err := binary(bin, "etcd")
	if err != nil {
		return nil, err
	}
	apiBin, err := binary(bin, "kube-apiserver")
	if err != nil {
		return nil, err
	}
	removeStaleDirs(opts.TempDir)
	dir, err := os.MkdirTemp(opts.TempDir, fmt.Sprintf("%s%d-", dirPrefix, os.Getpid()))
	if err != nil {
		return nil, err
	}
	cp := &ControlPlane{Dir: dir, opts: opts, apiserverBin: apiBin, token: randomToken(), portHold: -1}
	if err := cp.start(ctx, etcdBin); err != nil {
		cp.Stop()
		return nil, err
	}
	return cp, nil
}

func (cp *ControlPlane) start(ctx context.Context, etcdBin string) error {
	if err := writeServiceAccountKey(cp.path("sa.key")); err != nil {
		return err
	}
	if err := writeTokenFile(cp.path("tokens.csv"), cp.token); err != nil {
		return err
	}
	if err := cp.startEtcd(ctx, etcdBin); err != nil {
		return err
	}
	if err := cp.startAPIServer(ctx, true); err != nil {
		return err
	}
	cp.Kubeconfig = cp.path("kubeconfig")
	return writeKubeconfig(cp.Kubeconfig, cp.Config)
}

// StartT starts a control plane for a test or benchmark, failing it on
// error, and stops the control plane in t.Cleanup. When the test failed,
// the tail of the kube-apiserver log is logged first, since Stop deletes it.
func StartT(t testing.TB) *ControlPlane {
	t.Helper()
	cp, err := Start(t.Context(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("kube-apiserver log tail:\n%s", logTail(cp.path("kube-apiserver.log"), 40))
		}
		cp.Stop()
	})
	return cp
}

// Stop terminates kube-apiserver and etcd (SIGTERM, then SIGKILL after a
// few seconds), waits for them and removes Dir. Idempotent.
func (cp *ControlPlane) Stop() {
	cp.stopOnce.Do(func() {
		cp.mu.Lock()
		defer cp.mu.Unlock()
		cp.stopped = true
		releasePort(cp.portHold)
		for _, p := range []*process{cp.apiserver, cp.etcd} {
			if p != nil {
				p.stop()
			}
		}
		_ = os.RemoveAll(cp.Dir)
	})
}

// TokenConfig returns a config for the same apiserver and CA that
// authenticates with a bearer token, e.g. a ServiceAccount token from the
// TokenRequest API, for RBAC tests.
func (cp *ControlPlane) TokenConfig(token string) *rest.Config {
	cfg := rest.AnonymousClientConfig(cp.Config)
	cfg.BearerToken = token
	return cfg
}

func (cp *ControlPlane) path(name string) string { return filepath.Join(cp.Dir, name) }

// waitReady polls check until it succeeds, the process exits or the
// deadline passes; failures carry the process's log tail.
func waitReady(ctx context.Context, timeout time.Duration, p *process, check func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var last error
	for {
		if p.exited() {
			return p.failure(fmt.Errorf("cluster: %s exited during start-up: %v", p.name, p.err))
		}
		if last = check(ctx); last == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return p.failure(fmt.Errorf("cluster: %s not ready: %w (last check: %v)", p.name, ctx.Err(), last))
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// freePort asks the kernel for an unused loopback port. Another process
// may grab it before the daemon binds; callers retry on "address already
// in use".
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func portClash(p *process) bool {
	return strings.Contains(logTail(p.logPath, 50), "address already in use")
}

// removeStaleDirs deletes control plane directories whose owner died
// without calling Stop (its daemons died with it, via Pdeathsig).
func removeStaleDirs(parent string) {
	entries, _ := os.ReadDir(parent)
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), dirPrefix)
		if !ok || !e.IsDir() {
			continue
		}
		pidStr, _, _ := strings.Cut(rest, "-")
		if pid, err := strconv.Atoi(pidStr); err == nil && !pidAlive(pid) {
			_ = os.RemoveAll(filepath.Join(parent, e.Name()))
		}
	}
}

var errNotReady = errors.New("not ready")
