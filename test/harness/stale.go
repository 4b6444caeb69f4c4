package harness

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// ownerFile, in a controller's Dir, names the test process that runs it.
const ownerFile = "owner.pid"

// nginx outlives a controller that crashes (so a restarted controller can
// adopt it). When the test process itself dies, nothing adopts it: the next
// run kills such nginx masters, found in /proc by their prefix directory,
// whose owning test process is gone.
func killStaleNginx() {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cmdline, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err != nil || !bytes.HasPrefix(cmdline, []byte("nginx: master process")) {
			continue
		}
		prefix := prefixOf(string(cmdline))
		if prefix == "" {
			continue
		}
		owner := ownerOf(prefix)
		if owner == 0 || alive(owner) {
			continue // not ours, or its test still runs
		}
		_ = syscall.Kill(-pid, syscall.SIGKILL)
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
}

// prefixOf extracts the -p directory from an nginx master's command line.
func prefixOf(cmdline string) string {
	f := strings.Fields(strings.ReplaceAll(cmdline, "\x00", " "))
	for i := 0; i+1 < len(f); i++ {
		if f[i] == "-p" {
			return filepath.Clean(f[i+1])
		}
	}
	return ""
}

// ownerOf finds the owner file in dir or its parent (the controller's Dir
// holds nginx's dir).
func ownerOf(dir string) int {
	for _, d := range []string{dir, filepath.Dir(dir)} {
		b, err := os.ReadFile(filepath.Join(d, ownerFile))
		if err == nil {
			pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
			return pid
		}
	}
	return 0
}

func alive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || err == syscall.EPERM
}

// stopNginx ends the nginx a controller left behind in dir, if any.
func stopNginx(dir string) {
	b, err := os.ReadFile(filepath.Join(dir, "nginx", "nginx.pid"))
	if err != nil {
		return
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 1 {
		return
	}
	cmdline, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil || !bytes.Contains(cmdline, []byte(filepath.Join(dir, "nginx"))) {
		return
	}
	_ = syscall.Kill(-pid, syscall.SIGKILL)
}
