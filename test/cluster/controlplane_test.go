package cluster

import (
	"errors"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

// TestControlPlane checks the version served, that the kubeconfig works,
// that an apiserver restart keeps the data, and that Stop leaves no daemon
// or directory behind.
func TestControlPlane(t *testing.T) {
	cp, err := Start(t.Context(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer cp.Stop()
	cs := kubernetes.NewForConfigOrDie(cp.Config)
	v, err := cs.Discovery().ServerVersion()
	if err != nil {
		t.Fatal(err)
	}
	if v.GitVersion != "v1.37.2" {
		t.Errorf("server version = %q, want v1.37.2", v.GitVersion)
	}

	kc, err := clientcmd.BuildConfigFromFlags("", cp.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kubernetes.NewForConfigOrDie(kc).CoreV1().Namespaces().Get(t.Context(), "default", metav1.GetOptions{}); err != nil {
		t.Errorf("kubeconfig client: %v", err)
	}

	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "survivor"}, Data: map[string]string{"k": "v"}}
	if _, err := cs.CoreV1().ConfigMaps("default").Create(t.Context(), cm, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	oldPID := cp.apiserver.pid()
	cp.StopAPIServer()
	if pidAlive(oldPID) {
		t.Errorf("kube-apiserver %d alive after StopAPIServer", oldPID)
	}
	if _, err := cs.CoreV1().ConfigMaps("default").Get(t.Context(), "survivor", metav1.GetOptions{}); err == nil {
		t.Error("apiserver still answers after StopAPIServer")
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(cp.apiPort))
	if _, err := net.Dial("tcp", addr); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("dial stopped apiserver: %v, want connection refused", err)
	}
	if cp.portHold < 0 {
		t.Error("the stopped apiserver's port is not held")
	}
	if err := cp.StartAPIServer(); err != nil {
		t.Fatal(err)
	}
	got, err := cs.CoreV1().ConfigMaps("default").Get(t.Context(), "survivor", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("read back after restart (same client): %v", err)
	}
	if got.Data["k"] != "v" {
		t.Errorf("data after restart = %v", got.Data)
	}

	pids := []int{cp.apiserver.pid(), cp.etcd.pid()}
	cp.Stop()
	cp.Stop() // idempotent
	for _, pid := range pids {
		if pidAlive(pid) {
			t.Errorf("pid %d alive after Stop", pid)
		}
	}
	if _, err := os.Stat(cp.Dir); !os.IsNotExist(err) {
		t.Errorf("Dir %s not removed: %v", cp.Dir, err)
	}
	if err := cp.StartAPIServer(); err == nil {
		t.Error("StartAPIServer after Stop succeeded")
	}
}

// TestStartFailure checks that a daemon that does not come up is reported
// with its log and that nothing is left running or on disk.
func TestStartFailure(t *testing.T) {
	parent := t.TempDir()
	_, err := Start(t.Context(), Options{TempDir: parent, APIServerArgs: []string{"--no-such-flag"}})
	if err == nil || !strings.Contains(err.Error(), "no-such-flag") {
		t.Fatalf("Start with a bad flag: %v; want an error quoting the log", err)
	}
	if left, _ := os.ReadDir(parent); len(left) != 0 {
		t.Errorf("left behind in %s: %v", parent, left)
	}
}
