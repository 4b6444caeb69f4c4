package e2e

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/atrium-ingress/atrium/test/cluster"
)

// tlsProvider makes Services whose one pod serves HTTPS with a given
// certificate and verifies client certificates against a given CA. Both
// providers implement it.
type tlsProvider interface {
	// deployTLS creates Service svc with ports "http" (80 -> 8080) and
	// "https" (443 -> 8443) and one ready pod.
	deployTLS(ctx context.Context, ns, svc string, crt, key, clientCA []byte) error
}

func (b *podBackends) deployTLS(ctx context.Context, ns, svc string, crt, key, clientCA []byte) error {
	s, err := b.client.CoreV1().Services(ns).Create(ctx, protocolService(ns, svc), metav1.CreateOptions{})
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp(b.dir, "tls-")
	if err != nil {
		return err
	}
	args := []string{}
	for flag, data := range map[string][]byte{"--tls-cert": crt, "--tls-key": key, "--tls-client-ca": clientCA} {
		f := filepath.Join(dir, flag[2:]+".pem")
		if err := os.WriteFile(f, data, 0o600); err != nil {
			return err
		}
		args = append(args, flag, f)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.seq++
	p, err := b.net.AddPod(ctx, cluster.PodSpec{Name: fmt.Sprintf("%s-%d", svc, b.seq), Namespace: ns, Service: svc, HTTPSPort: podHTTPSPort, Args: args})
	if err != nil {
		return err
	}
	key2 := ns + "/" + svc
	b.pods[key2] = append(b.pods[key2], p)
	return cluster.SyncEndpoints(ctx, b.client, s, cluster.EndpointsFor(b.pods[key2]))
}

func (b *deploymentBackends) deployTLS(ctx context.Context, ns, svc string, crt, key, clientCA []byte) error {
	if _, err := b.client.CoreV1().Services(ns).Create(ctx, protocolService(ns, svc), metav1.CreateOptions{}); err != nil {
		return err
	}
	sec := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: svc + "-pod-tls"},
		Data: map[string][]byte{"tls.crt": crt, "tls.key": key, "client-ca.crt": clientCA}}
	if _, err := b.client.CoreV1().Secrets(ns).Create(ctx, sec, metav1.CreateOptions{}); err != nil {
		return err
	}
	labels := map[string]string{"app": svc}
	env := func(name, path string) corev1.EnvVar {
		return corev1.EnvVar{Name: name, ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: path}}}
	}
	d := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: svc},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To(int32(1)),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{
					Volumes: []corev1.Volume{{Name: "tls", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: sec.Name}}}},
					Containers: []corev1.Container{{
						Name: "echo", Image: b.image, ImagePullPolicy: corev1.PullIfNotPresent,
						Args: []string{"--http", ":8080", "--https", fmt.Sprintf(":%d", podHTTPSPort), "--service", svc,
							"--tls-cert", "/tls/tls.crt", "--tls-key", "/tls/tls.key", "--tls-client-ca", "/tls/client-ca.crt"},
						Env:          []corev1.EnvVar{env("POD_NAME", "metadata.name"), env("POD_NAMESPACE", "metadata.namespace")},
						Ports:        []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}, {Name: "https", ContainerPort: podHTTPSPort}},
						VolumeMounts: []corev1.VolumeMount{{Name: "tls", MountPath: "/tls", ReadOnly: true}},
						ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromInt32(podHTTPSPort)}},
							PeriodSeconds: 1},
					}},
				},
			},
		},
	}
	if _, err := b.client.AppsV1().Deployments(ns).Create(ctx, d, metav1.CreateOptions{}); err != nil {
		return err
	}
	_, err := b.wait(ctx, ns, svc, 1)
	return err
}

// testPKI is a CA that issues certificates for a test.
type testPKI struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  []byte
}

func newPKI(t *testing.T, name string) *testPKI {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: name},
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	return &testPKI{cert: c, key: key, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

// issue returns a PEM certificate and key for cn with the given DNS names,
// for servers (dnsNames) or clients (none).
func (p *testPKI) issue(t *testing.T, cn string, dnsNames ...string) (crt, key []byte) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	usage := x509.ExtKeyUsageClientAuth
	if len(dnsNames) > 0 {
		usage = x509.ExtKeyUsageServerAuth
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn}, DNSNames: dnsNames,
		ExtKeyUsage: []x509.ExtKeyUsage{usage}, KeyUsage: x509.KeyUsageDigitalSignature,
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.cert, &k.PublicKey, p.key)
	if err != nil {
		t.Fatal(err)
	}
	kd, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kd})
}

func createSecret(t *testing.T, ns, name string, data map[string][]byte) {
	t.Helper()
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Type: corev1.SecretTypeOpaque, Data: data}
	if _, err := env.client.CoreV1().Secrets(ns).Create(context.Background(), s, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// TestAnnotationsProxySSL: TLS to the endpoints checked against a CA the
// test made, through the real nginx: the right CA and name pass, a wrong
// CA or name answers 502, the client certificate and SNI reach the pod,
// proxy-ssl-protocols is obeyed, and a missing or unusable Secret fails
// closed with an Event.
func TestAnnotationsProxySSL(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	ca, wrong := newPKI(t, "atrium e2e backend CA"), newPKI(t, "atrium e2e other CA")
	// The pod's certificate names backend.internal and the Service's
	// cluster name, the default proxy-ssl-name.
	srvCrt, srvKey := ca.issue(t, "secure", "backend.internal", "secure."+ns+".svc")
	cliCrt, cliKey := ca.issue(t, "atrium-proxy")
	p, ok := env.backends.(tlsProvider)
	if !ok {
		t.Fatalf("the backend provider %T cannot run pods with a given certificate", env.backends)
	}
	if err := p.deployTLS(context.Background(), ns, "secure", srvCrt, srvKey, ca.pem); err != nil {
		t.Fatal(err)
	}
	createSecret(t, ns, "client", map[string][]byte{"tls.crt": cliCrt, "tls.key": cliKey, "ca.crt": ca.pem})
	createSecret(t, ns, "backend-ca", map[string][]byte{"ca.crt": ca.pem})
	createSecret(t, ns, "wrong-ca", map[string][]byte{"ca.crt": wrong.pem})
	createSecret(t, ns, "garbage", map[string][]byte{"ca.crt": []byte("-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n")})

	hosts := map[string]string{}
	add := func(name string, ann map[string]string) {
		hosts[name] = hostFor(ns, name)
		a := map[string]string{"backend-protocol": "HTTPS"}
		for k, v := range ann {
			a[k] = v
		}
		createIngress(t, withAnnotations(ingress(ns, name, rule(hosts[name], portNamed(prefix("/", "secure"), "https"))), a))
	}
	secret := func(n string) string { return ns + "/" + n }
	add("verified", map[string]string{"proxy-ssl-secret": secret("client"), "proxy-ssl-verify": "on", "proxy-ssl-name": "backend.internal", "proxy-ssl-server-name": "on"})
	add("default-name", map[string]string{"proxy-ssl-secret": secret("backend-ca"), "proxy-ssl-verify": "on"})
	add("tls13", map[string]string{"proxy-ssl-secret": secret("backend-ca"), "proxy-ssl-verify": "on", "proxy-ssl-protocols": "TLSv1.3"})
	add("unverified", nil)
	add("wrong-ca", map[string]string{"proxy-ssl-secret": secret("wrong-ca"), "proxy-ssl-verify": "on"})
	add("wrong-name", map[string]string{"proxy-ssl-secret": secret("backend-ca"), "proxy-ssl-verify": "on", "proxy-ssl-name": "other.internal"})
	add("missing", map[string]string{"proxy-ssl-secret": secret("nope"), "proxy-ssl-verify": "on"})
	add("garbage", map[string]string{"proxy-ssl-secret": secret("garbage"), "proxy-ssl-verify": "on"})

	tlsOf := func(name string) (*result, error) {
		r, err := get(hosts[name], "/")
		if err != nil {
			return nil, err
		}
		if r.status != 200 || r.echo == nil || r.echo.TLS == nil {
			return nil, fmt.Errorf("%s: %s, want 200 from the pod's TLS port", name, r)
		}
		return r, nil
	}
	// Right CA and name: verified; the client certificate and SNI arrive;
	// without proxy-ssl-protocols TLS 1.3 is not offered (ingress-nginx's
	// default "TLSv1 TLSv1.1 TLSv1.2").
	eventually(t, settle, "verified", func() error {
		r, err := tlsOf("verified")
		if err != nil {
			return err
		}
		if got := *r.echo.TLS; got.ClientCN != "atrium-proxy" || got.ServerName != "backend.internal" || got.Version != "TLS1.2" {
			return fmt.Errorf("pod saw %+v, want client atrium-proxy, SNI backend.internal, TLS1.2", got)
		}
		return nil
	})
	// The default name is the Service's; no SNI, no client certificate.
	eventually(t, settle, "default name", func() error {
		r, err := tlsOf("default-name")
		if err != nil {
			return err
		}
		if got := *r.echo.TLS; got.ClientCN != "" || got.ServerName != "" {
			return fmt.Errorf("pod saw %+v, want no client certificate and no SNI", got)
		}
		return nil
	})
	eventually(t, settle, "proxy-ssl-protocols TLSv1.3", func() error {
		r, err := tlsOf("tls13")
		if err != nil {
			return err
		}
		if r.echo.TLS.Version != "TLS1.3" {
			return fmt.Errorf("pod saw %s, want TLS1.3", r.echo.TLS.Version)
		}
		return nil
	})
	eventually(t, settle, "unverified HTTPS", func() error { _, err := tlsOf("unverified"); return err })
	eventually(t, settle, "wrong CA", expect(request{host: hosts["wrong-ca"], path: "/"}, 502, ""))
	eventually(t, settle, "wrong name", expect(request{host: hosts["wrong-name"], path: "/"}, 502, ""))
	// Verified and unverified connections to the same pod now sit in
	// nginx's keepalive pools: none may serve a location that checks
	// otherwise.
	for i := 0; i < 5; i++ {
		for _, name := range []string{"verified", "unverified", "default-name"} {
			if _, err := tlsOf(name); err != nil {
				t.Fatal(err)
			}
		}
		for _, name := range []string{"wrong-ca", "wrong-name"} {
			if err := expect(request{host: hosts[name], path: "/"}, 502, "")(); err != nil {
				t.Fatalf("after keepalive connections were made: %v", err)
			}
		}
	}
	eventually(t, settle, "missing Secret fails closed", expect(request{host: hosts["missing"], path: "/"}, 503, ""))
	waitEvent(t, ns, "missing", corev1.EventTypeWarning, "SecretNotFound", annPrefix+"proxy-ssl-secret")
	eventually(t, settle, "unusable CA fails closed", expect(request{host: hosts["garbage"], path: "/"}, 503, ""))
	waitEvent(t, ns, "garbage", corev1.EventTypeWarning, "InvalidCertificate", annPrefix+"proxy-ssl-secret")
	// The Secret arriving later is picked up (it is referenced, so its
	// events trigger a rebuild).
	createSecret(t, ns, "nope", map[string][]byte{"ca.crt": ca.pem})
	eventually(t, settle, "the Secret created later", func() error { _, err := tlsOf("missing"); return err })
}
