package nginx

import (
	"bytes"
	"os"
	"strconv"
	"strings"
)

// Why workers are watched at all: after a successful SIGHUP the master
// starts new workers and only then tells the old ones to quit, and until an
// old worker handles that it still accepts connections on the shared
// listening sockets — with the old config. So the new hash on StatusURL
// (answered by a new worker) does not yet mean that every new connection
// gets the new config. An old worker renames itself to "worker process is
// shutting down" right before it closes its listening sockets; once every
// pre-reload worker has done so (or exited), new connections reach only new
// workers. This is also how a reload without StatusURL is confirmed: nginx
// signals the old workers only if it accepted the new config.

// activeWorkers lists the master's children that are not yet shutting down.
func activeWorkers(master int) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var out []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if workerActive(master, pid) {
			out = append(out, pid)
		}
	}
	return out
}

// workerActive reports whether pid is still a live child of master that
// has not started shutting down. Checking the parent guards against PID reuse.
func workerActive(master, pid int) bool {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	// "pid (comm) state ppid ...": comm may contain spaces and parentheses.
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return false
	}
	fields := strings.Fields(string(stat[i+1:]))
	if len(fields) < 2 || fields[0] == "Z" || fields[0] == "X" || fields[1] != strconv.Itoa(master) {
		return false
	}
	cmdline, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil {
		return false
	}
	return !bytes.Contains(cmdline, []byte("shutting down"))
}

// workersRetired reports whether none of the given workers is still active.
func workersRetired(master int, workers []int) bool {
	for _, pid := range workers {
		if workerActive(master, pid) {
			return false
		}
	}
	return true
}
