package e2e

import (
	"context"
	"crypto/tls"
	"fmt"
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestAnnotationsSSLCiphers: ssl-ciphers sets the TLS 1.2 ciphers of the
// Ingress's hosts only (also of a host without a certificate of its own,
// which serves the default one), and ssl-prefer-server-ciphers "false" lets
// the client's order decide where the server's does by default. The
// certificates are ECDSA. Go's client prefers AES-128-GCM to AES-256-GCM.
func TestAnnotationsSSLCiphers(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	deploy(t, ns, "web", 1)
	strict, other, serverOrder, clientOrder := hostFor(ns, "strict"), hostFor(ns, "other"), hostFor(ns, "server-order"), hostFor(ns, "client-order")
	const aes128, aes256 = tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384
	createIngress(t, annotated(ns, "strict", strict, "web", map[string]string{"ssl-ciphers": "ECDHE-ECDSA-AES256-GCM-SHA384"}))
	createIngress(t, ingress(ns, "other", rule(other, prefix("/", "web"))))
	both := map[string]string{"ssl-ciphers": "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-GCM-SHA256"}
	for _, c := range []struct{ name, host, prefer string }{{"server-order", serverOrder, ""}, {"client-order", clientOrder, "false"}} {
		if _, err := env.client.CoreV1().Secrets(ns).Create(context.Background(), selfSignedSecret(t, ns, c.name+"-tls", 1, c.host), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		if c.prefer != "" {
			both["ssl-prefer-server-ciphers"] = c.prefer
		}
		ing := annotated(ns, c.name, c.host, "web", both)
		ing.Spec.TLS = []networkingv1.IngressTLS{{Hosts: []string{c.host}, SecretName: c.name + "-tls"}}
		createIngress(t, ing)
	}
	for _, h := range []string{strict, other, serverOrder, clientOrder} {
		eventually(t, settle, h+" served", expect(request{host: h, path: "/", https: true}, 200, "web-"))
	}
	// negotiated is the cipher of a TLS 1.2 handshake offering suites.
	negotiated := func(host string, suites ...uint16) (uint16, error) {
		_, st, err := served(host, &tls.Config{MaxVersion: tls.VersionTLS12, CipherSuites: suites})
		if err != nil {
			return 0, err
		}
		return st.CipherSuite, nil
	}
	for _, c := range []struct {
		what, host string
		offer      []uint16
		want       uint16 // 0: the handshake fails
	}{
		{"ssl-ciphers refuses AES-128", strict, []uint16{aes128}, 0},
		{"ssl-ciphers takes AES-256", strict, []uint16{aes256}, aes256},
		{"another host keeps the default ciphers", other, []uint16{aes128}, aes128},
		{"the server's order by default", serverOrder, []uint16{aes128, aes256}, aes256},
		{"ssl-prefer-server-ciphers false: the client's order", clientOrder, []uint16{aes128, aes256}, aes128},
	} {
		eventually(t, settle, c.what, func() error {
			got, err := negotiated(c.host, c.offer...)
			if (c.want == 0) != (err != nil) || got != c.want {
				return fmt.Errorf("%s: %s (%v), want %s", c.what, tls.CipherSuiteName(got), err, tls.CipherSuiteName(c.want))
			}
			return nil
		})
	}
}
