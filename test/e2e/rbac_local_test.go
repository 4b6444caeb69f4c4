package e2e

import (
	"context"
	"fmt"
	"testing"

	authenticationv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/atrium-ingress/atrium/test/harness"
)

// TestControllerRunsAsItsServiceAccount: locally, the controller talks to
// the apiserver as atrium-system/atrium with only what deploy/rbac.yaml
// grants (so every other test also checks those permissions), and it won
// the leader-election Lease in atrium-system through the Role.
func TestControllerRunsAsItsServiceAccount(t *testing.T) {
	if env.local == nil {
		t.Skip("on a real cluster the identity comes from deploy/controller.yaml")
	}
	t.Parallel()
	ctx := context.Background()
	cfg, err := clientcmd.BuildConfigFromFlags("", env.local.controller.Opts.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	r, err := cs.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := "system:serviceaccount:" + harness.ControllerNamespace + ":" + harness.ControllerServiceAccount
	if got := r.Status.UserInfo.Username; got != want {
		t.Errorf("the controller's kubeconfig authenticates as %q, want %q", got, want)
	}
	eventually(t, settle, "the controller holds the Lease", func() error {
		l, err := env.client.CoordinationV1().Leases(harness.ControllerNamespace).Get(ctx, "atrium-leader", metav1.GetOptions{})
		if err != nil {
			return err
		}
		if h := l.Spec.HolderIdentity; h == nil || *h != "atrium-e2e" {
			return fmt.Errorf("Lease holder is %v, want atrium-e2e", h)
		}
		return nil
	})
}
