package faults

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/atrium-ingress/atrium/test/harness"
)

// TestValidatingWebhook: registered with the real apiserver, the webhook
// refuses an Ingress whose path would inject into nginx.conf, naming the
// field, and admits a valid one.
func TestValidatingWebhook(t *testing.T) {
	dir := t.TempDir()
	caPEM, certFile, keyFile := webhookCerts(t, dir)
	port, err := harness.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	c, err := harness.StartController(context.Background(), harness.ControllerOptions{
		Binary: bin, Kubeconfig: cp.Kubeconfig, Dir: filepath.Join(tmp, "webhook"),
		ExtraArgs: []string{"--election-id", "webhook-test", "--validating-webhook", addr,
			"--validating-webhook-certificate", certFile, "--validating-webhook-key", keyFile},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop()

	ctx := context.Background()
	ns := "webhook-test"
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns, Labels: map[string]string{"atrium-webhook-test": "true"}}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	url := "https://" + addr + "/validate"
	none := admissionregistrationv1.SideEffectClassNone
	fail := admissionregistrationv1.Fail
	cfg := &admissionregistrationv1.ValidatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: "atrium-test"},
		Webhooks: []admissionregistrationv1.ValidatingWebhook{{
			Name:                    "validate.atrium-ingress.io",
			ClientConfig:            admissionregistrationv1.WebhookClientConfig{URL: &url, CABundle: caPEM},
			Rules:                   []admissionregistrationv1.RuleWithOperations{{Operations: []admissionregistrationv1.OperationType{"CREATE", "UPDATE"}, Rule: admissionregistrationv1.Rule{APIGroups: []string{"networking.k8s.io"}, APIVersions: []string{"v1"}, Resources: []string{"ingresses"}}}},
			SideEffects:             &none,
			FailurePolicy:           &fail,
			AdmissionReviewVersions: []string{"v1"},
			// Only this test's namespace: the other tests share the apiserver.
			NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"atrium-webhook-test": "true"}},
			TimeoutSeconds:    ptr.To(int32(10)),
		}},
	}
	if _, err := cs.AdmissionregistrationV1().ValidatingWebhookConfigurations().Create(ctx, cfg, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	defer cs.AdmissionregistrationV1().ValidatingWebhookConfigurations().Delete(ctx, "atrium-test", metav1.DeleteOptions{})

	pt := networkingv1.PathTypeImplementationSpecific
	mk := func(name, path string) *networkingv1.Ingress {
		return &networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
			Spec: networkingv1.IngressSpec{IngressClassName: ptr.To("atrium"), Rules: []networkingv1.IngressRule{{Host: name + ".webhook.test",
				IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{Paths: []networkingv1.HTTPIngressPath{{
					Path: path, PathType: &pt, Backend: networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{Name: "web", Port: networkingv1.ServiceBackendPort{Number: 80}}}}}}}}}}}
	}
	// The webhook configuration takes a moment to reach the apiserver's admission chain.
	until(t, 30*time.Second, "the webhook refuses an injected path", func() error {
		_, err := cs.NetworkingV1().Ingresses(ns).Create(ctx, mk("evil", "/x;}location /pwn {return 200 pwned;}#"), metav1.CreateOptions{})
		if err == nil {
			_ = cs.NetworkingV1().Ingresses(ns).Delete(ctx, "evil", metav1.DeleteOptions{})
			return errorString("created")
		}
		if !strings.Contains(err.Error(), "refused by Atrium") || !strings.Contains(err.Error(), "spec.rules[0].http.paths[0].path") {
			return err
		}
		return nil
	})
	if _, err := cs.NetworkingV1().Ingresses(ns).Create(ctx, mk("good", "/app"), metav1.CreateOptions{}); err != nil {
		t.Errorf("a valid Ingress was refused: %v", err)
	}
}

type errorString string

func (e errorString) Error() string { return string(e) }

// webhookCerts writes a CA and a serving certificate for 127.0.0.1.
func webhookCerts(t *testing.T, dir string) (caPEM []byte, certFile, keyFile string) {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "atrium test CA"}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, KeyUsage: x509.KeyUsageDigitalSignature, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalECPrivateKey(key)
	certFile, keyFile = filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), certFile, keyFile
}
