package nginxconf

import "testing"

// TestWorkerLimits: ingress-nginx's derivation of worker_rlimit_nofile and
// worker_connections from the open-file limit.
func TestWorkerLimits(t *testing.T) {
	for _, c := range []struct{ limit, maxConns, files, conns int }{
		{0, 16384, 0, 16384},          // unknown limit: nothing rendered, the default
		{0, 0, 0, 16384},              // "0" without a known limit
		{1048576, 0, 1047552, 785664}, // the usual container limit
		{20000, 16384, 18976, 16384},
		{1500, 0, 1024, 768}, // never fewer than 1,024 files
		{65536, 512, 64512, 512},
	} {
		files, conns := workerLimits(c.limit, c.maxConns)
		if files != c.files || conns != c.conns {
			t.Errorf("workerLimits(%d, %d) = %d, %d; want %d, %d", c.limit, c.maxConns, files, conns, c.files, c.conns)
		}
	}
}

// TestWorkerProcessesAuto: "auto" is the CPU count the controller was
// given (its cgroup quota included) when known, nginx's auto otherwise; a
// number stays.
func TestWorkerProcessesAuto(t *testing.T) {
	for _, c := range []struct {
		flag string
		cpus int
		want string
	}{
		{"auto", 3, "3"}, {"", 3, "3"}, {"auto", 0, "auto"}, {"2", 8, "2"},
	} {
		o := testOptions(t, "/run/atrium")
		o.WorkerProcesses, o.CPUs = c.flag, c.cpus
		cfg, _, err := Build(Snapshot{}, o)
		if err != nil || cfg.WorkerProcesses != c.want {
			t.Errorf("--worker-processes %q with %d CPUs: %v %v, want %q", c.flag, c.cpus, cfg, err, c.want)
		}
	}
}
