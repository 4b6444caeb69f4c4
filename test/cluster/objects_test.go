package cluster

import (
	"testing"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
)

// TestObjects shares one control plane between the API helper tests.
func TestObjects(t *testing.T) {
	cp := StartT(t)
	cs := kubernetes.NewForConfigOrDie(cp.Config)
	t.Run("SyncEndpoints", func(t *testing.T) { testSyncEndpoints(t, cs) })
	t.Run("TokenConfig", func(t *testing.T) { testTokenConfig(t, cp, cs) })
}

func testSyncEndpoints(t *testing.T, cs kubernetes.Interface) {
	ctx := t.Context()
	if _, err := CreateNamespace(ctx, cs, "shop"); err != nil {
		t.Fatal(err)
	}
	if _, err := CreateNamespace(ctx, cs, "shop"); err != nil {
		t.Fatalf("CreateNamespace is not idempotent: %v", err)
	}
	grpc := "kubernetes.io/h2c"
	svc, err := CreateService(ctx, cs, "shop", "cart", []corev1.ServicePort{
		{Name: "http", Port: 80, TargetPort: intstr.FromInt32(8080)},
		{Name: "grpc", Port: 9000, TargetPort: intstr.FromInt32(9090), AppProtocol: &grpc},
	})
	if err != nil {
		t.Fatal(err)
	}
	if svc.Spec.Type != corev1.ServiceTypeClusterIP || svc.Spec.Selector["app"] != "cart" {
		t.Errorf("service type %s selector %v", svc.Spec.Type, svc.Spec.Selector)
	}

	eps := []Endpoint{
		{IP: "198.18.7.2", PodName: "cart-a", Ready: true, Serving: true},
		{IP: "198.18.7.3", PodName: "cart-b", Ready: true, Serving: true},
	}
	if err := SyncEndpoints(ctx, cs, svc, eps); err != nil {
		t.Fatal(err)
	}
	s := getSlice(t, cs, svc)
	checkSlice(t, s, svc, eps)
	if len(s.Ports) != 2 || *s.Ports[0].Name != "http" || *s.Ports[0].Port != 8080 ||
		*s.Ports[1].Name != "grpc" || *s.Ports[1].Port != 9090 || *s.Ports[1].AppProtocol != grpc ||
		*s.Ports[0].Protocol != corev1.ProtocolTCP {
		t.Errorf("ports = %+v", s.Ports)
	}
	if s.AddressType != discoveryv1.AddressTypeIPv4 {
		t.Errorf("address type %s", s.AddressType)
	}
	if len(s.OwnerReferences) != 1 || s.OwnerReferences[0].UID != svc.UID || s.OwnerReferences[0].Kind != "Service" {
		t.Errorf("owner references %+v", s.OwnerReferences)
	}

	// Scale down to one pod that is terminating but still serving.
	eps = []Endpoint{{IP: "198.18.7.3", PodName: "cart-b", Serving: true, Terminating: true}}
	if err := SyncEndpoints(ctx, cs, svc, eps); err != nil {
		t.Fatal(err)
	}
	updated := getSlice(t, cs, svc)
	checkSlice(t, updated, svc, eps)
	if updated.UID != s.UID {
		t.Error("slice was recreated instead of updated")
	}
	list, err := cs.DiscoveryV1().EndpointSlices("shop").List(ctx, metav1.ListOptions{
		LabelSelector: discoveryv1.LabelServiceName + "=cart"})
	if err != nil || len(list.Items) != 1 {
		t.Errorf("slices for cart: %d, %v; want exactly one", len(list.Items), err)
	}

	named, err := CreateService(ctx, cs, "shop", "named", []corev1.ServicePort{
		{Name: "http", Port: 80, TargetPort: intstr.FromString("web")}})
	if err != nil {
		t.Fatal(err)
	}
	if err := SyncEndpoints(ctx, cs, named, nil); err == nil {
		t.Error("named targetPort accepted")
	}
}

func getSlice(t *testing.T, cs kubernetes.Interface, svc *corev1.Service) *discoveryv1.EndpointSlice {
	t.Helper()
	s, err := cs.DiscoveryV1().EndpointSlices(svc.Namespace).Get(t.Context(), SliceName(svc.Name), metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func checkSlice(t *testing.T, s *discoveryv1.EndpointSlice, svc *corev1.Service, want []Endpoint) {
	t.Helper()
	if s.Labels[discoveryv1.LabelServiceName] != svc.Name || s.Labels[discoveryv1.LabelManagedBy] != ManagedBy {
		t.Errorf("labels = %v", s.Labels)
	}
	if len(s.Endpoints) != len(want) {
		t.Fatalf("%d endpoints, want %d", len(s.Endpoints), len(want))
	}
	for i, e := range s.Endpoints {
		w := want[i]
		c := e.Conditions
		if len(e.Addresses) != 1 || e.Addresses[0] != w.IP || e.TargetRef == nil || e.TargetRef.Name != w.PodName ||
			*c.Ready != w.Ready || *c.Serving != w.Serving || *c.Terminating != w.Terminating {
			t.Errorf("endpoint %d = %+v (conditions %v/%v/%v), want %+v", i, e, *c.Ready, *c.Serving, *c.Terminating, w)
		}
	}
}

// testTokenConfig checks that TokenConfig authenticates as a ServiceAccount
// with a TokenRequest token and that RBAC applies to it.
func testTokenConfig(t *testing.T, cp *ControlPlane, cs kubernetes.Interface) {
	ctx := t.Context()
	sa, err := cs.CoreV1().ServiceAccounts("default").Create(ctx,
		&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "limited"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tr, err := cs.CoreV1().ServiceAccounts("default").CreateToken(ctx, sa.Name, &authenticationv1.TokenRequest{}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	limited := kubernetes.NewForConfigOrDie(cp.TokenConfig(tr.Status.Token))
	_, err = limited.CoreV1().Secrets("default").List(ctx, metav1.ListOptions{})
	if !apierrors.IsForbidden(err) {
		t.Errorf("listing secrets as an unbound ServiceAccount: %v, want Forbidden", err)
	}
}
