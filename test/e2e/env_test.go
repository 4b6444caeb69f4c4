package e2e

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

// The suite runs against whatever cluster it is given:
//   - ATRIUM_E2E_KUBECONFIG unset: a local control plane, emulated pods in
//     network namespaces and the controller as a child process (make test);
//   - ATRIUM_E2E_KUBECONFIG, ATRIUM_E2E_HTTP and ATRIUM_E2E_HTTPS set: a real
//     cluster (e.g. kind, see make e2e-kind) where Atrium is installed from
//     deploy/ and backends are Deployments of ATRIUM_E2E_ECHO_IMAGE.

// env is the suite's view of the cluster under test.
type testEnv struct {
	client    kubernetes.Interface
	httpAddr  string // host:port of the proxy's HTTP listener
	httpsAddr string
	class     string
	backends  backendProvider
	local     *localEnv // nil on a real cluster
}

var env *testEnv

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var err error
	var cleanup func()
	if kc := os.Getenv("ATRIUM_E2E_KUBECONFIG"); kc != "" {
		env, err = externalEnv(kc)
	} else {
		env, cleanup, err = startLocal(ctx)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: cannot set up the cluster under test:", err)
		if cleanup != nil {
			cleanup()
		}
		return 1
	}
	if err := ensureClass(ctx, env.client, env.class); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	code := m.Run()
	if code != 0 && env.local != nil {
		keepLog(env.local.controller.LogPath)
	}
	if cleanup != nil {
		cleanup()
	}
	return code
}

// keepLog copies the controller's log out of the run directory, which the
// cleanup removes, so a failed run leaves the evidence behind.
func keepLog(path string) {
	b, err := os.ReadFile(path)
	if err != nil {
		return
	}
	f, err := os.CreateTemp("", "atrium-e2e-controller-*.log")
	if err != nil {
		return
	}
	defer f.Close()
	if _, err := f.Write(b); err == nil {
		fmt.Fprintln(os.Stderr, "e2e: the controller's log is kept in", f.Name())
	}
}

func externalEnv(kubeconfig string) (*testEnv, error) {
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return nil, err
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	e := &testEnv{client: cs, httpAddr: os.Getenv("ATRIUM_E2E_HTTP"), httpsAddr: os.Getenv("ATRIUM_E2E_HTTPS"), class: envOr("ATRIUM_E2E_CLASS", "atrium")}
	if e.httpAddr == "" || e.httpsAddr == "" {
		return nil, fmt.Errorf("ATRIUM_E2E_HTTP and ATRIUM_E2E_HTTPS must name the proxy's addresses (host:port)")
	}
	img := os.Getenv("ATRIUM_E2E_ECHO_IMAGE")
	if img == "" {
		return nil, fmt.Errorf("ATRIUM_E2E_ECHO_IMAGE must name an image that runs test/echoserver")
	}
	e.backends = &deploymentBackends{client: cs, image: img}
	return e, nil
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// ensureClass creates the IngressClass the suite uses if it is missing.
func ensureClass(ctx context.Context, cs kubernetes.Interface, name string) error {
	_, err := cs.NetworkingV1().IngressClasses().Create(ctx, &networkingv1.IngressClass{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec:       networkingv1.IngressClassSpec{Controller: "atrium-ingress.io/controller"},
	}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("create IngressClass %s: %w", name, err)
	}
	return nil
}
