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
// proxy-ssl-secret, auth-secret (its name alone meaning the Ingress's
// namespace) and auth-tls-secret Secrets and the custom-headers ConfigMap.
func TestReferences(t *testing.T) {
	ing := &networkingv1.Ingress{
		ObjectMeta: metav1.ObjectMeta{Namespace: "app", Name: "i", Annotations: map[string]string{
			"nginx.ingress.kubernetes.io/proxy-ssl-secret": "app/backend-ca",
			"nginx.ingress.kubernetes.io/custom-headers":   "app/headers",
			"example.com/custom-headers":                   "app/other",
			"nginx.ingress.kubernetes.io/default-backend":  "errors",
			"nginx.ingress.kubernetes.io/auth-secret":      "htpasswd",
			"nginx.ingress.kubernetes.io/auth-tls-secret":  "app/client-ca",
		}},
		Spec: networkingv1.IngressSpec{TLS: []networkingv1.IngressTLS{{SecretName: "tls"}}},
	}
	r := references([]*networkingv1.Ingress{ing}, nginxconf.Options{})
	n := func(name string) types.NamespacedName { return types.NamespacedName{Namespace: "app", Name: name} }
	if !r["Secret"][n("backend-ca")] || !r["Secret"][n("tls")] || !r["ConfigMap"][n("headers")] || r["ConfigMap"][n("other")] ||
		!r["Service"][n("errors")] || !r["Secret"][n("htpasswd")] || !r["Secret"][n("client-ca")] {
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

const (
	testAPR1 = "$apr1$atrium$3YmbqTs4m2vCiylTH4yFK1"
	testSHA  = "{SHA}bZydCEMF/YsjNG+QtLRlUVD3L+k="
)

// TestTrimSecretAuth: a password file under auth, or an auth map, stays
// (hashes only); anything else under those shapes goes, with the reason
// in an annotation that a second transform keeps.
func TestTrimSecretAuth(t *testing.T) {
	secret := func(data map[string]string) *corev1.Secret {
		s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "app", Name: "s"}, Type: corev1.SecretTypeOpaque, Data: map[string][]byte{}}
		for k, v := range data {
			s.Data[k] = []byte(v)
		}
		return s
	}
	trim := func(s *corev1.Secret) *corev1.Secret {
		out, err := trimSecret(s)
		if err != nil {
			t.Fatal(err)
		}
		return out.(*corev1.Secret)
	}
	why := func(s *corev1.Secret) string { return s.Annotations[nginxconf.DroppedAuthAnnotation] }

	file := "alice:" + testAPR1 + "\n"
	got := trim(secret(map[string]string{"auth": file, "password": "hunter2", "ca.crl": "crl"}))
	if want := map[string][]byte{"auth": []byte(file), "ca.crl": []byte("crl")}; !reflect.DeepEqual(got.Data, want) || why(got) != "" {
		t.Errorf("htpasswd Secret: %q %q", got.Data, why(got))
	}
	got = trim(secret(map[string]string{"auth": "alice:hunter2\n", "tls.crt": "c"}))
	if _, ok := got.Data["auth"]; ok || string(got.Data["tls.crt"]) != "c" || !strings.HasPrefix(why(got), "key auth: line 1") {
		t.Errorf("plain-text auth: %q %q", got.Data, why(got))
	}
	if again := trim(got); why(again) != why(got) {
		t.Errorf("a second transform lost the reason: %q", why(again))
	}
	users := map[string]string{"alice": testAPR1, "bob": testSHA}
	got = trim(secret(users))
	if len(got.Data) != 2 || why(got) != "" {
		t.Errorf("auth map: %q %q", got.Data, why(got))
	}
	got = trim(secret(map[string]string{"alice": testAPR1, "bob": "hunter2"}))
	if len(got.Data) != 0 || !strings.HasPrefix(why(got), `not an auth map: user "bob"`) {
		t.Errorf("auth map with a plain password: %q %q", got.Data, why(got))
	}
	got = trim(secret(map[string]string{"token": "eyJhbGciOi", "password": "hunter2"}))
	if len(got.Data) != 0 || why(got) != "" {
		t.Errorf("an unrelated Secret: %q %q", got.Data, why(got))
	}
}
