package nginx

import (
	"bytes"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Adopt takes over an nginx master that a previous controller started in
// the same Dir and left running (it crashed or was killed): the pid file
// names a live process whose command line is nginx's master with our
// prefix. Adopted, it keeps serving; the next Apply reloads it gracefully
// (never Unchanged, since its config is unknown), so a controller restart
// drops no request. Call Adopt before the first Apply; it reports whether a
// master was adopted.
func (s *Supervisor) Adopt() bool {
	b, err := os.ReadFile(s.paths.PIDFile)
	if err != nil {
		return false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 1 || !s.isOurMaster(pid) {
		return false
	}
	if s.lock(s.stopCtx) != nil {
		return false
	}
	defer s.unlock()
	s.mu.Lock()
	if s.proc != nil || s.stopping {
		s.mu.Unlock()
		return false
	}
	p := &process{adopted: true, pid: pid, out: newLogWriter(s.log.With("source", "nginx")), done: make(chan struct{})}
	s.proc, s.ready = p, false
	s.notifyLocked()
	s.mu.Unlock()
	s.uncertain = true
	go s.watchAdopted(p)
	s.log.Info("adopted the running nginx", "pid", pid)
	return true
}

// isOurMaster checks /proc: a live nginx master whose prefix is our Dir.
func (s *Supervisor) isOurMaster(pid int) bool {
	cmdline, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil {
		return false
	}
	return bytes.HasPrefix(cmdline, []byte("nginx: master process")) &&
		bytes.Contains(cmdline, []byte("-p "+s.paths.Dir+"/ ")) && !isZombie(pid)
}

// watchAdopted polls an adopted master, which is not our child and cannot
// be waited for. When it is gone, its leftover workers (its process group)
// are killed, as watch does for our own children.
func (s *Supervisor) watchAdopted(p *process) {
	for {
		if err := syscall.Kill(p.pid, 0); err != nil || isZombie(p.pid) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	killGroupIfNginx(p.pid)
	s.mu.Lock()
	expected := s.stopping || p.expected.Load()
	if s.proc == p {
		s.proc, s.ready = nil, false
		s.notifyLocked()
	}
	s.mu.Unlock()
	if expected {
		s.log.Info("adopted nginx exited", "pid", p.pid)
	} else {
		s.log.Error("adopted nginx exited unexpectedly", "pid", p.pid)
	}
	close(p.done)
}

// killGroupIfNginx kills what remains of a dead master's process group, but
// only processes that are nginx (the group ID may have been reused).
func killGroupIfNginx(pgid int) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return
	}
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
		if i < 0 || !bytes.Contains(stat[:i], []byte("(nginx")) {
			continue
		}
		f := strings.Fields(string(stat[i+1:]))
		if len(f) > 2 && f[2] == strconv.Itoa(pgid) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

func isZombie(pid int) bool {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	i := bytes.LastIndexByte(stat, ')')
	return i < 0 || i+2 >= len(stat) || stat[i+2] == 'Z' || stat[i+2] == 'X'
}
