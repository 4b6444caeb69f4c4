package deploy

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"path/filepath"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	eventsv1 "k8s.io/api/events/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"

	"github.com/atrium-ingress/atrium/test/cluster"
	"github.com/atrium-ingress/atrium/test/harness"
)

// TestRBAC acts as atrium-system/atrium, with a TokenRequest token and
// deploy/rbac.yaml applied for real, and makes the calls the controller
// makes, which must succeed, and calls it must never be able to make, which
// must be Forbidden. Real calls rather than access reviews: they also prove
// the token, the bindings and the verbs the client actually sends line up.
func TestRBAC(t *testing.T) {
	cp := cluster.StartT(t)
	ctx := t.Context()
	admin := kubernetes.NewForConfigOrDie(cp.Config)
	id, err := harness.InstallControllerIdentity(ctx, cp.Config, root(t), filepath.Join(t.TempDir(), "atrium.kubeconfig"), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	sa := kubernetes.NewForConfigOrDie(cp.TokenConfig(id.Token))
	fromKubeconfig := kubernetes.NewForConfigOrDie(id.Config)
	const app = "app"
	const self = harness.ControllerNamespace

	// What a cluster holds: an application namespace with an Ingress, its
	// Service, EndpointSlice, TLS Secret and a ConfigMap; a Node.
	f := fixtures(t, admin, app)

	list := metav1.ListOptions{}

	t.Run("allowed", func(t *testing.T) {
		allowed := func(what string, err error) { t.Helper(); allowed(t, what, err) }
		// The informers: list and watch, cluster-wide.
		_, err := sa.NetworkingV1().Ingresses("").List(ctx, list)
		allowed("list Ingresses in all namespaces", err)
		_, err = sa.NetworkingV1().IngressClasses().List(ctx, list)
		allowed("list IngressClasses", err)
		_, err = sa.CoreV1().Services("").List(ctx, list)
		allowed("list Services in all namespaces", err)
		_, err = sa.DiscoveryV1().EndpointSlices("").List(ctx, list)
		allowed("list EndpointSlices in all namespaces", err)
		_, err = sa.CoreV1().Secrets("").List(ctx, metav1.ListOptions{FieldSelector: "type!=helm.sh/release.v1,type!=kubernetes.io/service-account-token"})
		allowed("list Secrets but Helm releases and tokens in all namespaces", err)
		_, err = sa.CoreV1().ConfigMaps("").List(ctx, list)
		allowed("list ConfigMaps in all namespaces (custom-headers, --configmap)", err)
		for what, w := range map[string]func() error{
			"Ingresses":      watchOnce(ctx, sa.NetworkingV1().Ingresses("").Watch),
			"IngressClasses": watchOnce(ctx, sa.NetworkingV1().IngressClasses().Watch),
			"Services":       watchOnce(ctx, sa.CoreV1().Services("").Watch),
			"EndpointSlices": watchOnce(ctx, sa.DiscoveryV1().EndpointSlices("").Watch),
			"Secrets":        watchOnce(ctx, sa.CoreV1().Secrets("").Watch),
			"ConfigMaps":     watchOnce(ctx, sa.CoreV1().ConfigMaps("").Watch),
		} {
			allowed("watch "+what+" in all namespaces", w())
		}

		// The status writer: read the Ingress, write its status.
		ing, err := sa.NetworkingV1().Ingresses(app).Get(ctx, f.ingress.Name, metav1.GetOptions{})
		allowed("get an Ingress", err)
		if err == nil {
			ing.Status.LoadBalancer.Ingress = []networkingv1.IngressLoadBalancerIngress{{IP: "192.0.2.10"}}
			_, err = fromKubeconfig.NetworkingV1().Ingresses(app).UpdateStatus(ctx, ing, metav1.UpdateOptions{})
			allowed("update Ingress status (with the written kubeconfig)", err)
		}
		_, err = sa.CoreV1().Services(app).Get(ctx, f.service.Name, metav1.GetOptions{})
		allowed("get the --publish-service Service", err)
		_, err = sa.CoreV1().Nodes().Get(ctx, f.node.Name, metav1.GetOptions{})
		allowed("get a Node", err)
		_, err = sa.CoreV1().Pods(self).Get(ctx, "atrium-controller-0", metav1.GetOptions{})
		allowed("get its own Pod", err)
		_, err = sa.CoreV1().Pods(self).List(ctx, metav1.ListOptions{LabelSelector: "app.kubernetes.io/name=atrium"})
		allowed("list its sibling Pods", err)

		// Events in both API groups, on the objects they are about.
		ev, err := sa.EventsV1().Events(app).Create(ctx, eventFor(f.ingress), metav1.CreateOptions{})
		allowed("create an events.k8s.io Event", err)
		if err == nil {
			_, err = sa.EventsV1().Events(app).Patch(ctx, ev.Name, types.MergePatchType,
				[]byte(`{"series":{"count":2,"lastObservedTime":"`+time.Now().UTC().Format("2006-01-02T15:04:05.000000Z")+`"}}`), metav1.PatchOptions{})
			allowed("patch an events.k8s.io Event into a series", err)
		}
		cev, err := sa.CoreV1().Events(app).Create(ctx, coreEventFor(f.ingress), metav1.CreateOptions{})
		allowed("create a core Event", err)
		if err == nil {
			_, err = sa.CoreV1().Events(app).Patch(ctx, cev.Name, types.MergePatchType, []byte(`{"count":2}`), metav1.PatchOptions{})
			allowed("patch a core Event", err)
		}

		// Leader election: create the Lease, then read and renew it.
		lease := &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Name: "atrium-leader", Namespace: self},
			Spec: coordinationv1.LeaseSpec{HolderIdentity: new("atrium-controller-0")}}
		_, err = sa.CoordinationV1().Leases(self).Create(ctx, lease, metav1.CreateOptions{})
		allowed("create the atrium-leader Lease", err)
		l, err := sa.CoordinationV1().Leases(self).Get(ctx, "atrium-leader", metav1.GetOptions{})
		allowed("get the atrium-leader Lease", err)
		if err == nil {
			l.Spec.HolderIdentity = new("atrium-controller-1")
			_, err = sa.CoordinationV1().Leases(self).Update(ctx, l, metav1.UpdateOptions{})
			allowed("update the atrium-leader Lease", err)
		}
	})

	t.Run("forbidden", func(t *testing.T) {
		forbidden := func(what string, err error) { t.Helper(); forbidden(t, what, err) }
		svc := f.service.DeepCopy()
		svc.ResourceVersion = ""
		svc.Name = "other"
		svc.Spec.ClusterIP, svc.Spec.ClusterIPs = "", nil
		_, err := sa.CoreV1().Services(app).Create(ctx, svc, metav1.CreateOptions{})
		forbidden("create a Service", err)
		_, err = sa.CoreV1().Services(app).Update(ctx, f.service, metav1.UpdateOptions{})
		forbidden("update a Service", err)
		forbidden("delete a Service", sa.CoreV1().Services(app).Delete(ctx, f.service.Name, metav1.DeleteOptions{}))

		// ConfigMaps: list and watch only, never a single read or any write.
		_, err = sa.CoreV1().ConfigMaps(app).Get(ctx, f.configMap.Name, metav1.GetOptions{})
		forbidden("get a ConfigMap", err)
		cm := f.configMap.DeepCopy()
		cm.ResourceVersion, cm.Name = "", "planted"
		_, err = sa.CoreV1().ConfigMaps(app).Create(ctx, cm, metav1.CreateOptions{})
		forbidden("create a ConfigMap", err)
		_, err = sa.CoreV1().ConfigMaps(app).Update(ctx, f.configMap, metav1.UpdateOptions{})
		forbidden("update a ConfigMap", err)
		forbidden("delete a ConfigMap", sa.CoreV1().ConfigMaps(app).Delete(ctx, f.configMap.Name, metav1.DeleteOptions{}))

		_, err = sa.NetworkingV1().Ingresses(app).Create(ctx, &networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Name: "x", Namespace: app},
			Spec: networkingv1.IngressSpec{DefaultBackend: f.ingress.Spec.DefaultBackend}}, metav1.CreateOptions{})
		forbidden("create an Ingress", err)
		_, err = sa.NetworkingV1().Ingresses(app).Update(ctx, f.ingress, metav1.UpdateOptions{})
		forbidden("update an Ingress's spec", err)
		forbidden("delete an Ingress", sa.NetworkingV1().Ingresses(app).Delete(ctx, f.ingress.Name, metav1.DeleteOptions{}))
		_, err = sa.NetworkingV1().IngressClasses().Create(ctx, &networkingv1.IngressClass{ObjectMeta: metav1.ObjectMeta{Name: "mine"},
			Spec: networkingv1.IngressClassSpec{Controller: "atrium-ingress.io/controller"}}, metav1.CreateOptions{})
		forbidden("create an IngressClass", err)

		// Secrets: list and watch only (the cache's field selector cannot
		// be enforced by RBAC), never a single read or any write.
		_, err = sa.CoreV1().Secrets(app).Get(ctx, f.secret.Name, metav1.GetOptions{})
		forbidden("get a Secret", err)
		sec := f.secret.DeepCopy()
		sec.ResourceVersion, sec.Name = "", "stolen"
		_, err = sa.CoreV1().Secrets(app).Create(ctx, sec, metav1.CreateOptions{})
		forbidden("create a Secret", err)
		_, err = sa.CoreV1().Secrets(app).Update(ctx, f.secret, metav1.UpdateOptions{})
		forbidden("update a Secret", err)
		forbidden("delete a Secret", sa.CoreV1().Secrets(app).Delete(ctx, f.secret.Name, metav1.DeleteOptions{}))

		forbidden("delete an EndpointSlice", sa.DiscoveryV1().EndpointSlices(app).Delete(ctx, f.slice.Name, metav1.DeleteOptions{}))
		_, err = sa.CoreV1().Nodes().List(ctx, list)
		forbidden("list Nodes", err)
		_, err = sa.CoreV1().Pods(app).List(ctx, list)
		forbidden("list Pods in another namespace", err)
		forbidden("delete a Pod in its own namespace", sa.CoreV1().Pods(self).Delete(ctx, "atrium-controller-0", metav1.DeleteOptions{}))
		forbidden("delete an Event", sa.EventsV1().Events(app).DeleteCollection(ctx, metav1.DeleteOptions{}, list))
		_, err = sa.EventsV1().Events(app).List(ctx, list)
		forbidden("list Events", err)

		// Leases: only atrium-leader may be read or renewed, and only in
		// atrium-system; no Lease may be deleted.
		_, err = sa.CoordinationV1().Leases(self).Get(ctx, f.otherLease.Name, metav1.GetOptions{})
		forbidden("get another Lease", err)
		_, err = sa.CoordinationV1().Leases(self).Update(ctx, f.otherLease, metav1.UpdateOptions{})
		forbidden("update another Lease", err)
		forbidden("delete the atrium-leader Lease", sa.CoordinationV1().Leases(self).Delete(ctx, "atrium-leader", metav1.DeleteOptions{}))
		_, err = sa.CoordinationV1().Leases(app).Create(ctx, &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Name: "atrium-leader", Namespace: app}}, metav1.CreateOptions{})
		forbidden("create a Lease in another namespace", err)

		// No way to widen its own rights or borrow another identity.
		_, err = sa.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "atrium-admin"},
			RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "cluster-admin"},
			Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Name: id.Name, Namespace: id.Namespace}}}, metav1.CreateOptions{})
		forbidden("bind itself to cluster-admin", err)
		_, err = sa.CoreV1().ServiceAccounts(self).List(ctx, list)
		forbidden("list ServiceAccounts", err)
		_, err = harness.ServiceAccountToken(ctx, sa, self, id.Name, time.Hour)
		forbidden("mint tokens", err)
	})
}

// allowed: the call succeeded, or failed for a reason other than RBAC
// (NotFound: the call was authorized and found nothing).
func allowed(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil && !apierrors.IsNotFound(err) {
		t.Errorf("%s: %v, want allowed", what, err)
	}
}

func forbidden(t *testing.T, what string, err error) {
	t.Helper()
	if !apierrors.IsForbidden(err) {
		t.Errorf("%s: %v, want Forbidden", what, err)
	}
}

type clusterFixtures struct {
	ingress    *networkingv1.Ingress
	service    *corev1.Service
	slice      *discoveryv1.EndpointSlice
	secret     *corev1.Secret
	configMap  *corev1.ConfigMap
	node       *corev1.Node
	otherLease *coordinationv1.Lease
}

func fixtures(t *testing.T, cs kubernetes.Interface, ns string) clusterFixtures {
	t.Helper()
	ctx := t.Context()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	var f clusterFixtures
	_, err := cluster.CreateNamespace(ctx, cs, ns)
	must(err)
	f.service, err = cluster.CreateService(ctx, cs, ns, "web", []corev1.ServicePort{{Name: "http", Port: 80}})
	must(err)
	must(cluster.SyncEndpoints(ctx, cs, f.service, []cluster.Endpoint{{IP: "198.18.0.10", Ready: true, Serving: true}}))
	f.slice, err = cs.DiscoveryV1().EndpointSlices(ns).Get(ctx, cluster.SliceName("web"), metav1.GetOptions{})
	must(err)
	f.secret, err = cs.CoreV1().Secrets(ns).Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "tls", Namespace: ns}, Type: corev1.SecretTypeTLS,
		Data: selfSigned(t),
	}, metav1.CreateOptions{})
	must(err)
	f.configMap, err = cs.CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "settings", Namespace: ns}}, metav1.CreateOptions{})
	must(err)
	f.ingress, err = cs.NetworkingV1().Ingresses(ns).Create(ctx, &networkingv1.Ingress{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: ns},
		Spec: networkingv1.IngressSpec{
			IngressClassName: new("atrium"),
			DefaultBackend: &networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{
				Name: "web", Port: networkingv1.ServiceBackendPort{Number: 80}}},
		},
	}, metav1.CreateOptions{})
	must(err)
	f.node, err = cs.CoreV1().Nodes().Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "edge-1"}}, metav1.CreateOptions{})
	must(err)
	f.otherLease, err = cs.CoordinationV1().Leases(harness.ControllerNamespace).Create(ctx, &coordinationv1.Lease{
		ObjectMeta: metav1.ObjectMeta{Name: "someone-else", Namespace: harness.ControllerNamespace}}, metav1.CreateOptions{})
	must(err)
	return f
}

// watchOnce starts a watch and stops it at once: the apiserver authorizes
// the watch verb when the request arrives.
func watchOnce(ctx context.Context, w func(context.Context, metav1.ListOptions) (watch.Interface, error)) func() error {
	return func() error {
		wi, err := w(ctx, metav1.ListOptions{})
		if err != nil {
			return err
		}
		wi.Stop()
		return nil
	}
}

func eventFor(ing *networkingv1.Ingress) *eventsv1.Event {
	return &eventsv1.Event{
		ObjectMeta:          metav1.ObjectMeta{Name: ing.Name + ".sync", Namespace: ing.Namespace},
		EventTime:           metav1.NowMicro(),
		ReportingController: "atrium-ingress.io/controller",
		ReportingInstance:   "atrium-controller-0",
		Action:              "Sync",
		Reason:              "Sync",
		Type:                corev1.EventTypeNormal,
		Note:                "Scheduled for sync",
		Regarding:           corev1.ObjectReference{Kind: "Ingress", APIVersion: "networking.k8s.io/v1", Namespace: ing.Namespace, Name: ing.Name, UID: ing.UID},
	}
}

func coreEventFor(ing *networkingv1.Ingress) *corev1.Event {
	now := metav1.Now()
	return &corev1.Event{
		ObjectMeta:     metav1.ObjectMeta{Name: ing.Name + ".core-sync", Namespace: ing.Namespace},
		InvolvedObject: corev1.ObjectReference{Kind: "Ingress", APIVersion: "networking.k8s.io/v1", Namespace: ing.Namespace, Name: ing.Name, UID: ing.UID},
		Reason:         "Sync",
		Message:        "Scheduled for sync",
		Type:           corev1.EventTypeNormal,
		Source:         corev1.EventSource{Component: "atrium-ingress-controller"},
		FirstTimestamp: now,
		LastTimestamp:  now,
		Count:          1,
	}
}

// selfSigned returns the data of a kubernetes.io/tls Secret.
func selfSigned(t *testing.T) map[string][]byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "web.app.test"},
		DNSNames: []string{"web.app.test"}, NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return map[string][]byte{
		corev1.TLSCertKey:       pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		corev1.TLSPrivateKeyKey: pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}),
	}
}
