package cluster

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// EchoServerEnv names an echoserver binary to use when
// NetworkOptions.EchoServer is empty, e.g. one a test harness just built.
const EchoServerEnv = "ATRIUM_ECHOSERVER"

// NetworkOptions configures NewNetwork.
type NetworkOptions struct {
	// EchoServer is the path of the echoserver binary pods run; default
	// $ATRIUM_ECHOSERVER, else <BinDir>/echoserver
	// (`go build -o bin/echoserver ./test/echoserver`).
	EchoServer string
	// BinDir is where the default EchoServer is looked up; see BinDir.
	BinDir string
}

// Network is a Linux bridge with a /24 of 198.18.0.0/15 whose .1 address
// sits on the host side, so host processes (nginx, the test itself) reach
// every pod directly: no routes, no NAT.
type Network struct {
	// Bridge is the host bridge interface, "atrb<pid36>-<k36>".
	Bridge string
	// Subnet is the network's /24, e.g. "198.18.3.0/24".
	Subnet string
	// HostIP is the bridge's (the host's) address in Subnet, the .1.
	HostIP string
	// Dir holds pod records and echoserver logs: /run/atrium-test/atr<pid>-<k>.
	Dir string

	owner, k int
	echo     string
	detached bool // opened by another process: pods must outlive it

	mu     sync.Mutex // guards pods, closed
	pods   map[string]*Pod
	closed bool
}

// NetworkState is what another process needs to open a running Network
// (see OpenNetwork); it is plain data, meant to be saved as JSON.
type NetworkState struct {
	OwnerPID   int    `json:"ownerPID"`
	Index      int    `json:"index"` // of the /24 in 198.18.0.0/15
	Bridge     string `json:"bridge"`
	Subnet     string `json:"subnet"`
	Dir        string `json:"dir"`
	EchoServer string `json:"echoServer"`
}

// NewNetwork checks for root and network namespace support, removes
// leftovers of dead earlier runs, claims a free /24 and creates the bridge.
func NewNetwork(opts NetworkOptions) (*Network, error) {
	if err := preflight(); err != nil {
		return nil, err
	}
	echo, err := echoServerPath(opts)
	if err != nil {
		return nil, err
	}
	owner := os.Getpid()
	var k int
	err = withStateLock(func() error {
		removeLeftovers()
		k, err = claimSubnet(owner)
		return err
	})
	if err != nil {
		return nil, err
	}
	n := newNetwork(owner, k, echo)
	if err := n.create(); err != nil {
		n.Close()
		return nil, fmt.Errorf("emulated pods need root and network namespaces: %w", err)
	}
	return n, nil
}

// NewNetworkT is NewNetwork for tests, with Close in t.Cleanup; opts is
// optional (at most one). It fails the test instead of skipping: a box that
// cannot run pods is a broken test environment, not a reason to pass.
func NewNetworkT(t testing.TB, opts ...NetworkOptions) *Network {
	t.Helper()
	var o NetworkOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	n, err := NewNetwork(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.Close)
	return n
}

// OpenNetwork attaches to a Network that another process owns (atrium-dev
// up), to add or remove pods from a second process. Pods started through
// it are detached so they outlive the caller; the owner's Close removes
// them with the rest. Close on an opened network is a no-op.
func OpenNetwork(st NetworkState) (*Network, error) {
	if err := preflight(); err != nil {
		return nil, err
	}
	if !pidAlive(st.OwnerPID) {
		return nil, fmt.Errorf("cluster: network %s: owner process %d is gone", st.Bridge, st.OwnerPID)
	}
	if readPID(claimPath(st.Index)) != st.OwnerPID || !linkExists(st.Bridge) {
		return nil, fmt.Errorf("cluster: network %s (%s) no longer exists", st.Bridge, st.Subnet)
	}
	n := newNetwork(st.OwnerPID, st.Index, st.EchoServer)
	n.detached = true
	return n, nil
}

func newNetwork(owner, k int, echo string) *Network {
	return &Network{
		Bridge: bridgeName(owner, k),
		Subnet: subnet(k).String(),
		HostIP: addrIn(k, 1).String(),
		Dir:    networkDir(owner, k),
		owner:  owner, k: k, echo: echo,
		pods: map[string]*Pod{},
	}
}

// State describes the network for OpenNetwork.
func (n *Network) State() NetworkState {
	return NetworkState{OwnerPID: n.owner, Index: n.k, Bridge: n.Bridge, Subnet: n.Subnet, Dir: n.Dir, EchoServer: n.echo}
}

// create makes the bridge with fixed MAC and .1 address. Bridge netfilter
// is disabled on this bridge only: host<->pod traffic is not bridged
// between ports and so never reaches FORWARD; the global
// bridge-nf-call-iptables knob is left alone because it belongs to every
// bridge on the host (a global 1 still wins for pod<->pod traffic).
func (n *Network) create() error {
	if err := os.MkdirAll(filepath.Join(n.Dir, "pods"), 0o755); err != nil {
		return err
	}
	if err := ip("link", "add", "name", n.Bridge, "address", bridgeMAC(n.k), "type", "bridge",
		"nf_call_iptables", "0", "nf_call_ip6tables", "0", "nf_call_arptables", "0"); err != nil {
		return err
	}
	relaxHostInterface(n.Bridge)
	if err := ip("addr", "add", n.HostIP+"/24", "dev", n.Bridge); err != nil {
		return err
	}
	return ip("link", "set", n.Bridge, "up")
}

// Close removes every pod (including ones other processes added through
// OpenNetwork), the bridge, the network directory and the subnet claim.
// Idempotent; a no-op on a network from OpenNetwork.
func (n *Network) Close() {
	n.mu.Lock()
	if n.closed || n.detached {
		n.closed = true
		n.mu.Unlock()
		return
	}
	n.closed = true
	pods := n.pods
	n.pods = map[string]*Pod{}
	n.mu.Unlock()
	for _, p := range pods {
		p.Stop()
	}
	entries, _ := os.ReadDir(netnsDir)
	for _, e := range entries {
		if rest, ok := strings.CutPrefix(e.Name(), netnsPrefix(n.owner, n.k)); ok {
			var octet int
			fmt.Sscan(rest, &octet)
			_ = destroyNetns(e.Name(), vethName(n.owner, n.k, octet))
		}
	}
	if linkExists(n.Bridge) {
		_ = ip("link", "del", n.Bridge)
	}
	_ = os.RemoveAll(n.Dir)
	releaseSubnet(n.k, n.owner)
}

// preflight explains the environment problem up front instead of letting
// a later `ip` call fail obscurely.
func preflight() error {
	const msg = "emulated pods need root and network namespaces: "
	if os.Geteuid() != 0 {
		return errors.New(msg + "not running as root")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		return errors.New(msg + "iproute2 `ip` not found: " + err.Error())
	}
	if _, err := ipOutput("netns", "list"); err != nil {
		return errors.New(msg + err.Error())
	}
	return nil
}

func echoServerPath(opts NetworkOptions) (string, error) {
	if opts.EchoServer == "" {
		opts.EchoServer = os.Getenv(EchoServerEnv)
	}
	if opts.EchoServer != "" {
		if _, err := os.Stat(opts.EchoServer); err != nil {
			return "", fmt.Errorf("cluster: echoserver: %w", err)
		}
		return filepath.Abs(opts.EchoServer)
	}
	dir, err := BinDir(opts.BinDir)
	if err != nil {
		return "", err
	}
	p, err := binary(dir, "echoserver")
	if err != nil {
		return "", fmt.Errorf("%w (build it: go build -o bin/echoserver ./test/echoserver)", err)
	}
	return p, nil
}
