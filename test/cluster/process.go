package cluster

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// stopGrace is how long a process gets between SIGTERM and SIGKILL.
const stopGrace = 5 * time.Second

// process is a child started by this package, with its output in a log file.
type process struct {
	name    string
	cmd     *exec.Cmd
	logPath string
	done    chan struct{} // closed once the process has been reaped
	err     error         // Wait's result, valid after done
}

// startProcess starts argv with stdout+stderr appended to logPath.
//
// Owned children get Pdeathsig SIGKILL so they cannot outlive a test binary
// that dies (panic, timeout, os.Exit) before its cleanups run. The signal is
// tied to the OS thread that forked, which the Go runtime only retires when
// a goroutine exits while locked to it; callers must not start processes
// from such goroutines. Detached children (pods created by a process that is
// about to exit, see OpenNetwork) get their own session instead and are
// cleaned up by the network's owner. Both get their own process group so a
// stop reaches any grandchildren too.
func startProcess(name, logPath string, argv []string, detached bool) (*process, error) {
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	defer logf.Close() // the child holds its own copy
	fmt.Fprintf(logf, "==== %s: %s\n", time.Now().Format(time.RFC3339Nano), strings.Join(argv, " "))
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if detached {
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	} else {
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("cluster: start %s: %w", name, err)
	}
	p := &process{name: name, cmd: cmd, logPath: logPath, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

func (p *process) pid() int { return p.cmd.Process.Pid }

// exited reports whether the process has ended.
func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop sends SIGTERM to the process group, SIGKILL after stopGrace, and
// waits until the child is reaped. Safe to call more than once.
func (p *process) stop() {
	if p.exited() {
		return
	}
	_ = syscall.Kill(-p.pid(), syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(stopGrace):
		_ = syscall.Kill(-p.pid(), syscall.SIGKILL)
		<-p.done
	}
	// The group may hold children that ignored SIGTERM.
	_ = syscall.Kill(-p.pid(), syscall.SIGKILL)
}

// failure wraps err with the tail of the log, because "exited with status 1"
// alone never explains why a daemon did not come up.
func (p *process) failure(err error) error {
	return fmt.Errorf("%w\n---- last lines of %s ----\n%s", err, p.logPath, logTail(p.logPath, 30))
}

// logTail returns the last n lines of a file, or a note why it cannot.
func logTail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "(" + err.Error() + ")"
	}
	lines := bytes.Split(bytes.TrimRight(b, "\n"), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.Join(lines, []byte("\n")))
}

// pidAlive reports whether a process with that PID exists. EPERM means it
// exists but belongs to someone else, which still counts as alive.
func pidAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// killPID signals a process we did not start (or no longer hold a handle
// to) and polls until it is gone, SIGKILLing after stopGrace. Zombies count
// as gone: reaping them is their parent's business.
func killPID(pid int) {
	if !pidAlive(pid) {
		return
	}
	_ = syscall.Kill(pid, syscall.SIGTERM)
	start, killed := time.Now(), false
	for pidAlive(pid) && !isZombie(pid) {
		switch waited := time.Since(start); {
		case waited > 2*stopGrace:
			return // unkillable (stuck in the kernel); nothing more we can do
		case waited > stopGrace && !killed:
			_ = syscall.Kill(pid, syscall.SIGKILL)
			killed = true
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func isZombie(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	// Field 3 follows the parenthesised command name, which may hold spaces.
	i := bytes.LastIndexByte(b, ')')
	return i < 0 || i+2 >= len(b) || b[i+2] == 'Z' || b[i+2] == 'X'
}
