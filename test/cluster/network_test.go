package cluster

import (
	"errors"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// get fetches http://ip:port/ from the host namespace.
func get(t *testing.T, p *Pod) string {
	t.Helper()
	c := &http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get("http://" + net.JoinHostPort(p.IP, "8080") + "/")
	if err != nil {
		t.Fatalf("GET pod %s: %v", p.Name, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET pod %s: %s: %s", p.Name, resp.Status, body)
	}
	return string(body) + headerText(resp.Header)
}

func headerText(h http.Header) string {
	var b strings.Builder
	for k, vs := range h {
		b.WriteString(k + ": " + strings.Join(vs, ",") + "\n")
	}
	return b.String()
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// TestPods checks that two pods answer over HTTP at their 198.18 addresses
// from the host namespace, that a stopped pod refuses connections and comes
// back, and that removal frees its namespace.
func TestPods(t *testing.T) {
	n := NewNetworkT(t, NetworkOptions{EchoServer: echoServer(t)})
	bench := netip.MustParsePrefix("198.18.0.0/15")
	var pods []*Pod
	for _, name := range []string{"alpha", "beta"} {
		p, err := n.AddPod(t.Context(), PodSpec{Name: name, Namespace: "ns1", Service: "web", HTTPSPort: 8443, GRPCPort: 9090, GRPCSPort: 9443})
		if err != nil {
			t.Fatal(err)
		}
		if !bench.Contains(netip.MustParseAddr(p.IP)) {
			t.Errorf("pod %s address %s not in %s", name, p.IP, bench)
		}
		pods = append(pods, p)
	}
	if pods[0].IP == pods[1].IP {
		t.Fatalf("both pods got %s", pods[0].IP)
	}
	for _, p := range pods {
		if body := get(t, p); !strings.Contains(body, p.Name) {
			t.Errorf("pod %s answer does not name it:\n%s", p.Name, body)
		}
		for _, port := range []int{p.Ports.HTTPS, p.Ports.GRPC, p.Ports.GRPCS} {
			c, err := net.DialTimeout("tcp", net.JoinHostPort(p.IP, strconv.Itoa(port)), 2*time.Second)
			if err != nil {
				t.Errorf("pod %s port %d: %v", p.Name, port, err)
				continue
			}
			c.Close()
		}
	}
	if _, err := n.AddPod(t.Context(), PodSpec{Name: "alpha"}); err == nil {
		t.Error("duplicate pod name accepted")
	}

	a := pods[0]
	a.Stop()
	_, err := net.DialTimeout("tcp", net.JoinHostPort(a.IP, "8080"), 2*time.Second)
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("dial stopped pod: %v, want connection refused", err)
	}
	get(t, pods[1])
	if err := a.Start(); err != nil {
		t.Fatal(err)
	}
	get(t, a)

	// Blackhole: a dial neither connects nor is refused; it times out.
	if err := a.Blackhole(true); err != nil {
		t.Fatal(err)
	}
	_, err = net.DialTimeout("tcp", net.JoinHostPort(a.IP, "8080"), 1500*time.Millisecond)
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Errorf("dial blackholed pod: %v, want a timeout", err)
	}
	get(t, pods[1])
	if err := a.Blackhole(false); err != nil {
		t.Fatal(err)
	}
	get(t, a)

	if got := len(n.Pods()); got != 2 {
		t.Errorf("Pods() = %d pods, want 2", got)
	}
	if err := n.RemovePod("alpha"); err != nil {
		t.Fatal(err)
	}
	if exists(filepath.Join(netnsDir, a.Netns)) {
		t.Errorf("netns %s still exists after RemovePod", a.Netns)
	}
	if ps := n.Pods(); len(ps) != 1 || ps[0].Name != "beta" {
		t.Errorf("Pods() after RemovePod = %v", ps)
	}
	// The freed address is reused and works (fixed MACs keep ARP right).
	c, err := n.AddPod(t.Context(), PodSpec{Name: "gamma", Service: "web"})
	if err != nil {
		t.Fatal(err)
	}
	if c.IP != a.IP {
		t.Errorf("new pod got %s, want the freed %s", c.IP, a.IP)
	}
	get(t, c)
}

// TestOpenNetworkAndClose adds a pod through OpenNetwork, as `atrium-dev pod
// add` does from another process, and checks that the owner's Close removes
// it along with everything else.
func TestOpenNetworkAndClose(t *testing.T) {
	n, err := NewNetwork(NetworkOptions{EchoServer: echoServer(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	if _, err := n.AddPod(t.Context(), PodSpec{Name: "own"}); err != nil {
		t.Fatal(err)
	}
	other, err := OpenNetwork(n.State())
	if err != nil {
		t.Fatal(err)
	}
	foreign, err := other.AddPod(t.Context(), PodSpec{Name: "foreign", Service: "svc"})
	if err != nil {
		t.Fatal(err)
	}
	get(t, foreign)
	other.Close() // no-op: the owner tears down
	seen, err := n.Pod("foreign")
	if err != nil {
		t.Fatalf("owner does not see the foreign pod: %v", err)
	}
	if seen.IP != foreign.IP || seen.PID() != foreign.PID() {
		t.Errorf("owner sees %+v, want %+v", seen, foreign)
	}
	pids := []int{foreign.PID()}
	for _, p := range n.Pods() {
		pids = append(pids, p.PID())
	}

	n.Close()
	n.Close()
	for _, pid := range pids {
		if pidAlive(pid) && !isZombie(pid) {
			t.Errorf("echoserver %d alive after Close", pid)
		}
	}
	entries, _ := os.ReadDir(netnsDir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), netnsPrefix(n.owner, n.k)) {
			t.Errorf("netns %s left after Close", e.Name())
		}
	}
	for _, path := range []string{"/sys/class/net/" + n.Bridge, n.Dir, claimPath(n.k)} {
		if exists(path) {
			t.Errorf("%s left after Close", path)
		}
	}
	if _, err := OpenNetwork(n.State()); err == nil {
		t.Error("OpenNetwork of a closed network succeeded")
	}
}

// TestAddPodFailure checks that a pod whose echoserver dies reports the
// log tail and gives its address back.
func TestAddPodFailure(t *testing.T) {
	n := NewNetworkT(t, NetworkOptions{EchoServer: echoServer(t)})
	_, err := n.AddPod(t.Context(), PodSpec{Name: "bad", Args: []string{"--no-such-flag"}})
	if err == nil || !strings.Contains(err.Error(), "no-such-flag") {
		t.Fatalf("AddPod with a bad flag: %v; want an error quoting the log", err)
	}
	if len(n.Pods()) != 0 {
		t.Errorf("failed pod listed: %v", n.Pods())
	}
	p, err := n.AddPod(t.Context(), PodSpec{Name: "bad"})
	if err != nil {
		t.Fatal(err)
	}
	if want := addrIn(n.k, firstOctet).String(); p.IP != want {
		t.Errorf("address after a failed AddPod = %s, want the freed %s", p.IP, want)
	}
}
