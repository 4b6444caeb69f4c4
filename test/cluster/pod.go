package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// PodSpec describes an emulated pod: an echoserver in its own netns.
type PodSpec struct {
	Name      string // unique within the Network; required
	Namespace string // reported by the echoserver; default "default"
	Service   string // reported by the echoserver
	HTTPPort  int    // default 8080
	HTTPSPort int    // 0 = off
	GRPCPort  int    // 0 = off
	GRPCSPort int    // gRPC over TLS; 0 = off
	Args      []string
}

// Ports are the ports a pod's echoserver listens on (0 = off).
type Ports struct {
	HTTP  int `json:"http"`
	HTTPS int `json:"https,omitempty"`
	GRPC  int `json:"grpc,omitempty"`
	GRPCS int `json:"grpcs,omitempty"`
}

// Pod is an emulated pod. Stop/Start toggle the echoserver while the
// namespace and address stay, to emulate a pod that exists but refuses
// connections; Delete removes it entirely.
type Pod struct {
	Name      string
	Namespace string
	Service   string
	IP        string // in the network's Subnet, reachable from the host
	Ports     Ports
	Netns     string // network namespace, for `ip netns exec`
	Args      []string

	octet int
	net   *Network
	mu    sync.Mutex // guards pid, proc, serviceIPs
	pid   int        // of the echoserver; 0 while stopped
	proc  *process   // set when this process started the echoserver
	// serviceIPs are the ClusterIPs routed to this pod (AddServiceIP).
	serviceIPs []string
}

// podRecord is a Pod as saved in the network's Dir, so that other
// processes (atrium-dev pod add/del) see and manage the same pods.
type podRecord struct {
	Name      string   `json:"name"`
	Namespace string   `json:"namespace"`
	Service   string   `json:"service"`
	IP        string   `json:"ip"`
	Ports     Ports    `json:"ports"`
	Netns     string   `json:"netns"`
	Args      []string `json:"args,omitempty"`
	Octet     int      `json:"octet"`
	PID       int      `json:"pid"`
}

// PID is the echoserver's process id, 0 while the pod is stopped.
func (p *Pod) PID() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.pid
}

// podStartTimeout bounds the wait for a new echoserver to accept.
const podStartTimeout = 30 * time.Second

// AddPod creates the pod's netns and veth, starts its echoserver and waits
// until the host can connect to IP:HTTPPort.
func (n *Network) AddPod(ctx context.Context, spec PodSpec) (*Pod, error) {
	if spec.Name == "" || filepath.Base(spec.Name) != spec.Name {
		return nil, fmt.Errorf("cluster: invalid pod name %q", spec.Name)
	}
	if spec.Namespace == "" {
		spec.Namespace = "default"
	}
	if spec.HTTPPort == 0 {
		spec.HTTPPort = 8080
	}
	n.mu.Lock()
	closed := n.closed
	n.mu.Unlock()
	if closed {
		return nil, errors.New("cluster: AddPod on a closed network")
	}
	// The record file claims the name across processes.
	f, err := os.OpenFile(n.recordPath(spec.Name), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		if errors.Is(err, os.ErrExist) {
			return nil, fmt.Errorf("cluster: pod %q already exists in %s", spec.Name, n.Bridge)
		}
		return nil, err
	}
	f.Close()
	p := &Pod{Name: spec.Name, Namespace: spec.Namespace, Service: spec.Service,
		Ports: Ports{spec.HTTPPort, spec.HTTPSPort, spec.GRPCPort, spec.GRPCSPort}, Args: spec.Args, net: n}
	if err := n.plumb(p); err != nil {
		_ = os.Remove(n.recordPath(p.Name))
		return nil, err
	}
	if err := p.start(ctx); err != nil {
		_ = p.Delete()
		return nil, err
	}
	n.mu.Lock()
	n.pods[p.Name] = p
	n.mu.Unlock()
	return p, nil
}

// plumb allocates the first free address by creating its netns (`ip netns
// add` fails if another process took it first), then wires eth0 to the
// bridge.
func (n *Network) plumb(p *Pod) error {
	for octet := firstOctet; octet <= lastOctet; octet++ {
		ns := netnsName(n.owner, n.k, octet)
		if _, err := os.Stat(filepath.Join(netnsDir, ns)); err == nil {
			continue
		}
		if err := ip("netns", "add", ns); err != nil {
			if _, serr := os.Stat(filepath.Join(netnsDir, ns)); serr == nil {
				continue // lost a race
			}
			return err
		}
		p.octet, p.Netns, p.IP = octet, ns, addrIn(n.k, octet).String()
		if err := n.wire(p); err != nil {
			_ = destroyNetns(ns, vethName(n.owner, n.k, octet))
			return err
		}
		return nil
	}
	return fmt.Errorf("cluster: no free address in %s", n.Subnet)
}

func (n *Network) wire(p *Pod) error {
	veth := vethName(n.owner, n.k, p.octet)
	if err := ip("link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", p.Netns); err != nil {
		return err
	}
	relaxHostInterface(veth)
	if err := ipBatch(p.Netns,
		"link set eth0 address "+podMAC(n.k, p.octet),
		"addr add "+p.IP+"/24 dev eth0",
		"link set eth0 up",
		"link set lo up"); err != nil {
		return err
	}
	return ip("link", "set", veth, "master", n.Bridge, "up")
}

// start launches the echoserver inside the netns and waits for it.
func (p *Pod) start(ctx context.Context) error {
	echo := p.net.echo
	argv := []string{"ip", "netns", "exec", p.Netns, echo,
		"--http", "0.0.0.0:" + strconv.Itoa(p.Ports.HTTP)}
	if p.Ports.HTTPS != 0 {
		argv = append(argv, "--https", "0.0.0.0:"+strconv.Itoa(p.Ports.HTTPS))
	}
	if p.Ports.GRPC != 0 {
		argv = append(argv, "--grpc", "0.0.0.0:"+strconv.Itoa(p.Ports.GRPC))
	}
	if p.Ports.GRPCS != 0 {
		argv = append(argv, "--grpcs", "0.0.0.0:"+strconv.Itoa(p.Ports.GRPCS))
	}
	argv = append(argv, "--pod", p.Name, "--namespace", p.Namespace, "--service", p.Service)
	argv = append(argv, p.Args...)
	proc, err := startProcess("echoserver "+p.Name, filepath.Join(p.net.Dir, "pods", p.Name+".log"), argv, p.net.detached)
	if err != nil {
		return err
	}
	addr := net.JoinHostPort(p.IP, strconv.Itoa(p.Ports.HTTP))
	err = waitReady(ctx, podStartTimeout, proc, func(ctx context.Context) error {
		c, err := (&net.Dialer{Timeout: time.Second}).DialContext(ctx, "tcp", addr)
		if err == nil {
			c.Close()
		}
		return err
	})
	if err != nil {
		proc.stop()
		return err
	}
	p.mu.Lock()
	p.proc, p.pid = proc, proc.pid()
	p.mu.Unlock()
	return p.save()
}

// Start restarts the echoserver of a stopped pod. No-op if running.
func (p *Pod) Start() error {
	p.mu.Lock()
	running := p.pid != 0 && pidAlive(p.pid)
	p.mu.Unlock()
	if running {
		return nil
	}
	return p.start(context.Background())
}

// Stop kills the echoserver but keeps the netns and address, so
// connections to the pod are refused (RST) rather than timing out.
func (p *Pod) Stop() {
	p.mu.Lock()
	proc, pid := p.proc, p.pid
	p.proc, p.pid = nil, 0
	p.mu.Unlock()
	if proc != nil {
		proc.stop()
	} else if pid != 0 {
		killPID(pid)
	}
	for _, pid := range netnsPIDs(p.Netns) {
		killPID(pid)
	}
	_ = p.save()
}

// Blackhole makes the pod drop, without a word, everything it would send
// to the host: a SYN gets no SYN-ACK, so connections time out instead of
// being refused, like a pod on a node that went away. ARP still answers
// (it does not consult routes), so the host's connect attempts wait for
// their own timeout rather than failing fast on an unreachable neighbour.
// on=false lifts it.
func (p *Pod) Blackhole(on bool) error {
	verb := "add"
	if !on {
		verb = "del"
	}
	return ipBatch(p.Netns, "route "+verb+" blackhole "+p.net.HostIP+"/32")
}

// Delete stops the pod and removes its veth, netns and record, freeing
// its address for the next AddPod.
func (p *Pod) Delete() error {
	p.Stop()
	p.removeServiceIPs()
	err := destroyNetns(p.Netns, vethName(p.net.owner, p.net.k, p.octet))
	_ = os.Remove(p.net.recordPath(p.Name))
	p.net.mu.Lock()
	if p.net.pods[p.Name] == p {
		delete(p.net.pods, p.Name)
	}
	p.net.mu.Unlock()
	return err
}

// RemovePod deletes the named pod, wherever it was added from.
func (n *Network) RemovePod(name string) error {
	p, err := n.Pod(name)
	if err != nil {
		return err
	}
	return p.Delete()
}

// Pod looks a pod up by name: first those this process added, then the
// records other processes left in Dir.
func (n *Network) Pod(name string) (*Pod, error) {
	n.mu.Lock()
	p := n.pods[name]
	n.mu.Unlock()
	if p != nil {
		return p, nil
	}
	b, err := os.ReadFile(n.recordPath(name))
	if err != nil {
		return nil, fmt.Errorf("cluster: no pod %q in %s: %w", name, n.Bridge, err)
	}
	var r podRecord
	if err := json.Unmarshal(b, &r); err != nil || r.Netns == "" {
		return nil, fmt.Errorf("cluster: pod %q in %s is being created or broken: %v", name, n.Bridge, err)
	}
	return &Pod{Name: r.Name, Namespace: r.Namespace, Service: r.Service, IP: r.IP, Ports: r.Ports,
		Netns: r.Netns, Args: r.Args, octet: r.Octet, pid: r.PID, net: n}, nil
}

// Pods returns all pods of the network sorted by name, including those
// added by other processes.
func (n *Network) Pods() []*Pod {
	entries, _ := os.ReadDir(filepath.Join(n.Dir, "pods"))
	var pods []*Pod
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok {
			continue
		}
		if p, err := n.Pod(name); err == nil {
			pods = append(pods, p)
		}
	}
	sort.Slice(pods, func(i, j int) bool { return pods[i].Name < pods[j].Name })
	return pods
}

func (n *Network) recordPath(name string) string {
	return filepath.Join(n.Dir, "pods", name+".json")
}

// save writes the pod's record atomically, for Pod/Pods in other processes.
func (p *Pod) save() error {
	p.mu.Lock()
	b, err := json.MarshalIndent(podRecord{Name: p.Name, Namespace: p.Namespace, Service: p.Service,
		IP: p.IP, Ports: p.Ports, Netns: p.Netns, Args: p.Args, Octet: p.octet, PID: p.pid}, "", "  ")
	p.mu.Unlock()
	if err != nil {
		return err
	}
	path := p.net.recordPath(p.Name)
	if _, err := os.Stat(path); err != nil {
		return nil // deleted meanwhile: do not resurrect
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
