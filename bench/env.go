package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"

	"github.com/atrium-ingress/atrium/test/cluster"
	"github.com/atrium-ingress/atrium/test/harness"
)

// workerProcesses is nginx's worker_processes for Atrium and for the
// reference alike, so W1 compares configurations, not worker counts. 2
// matches the 2-core machines the goals were set for.
const workerProcesses = 2

// benchHost is W1's host (and the one recovery probes).
const benchHost = "bench.local"

// env is one fresh cluster in a box for a whole `go run ./bench`: control
// plane, pod network, controller. close undoes everything it made.
type env struct {
	tmp  string
	cp   *cluster.ControlPlane
	pnet *cluster.Network
	cs   kubernetes.Interface
	ctrl *harness.Controller
	// shared are 4 long-lived pods that most Services point at: W3's
	// thousands of Services need endpoints, not thousands of processes.
	shared []*cluster.Pod
	// probe asks nginx with a new connection per request, so a poll never
	// sticks to one worker or to a worker that a reload retired.
	probe *http.Client
	// closers run in reverse order on close.
	closers []func()
	// results is where artifacts worth keeping go (bench/results/).
	results string
	podSeq  int
	mu      sync.Mutex
}

// startEnv builds the controller and echoserver from this checkout (a
// stale bin/ must never be measured), starts the control plane, the pod
// network, the shared pods, W1's Service and Ingress, and the controller.
func startEnv(ctx context.Context, log func(string, ...any)) (_ *env, err error) {
	e := &env{}
	defer func() {
		if err != nil {
			e.close()
		}
	}()
	if e.tmp, err = os.MkdirTemp("", "atrium-bench-"); err != nil {
		return nil, err
	}
	e.closers = append(e.closers, func() { os.RemoveAll(e.tmp) })
	root, err := cluster.ModuleRoot()
	if err != nil {
		return nil, err
	}
	log("building the controller and the echoserver")
	bin, err := harness.BuildController(root, e.tmp)
	if err != nil {
		return nil, err
	}
	echo := filepath.Join(e.tmp, "echoserver")
	if err := harness.GoBuild(root, "./test/echoserver", echo); err != nil {
		return nil, err
	}
	log("starting etcd and kube-apiserver")
	if e.cp, err = cluster.Start(ctx, cluster.Options{}); err != nil {
		return nil, err
	}
	e.closers = append(e.closers, e.cp.Stop)
	if e.pnet, err = cluster.NewNetwork(cluster.NetworkOptions{EchoServer: echo}); err != nil {
		return nil, err
	}
	e.closers = append(e.closers, e.pnet.Close)
	// The bench creates thousands of objects in bursts: any client-side
	// rate limit would be what W3 measured. QPS < 0 turns it off.
	cfg := rest.CopyConfig(e.cp.Config)
	cfg.QPS, cfg.Burst = -1, 0
	if e.cs, err = kubernetes.NewForConfig(cfg); err != nil {
		return nil, err
	}
	for _, ns := range []string{"bench", "w2", "w3", "w4"} {
		if _, err := cluster.CreateNamespace(ctx, e.cs, ns); err != nil {
			return nil, err
		}
	}
	if _, err := e.cs.NetworkingV1().IngressClasses().Create(ctx, &networkingv1.IngressClass{
		ObjectMeta: metav1.ObjectMeta{Name: "atrium"}, Spec: networkingv1.IngressClassSpec{Controller: "atrium-ingress.io/controller"},
	}, metav1.CreateOptions{}); err != nil {
		return nil, err
	}
	log("starting 4 shared pods")
	for i := range 4 {
		p, err := e.addPod(ctx, "bench", fmt.Sprintf("shared-%d", i))
		if err != nil {
			return nil, err
		}
		e.shared = append(e.shared, p)
	}
	if err := e.service(ctx, "bench", "web", e.shared[:2]); err != nil {
		return nil, err
	}
	if err := e.createIngress(ctx, "bench", "web", benchHost, "web", nil); err != nil {
		return nil, err
	}
	log("starting the controller")
	e.ctrl, err = harness.StartController(ctx, harness.ControllerOptions{
		Binary: bin, Kubeconfig: e.cp.Kubeconfig, Dir: filepath.Join(e.tmp, "run"),
		ExtraArgs: []string{"--worker-processes", strconv.Itoa(workerProcesses), "--sync-hold-off", "50ms"},
	})
	if err != nil {
		return nil, err
	}
	e.closers = append(e.closers, e.ctrl.Stop)
	dial := func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{Timeout: 2 * time.Second}).DialContext(ctx, "tcp", e.ctrl.HTTPAddr())
	}
	e.probe = &http.Client{Timeout: 3 * time.Second, Transport: &http.Transport{DialContext: dial, DisableKeepAlives: true}}
	if _, err := e.waitFor(ctx, benchHost, 60*time.Second, 50*time.Millisecond, nil); err != nil {
		return nil, err
	}
	return e, nil
}

// close stops the controller (and its nginx), the pods and the control
// plane, and removes the temporary directory. Safe on a partial env.
func (e *env) close() {
	for i := len(e.closers) - 1; i >= 0; i-- {
		e.closers[i]()
	}
	e.closers = nil
}

// addPod starts an emulated pod; its process and namespace go with the network.
func (e *env) addPod(ctx context.Context, ns, name string) (*cluster.Pod, error) {
	return e.pnet.AddPod(ctx, cluster.PodSpec{Name: name, Namespace: ns, Service: ns})
}

// newPodName returns a name no pod of this run has had.
func (e *env) newPodName(prefix string) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.podSeq++
	return fmt.Sprintf("%s-%d", prefix, e.podSeq)
}

// service creates (or keeps) a Service with port "http" 80 -> 8080 and
// makes its EndpointSlice exactly pods.
func (e *env) service(ctx context.Context, ns, name string, pods []*cluster.Pod) error {
	svc, err := cluster.CreateService(ctx, e.cs, ns, name, []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromInt32(8080)}})
	if apierrors.IsAlreadyExists(err) {
		svc, err = e.cs.CoreV1().Services(ns).Get(ctx, name, metav1.GetOptions{})
	}
	if err != nil {
		return err
	}
	return cluster.SyncEndpoints(ctx, e.cs, svc, cluster.EndpointsFor(pods))
}

// createIngress creates a one-rule Ingress: host, path / Prefix, svc:http.
func (e *env) createIngress(ctx context.Context, ns, name, host, svc string, labels map[string]string) error {
	pt := networkingv1.PathTypePrefix
	_, err := e.cs.NetworkingV1().Ingresses(ns).Create(ctx, &networkingv1.Ingress{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: labels},
		Spec: networkingv1.IngressSpec{IngressClassName: ptr.To("atrium"), Rules: []networkingv1.IngressRule{{
			Host: host, IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{Paths: []networkingv1.HTTPIngressPath{{
				Path: "/", PathType: &pt,
				Backend: networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{Name: svc, Port: networkingv1.ServiceBackendPort{Name: "http"}}},
			}}}},
		}}},
	}, metav1.CreateOptions{})
	return err
}
