package e2e

import (
	"context"
	"fmt"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestStatus: the served Ingress gets an address in status.loadBalancer.
func TestStatus(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	deploy(t, ns, "web", 1)
	host := hostFor(ns, "status")
	createIngress(t, ingress(ns, "status", rule(host, prefix("/", "web"))))
	eventually(t, settle, "status written", func() error {
		ing, err := env.client.NetworkingV1().Ingresses(ns).Get(context.Background(), "status", metav1.GetOptions{})
		if err != nil {
			return err
		}
		lb := ing.Status.LoadBalancer.Ingress
		if len(lb) == 0 || (lb[0].IP == "" && lb[0].Hostname == "") {
			return fmt.Errorf("status.loadBalancer is %v", lb)
		}
		return nil
	})
}
