package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/atrium-ingress/atrium/test/echoserver/echo"
)

// httpsGet requests path from the HTTPS listener using tlsConf (SNI and
// ALPN come from it) and decodes the echo.
func httpsGet(t *testing.T, in *instance, path string, tlsConf *tls.Config) (*echo.Response, *http.Response) {
	t.Helper()
	// The transport only offers h2 when forced; follow the test's ALPN list.
	h2 := slices.Contains(tlsConf.NextProtos, "h2")
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: tlsConf, ForceAttemptHTTP2: h2}}
	defer client.CloseIdleConnections()
	resp, err := client.Get("https://" + in.Addrs.HTTPS.String() + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	return decode(t, resp), resp
}

func TestHTTPSSelfSignedH2(t *testing.T) {
	in := startTest(t, func(c *config) { c.HTTPSAddr = "127.0.0.1:0" })
	e, resp := httpsGet(t, in, "/tls/path?q=1", &tls.Config{
		ServerName:         "echo.example.test",
		InsecureSkipVerify: true, // self-signed; the certificate is checked below
		NextProtos:         []string{"h2", "http/1.1"},
	})
	want := echo.TLSInfo{Version: "TLS1.3", ServerName: "echo.example.test", ALPN: "h2"}
	if e.TLS == nil || *e.TLS != want {
		t.Errorf("tls = %+v, want %+v", e.TLS, want)
	}
	if e.Proto != "HTTP/2.0" || e.Path != "/tls/path?q=1" || e.Pod != "pod-a" {
		t.Errorf("proto=%q path=%q pod=%q", e.Proto, e.Path, e.Pod)
	}
	cert := resp.TLS.PeerCertificates[0]
	if cert.Subject.CommonName != "pod-a" || fmt.Sprint(cert.DNSNames) != "[pod-a localhost]" {
		t.Errorf("cert CN=%q SAN=%v, want pod-a and [pod-a localhost]", cert.Subject.CommonName, cert.DNSNames)
	}
	if cert.PublicKeyAlgorithm != x509.ECDSA {
		t.Errorf("public key algorithm = %v, want ECDSA", cert.PublicKeyAlgorithm)
	}
}

// TestHTTPSCertFiles uses --tls-cert/--tls-key and verifies the chain for
// real, over HTTP/1.1 ALPN.
func TestHTTPSCertFiles(t *testing.T) {
	certPEM, keyPEM, err := selfSigned("pod-files")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	if err := os.WriteFile(certFile, certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, keyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	in := startTest(t, func(c *config) {
		c.HTTPSAddr, c.TLSCert, c.TLSKey = "127.0.0.1:0", certFile, keyFile
	})
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(certPEM)
	e, _ := httpsGet(t, in, "/", &tls.Config{
		RootCAs:    roots,
		ServerName: "localhost",
		NextProtos: []string{"http/1.1"},
		MaxVersion: tls.VersionTLS12,
	})
	want := echo.TLSInfo{Version: "TLS1.2", ServerName: "localhost", ALPN: "http/1.1"}
	if e.TLS == nil || *e.TLS != want || e.Proto != "HTTP/1.1" {
		t.Errorf("tls = %+v proto %q, want %+v over HTTP/1.1", e.TLS, e.Proto, want)
	}

	if _, err := start(config{HTTPSAddr: "127.0.0.1:0", TLSCert: certFile, TLSKey: certFile}); err == nil {
		t.Error("start with a bad key file should fail")
	}
}

// clientCertFrom makes a CA and a client certificate (CN cn) it signs.
func clientCertFrom(t *testing.T, cn string) (caPEM []byte, client tls.Certificate) {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: cn + "-ca"}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: cn}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		KeyUsage: x509.KeyUsageDigitalSignature, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// TestHTTPSClientCA: with --tls-client-ca a verified client certificate's
// common name is reported; a client without one is still served; one
// signed by another CA is refused.
func TestHTTPSClientCA(t *testing.T) {
	caPEM, client := clientCertFrom(t, "proxy")
	dir := t.TempDir()
	caFile := filepath.Join(dir, "ca.crt")
	if err := os.WriteFile(caFile, caPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	in := startTest(t, func(c *config) { c.HTTPSAddr, c.TLSClientCA = "127.0.0.1:0", caFile })
	e, _ := httpsGet(t, in, "/", &tls.Config{InsecureSkipVerify: true, Certificates: []tls.Certificate{client}})
	if e.TLS == nil || e.TLS.ClientCN != "proxy" {
		t.Errorf("with a trusted client certificate: tls = %+v, want clientCN proxy", e.TLS)
	}
	e, _ = httpsGet(t, in, "/", &tls.Config{InsecureSkipVerify: true})
	if e.TLS == nil || e.TLS.ClientCN != "" {
		t.Errorf("without a client certificate: tls = %+v, want no clientCN", e.TLS)
	}
	_, stranger := clientCertFrom(t, "stranger")
	// GetClientCertificate sends it whatever CAs the server asks for.
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true,
		GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &stranger, nil }}}}
	defer hc.CloseIdleConnections()
	if resp, err := hc.Get("https://" + in.Addrs.HTTPS.String() + "/"); err == nil {
		resp.Body.Close()
		t.Error("a client certificate from another CA was accepted")
	}
	if _, err := start(config{HTTPSAddr: "127.0.0.1:0", TLSClientCA: filepath.Join(dir, "missing")}); err == nil {
		t.Error("start with a missing --tls-client-ca should fail")
	}
}
