package cluster

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// ip runs the iproute2 CLI. Shelling out keeps the package free of netlink
// dependencies and makes every step reproducible by hand when debugging.
func ip(args ...string) error {
	_, err := ipOutput(args...)
	return err
}

func ipOutput(args ...string) (string, error) {
	var out, stderr bytes.Buffer
	cmd := exec.Command("ip", args...)
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("ip %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return out.String(), nil
}

// ipBatch runs several commands in one ip process (-n selects a netns).
func ipBatch(netns string, lines ...string) error {
	var stderr bytes.Buffer
	cmd := exec.Command("ip", "-n", netns, "-batch", "-")
	cmd.Stdin = strings.NewReader(strings.Join(lines, "\n") + "\n")
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("ip -n %s -batch: %v: %s", netns, err, strings.TrimSpace(stderr.String()))
	}
	return nil
}

// relaxHostInterface makes the host side of our links accept pod traffic:
// rp_filter off (the kernel uses max(all, iface), so this only helps when
// "all" is 0, but strict mode passes anyway since pod sources route back
// via the same bridge), and IPv6 off so DAD and router solicitations do not
// add noise to captures. Errors are ignored: the knobs may not exist.
func relaxHostInterface(name string) {
	_ = os.WriteFile(filepath.Join("/proc/sys/net/ipv4/conf", name, "rp_filter"), []byte("0"), 0o644)
	_ = os.WriteFile(filepath.Join("/proc/sys/net/ipv6/conf", name, "disable_ipv6"), []byte("1"), 0o644)
}

// netnsPIDs lists the processes living in a network namespace.
func netnsPIDs(netns string) []int {
	out, err := ipOutput("netns", "pids", netns)
	if err != nil {
		return nil
	}
	var pids []int
	for _, f := range strings.Fields(out) {
		if pid, err := strconv.Atoi(f); err == nil {
			pids = append(pids, pid)
		}
	}
	return pids
}

// destroyNetns kills whatever still runs in a namespace, then deletes its
// host veth explicitly (namespace teardown is asynchronous, so the peer
// would otherwise linger and block reuse of its name) and the namespace.
func destroyNetns(netns, veth string) error {
	for _, pid := range netnsPIDs(netns) {
		killPID(pid)
	}
	if veth != "" && linkExists(veth) {
		_ = ip("link", "del", veth)
	}
	if _, err := os.Stat(filepath.Join(netnsDir, netns)); os.IsNotExist(err) {
		return nil
	}
	return ip("netns", "del", netns)
}

func linkExists(name string) bool {
	_, err := os.Stat(filepath.Join("/sys/class/net", name))
	return err == nil
}
