package e2e

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/atrium-ingress/atrium/test/echoserver/echo"
)

// newNamespace gives a test its own namespace, deleted when it ends.
func newNamespace(t *testing.T) string {
	t.Helper()
	name := strings.ToLower(strings.NewReplacer("/", "-", "_", "-").Replace(t.Name()))
	if len(name) > 40 {
		name = name[:40]
	}
	ns, err := env.client.CoreV1().Namespaces().Create(context.Background(), &corev1.Namespace{
		ObjectMeta: metav1.ObjectMeta{GenerateName: strings.Trim(name, "-") + "-"},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = env.client.CoreV1().Namespaces().Delete(context.Background(), ns.Name, metav1.DeleteOptions{})
	})
	return ns.Name
}

// deploy creates an echo Service with n pods and returns the pod names.
func deploy(t *testing.T, ns, svc string, n int) []string {
	t.Helper()
	pods, err := env.backends.deploy(context.Background(), ns, svc, n)
	if err != nil {
		t.Fatalf("deploy %s/%s: %v", ns, svc, err)
	}
	return pods
}

func scale(t *testing.T, ns, svc string, n int) []string {
	t.Helper()
	pods, err := env.backends.scale(context.Background(), ns, svc, n)
	if err != nil {
		t.Fatalf("scale %s/%s: %v", ns, svc, err)
	}
	return pods
}

// path is one Ingress path for the builders below.
type path struct {
	path    string
	typ     networkingv1.PathType
	service string
	port    networkingv1.ServiceBackendPort
}

func prefix(p, svc string) path { return path{p, networkingv1.PathTypePrefix, svc, httpPort} }
func exact(p, svc string) path  { return path{p, networkingv1.PathTypeExact, svc, httpPort} }

var httpPort = networkingv1.ServiceBackendPort{Name: "http"}

func rule(host string, paths ...path) networkingv1.IngressRule {
	r := networkingv1.IngressRule{Host: host, IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{}}}
	for _, p := range paths {
		r.HTTP.Paths = append(r.HTTP.Paths, networkingv1.HTTPIngressPath{
			Path: p.path, PathType: ptr.To(p.typ),
			Backend: networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{Name: p.service, Port: p.port}},
		})
	}
	return r
}

func ingress(ns, name string, rules ...networkingv1.IngressRule) *networkingv1.Ingress {
	return &networkingv1.Ingress{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec:       networkingv1.IngressSpec{IngressClassName: ptr.To(env.class), Rules: rules},
	}
}

func createIngress(t *testing.T, ing *networkingv1.Ingress) *networkingv1.Ingress {
	t.Helper()
	out, err := env.client.NetworkingV1().Ingresses(ing.Namespace).Create(context.Background(), ing, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create Ingress %s/%s: %v", ing.Namespace, ing.Name, err)
	}
	return out
}

// hostFor makes a host name unique to the test's namespace.
func hostFor(ns, label string) string { return label + "." + ns + ".e2e.test" }

// result is what a client saw.
type result struct {
	status int
	header http.Header
	body   []byte
	echo   *echo.Response // nil unless an echoserver answered
	tls    *tls.ConnectionState
}

func (r *result) pod() string {
	if r.echo == nil {
		return ""
	}
	return r.echo.Pod
}

func (r *result) String() string {
	if r == nil {
		return "<no response>"
	}
	return fmt.Sprintf("%d pod=%q body=%.80q", r.status, r.pod(), r.body)
}

// request sends one request through the proxy: plain HTTP to the HTTP
// listener, or HTTPS (SNI = host) to the HTTPS listener. Redirects are not
// followed, so tests see them.
type request struct {
	method string
	host   string
	path   string
	https  bool
	header http.Header
	body   string
	http2  bool
	// clientCert is presented when the server asks for a client
	// certificate (whatever CAs it names).
	clientCert *tls.Certificate
}

func do(rq request) (*result, error) {
	addr := env.httpAddr
	scheme := "http"
	if rq.https {
		addr, scheme = env.httpsAddr, "https"
	}
	dialer := &net.Dialer{Timeout: 5 * time.Second}
	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) { return dialer.DialContext(ctx, "tcp", addr) },
		// The tests check which certificate is served, not the trust chain.
		TLSClientConfig:   &tls.Config{InsecureSkipVerify: true, ServerName: rq.host},
		ForceAttemptHTTP2: rq.http2,
		DisableKeepAlives: true,
	}
	if c := rq.clientCert; c != nil {
		tr.TLSClientConfig.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return c, nil }
	}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr, Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	method := rq.method
	if method == "" {
		method = http.MethodGet
	}
	var body io.Reader
	if rq.body != "" {
		body = strings.NewReader(rq.body)
	}
	req, err := http.NewRequest(method, scheme+"://"+rq.host+rq.path, body)
	if err != nil {
		return nil, err
	}
	for k, v := range rq.header {
		req.Header[k] = v
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	r := &result{status: resp.StatusCode, header: resp.Header, body: b, tls: resp.TLS}
	if resp.Header.Get(echo.HeaderPod) != "" && strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		r.echo, _ = echo.Decode(strings.NewReader(string(b)))
	}
	return r, nil
}

func get(host, p string) (*result, error) { return do(request{host: host, path: p}) }

// eventually polls check until it passes three times in a row or the
// timeout passes. Changes take effect asynchronously (informer, coalescing,
// reload), so tests wait for the outcome rather than for a fixed time. One
// pass is not enough: right after a reload nginx's old workers may still
// accept a few connections with the old configuration (more so on a busy
// machine), so the next request of a test could see the old answer again.
func eventually(t *testing.T, timeout time.Duration, what string, check func() error) {
	t.Helper()
	eventuallyN(t, timeout, what, 3, check)
}

// eventuallyOnce is eventually for checks that cannot pass three times in a
// row by design (a backend that fails every other request).
func eventuallyOnce(t *testing.T, timeout time.Duration, what string, check func() error) {
	t.Helper()
	eventuallyN(t, timeout, what, 1, check)
}

func eventuallyN(t *testing.T, timeout time.Duration, what string, n int, check func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var err error
	passes := 0
	for {
		if err = check(); err == nil {
			if passes++; passes == n {
				return
			}
			time.Sleep(100 * time.Millisecond)
			continue
		}
		passes = 0
		if time.Now().After(deadline) {
			t.Fatalf("%s: still failing after %s: %v", what, timeout, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

const settle = 30 * time.Second

// expect checks one request's status and, if pod is not "", the pod that answered.
func expect(rq request, status int, podPrefix string) func() error {
	return func() error {
		r, err := do(rq)
		if err != nil {
			return err
		}
		if r.status != status {
			// The time lets a failure be matched with the controller's log.
			return fmt.Errorf("%s %s%s: got %s, want status %d (at %s)", rq.method, rq.host, rq.path, r, status,
				time.Now().UTC().Format("15:04:05.000"))
		}
		if podPrefix != "" && !strings.HasPrefix(r.pod(), podPrefix) {
			return fmt.Errorf("%s%s: answered by pod %q, want %s*", rq.host, rq.path, r.pod(), podPrefix)
		}
		return nil
	}
}

// leafCN returns the served certificate's first DNS name or common name.
func leafName(cs *tls.ConnectionState) string {
	if cs == nil || len(cs.PeerCertificates) == 0 {
		return ""
	}
	return certName(cs.PeerCertificates[0])
}

func certName(c *x509.Certificate) string {
	if len(c.DNSNames) > 0 {
		return c.DNSNames[0]
	}
	return c.Subject.CommonName
}

type netConn = net.Conn

// dialProxy opens a TCP connection to the proxy's HTTP listener.
func dialProxy() (net.Conn, error) { return net.DialTimeout("tcp", env.httpAddr, 5*time.Second) }

func errorf(format string, args ...any) error { return fmt.Errorf(format, args...) }
