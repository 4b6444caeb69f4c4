package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"

	"github.com/atrium-ingress/atrium/test/cluster"
	"github.com/atrium-ingress/atrium/test/harness"
)

// localEnv is the cluster in a box: its parts stay reachable for tests that
// need them (restarting the controller, reading its log).
type localEnv struct {
	cp         *cluster.ControlPlane
	net        *cluster.Network
	controller *harness.Controller
	dir        string
}

// startLocal brings up the control plane, the pod network and the
// controller, and returns a cleanup that removes all of it.
func startLocal(ctx context.Context) (*testEnv, func(), error) {
	var cleanups []func()
	cleanup := func() {
		for i := len(cleanups) - 1; i >= 0; i-- {
			cleanups[i]()
		}
	}
	dir, err := os.MkdirTemp("", "atrium-e2e-")
	if err != nil {
		return nil, cleanup, err
	}
	cleanups = append(cleanups, func() { os.RemoveAll(dir) })
	root, err := cluster.ModuleRoot()
	if err != nil {
		return nil, cleanup, err
	}
	bin, err := harness.BuildController(root, dir)
	if err != nil {
		return nil, cleanup, err
	}
	echo := filepath.Join(dir, "echoserver")
	if err := harness.GoBuild(root, "./test/echoserver", echo); err != nil {
		return nil, cleanup, err
	}
	cp, err := cluster.Start(ctx, cluster.Options{})
	if err != nil {
		return nil, cleanup, err
	}
	cleanups = append(cleanups, cp.Stop)
	n, err := cluster.NewNetwork(cluster.NetworkOptions{EchoServer: echo})
	if err != nil {
		return nil, cleanup, err
	}
	cleanups = append(cleanups, n.Close)
	cs, err := kubernetes.NewForConfig(cp.Config)
	if err != nil {
		return nil, cleanup, err
	}
	// The controller runs as the ServiceAccount of deploy/rbac.yaml, as it
	// would in a cluster, so the whole suite proves those permissions are
	// enough. The tests themselves keep the admin client.
	id, err := harness.InstallControllerIdentity(ctx, cp.Config, root, filepath.Join(dir, "atrium.kubeconfig"), time.Hour)
	if err != nil {
		return nil, cleanup, err
	}
	ctrl, err := harness.StartController(ctx, harness.ControllerOptions{
		Binary: bin, Kubeconfig: id.Kubeconfig, Dir: filepath.Join(dir, "run"),
		// The leader-election Lease goes where the Role allows it.
		Env: []string{"POD_NAMESPACE=" + id.Namespace, "POD_NAME=atrium-e2e"},
		// --configmap as deploy/ names it: tests that need a global
		// setting (custom-headers' allow-list) write it there.
		ExtraArgs: []string{"--publish-status-address", "127.0.0.1", "--configmap", controllerConfigMap},
	})
	if err != nil {
		return nil, cleanup, err
	}
	// A permission the controller lacks may show up only as an error in its
	// log (informers retry, status writes are retried later), which no test
	// has to notice. So an RBAC denial anywhere in the log, shutdown
	// included, fails the suite. The log is scanned after the controller
	// stopped and before the directory is removed, and the suite exits
	// after the rest of the cleanup ran.
	var denials []string
	cleanups = append(cleanups, func() {
		ctrl.Stop()
		denials = harness.RBACDenials(ctrl.LogPath, id)
	})
	cleanup = func() {
		for i := len(cleanups) - 1; i >= 0; i-- {
			cleanups[i]()
		}
		if len(denials) > 0 {
			fmt.Fprintf(os.Stderr, "e2e: FAIL: deploy/rbac.yaml denied the controller %d time(s):\n  %s\n",
				len(denials), strings.Join(denials, "\n  "))
			os.Exit(1)
		}
	}
	l := &localEnv{cp: cp, net: n, controller: ctrl, dir: dir}
	return &testEnv{
		client: cs, httpAddr: ctrl.HTTPAddr(), httpsAddr: ctrl.HTTPSAddr(), class: "atrium",
		backends: &podBackends{client: cs, net: n, pods: map[string][]*cluster.Pod{}, dir: dir},
		local:    l,
	}, cleanup, nil
}

// backendProvider makes Services backed by echoserver pods. The local one
// runs emulated pods and writes EndpointSlices itself (there is no kubelet);
// on a real cluster Deployments do the same job.
type backendProvider interface {
	// deploy creates Service svc (port 80, named "http", to the pods'
	// port 8080) with n ready pods and returns the pods' names.
	deploy(ctx context.Context, ns, svc string, n int) ([]string, error)
	// scale makes the Service have exactly n ready pods and returns their names.
	scale(ctx context.Context, ns, svc string, n int) ([]string, error)
	// replace swaps one pod for a new one, as a rolling update does: the new
	// pod becomes ready, the old one leaves the endpoints and keeps serving
	// for grace before it goes away.
	replace(ctx context.Context, ns, svc string, grace time.Duration) error
}

func echoService(ns, name string) *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: corev1.ServiceSpec{
			Selector: map[string]string{"app": name},
			Ports:    []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromInt32(8080), Protocol: corev1.ProtocolTCP}},
		},
	}
}

type podBackends struct {
	client kubernetes.Interface
	net    *cluster.Network
	dir    string // for the files pods read (certificates)
	mu     sync.Mutex
	pods   map[string][]*cluster.Pod // by ns/svc
	seq    int
}

func (b *podBackends) deploy(ctx context.Context, ns, svc string, n int) ([]string, error) {
	if _, err := b.client.CoreV1().Services(ns).Create(ctx, echoService(ns, svc), metav1.CreateOptions{}); err != nil {
		return nil, err
	}
	return b.scale(ctx, ns, svc, n)
}

func (b *podBackends) replace(ctx context.Context, ns, svc string, grace time.Duration) error {
	b.mu.Lock()
	key := ns + "/" + svc
	pods := b.pods[key]
	if len(pods) == 0 {
		b.mu.Unlock()
		return fmt.Errorf("service %s has no pods", key)
	}
	b.seq++
	p, err := b.net.AddPod(ctx, cluster.PodSpec{Name: fmt.Sprintf("%s-%d", svc, b.seq), Namespace: ns, Service: svc})
	if err != nil {
		b.mu.Unlock()
		return err
	}
	old := pods[0]
	pods = append(append([]*cluster.Pod(nil), pods[1:]...), p)
	b.pods[key] = pods
	b.mu.Unlock()
	s, err := b.client.CoreV1().Services(ns).Get(ctx, svc, metav1.GetOptions{})
	if err != nil {
		return err
	}
	if err := cluster.SyncEndpoints(ctx, b.client, s, cluster.EndpointsFor(pods)); err != nil {
		return err
	}
	time.AfterFunc(grace, func() { _ = old.Delete() })
	return nil
}

func (b *podBackends) scale(ctx context.Context, ns, svc string, n int) ([]string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	key := ns + "/" + svc
	pods := b.pods[key]
	for len(pods) < n {
		b.seq++
		p, err := b.net.AddPod(ctx, cluster.PodSpec{Name: fmt.Sprintf("%s-%d", svc, b.seq), Namespace: ns, Service: svc})
		if err != nil {
			return nil, err
		}
		pods = append(pods, p)
	}
	var removed []*cluster.Pod
	for len(pods) > n {
		removed = append(removed, pods[len(pods)-1])
		pods = pods[:len(pods)-1]
	}
	b.pods[key] = pods
	s, err := b.client.CoreV1().Services(ns).Get(ctx, svc, metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	if err := cluster.SyncEndpoints(ctx, b.client, s, cluster.EndpointsFor(pods)); err != nil {
		return nil, err
	}
	// Remove pods only once the EndpointSlice no longer lists them, as a
	// kubelet would after the endpoints controller caught up.
	for _, p := range removed {
		if err := p.Delete(); err != nil {
			return nil, err
		}
	}
	names := make([]string, len(pods))
	for i, p := range pods {
		names[i] = p.Name
	}
	return names, nil
}

// clusterIPRouter stands in for kube-proxy where there is none.
type clusterIPRouter interface {
	// routeClusterIP starts a pod of svc that is not among its endpoints,
	// listening on port, routes clusterIP to it, and returns its name.
	routeClusterIP(ctx context.Context, ns, svc, clusterIP string, port int) (string, error)
}

func (b *podBackends) routeClusterIP(ctx context.Context, ns, svc, clusterIP string, port int) (string, error) {
	b.mu.Lock()
	b.seq++
	name := fmt.Sprintf("%s-clusterip-%d", svc, b.seq)
	b.mu.Unlock()
	p, err := b.net.AddPod(ctx, cluster.PodSpec{Name: name, Namespace: ns, Service: svc, HTTPPort: port})
	if err != nil {
		return "", err
	}
	if err := p.AddServiceIP(clusterIP); err != nil {
		_ = p.Delete()
		return "", err
	}
	return name, nil
}
