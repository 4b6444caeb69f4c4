package reconcile

import (
	"os"
	"path/filepath"
	"testing"
)

// TestCgroupCPUQuota reads v2 and v1 quotas from a fake cgroup tree.
func TestCgroupCPUQuota(t *testing.T) {
	dir := t.TempDir()
	write := func(rel, data string) {
		t.Helper()
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	root := filepath.Join(dir, "sys")
	for _, c := range []struct {
		name, self string
		files      map[string]string
		want       float64
	}{
		{"v2 limit", "0::/pod/ctr\n", map[string]string{"sys/pod/ctr/cpu.max": "150000 100000\n"}, 1.5},
		{"v2 unlimited", "0::/\n", map[string]string{"sys/cpu.max": "max 100000\n"}, 0},
		{"v1 limit", "4:cpu,cpuacct:/kube/pod\n1:name=systemd:/x\n", map[string]string{
			"sys/cpu/kube/pod/cpu.cfs_quota_us": "50000\n", "sys/cpu/kube/pod/cpu.cfs_period_us": "100000\n"}, 0.5},
		{"v1 unlimited", "4:cpu,cpuacct:/\n", map[string]string{"sys/cpu/cpu.cfs_quota_us": "-1\n", "sys/cpu/cpu.cfs_period_us": "100000\n"}, 0},
		{"no file", "0::/gone\n", nil, 0},
	} {
		os.RemoveAll(root)
		for rel, data := range c.files {
			write(rel, data)
		}
		write("self", c.self)
		if got := cgroupCPUQuota(filepath.Join(dir, "self"), root); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
	if n := cpuCount(); n < 1 {
		t.Errorf("cpuCount() = %d", n)
	}
}
