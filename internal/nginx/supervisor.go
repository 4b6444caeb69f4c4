// Package nginx supervises the nginx process the controller runs itself.
// The renderer produces complete nginx.conf bytes; this package owns the
// files on disk, `nginx -t`, start, reload (SIGHUP), restart after a crash
// and graceful shutdown. It knows nothing about Kubernetes.
//
// Invariant: nginx only ever runs a config that passed `nginx -t` and, once
// Apply has returned, the one on disk in Paths.Config together with the
// managed files is the last good candidate — so a restart after a crash
// brings back exactly what was served.
package nginx

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sync"
	"time"
)

const defaultBinary = "/usr/sbin/nginx"

// ErrShutdown is returned by Apply once Shutdown has started.
var ErrShutdown = errors.New("nginx supervisor is shut down")

// ErrInvalidConfig marks an Apply error where `nginx -t` rejected the
// candidate or a Files key was refused: retrying the same candidate cannot
// help (unlike, say, a start that failed because a port was taken).
var ErrInvalidConfig = errors.New("invalid nginx configuration")

// Options configure a Supervisor.
type Options struct {
	// Binary is the nginx executable: default /usr/sbin/nginx if it exists,
	// else "nginx" from PATH.
	Binary string
	// Dir is the runtime prefix (created 0755 if missing); see Paths. nginx's
	// workers must be able to traverse it to reach the temp directories.
	Dir string
	// StatusURL, e.g. "http://127.0.0.1:10246/atrium/config-hash", serves the
	// running config's hash. When set, Apply returns only once it answers
	// the candidate's Hash; when empty, a start is confirmed by the pid file
	// naming the new master. Either way a reload is confirmed only once the
	// old workers have stopped accepting, which nginx makes them do only if
	// it accepted the new config (see workers.go).
	StatusURL string
	// ReloadTimeout bounds waiting for a start or reload to be confirmed
	// (default 10s), plus a second per 256 KiB of nginx.conf.
	ReloadTimeout time.Duration
	// Logger receives supervisor events and, one record per line with
	// source=nginx, whatever nginx writes to stdout/stderr before it opens
	// its error_log. Default slog.Default().
	Logger *slog.Logger
}

// Candidate is a complete configuration to activate.
type Candidate struct {
	// Config is the full nginx.conf.
	Config []byte
	// Files are extra files by slash-separated path relative to Dir (e.g.
	// "certs/ab12cd.pem"); Config refers to them by absolute path under Dir.
	// Each directory used here becomes managed: files in it that a later
	// successful Apply does not list are deleted.
	Files map[string]File
	// Hash identifies Config; nginx serves it on StatusURL. Required when
	// StatusURL is set.
	Hash string
}

// Result says what Apply did.
type Result int

const (
	// ResultUnchanged: the candidate equals the last good one; nginx was not touched.
	ResultUnchanged Result = iota
	// ResultStarted: nginx was not running and now runs the candidate.
	ResultStarted
	// ResultReloaded: the running nginx was reloaded onto the candidate.
	ResultReloaded
)

func (r Result) String() string {
	switch r {
	case ResultStarted:
		return "started"
	case ResultReloaded:
		return "reloaded"
	case ResultUnchanged:
		return "unchanged"
	}
	return fmt.Sprintf("Result(%d)", int(r))
}

// Supervisor runs one nginx master. All methods are safe for concurrent use.
type Supervisor struct {
	opts   Options
	bin    string
	paths  Paths
	log    *slog.Logger
	client *http.Client

	// op serializes everything that changes files or the process (Apply,
	// restarts, Shutdown) so reloads never overlap. A channel rather than a
	// mutex so that waiting for it can honour a context.
	op chan struct{}
	// stopCtx is cancelled by Shutdown and aborts in-flight waits.
	stopCtx    context.Context
	stopCancel context.CancelFunc

	// Guarded by op: the last good candidate and the managed directories.
	good        *Candidate
	managedDirs map[string]bool
	// uncertain is set when a reload was signalled but not confirmed: nginx
	// may run either config, so the next Apply must not short-circuit.
	uncertain bool

	mu       sync.Mutex // guards the fields below, read by the getters
	proc     *process
	ready    bool
	stopping bool
	haveGood bool // a good candidate exists (s.good != nil), for Run
	goodHash string
	restarts int
	changed  chan struct{} // closed and replaced whenever proc changes
}

// New checks the options, resolves the binary and prepares Dir, Dir/logs and
// Dir/tmp. It does not start nginx; the first successful Apply does.
func New(opts Options) (*Supervisor, error) {
	if opts.Dir == "" {
		return nil, errors.New("nginx: Options.Dir is required")
	}
	if opts.ReloadTimeout <= 0 {
		opts.ReloadTimeout = 10 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	bin, err := findBinary(opts.Binary)
	if err != nil {
		return nil, err
	}
	paths := opts.Paths()
	for _, d := range []string{paths.Dir, paths.LogDir, paths.TempDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("nginx: %w", err)
		}
	}
	// The control socket's directory admits only our user: that is what
	// authenticates endpoint updates.
	if err := os.MkdirAll(filepath.Dir(paths.ControlSocket), 0o700); err != nil {
		return nil, fmt.Errorf("nginx: %w", err)
	}
	if err := os.Chmod(filepath.Dir(paths.ControlSocket), 0o700); err != nil {
		return nil, fmt.Errorf("nginx: %w", err)
	}
	if err := os.MkdirAll(paths.SinkDir, 0o755); err != nil {
		return nil, fmt.Errorf("nginx: %w", err)
	}
	if err := workersCanReach(paths.SinkDir); err != nil {
		return nil, err
	}
	stopCtx, stopCancel := context.WithCancel(context.Background())
	return &Supervisor{
		opts:        opts,
		bin:         bin,
		paths:       paths,
		log:         opts.Logger,
		client:      newStatusClient(),
		op:          make(chan struct{}, 1),
		stopCtx:     stopCtx,
		stopCancel:  stopCancel,
		managedDirs: map[string]bool{},
		changed:     make(chan struct{}),
	}, nil
}

func findBinary(bin string) (string, error) {
	if bin == "" {
		if _, err := os.Stat(defaultBinary); err == nil {
			return defaultBinary, nil
		}
		bin = "nginx"
	}
	p, err := exec.LookPath(bin)
	if err != nil {
		return "", fmt.Errorf("nginx: binary: %w", err)
	}
	return p, nil
}

// Apply validates and activates c; see the package doc for the invariant.
// On any error the running nginx keeps its config and the files on disk are
// put back to the last good candidate. Errors from `nginx -t` wrap
// ErrInvalidConfig and include nginx's output.
func (s *Supervisor) Apply(ctx context.Context, c Candidate) (Result, error) {
	if err := checkFiles(s.paths.Dir, c.Files); err != nil {
		return 0, fmt.Errorf("%w: %v", ErrInvalidConfig, err)
	}
	if s.opts.StatusURL != "" && c.Hash == "" {
		return 0, errors.New("nginx: candidate has no Hash but a StatusURL is set")
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(s.stopCtx, cancel)()
	if err := s.lock(ctx); err != nil {
		if s.stopped() {
			return 0, ErrShutdown
		}
		return 0, err
	}
	defer s.unlock()
	if s.stopped() {
		return 0, ErrShutdown
	}
	if s.good != nil && !s.uncertain && bytes.Equal(s.good.Config, c.Config) && equalFiles(s.good.Files, c.Files) {
		return ResultUnchanged, nil
	}
	c = Candidate{Config: bytes.Clone(c.Config), Files: cloneFiles(c.Files), Hash: c.Hash}

	res, err := s.activate(ctx, c)
	if err != nil {
		return 0, err
	}
	prev := s.good
	s.good, s.uncertain = &c, false
	s.mu.Lock()
	s.haveGood, s.goodHash = true, c.Hash
	if s.proc != nil && !s.stopping {
		s.ready = true // also an adopted nginx, once it runs our config
	}
	s.mu.Unlock()
	s.removeStale(prev, c.Files)
	s.log.Info("nginx config applied", "result", res.String(), "hash", c.Hash)
	return res, nil
}

// activate writes, tests and switches to c, rolling the disk back on failure.
func (s *Supervisor) activate(ctx context.Context, c Candidate) (Result, error) {
	var goodFiles map[string]File
	if s.good != nil {
		goodFiles = s.good.Files
	}
	for rel := range c.Files {
		if d := path.Dir(rel); d != "." {
			s.managedDirs[d] = true
		}
	}
	changes, err := writeFiles(s.paths.Dir, c.Files, goodFiles)
	if err == nil {
		err = writeAtomic(s.paths.Candidate, c.Config, 0o644, 0)
	}
	if err != nil {
		s.undo(changes, false)
		return 0, fmt.Errorf("nginx: %w", err)
	}
	if err := s.test(ctx); err != nil {
		s.undo(changes, false)
		return 0, err
	}
	if err := os.Rename(s.paths.Candidate, s.paths.Config); err != nil {
		s.undo(changes, false)
		return 0, fmt.Errorf("nginx: %w", err)
	}

	s.mu.Lock()
	p := s.proc
	s.mu.Unlock()
	res := ResultReloaded
	if p == nil {
		res, err = ResultStarted, s.start(ctx, c.Hash)
	} else if err = s.reload(ctx, p, c.Hash); err != nil {
		s.uncertain = true
	}
	if err != nil {
		s.undo(changes, true)
		return 0, err
	}
	return res, nil
}

// test runs `nginx -t` on the candidate file. It uses the same prefix and
// -g as the real start, so a `daemon` directive in the file fails here too.
func (s *Supervisor) test(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, s.bin, "-t", "-q", "-p", s.paths.Dir+"/", "-c", s.paths.Candidate, "-g", "daemon off;")
	cmd.Dir = s.paths.Dir
	cmd.WaitDelay = time.Second
	out, err := cmd.CombinedOutput()
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("nginx -t: %w", ctx.Err())
		}
		return fmt.Errorf("%w (nginx -t: %v):\n%s", ErrInvalidConfig, err, bytes.TrimSpace(out))
	}
	return nil
}

// start spawns a master on Paths.Config and waits until it serves hash. A
// master that cannot be confirmed is killed: a running nginx always runs a
// confirmed config, which keeps restarts and ResultUnchanged honest.
func (s *Supervisor) start(ctx context.Context, hash string) error {
	p, err := s.spawn()
	if err != nil {
		return fmt.Errorf("nginx: start: %w", err)
	}
	if err := s.awaitServing(ctx, p, hash, nil); err != nil {
		p.kill()
		return fmt.Errorf("nginx: start: %w", err)
	}
	s.mu.Lock()
	if s.proc == p && !s.stopping {
		s.ready = true
	}
	s.mu.Unlock()
	return nil
}

// reload sends SIGHUP and waits until the new config serves and the old
// workers have stopped accepting. nginx validates the new config itself; if
// it rejects it (e.g. a listen address it cannot bind), the old workers keep
// serving and the reason is only in the error log — hence the quote.
func (s *Supervisor) reload(ctx context.Context, p *process, hash string) error {
	offset := s.errorLogSize()
	retired := activeWorkers(p.pid)
	if retired == nil {
		retired = []int{} // non-nil: this is a reload
	}
	if err := p.signal(sigReload); err != nil {
		return fmt.Errorf("nginx: reload: %w", err)
	}
	if err := s.awaitServing(ctx, p, hash, retired); err != nil {
		if problems := s.errorLogProblems(offset); problems != "" {
			err = fmt.Errorf("%w\nerror log:\n%s", err, problems)
		}
		return fmt.Errorf("nginx: reload: %w", err)
	}
	return nil
}

// undo puts the disk back to the last good candidate after a failed apply.
// The config file only needs restoring once the candidate replaced it.
func (s *Supervisor) undo(changes []fileChange, config bool) {
	err := undoFiles(s.paths.Dir, changes)
	if config {
		if s.good != nil {
			if werr := writeAtomic(s.paths.Config, s.good.Config, 0o644, 0); err == nil {
				err = werr
			}
		} else if rerr := os.Remove(s.paths.Config); err == nil && !os.IsNotExist(rerr) {
			err = rerr
		}
	}
	if err != nil {
		s.log.Error("nginx: restoring the last good files failed", "err", err)
	}
}

// removeStale deletes managed files the new good candidate does not list.
func (s *Supervisor) removeStale(prev *Candidate, current map[string]File) {
	var prevFiles map[string]File
	if prev != nil {
		prevFiles = prev.Files
	}
	for _, rel := range staleFiles(s.paths.Dir, s.managedDirs, prevFiles, current) {
		// rel is a validated key or a name read from a managed directory.
		if err := os.Remove(filepath.Join(s.paths.Dir, filepath.FromSlash(rel))); err != nil && !os.IsNotExist(err) {
			s.log.Warn("nginx: removing stale file", "file", rel, "err", err)
		}
	}
}

// restore rewrites the last good config and files before a restart, so a
// file lost since (deleted by hand, say) cannot keep nginx down.
func (s *Supervisor) restore() error {
	if _, err := writeFiles(s.paths.Dir, s.good.Files, nil); err != nil {
		return err
	}
	return writeAtomic(s.paths.Config, s.good.Config, 0o644, 0)
}

// Ready reports whether nginx runs a good config: false before the first
// successful Apply, after nginx died until it is restarted, and once
// Shutdown has started.
func (s *Supervisor) Ready() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ready && !s.stopping
}

// PID returns the master's PID, 0 if it is not running.
func (s *Supervisor) PID() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc == nil {
		return 0
	}
	return s.proc.pid
}

// LastGood returns the Hash of the last successfully applied candidate.
func (s *Supervisor) LastGood() (hash string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.goodHash
}

// Restarts returns how many times Run restarted a dead nginx (for metrics).
func (s *Supervisor) Restarts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.restarts
}

func (s *Supervisor) lock(ctx context.Context) error {
	select {
	case s.op <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *Supervisor) unlock() { <-s.op }

func (s *Supervisor) stopped() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stopping
}

// notifyLocked wakes Run; s.mu must be held.
func (s *Supervisor) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}
