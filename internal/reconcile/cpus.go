package reconcile

import (
	"math"
	"os"
	"runtime"
	"strconv"
	"strings"
)

// cpuCount is how many CPUs nginx's workers may keep busy: the CPUs this
// process may run on, capped by its cgroup's CPU quota rounded up, as
// ingress-nginx counted them. (Go's own GOMAXPROCS default rounds a quota
// below 2 up to 2, and follows a GOMAXPROCS variable meant for Go.)
func cpuCount() int {
	n := runtime.NumCPU()
	if q := cgroupCPUQuota("/proc/self/cgroup", "/sys/fs/cgroup"); q > 0 {
		n = min(n, int(math.Ceil(q)))
	}
	return max(n, 1)
}

// cgroupCPUQuota reads the CPU quota in CPUs of this process's cgroup
// (v2 cpu.max, else v1 cpu.cfs_quota_us/cpu.cfs_period_us); 0 means none
// or unknown.
func cgroupCPUQuota(selfCgroup, root string) float64 {
	b, err := os.ReadFile(selfCgroup)
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		switch {
		case parts[0] == "0" && parts[1] == "": // v2
			if f, err := os.ReadFile(root + parts[2] + "/cpu.max"); err == nil {
				if q, p, ok := strings.Cut(strings.TrimSpace(string(f)), " "); ok {
					return ratio(q, p)
				}
			}
		case strings.Contains(","+parts[1]+",", ",cpu,"): // v1
			dir := root + "/cpu" + parts[2]
			q, _ := os.ReadFile(dir + "/cpu.cfs_quota_us")
			p, _ := os.ReadFile(dir + "/cpu.cfs_period_us")
			return ratio(strings.TrimSpace(string(q)), strings.TrimSpace(string(p)))
		}
	}
	return 0
}

// ratio is quota/period, 0 for "max", -1 or anything unparsable.
func ratio(quota, period string) float64 {
	q, err1 := strconv.ParseFloat(quota, 64)
	p, err2 := strconv.ParseFloat(period, 64)
	if err1 != nil || err2 != nil || q <= 0 || p <= 0 {
		return 0
	}
	return q / p
}
