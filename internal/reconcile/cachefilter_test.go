package reconcile

import (
	"reflect"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/types"

	"github.com/atrium-ingress/atrium/internal/nginxconf"
)

func TestTrimSecretKeepsOnlyCertificateKeys(t *testing.T) {
	s := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "s", Annotations: map[string]string{lastApplied: `{"data":{"password":"aHVudGVyMg=="}}`, "keep": "me"},
			ManagedFields: []metav1.ManagedFieldsEntry{{Manager: "kubectl"}}},
		Type: corev1.SecretTypeOpaque,
		Data: map[string][]byte{"tls.crt": []byte("c"), "tls.key": []byte("k"), "ca.crt": []byte("a"), "password": []byte("hunter2"), "release": []byte("big")},
	}
	out, err := trimSecret(s)
	if err != nil {
		t.Fatal(err)
	}
	got := out.(*corev1.Secret)
	want := map[string][]byte{"tls.crt": []byte("c"), "tls.key": []byte("k"), "ca.crt": []byte("a")}
	if !reflect.DeepEqual(got.Data, want) || got.ManagedFields != nil || got.Annotations[lastApplied] != "" || got.Annotations["keep"] != "me" {
		t.Fatalf("trimmed Secret: data %q, managedFields %v, annotations %v", got.Data, got.ManagedFields, got.Annotations)
	}
	if o, _ := trimSecret("tombstone"); o != "tombstone" {
		t.Error("a non-Secret was changed")
	}
}

func TestSecretFieldSelector(t *testing.T) {
	sel := secretFieldSelector()
	for typ, want := range map[string]bool{"helm.sh/release.v1": false, "kubernetes.io/service-account-token": false,
		"kubernetes.io/tls": true, "Opaque": true, "kubernetes.io/dockerconfigjson": true} {
		if got := sel.Matches(fields.Set{"type": typ}); got != want {
			t.Errorf("type %s listed: %v, want %v", typ, got, want)
		}
	}
}

func TestTrimConfigMap(t *testing.T) {
	own := types.NamespacedName{Namespace: "atrium-system", Name: "atrium-config"}
	trim := trimConfigMap(own)
	cm := func(ns, name string, data map[string]string) *corev1.ConfigMap {
		return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Annotations: map[string]string{lastApplied: "{}"}},
			Data: data, BinaryData: map[string][]byte{"bin": {1}}}
	}
	// A custom-headers ConfigMap keeps its data.
	out, _ := trim(cm("app", "headers", map[string]string{"X-Frame-Options": "DENY"}))
	c := out.(*corev1.ConfigMap)
	if c.Data["X-Frame-Options"] != "DENY" || c.BinaryData != nil || c.Annotations[lastApplied] != "" || c.Annotations[nginxconf.DroppedDataAnnotation] != "" {
		t.Errorf("headers ConfigMap: %+v", c)
	}
	// The --configmap keeps everything it reads.
	out, _ = trim(cm(own.Namespace, own.Name, map[string]string{"proxy-body-size": "8m", "block-user-agents": "a\nb"}))
	if c := out.(*corev1.ConfigMap); len(c.Data) != 2 {
		t.Errorf("--configmap trimmed: %+v", c.Data)
	}
	// Anything else loses its data, says why, and stays so when
	// transformed again.
	for _, data := range []map[string]string{
		{"ca.crt": "-----BEGIN CERTIFICATE-----"},
		{"Corefile": ".:53 {\n errors\n}"},
		{"release": strings.Repeat("H4sI", 20000)},
	} {
		out, _ := trim(cm("kube-system", "x", data))
		c := out.(*corev1.ConfigMap)
		why := c.Annotations[nginxconf.DroppedDataAnnotation]
		if c.Data != nil || !strings.HasPrefix(why, "not a custom-headers ConfigMap") {
			t.Errorf("%.40q: data %v, annotation %q", data, c.Data, why)
		}
		again, _ := trim(c)
		if again.(*corev1.ConfigMap).Annotations[nginxconf.DroppedDataAnnotation] != why {
			t.Errorf("%.40q: a second transform lost the reason", data)
		}
	}
	// Nobody else may claim that data was dropped.
	spoof := cm("app", "h", map[string]string{"X-A": "1"})
	spoof.Annotations[nginxconf.DroppedDataAnnotation] = "lies"
	out, _ = trim(spoof)
	if c := out.(*corev1.ConfigMap); c.Annotations[nginxconf.DroppedDataAnnotation] != "" || c.Data["X-A"] != "1" {
		t.Errorf("spoofed annotation kept: %+v", c)
	}
}

// TestReferences: the objects whose events trigger rebuilds include the
// proxy-ssl-secret Secret and the custom-headers ConfigMap.
func TestReferences(t *testing.T) {
	ing := &networkingv1.Ingress{
		ObjectMeta: metav1.ObjectMeta{Namespace: "app", Name: "i", Annotations: map[string]string{
			"nginx.ingress.kubernetes.io/proxy-ssl-secret": "app/backend-ca",
			"nginx.ingress.kubernetes.io/custom-headers":   "app/headers",
			"example.com/custom-headers":                   "app/other",
			"nginx.ingress.kubernetes.io/default-backend":  "errors",
		}},
		Spec: networkingv1.IngressSpec{TLS: []networkingv1.IngressTLS{{SecretName: "tls"}}},
	}
	r := references([]*networkingv1.Ingress{ing}, nginxconf.Options{})
	n := func(name string) types.NamespacedName { return types.NamespacedName{Namespace: "app", Name: name} }
	if !r["Secret"][n("backend-ca")] || !r["Secret"][n("tls")] || !r["ConfigMap"][n("headers")] || r["ConfigMap"][n("other")] ||
		!r["Service"][n("errors")] {
		t.Fatalf("references: %v", r)
	}
	r = references([]*networkingv1.Ingress{ing}, nginxconf.Options{AnnotationsPrefix: "example.com"})
	if !r["ConfigMap"][n("other")] || r["ConfigMap"][n("headers")] {
		t.Fatalf("references with --annotations-prefix: %v", r)
	}
	rel := newRelevance()
	if rel.check("ConfigMap", n("other")) {
		t.Fatal("relevant before any sync")
	}
	if !rel.set(r) {
		t.Error("the skipped event was not reported as missed")
	}
	if !rel.check("ConfigMap", n("other")) || rel.check("ConfigMap", n("unrelated")) || rel.check("Secret", n("other")) {
		t.Error("relevance does not follow the references")
	}
}
