package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/atrium-ingress/atrium/test/echoserver/echo"
	"github.com/atrium-ingress/atrium/test/harness"
)

// controllerConfigMap is the controller's --configmap, as deploy/ sets it.
const controllerConfigMap = harness.ControllerNamespace + "/atrium-config"

// setGlobal sets one key of the controller's ConfigMap (creating it if
// need be) and removes it when the test ends.
func setGlobal(t *testing.T, key, value string) {
	t.Helper()
	if err := patchGlobal(key, value); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = patchGlobal(key, nil) })
}

// patchGlobal sets one key of the controller's ConfigMap (creating it if
// need be), or removes it if value is nil.
func patchGlobal(key string, value any) error {
	ctx := context.Background()
	ns, name, _ := strings.Cut(controllerConfigMap, "/")
	cms := env.client.CoreV1().ConfigMaps(ns)
	_, err := cms.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return err
	}
	b, _ := json.Marshal(map[string]any{"data": map[string]any{key: value}})
	_, err = cms.Patch(ctx, name, types.MergePatchType, b, metav1.PatchOptions{})
	return err
}

// allowedHeaders is what the running tests asked of
// global-allowed-response-headers, by name: a count of the tests.
var allowedHeaders struct {
	sync.Mutex
	users map[string]int
}

// allowResponseHeaders lists names in global-allowed-response-headers of
// the controller's ConfigMap while the test runs. Tests running in
// parallel share the key: it holds the union of their names, and a test
// that ends removes only its own.
func allowResponseHeaders(t *testing.T, names ...string) {
	t.Helper()
	set := func(delta int) error {
		allowedHeaders.Lock()
		defer allowedHeaders.Unlock()
		if allowedHeaders.users == nil {
			allowedHeaders.users = map[string]int{}
		}
		for _, n := range names {
			if allowedHeaders.users[n] += delta; allowedHeaders.users[n] <= 0 {
				delete(allowedHeaders.users, n)
			}
		}
		all := make([]string, 0, len(allowedHeaders.users))
		for n := range allowedHeaders.users {
			all = append(all, n)
		}
		sort.Strings(all)
		var v any // nil removes the key
		if len(all) > 0 {
			v = strings.Join(all, ",")
		}
		return patchGlobal("global-allowed-response-headers", v)
	}
	if err := set(1); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = set(-1) })
}

func createConfigMap(t *testing.T, ns, name string, data map[string]string) {
	t.Helper()
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Data: data}
	if _, err := env.client.CoreV1().ConfigMaps(ns).Create(context.Background(), cm, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// TestAnnotationsCustomHeaders: custom-headers sets the ConfigMap's headers
// on responses, literally, replacing the endpoint's and on error statuses
// too; only names in global-allowed-response-headers pass; a missing
// ConfigMap fails closed with an Event; an edit is picked up.
func TestAnnotationsCustomHeaders(t *testing.T) {
	// Parallel, so that its ConfigMap edits (and their reloads) never
	// overlap the sequential tests that count reloads.
	t.Parallel()
	ns := newNamespace(t)
	deploy(t, ns, "web", 1)
	allowResponseHeaders(t, "X-Atrium-Frame", "X-Atrium-Literal", "X-Atrium-Policy")
	literal := `a "b" \c $remote_addr ${host} {x}; d`
	createConfigMap(t, ns, "headers", map[string]string{
		"X-Atrium-Frame":   "DENY",
		"X-Atrium-Literal": literal,
		"X-Atrium-Policy":  "default-src 'self'; img-src *",
	})
	createConfigMap(t, ns, "not-allowed", map[string]string{"X-Atrium-Frame": "DENY", "X-Not-Listed": "1"})
	host, missing, refused := hostFor(ns, "headers"), hostFor(ns, "missing"), hostFor(ns, "refused")
	createIngress(t, annotated(ns, "headers", host, "web", map[string]string{"custom-headers": ns + "/headers"}))
	createIngress(t, annotated(ns, "missing", missing, "web", map[string]string{"custom-headers": ns + "/nope"}))
	createIngress(t, annotated(ns, "refused", refused, "web", map[string]string{"custom-headers": ns + "/not-allowed"}))

	check := func(rq request, status int, want map[string]string) func() error {
		return func() error {
			r, err := do(rq)
			if err != nil {
				return err
			}
			if r.status != status {
				return errorf("%s: %s, want %d", rq.host, r, status)
			}
			for k, v := range want {
				if got := r.header.Values(k); len(got) != 1 || got[0] != v {
					return errorf("%s: header %s = %q, want exactly %q", rq.host, k, got, v)
				}
			}
			return nil
		}
	}
	want := map[string]string{"X-Atrium-Frame": "DENY", "X-Atrium-Literal": literal, "X-Atrium-Policy": "default-src 'self'; img-src *"}
	eventually(t, settle, "custom headers", check(request{host: host, path: "/"}, 200, want))
	// The endpoint's own header of the same name is replaced, and error
	// answers carry them too.
	rq := request{host: host, path: "/", header: http.Header{echo.HeaderHeader: {"X-Atrium-Frame: SAMEORIGIN"}, echo.HeaderStatus: {"503"}}}
	if err := check(rq, 503, want)(); err != nil {
		t.Error(err)
	}
	eventually(t, settle, "missing ConfigMap fails closed", expect(request{host: missing, path: "/"}, 503, ""))
	waitEvent(t, ns, "missing", corev1.EventTypeWarning, "ConfigMapNotFound", annPrefix+"custom-headers")
	eventually(t, settle, "header not allowed fails closed", expect(request{host: refused, path: "/"}, 503, ""))
	waitEvent(t, ns, "refused", corev1.EventTypeWarning, "InvalidCustomHeaders", "X-Not-Listed")
	// Editing the ConfigMap changes the headers (its events are relevant).
	cm, err := env.client.CoreV1().ConfigMaps(ns).Get(context.Background(), "headers", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cm.Data["X-Atrium-Frame"] = "SAMEORIGIN"
	if _, err := env.client.CoreV1().ConfigMaps(ns).Update(context.Background(), cm, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	want["X-Atrium-Frame"] = "SAMEORIGIN"
	eventually(t, settle, "edited ConfigMap", check(request{host: host, path: "/"}, 200, want))
}

// TestAnnotationsServiceUpstream: service-upstream proxies to the Service's
// ClusterIP and port, not to its endpoints. Locally there is no kube-proxy,
// so the ClusterIP is routed to a pod of its own that is not among the
// endpoints: only a request that went to the ClusterIP reaches it. On a
// real cluster kube-proxy forwards the ClusterIP to the Service's pods.
func TestAnnotationsServiceUpstream(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	deploy(t, ns, "web", 1)
	svc, err := env.client.CoreV1().Services(ns).Get(context.Background(), "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	vip, pods := hostFor(ns, "vip"), hostFor(ns, "pods")
	createIngress(t, annotated(ns, "vip", vip, "web", map[string]string{"service-upstream": "true"}))
	createIngress(t, annotated(ns, "pods", pods, "web", nil))
	wantVIP := "web-" // a pod of the Service, through kube-proxy
	if r, ok := env.backends.(clusterIPRouter); ok {
		name, err := r.routeClusterIP(context.Background(), ns, "web", svc.Spec.ClusterIP, int(svc.Spec.Ports[0].Port))
		if err != nil {
			t.Fatal(err)
		}
		wantVIP = name
	}
	eventually(t, settle, "service-upstream to the ClusterIP", expect(request{host: vip, path: "/"}, 200, wantVIP))
	// The same Service without the annotation: its endpoints.
	eventually(t, settle, "endpoints without the annotation", func() error {
		r, err := get(pods, "/")
		if err != nil {
			return err
		}
		if r.status != 200 || !strings.HasPrefix(r.pod(), "web-") || (wantVIP != "web-" && r.pod() == wantVIP) {
			return errorf("%s: %s, want an endpoint of web", pods, r)
		}
		return nil
	})
}
