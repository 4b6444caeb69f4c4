package nginx

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// process is one nginx master: one we started (cmd set), or one a previous
// controller started and we adopted (adopted set, cmd nil).
type process struct {
	cmd     *exec.Cmd
	adopted bool
	pid     int
	out     *logWriter
	// expected is set before we stop the master on purpose, so its exit is
	// not reported as a crash.
	expected atomic.Bool
	// done is closed once the master has been reaped; err is Wait's result.
	done chan struct{}
	err  error
}

// spawn starts the master on Paths.Config and registers it as s.proc. The
// caller holds the op lock.
//
// Process attributes, and why:
//   - the master is our direct child, so a watcher can wait for its death;
//   - Setpgid puts master and workers in their own process group (pgid = the
//     master's PID): a Ctrl-C on the controller's terminal does not reach
//     nginx before Shutdown drains it, and workers orphaned by a killed master
//     can be found and killed (they would otherwise keep the ports bound and
//     keep serving, so a restarted master could not bind);
//   - no Pdeathsig: if the controller dies without Shutdown (a crash, a
//     kill), nginx keeps serving on its last good config, and the next
//     controller adopts it (see Adopt) and reloads it gracefully. A
//     controller that is told to stop (SIGTERM) drains and stops nginx.
func (s *Supervisor) spawn() (*process, error) {
	// A master that was killed leaves its unix socket behind, and nginx
	// will not bind over an existing file. We only spawn when no master of
	// ours runs on this Dir (a live one would have been adopted), so the
	// file is stale.
	stale, _ := filepath.Glob(filepath.Join(s.paths.SinkDir, "*.sock"))
	for _, f := range append(stale, s.paths.ControlSocket) {
		if err := os.Remove(f); err != nil && !os.IsNotExist(err) {
			return nil, err
		}
	}
	out := newLogWriter(s.log.With("source", "nginx"))
	cmd := exec.Command(s.bin, "-p", s.paths.Dir+"/", "-c", s.paths.Config, "-g", "daemon off;")
	cmd.Dir = s.paths.Dir
	cmd.Stdout, cmd.Stderr = out, out // same writer: exec shares one pipe
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	// Workers inherit the pipe; never let a straggler block Wait forever.
	cmd.WaitDelay = 2 * time.Second

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopping {
		return nil, ErrShutdown
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &process{cmd: cmd, pid: cmd.Process.Pid, out: out, done: make(chan struct{})}
	s.proc, s.ready = p, false
	s.notifyLocked()
	go s.watch(p)
	s.log.Info("nginx started", "pid", p.pid)
	return p, nil
}

// watch waits for the master to exit, clears it from the supervisor and
// kills whatever is left of its process group. The group is killed between
// the exit and the reap: while the master is a zombie its PID (the group ID)
// cannot be reused, so the signal can only reach nginx processes of ours.
// Killed orphans are reaped by init; if the controller itself is PID 1 they
// stay zombies (harmless, but run under tini or similar to avoid that).
func (s *Supervisor) watch(p *process) {
	var info unix.Siginfo
	for {
		err := unix.Waitid(unix.P_PID, p.pid, &info, unix.WEXITED|unix.WNOWAIT, nil)
		if err == nil {
			_ = syscall.Kill(-p.pid, syscall.SIGKILL)
			break
		}
		if !errors.Is(err, unix.EINTR) {
			break // cannot happen for our own child; Wait below still reaps it
		}
	}
	p.err = p.cmd.Wait()
	p.out.flush()

	s.mu.Lock()
	expected := s.stopping || p.expected.Load()
	if s.proc == p {
		s.proc, s.ready = nil, false
		s.notifyLocked()
	}
	s.mu.Unlock()
	if expected {
		s.log.Info("nginx exited", "pid", p.pid, "status", exitStatus(p.err))
	} else {
		s.log.Error("nginx exited unexpectedly", "pid", p.pid, "status", exitStatus(p.err), "output", p.out.lastLines())
	}
	close(p.done)
}

// signal delivers sig to the master (through its pidfd, so never to a
// recycled PID). os.ErrProcessDone means it has already exited.
func (p *process) signal(sig os.Signal) error {
	if p.adopted {
		if p.exited() {
			return os.ErrProcessDone
		}
		return syscall.Kill(p.pid, sig.(syscall.Signal))
	}
	return p.cmd.Process.Signal(sig)
}

// forceKill sends SIGKILL to the master; its watcher takes the workers.
func (p *process) forceKill() {
	if p.adopted {
		_ = p.signal(syscall.SIGKILL)
		return
	}
	_ = p.cmd.Process.Kill()
}

// kill stops a master we gave up on (its start could not be confirmed):
// SIGKILL, and watch takes the workers with it.
func (p *process) kill() {
	p.expected.Store(true)
	p.forceKill()
	<-p.done
}

func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

func exitStatus(err error) string {
	if err == nil {
		return "exit status 0"
	}
	return err.Error()
}
