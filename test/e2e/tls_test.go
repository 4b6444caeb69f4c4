package e2e

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// selfSignedSecret makes a kubernetes.io/tls Secret for the names given;
// the serial number tells two certificates for the same name apart.
func selfSignedSecret(t *testing.T, ns, name string, serial int64, hosts ...string) *corev1.Secret {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: hosts[0]}, DNSNames: hosts,
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Type:       corev1.SecretTypeTLS,
		Data: map[string][]byte{
			corev1.TLSCertKey:       pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
			corev1.TLSPrivateKeyKey: pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}),
		},
	}
}

// served returns the certificate served for an SNI name and the TLS state.
func served(sni string, cfg *tls.Config) (*x509.Certificate, *tls.ConnectionState, error) {
	if cfg == nil {
		cfg = &tls.Config{}
	}
	cfg.ServerName, cfg.InsecureSkipVerify = sni, true
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", env.httpsAddr, cfg)
	if err != nil {
		return nil, nil, err
	}
	defer conn.Close()
	st := conn.ConnectionState()
	return st.PeerCertificates[0], &st, nil
}

func servedSerial(sni string) (int64, error) {
	c, _, err := served(sni, nil)
	if err != nil {
		return 0, err
	}
	return c.SerialNumber.Int64(), nil
}

// TestTLS: certificates by SNI, the default certificate elsewhere, the
// redirect to HTTPS, HTTP/2, TLS 1.2+ only, and Secret changes without restart.
func TestTLS(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	deploy(t, ns, "web", 1)
	host, plain := hostFor(ns, "secure"), hostFor(ns, "plain")
	if _, err := env.client.CoreV1().Secrets(ns).Create(context.Background(), selfSignedSecret(t, ns, "cert", 1001, host), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	ing := ingress(ns, "tls", rule(host, prefix("/", "web")), rule(plain, prefix("/", "web")))
	ing.Spec.TLS = []networkingv1.IngressTLS{{Hosts: []string{host}, SecretName: "cert"}}
	createIngress(t, ing)
	eventually(t, settle, "certificate by SNI", func() error {
		s, err := servedSerial(host)
		if err != nil || s != 1001 {
			return fmt.Errorf("serial %d, %v", s, err)
		}
		return nil
	})
	eventually(t, settle, "HTTPS request", expect(request{host: host, path: "/x", https: true}, 200, "web-"))
	r, err := do(request{host: host, path: "/x", https: true})
	if err != nil || r.echo == nil || r.echo.Headers.Get("X-Forwarded-Proto") != "https" {
		t.Errorf("X-Forwarded-Proto over HTTPS: %v %v", r, err)
	}

	// Plain HTTP to a TLS host: 308 to HTTPS, path and query kept.
	r, err = do(request{host: host, path: "/a/b?c=d"})
	if err != nil {
		t.Fatal(err)
	}
	_, httpsPort, _ := net.SplitHostPort(env.httpsAddr)
	loc := r.header.Get("Location")
	wantLoc := "https://" + host + "/a/b?c=d"
	if httpsPort != "443" {
		wantLoc = "https://" + host + ":" + httpsPort + "/a/b?c=d"
	}
	if r.status != 308 || loc != wantLoc {
		t.Errorf("HTTP to a TLS host: %d Location %q, want 308 %q", r.status, loc, wantLoc)
	}
	// A host without TLS is not redirected.
	if err := expect(request{host: plain, path: "/"}, 200, "web-")(); err != nil {
		t.Error(err)
	}

	// Unknown names and hosts without their own certificate get the default.
	for _, sni := range []string{"unknown.e2e.test", plain} {
		c, _, err := served(sni, nil)
		if err != nil {
			t.Fatal(err)
		}
		if c.SerialNumber.Int64() == 1001 || containsName(c, host) {
			t.Errorf("SNI %s got the certificate of %s", sni, host)
		}
	}
	// HTTP/2 is offered; TLS below 1.2 is refused.
	if _, st, err := served(host, &tls.Config{NextProtos: []string{"h2", "http/1.1"}}); err != nil || st.NegotiatedProtocol != "h2" {
		t.Errorf("ALPN: %v %v, want h2", st, err)
	}
	if _, _, err := served(host, &tls.Config{MaxVersion: tls.VersionTLS11, MinVersion: tls.VersionTLS10}); err == nil {
		t.Error("TLS 1.1 handshake succeeded")
	}

	// A new certificate in the Secret is served without a restart.
	sec := selfSignedSecret(t, ns, "cert", 1002, host)
	if _, err := env.client.CoreV1().Secrets(ns).Update(context.Background(), sec, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, settle, "updated certificate", func() error {
		if s, err := servedSerial(host); err != nil || s != 1002 {
			return fmt.Errorf("serial %d, %v", s, err)
		}
		return nil
	})

	// Deleting the Secret falls back to the default certificate, with an Event.
	if err := env.client.CoreV1().Secrets(ns).Delete(context.Background(), "cert", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, settle, "default certificate after delete", func() error {
		if s, err := servedSerial(host); err != nil || s == 1002 {
			return fmt.Errorf("serial %d, %v", s, err)
		}
		return nil
	})
	waitEvent(t, ns, "tls", corev1.EventTypeWarning, "SecretNotFound", "cert")
	if err := expect(request{host: host, path: "/", https: true}, 200, "web-")(); err != nil {
		t.Errorf("host keeps serving with the default certificate: %v", err)
	}
}

// TestTLSWrongHost: a certificate that does not cover the host is not
// served for it; an Event says why.
func TestTLSWrongHost(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	deploy(t, ns, "web", 1)
	host := hostFor(ns, "mismatch")
	if _, err := env.client.CoreV1().Secrets(ns).Create(context.Background(), selfSignedSecret(t, ns, "other", 2001, "other.example"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	ing := ingress(ns, "mismatch", rule(host, prefix("/", "web")))
	ing.Spec.TLS = []networkingv1.IngressTLS{{Hosts: []string{host}, SecretName: "other"}}
	createIngress(t, ing)
	waitEvent(t, ns, "mismatch", corev1.EventTypeWarning, "CertificateHostMismatch", host)
	if s, err := servedSerial(host); err != nil || s == 2001 {
		t.Errorf("served serial %d (%v); the mismatching certificate must not be used", s, err)
	}
}

func containsName(c *x509.Certificate, name string) bool {
	for _, n := range c.DNSNames {
		if strings.EqualFold(n, name) {
			return true
		}
	}
	return false
}

// TestTLSSecretCorrupted: a Secret whose certificate turns to garbage falls
// back to the default certificate for its host, with an Event; another host
// with a good Secret is unaffected.
func TestTLSSecretCorrupted(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	deploy(t, ns, "web", 1)
	bad, good := hostFor(ns, "corrupt"), hostFor(ns, "intact")
	for name, h := range map[string]string{"bad-cert": bad, "good-cert": good} {
		serial := int64(3001)
		if name == "good-cert" {
			serial = 3002
		}
		if _, err := env.client.CoreV1().Secrets(ns).Create(context.Background(), selfSignedSecret(t, ns, name, serial, h), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	ing := ingress(ns, "corrupt", rule(bad, prefix("/", "web")), rule(good, prefix("/", "web")))
	ing.Spec.TLS = []networkingv1.IngressTLS{{Hosts: []string{bad}, SecretName: "bad-cert"}, {Hosts: []string{good}, SecretName: "good-cert"}}
	createIngress(t, ing)
	eventually(t, settle, "both certificates served", func() error {
		a, err1 := servedSerial(bad)
		b, err2 := servedSerial(good)
		if err1 != nil || err2 != nil || a != 3001 || b != 3002 {
			return fmt.Errorf("serials %d %d (%v %v)", a, b, err1, err2)
		}
		return nil
	})
	sec, err := env.client.CoreV1().Secrets(ns).Get(context.Background(), "bad-cert", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sec.Data[corev1.TLSCertKey] = []byte("-----BEGIN CERTIFICATE-----\nZ2FyYmFnZQ==\n-----END CERTIFICATE-----\n")
	if _, err := env.client.CoreV1().Secrets(ns).Update(context.Background(), sec, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, settle, "default certificate for the corrupted host", func() error {
		if s, err := servedSerial(bad); err != nil || s == 3001 {
			return fmt.Errorf("serial %d, %v", s, err)
		}
		return nil
	})
	waitEvent(t, ns, "corrupt", corev1.EventTypeWarning, "InvalidCertificate", "bad-cert")
	if s, err := servedSerial(good); err != nil || s != 3002 {
		t.Errorf("the other host's certificate changed: serial %d, %v", s, err)
	}
	if err := expect(request{host: bad, path: "/", https: true}, 200, "web-")(); err != nil {
		t.Errorf("the corrupted host keeps serving: %v", err)
	}
}
