package cluster

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
)

// withStateLock runs fn holding an exclusive flock on stateRoot/.lock. It
// serialises leftover cleanup and subnet claims between test processes; the
// kernel drops the lock if the holder dies, so a crash cannot wedge it.
func withStateLock(fn func() error) error {
	if err := os.MkdirAll(stateRoot, 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(filepath.Join(stateRoot, ".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		return err
	}
	defer syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	return fn()
}

// removeLeftovers deletes namespaces, links, network dirs and claims whose
// owner PID is dead: what a test process killed before its cleanups ran
// leaves behind. Objects of live owners are never touched. Call with the
// state lock held.
func removeLeftovers() {
	dead := func(pid int, ok bool) bool { return ok && !pidAlive(pid) }
	if entries, err := os.ReadDir(netnsDir); err == nil {
		for _, e := range entries {
			if dead(ownerPID(reNetns, e.Name(), 10)) {
				_ = destroyNetns(e.Name(), "")
			}
		}
	}
	if entries, err := os.ReadDir("/sys/class/net"); err == nil {
		for _, e := range entries {
			if dead(ownerPID(reVeth, e.Name(), 36)) || dead(ownerPID(reBridge, e.Name(), 36)) {
				_ = ip("link", "del", e.Name())
			}
		}
	}
	entries, _ := os.ReadDir(stateRoot)
	for _, e := range entries {
		path := filepath.Join(stateRoot, e.Name())
		if dead(ownerPID(reDir, e.Name(), 10)) {
			_ = os.RemoveAll(path)
		}
		if filepath.Ext(e.Name()) == ".claim" && !pidAlive(readPID(path)) {
			_ = os.Remove(path)
		}
	}
}

// claimSubnet reserves a /24 of 198.18.0.0/15 for owner by creating its
// claim file with O_EXCL. /24s already addressed on this host (by anything)
// are skipped. Call with the state lock held; removeLeftovers has already
// dropped claims of dead owners.
func claimSubnet(owner int) (int, error) {
	used := hostSubnets()
	for k := range numSubnets {
		if used[k] {
			continue
		}
		f, err := os.OpenFile(claimPath(k), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
		if errors.Is(err, os.ErrExist) {
			continue
		}
		if err != nil {
			return 0, err
		}
		_, err = f.WriteString(strconv.Itoa(owner) + "\n")
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		return k, err
	}
	return 0, fmt.Errorf("cluster: all %d /24s of 198.18.0.0/15 are claimed (see %s)", numSubnets, stateRoot)
}

// releaseSubnet removes k's claim if owner still holds it.
func releaseSubnet(k, owner int) {
	_ = withStateLock(func() error {
		if readPID(claimPath(k)) == owner {
			return os.Remove(claimPath(k))
		}
		return nil
	})
}

// hostSubnets returns the indexes of 198.18.0.0/15 /24s that hold an
// address on some host interface.
func hostSubnets() map[int]bool {
	used := map[int]bool{}
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		ipn, ok := a.(*net.IPNet)
		if !ok {
			continue
		}
		if v4 := ipn.IP.To4(); v4 != nil && v4[0] == 198 && (v4[1] == 18 || v4[1] == 19) {
			used[int(v4[1]-18)*256+int(v4[2])] = true
		}
	}
	return used
}
