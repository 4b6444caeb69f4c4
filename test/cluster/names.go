package cluster

import (
	"fmt"
	"net/netip"
	"os"
	"regexp"
	"strconv"
	"strings"
)

// Every kernel object and file we create carries "atr" and the PID of the
// process owning the network, so that a later run can tell leftovers of a
// dead process (safe to delete) from a live parallel test's (never touch).
// k is the index of the network's /24 in 198.18.0.0/15 and is unique among
// live networks (see claimSubnet); octet is a pod's last address byte.
// Interface names are limited to 15 bytes, hence base36:
// "atv" + pid(≤5) + "-" + k(≤2) + "-" + octet(≤2) is at most 14.
const (
	stateRoot  = "/run/atrium-test"
	netnsDir   = "/run/netns" // where `ip netns` keeps named namespaces
	numSubnets = 512          // /24s in 198.18.0.0/15
	firstOctet = 2            // .1 is the host side of the bridge
	lastOctet  = 254
)

func b36(n int) string { return strconv.FormatInt(int64(n), 36) }

func bridgeName(pid, k int) string { return "atrb" + b36(pid) + "-" + b36(k) }

func vethName(pid, k, octet int) string {
	return "atv" + b36(pid) + "-" + b36(k) + "-" + b36(octet)
}

func netnsName(pid, k, octet int) string { return fmt.Sprintf("atr%d-%d-%d", pid, k, octet) }

// netnsPrefix is shared by all pod namespaces of one network.
func netnsPrefix(pid, k int) string { return fmt.Sprintf("atr%d-%d-", pid, k) }

func networkDir(pid, k int) string { return fmt.Sprintf("%s/atr%d-%d", stateRoot, pid, k) }

func claimPath(k int) string { return fmt.Sprintf("%s/net-%d.claim", stateRoot, k) }

// subnet returns the k-th /24 of 198.18.0.0/15.
func subnet(k int) netip.Prefix {
	return netip.PrefixFrom(netip.AddrFrom4([4]byte{198, 18 + byte(k/256), byte(k % 256), 0}), 24)
}

func addrIn(k, octet int) netip.Addr {
	a := subnet(k).Addr().As4()
	a[3] = byte(octet)
	return netip.AddrFrom4(a)
}

// podMAC is fixed per (network, octet) so that the host's ARP cache stays
// right when a deleted pod's address is reused; bridgeMAC is fixed because
// a bridge otherwise adopts the lowest port MAC, changing under the pods.
func podMAC(k, octet int) string {
	return fmt.Sprintf("02:a7:00:%02x:%02x:%02x", k>>8, k&0xff, octet)
}

func bridgeMAC(k int) string { return fmt.Sprintf("02:a7:01:%02x:%02x:01", k>>8, k&0xff) }

var (
	reNetns  = regexp.MustCompile(`^atr([0-9]+)-[0-9]+-[0-9]+$`)
	reDir    = regexp.MustCompile(`^atr([0-9]+)-[0-9]+$`)
	reBridge = regexp.MustCompile(`^atrb([0-9a-z]+)-[0-9a-z]+$`)
	reVeth   = regexp.MustCompile(`^atv([0-9a-z]+)-[0-9a-z]+-[0-9a-z]+$`)
)

// ownerPID extracts the owner PID from one of our names, base 10 or 36.
func ownerPID(re *regexp.Regexp, name string, base int) (int, bool) {
	m := re.FindStringSubmatch(name)
	if m == nil {
		return 0, false
	}
	pid, err := strconv.ParseInt(m[1], base, 32)
	return int(pid), err == nil
}

// readPID reads the PID a claim file holds.
func readPID(path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return pid
}
