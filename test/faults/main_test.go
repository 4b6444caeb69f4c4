// Package faults holds the fault-injection tests that need the local
// cluster in a box: they kill nginx, the controller and the apiserver,
// which a shared real cluster would not allow. Tests run one at a time.
package faults

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/atrium-ingress/atrium/test/cluster"
	"github.com/atrium-ingress/atrium/test/harness"
)

var (
	cp    *cluster.ControlPlane
	pnet  *cluster.Network
	cs    kubernetes.Interface
	ctrl  *harness.Controller
	bin   string
	tmp   string
	seq   atomic.Int64
	ctrlM sync.Mutex
)

func TestMain(m *testing.M) {
	code, err := run(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, "faults:", err)
		code = 1
	}
	os.Exit(code)
}

func run(m *testing.M) (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var err error
	if tmp, err = os.MkdirTemp("", "atrium-faults-"); err != nil {
		return 1, err
	}
	defer os.RemoveAll(tmp)
	root, err := cluster.ModuleRoot()
	if err != nil {
		return 1, err
	}
	if bin, err = harness.BuildController(root, tmp); err != nil {
		return 1, err
	}
	echo := filepath.Join(tmp, "echoserver")
	if err := harness.GoBuild(root, "./test/echoserver", echo); err != nil {
		return 1, err
	}
	if cp, err = cluster.Start(ctx, cluster.Options{}); err != nil {
		return 1, err
	}
	defer cp.Stop()
	if pnet, err = cluster.NewNetwork(cluster.NetworkOptions{EchoServer: echo}); err != nil {
		return 1, err
	}
	defer pnet.Close()
	if cs, err = kubernetes.NewForConfig(cp.Config); err != nil {
		return 1, err
	}
	if _, err := cs.NetworkingV1().IngressClasses().Create(ctx, &networkingv1.IngressClass{
		ObjectMeta: metav1.ObjectMeta{Name: "atrium"}, Spec: networkingv1.IngressClassSpec{Controller: "atrium-ingress.io/controller"},
	}, metav1.CreateOptions{}); err != nil {
		return 1, err
	}
	ctrl, err = harness.StartController(ctx, harness.ControllerOptions{
		Binary: bin, Kubeconfig: cp.Kubeconfig, Dir: filepath.Join(tmp, "run"),
		ExtraArgs: []string{"--shutdown-grace-period", "20s"},
	})
	if err != nil {
		return 1, err
	}
	defer func() { ctrl.Stop() }()
	return m.Run(), nil
}

// backend creates a Service with n emulated pods, an Ingress for host and
// waits until it answers.
func backend(t *testing.T, name string, n int) (host string) {
	t.Helper()
	return backendWithin(t, name, n, 30*time.Second)
}

// backendWithin is backend with a bound on how long serving may take.
func backendWithin(t *testing.T, name string, n int, timeout time.Duration) (host string) {
	t.Helper()
	_, host, _ = podsBehind(t, name, n)
	waitServing(t, host, timeout)
	return host
}

// podsBehind creates a namespace with a Service of n pods and an Ingress
// for host; the pods are returned to be asked directly.
func podsBehind(t *testing.T, name string, n int) (ns, host string, pods []*cluster.Pod) {
	t.Helper()
	ctx := context.Background()
	ns = fmt.Sprintf("f%d", seq.Add(1))
	if _, err := cluster.CreateNamespace(ctx, cs, ns); err != nil {
		t.Fatal(err)
	}
	svc, err := cluster.CreateService(ctx, cs, ns, name, []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromInt32(8080)}})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		p, err := pnet.AddPod(ctx, cluster.PodSpec{Name: fmt.Sprintf("%s-%s-%d", ns, name, i), Namespace: ns, Service: name})
		if err != nil {
			t.Fatal(err)
		}
		pods = append(pods, p)
	}
	if err := cluster.SyncEndpoints(ctx, cs, svc, cluster.EndpointsFor(pods)); err != nil {
		t.Fatal(err)
	}
	host = name + "." + ns + ".faults.test"
	createIngress(t, ns, name, host, name)
	return ns, host, pods
}

func createIngress(t *testing.T, ns, name, host, svc string) {
	t.Helper()
	createIngressBackend(t, ns, name, host, svc, networkingv1.ServiceBackendPort{Name: "http"})
}

// createIngressPort is createIngress to a port number.
func createIngressPort(t *testing.T, ns, name, host, svc string, port int32) {
	t.Helper()
	createIngressBackend(t, ns, name, host, svc, networkingv1.ServiceBackendPort{Number: port})
}

func createIngressBackend(t *testing.T, ns, name, host, svc string, port networkingv1.ServiceBackendPort) {
	t.Helper()
	pt := networkingv1.PathTypePrefix
	_, err := cs.NetworkingV1().Ingresses(ns).Create(context.Background(), &networkingv1.Ingress{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: networkingv1.IngressSpec{IngressClassName: ptr.To("atrium"), Rules: []networkingv1.IngressRule{{
			Host: host, IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{Paths: []networkingv1.HTTPIngressPath{{
				Path: "/", PathType: &pt, Backend: networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{Name: svc, Port: port}},
			}}}},
		}}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
}

// get sends one request for host through the proxy.
func get(c *http.Client, host string) (int, string, error) {
	req, _ := http.NewRequest("GET", "http://"+host+"/", nil)
	req.Header.Set("X-Echo-Plain", "1")
	resp, err := c.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, strings.TrimSpace(string(b)), err
}

func client(keepAlive bool) *http.Client {
	d := &net.Dialer{Timeout: 3 * time.Second}
	return &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return d.DialContext(ctx, "tcp", ctrl.HTTPAddr())
		},
		DisableKeepAlives: !keepAlive,
	}}
}

func waitServing(t *testing.T, host string, timeout time.Duration) {
	t.Helper()
	c := client(false)
	deadline := time.Now().Add(timeout)
	for {
		code, body, err := get(c, host)
		if err == nil && code == 200 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not serving after %s: %d %q %v\ncontroller log:\n%s", host, timeout, code, body, err, harness.Tail(ctrl.LogPath, 30))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// load runs a bounded request loop (count and time) against host until
// stop is closed; it returns requests sent and the failures seen.
type load struct {
	sent, failed atomic.Int64
	mu           sync.Mutex
	errs         []string
	stop         chan struct{}
	wg           sync.WaitGroup
}

func startLoad(host string, workers int, maxRequests int64, maxDuration time.Duration) *load {
	l := &load{stop: make(chan struct{})}
	deadline := time.Now().Add(maxDuration)
	for w := 0; w < workers; w++ {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			c := client(true)
			for l.sent.Load() < maxRequests && time.Now().Before(deadline) {
				select {
				case <-l.stop:
					return
				default:
				}
				time.Sleep(2 * time.Millisecond)
				l.sent.Add(1)
				code, body, err := get(c, host)
				if err != nil || code != 200 {
					l.failed.Add(1)
					l.mu.Lock()
					if len(l.errs) < 5 {
						l.errs = append(l.errs, fmt.Sprintf("%d %.80q %v", code, body, err))
					}
					l.mu.Unlock()
				}
			}
		}()
	}
	return l
}

func (l *load) finish(t *testing.T) {
	t.Helper()
	close(l.stop)
	l.wg.Wait()
	t.Logf("load: %d requests, %d failed", l.sent.Load(), l.failed.Load())
	if l.sent.Load() < 100 {
		t.Errorf("only %d requests were sent: the load proves nothing", l.sent.Load())
	}
	if l.failed.Load() > 0 {
		t.Errorf("%d requests failed: %v", l.failed.Load(), l.errs)
	}
}

// extraController starts another controller (its own nginx and ports)
// for a test that needs other flags; name is its directory and election
// id. It stops when the test ends.
func extraController(t *testing.T, name string, args ...string) *harness.Controller {
	t.Helper()
	c, err := harness.StartController(context.Background(), harness.ControllerOptions{
		Binary: bin, Kubeconfig: cp.Kubeconfig, Dir: filepath.Join(tmp, name),
		ExtraArgs: append([]string{"--election-id", name + "-test"}, args...),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Stop)
	return c
}

// clientTo sends every request to addr (whatever the URL's host), on a
// new connection each, without following redirects.
func clientTo(addr string) *http.Client {
	d := &net.Dialer{Timeout: 3 * time.Second}
	return &http.Client{Timeout: 5 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Transport: &http.Transport{DisableKeepAlives: true,
			DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
				return d.DialContext(ctx, "tcp", addr)
			}}}
}
