package faults

import (
	"context"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/atrium-ingress/atrium/test/cluster"
	"github.com/atrium-ingress/atrium/test/harness"
)

// TestExternalNameService: an ExternalName Service is refused (503) by
// default and proxied to its resolved address with
// --allow-external-name-services.
func TestExternalNameService(t *testing.T) {
	ctx := context.Background()
	ns := "extname"
	if _, err := cluster.CreateNamespace(ctx, cs, ns); err != nil {
		t.Fatal(err)
	}
	pod, err := pnet.AddPod(ctx, cluster.PodSpec{Name: "extname-target", Namespace: ns, Service: "outside"})
	if err != nil {
		t.Fatal(err)
	}
	// The "external" name is the pod's address: a literal IP resolves to itself.
	if _, err := cs.CoreV1().Services(ns).Create(ctx, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "partner"},
		Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeExternalName, ExternalName: pod.IP}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	host := "partner.extname.faults.test"
	createIngressPort(t, ns, "partner", host, "partner", 8080)

	c, err := harness.StartController(ctx, harness.ControllerOptions{
		Binary: bin, Kubeconfig: cp.Kubeconfig, Dir: filepath.Join(tmp, "extname"),
		ExtraArgs: []string{"--allow-external-name-services", "--election-id", "extname-test"},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop()
	via := func(c *harness.Controller) (int, string) {
		d := &net.Dialer{Timeout: 3 * time.Second}
		cl := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true,
			DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
				return d.DialContext(ctx, "tcp", c.HTTPAddr())
			}}}
		code, body, _ := get(cl, host)
		return code, body
	}
	until(t, 30*time.Second, "proxied with the flag", func() error {
		if code, body := via(c); code != 200 || !strings.Contains(body, "extname-target") {
			return errorString("got " + body)
		}
		return nil
	})
	until(t, 30*time.Second, "refused without the flag", func() error {
		if code, _ := via(ctrl); code != 503 {
			return errorString("not 503")
		}
		return nil
	})
}
