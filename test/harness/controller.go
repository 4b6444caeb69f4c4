// Package harness runs Atrium locally for the e2e suite, the demo and the
// benchmarks: the controller binary as a child process next to the test
// control plane and emulated pods of package cluster.
package harness

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// ControllerOptions start one controller process.
type ControllerOptions struct {
	// Binary is the controller binary (see BuildController).
	Binary     string
	Kubeconfig string
	// Dir holds nginx's runtime files and the controller's log.
	Dir string
	// Addr is the loopback address nginx and /healthz listen on (default 127.0.0.1).
	Addr string
	// Ports; zero picks a free one.
	HTTPPort, HTTPSPort, HealthzPort, StatusPort int
	// ExtraArgs are appended to the flags (e.g. --default-backend-service).
	ExtraArgs []string
	// Env is added to the process environment (e.g. POD_NAMESPACE).
	Env []string
}

// Controller is a running controller process.
type Controller struct {
	Opts    ControllerOptions
	LogPath string
	cmd     *exec.Cmd
	done    chan struct{}
	waitErr error
}

// HTTPAddr is where nginx serves plain HTTP.
func (c *Controller) HTTPAddr() string {
	return net.JoinHostPort(c.Opts.Addr, strconv.Itoa(c.Opts.HTTPPort))
}

// HTTPSAddr is where nginx serves HTTPS.
func (c *Controller) HTTPSAddr() string {
	return net.JoinHostPort(c.Opts.Addr, strconv.Itoa(c.Opts.HTTPSPort))
}

// HealthzURL is the controller's /healthz.
func (c *Controller) HealthzURL() string {
	return "http://" + net.JoinHostPort(c.Opts.Addr, strconv.Itoa(c.Opts.HealthzPort)) + "/healthz"
}

// MetricsURL is the controller's /metrics.
func (c *Controller) MetricsURL() string {
	return "http://" + net.JoinHostPort(c.Opts.Addr, strconv.Itoa(c.Opts.HealthzPort)) + "/metrics"
}

// PID is the controller process's PID.
func (c *Controller) PID() int { return c.cmd.Process.Pid }

// StartController starts the controller and waits until /healthz is 200,
// i.e. nginx serves the first good configuration.
func StartController(ctx context.Context, o ControllerOptions) (*Controller, error) {
	if o.Addr == "" {
		o.Addr = "127.0.0.1"
	}
	// The kernel may hand out a port it just handed out (each FreePort
	// closes its socket), so the four are drawn until they differ.
	used := map[int]bool{o.HTTPPort: true, o.HTTPSPort: true, o.HealthzPort: true, o.StatusPort: true}
	for _, p := range []*int{&o.HTTPPort, &o.HTTPSPort, &o.HealthzPort, &o.StatusPort} {
		for tries := 0; *p == 0; tries++ {
			port, err := FreePort()
			if err != nil {
				return nil, err
			}
			if !used[port] || tries > 100 {
				*p = port
				used[port] = true
			}
		}
	}
	killStaleNginx()
	if err := os.MkdirAll(o.Dir, 0o755); err != nil {
		return nil, err
	}
	if err := openForWorkers(o.Dir); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(o.Dir, ownerFile), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		return nil, err
	}
	args := []string{
		"--kubeconfig", o.Kubeconfig,
		"--bind-address", o.Addr, "--healthz-bind-address", o.Addr,
		"--http-port", strconv.Itoa(o.HTTPPort), "--https-port", strconv.Itoa(o.HTTPSPort),
		"--healthz-port", strconv.Itoa(o.HealthzPort), "--status-port", strconv.Itoa(o.StatusPort),
		"--nginx-dir", filepath.Join(o.Dir, "nginx"),
		"--shutdown-grace-period", "5s",
		"--sync-hold-off", "50ms",
	}
	args = append(args, o.ExtraArgs...)
	logPath := filepath.Join(o.Dir, "controller.log")
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(o.Binary, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Env = append(os.Environ(), o.Env...)
	// If the test process dies, the controller dies too (and takes nginx
	// down with it), so no run leaves processes behind.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, err
	}
	c := &Controller{Opts: o, LogPath: logPath, cmd: cmd, done: make(chan struct{})}
	go func() { c.waitErr = cmd.Wait(); logf.Close(); close(c.done) }()
	if err := c.waitHealthy(ctx, 60*time.Second); err != nil {
		c.Kill()
		return nil, fmt.Errorf("controller did not become healthy: %w\n%s", err, Tail(logPath, 40))
	}
	return c, nil
}

func (c *Controller) waitHealthy(ctx context.Context, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	client := &http.Client{Timeout: time.Second}
	for {
		select {
		case <-c.done:
			return fmt.Errorf("controller exited: %v", c.waitErr)
		default:
		}
		resp, err := client.Get(c.HealthzURL())
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return errors.New("timed out waiting for /healthz")
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Stop sends SIGTERM (graceful: nginx drains) and waits; then SIGKILL.
// Whatever nginx is left (after a Kill, say) is ended too.
func (c *Controller) Stop() {
	if c == nil {
		return
	}
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
	case <-time.After(20 * time.Second):
		c.Kill()
	}
	stopNginx(c.Opts.Dir)
}

// Kill ends the controller at once, as a crash would. nginx, in its own
// process group, keeps serving until a new controller adopts it or Stop.
func (c *Controller) Kill() {
	_ = syscall.Kill(-c.cmd.Process.Pid, syscall.SIGKILL)
	<-c.done
}

// Restart starts a new controller process with the same options (after a
// Kill or Stop), waiting until it is healthy.
func (c *Controller) Restart(ctx context.Context) (*Controller, error) {
	return StartController(ctx, c.Opts)
}

// Exited reports whether the process has ended.
func (c *Controller) Exited() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// BuildController builds ./cmd/controller from the module at root into dir.
func BuildController(root, dir string) (string, error) {
	out := filepath.Join(dir, "controller")
	return out, GoBuild(root, "./cmd/controller", out)
}

// FreePort asks the kernel for a free loopback TCP port.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Tail returns the last n lines of a file, for failure messages.
func Tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// GoBuild builds a main package of the module at root into out.
func GoBuild(root, pkg, out string) error {
	cmd := exec.Command("go", "build", "-o", out, pkg)
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s: %v\n%s", pkg, err, b)
	}
	return nil
}

// openForWorkers adds the search bit for others to the directories above
// dir that tests made private (os.MkdirTemp gives 0700), so nginx's workers,
// which run as nobody under a root master, can reach the sockets and temp
// files below it; the supervisor refuses to start otherwise. Only
// directories under the system temp directory are touched.
func openForWorkers(dir string) error {
	tmp := filepath.Clean(os.TempDir())
	for d := filepath.Clean(dir); strings.HasPrefix(d, tmp+string(filepath.Separator)); d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err != nil {
			return err
		}
		if fi.Mode().Perm()&0o001 == 0 {
			if err := os.Chmod(d, fi.Mode().Perm()|0o011); err != nil {
				return err
			}
		}
	}
	return nil
}
