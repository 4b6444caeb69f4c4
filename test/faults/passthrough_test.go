package faults

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/atrium-ingress/atrium/test/cluster"
	"github.com/atrium-ingress/atrium/test/echoserver/echo"
	"github.com/atrium-ingress/atrium/test/harness"
)

// annotatedIngress is an Ingress for host with path / to svc's port, with
// ingress-nginx annotations (keys without the prefix) and optional TLS.
func annotatedIngress(ns, name, host, svc, port string, tlsHost bool, ann map[string]string) *networkingv1.Ingress {
	pt := networkingv1.PathTypePrefix
	ing := &networkingv1.Ingress{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Annotations: map[string]string{}},
		Spec: networkingv1.IngressSpec{IngressClassName: ptr.To("atrium"), Rules: []networkingv1.IngressRule{{
			Host: host, IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{Paths: []networkingv1.HTTPIngressPath{{
				Path: "/", PathType: &pt, Backend: networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{
					Name: svc, Port: networkingv1.ServiceBackendPort{Name: port}}},
			}}}},
		}}},
	}
	if tlsHost {
		ing.Spec.TLS = []networkingv1.IngressTLS{{Hosts: []string{host}}}
	}
	for k, v := range ann {
		ing.Annotations["nginx.ingress.kubernetes.io/"+k] = v
	}
	return ing
}

// tlsGet sends GET / for host to addr over TLS with SNI host and returns
// the response (body read) and the certificate's first name.
func tlsGet(addr, host string, hdr map[string]string) (*http.Response, []byte, string, error) {
	d := &net.Dialer{Timeout: 3 * time.Second}
	tr := &http.Transport{DisableKeepAlives: true, TLSClientConfig: &tls.Config{InsecureSkipVerify: true, ServerName: host},
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) { return d.DialContext(ctx, "tcp", addr) }}
	defer tr.CloseIdleConnections()
	req, _ := http.NewRequest("GET", "https://"+host+"/", nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := (&http.Client{Timeout: 5 * time.Second, Transport: tr}).Do(req)
	if err != nil {
		return nil, nil, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	name := ""
	if resp.TLS != nil && len(resp.TLS.PeerCertificates) > 0 {
		c := resp.TLS.PeerCertificates[0]
		name = c.Subject.CommonName
		if len(c.DNSNames) > 0 {
			name = c.DNSNames[0]
		}
	}
	return resp, b, name, err
}

// secureService creates a namespace with the Service "secure" (ports http
// and https of the echo server, 8080 and its TLS 8443) and returns it with
// a function that starts pod i and makes it the Service's only endpoint.
func secureService(t *testing.T) (ns string, addPod func(i int) *cluster.Pod) {
	t.Helper()
	ctx := context.Background()
	ns = fmt.Sprintf("f%d", seq.Add(1))
	if _, err := cluster.CreateNamespace(ctx, cs, ns); err != nil {
		t.Fatal(err)
	}
	svc, err := cluster.CreateService(ctx, cs, ns, "secure", []corev1.ServicePort{
		{Name: "http", Port: 80, TargetPort: intstr.FromInt32(8080)}, {Name: "https", Port: 443, TargetPort: intstr.FromInt32(8443)}})
	if err != nil {
		t.Fatal(err)
	}
	return ns, func(i int) *cluster.Pod {
		p, err := pnet.AddPod(ctx, cluster.PodSpec{Name: fmt.Sprintf("%s-secure-%d", ns, i), Namespace: ns, Service: "secure", HTTPSPort: 8443})
		if err != nil {
			t.Fatal(err)
		}
		if err := cluster.SyncEndpoints(ctx, cs, svc, cluster.EndpointsFor([]*cluster.Pod{p})); err != nil {
			t.Fatal(err)
		}
		return p
	}
}

// TestSSLPassthrough: with --enable-ssl-passthrough the TLS connections of
// an ssl-passthrough host reach the echoserver's own TLS port (the client
// sees the pod's certificate), other hosts keep nginx's TLS with their
// client address and X-Forwarded-Port, plain HTTP to the passthrough host
// is proxied over HTTPS, and an endpoint change (a reload) is followed.
func TestSSLPassthrough(t *testing.T) {
	ctx := context.Background()
	ns, addPod := secureService(t)
	pod := addPod(0)
	pass, plain := "pass."+ns+".faults.test", "plain."+ns+".faults.test"
	for _, ing := range []*networkingv1.Ingress{
		annotatedIngress(ns, "pass", pass, "secure", "https", false, map[string]string{"ssl-passthrough": "true"}),
		annotatedIngress(ns, "plain", plain, "secure", "http", true, nil),
	} {
		if _, err := cs.NetworkingV1().Ingresses(ns).Create(ctx, ing, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	c, err := harness.StartController(ctx, harness.ControllerOptions{
		Binary: bin, Kubeconfig: cp.Kubeconfig, Dir: filepath.Join(tmp, "passthrough"),
		ExtraArgs: []string{"--enable-ssl-passthrough", "--election-id", "passthrough-test"},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop()

	// The pod's own TLS: its certificate and its echo of the SNI.
	passedTo := func(p *cluster.Pod) func() error {
		return func() error {
			resp, body, cert, err := tlsGet(c.HTTPSAddr(), pass, nil)
			if err != nil {
				return err
			}
			e, err := echo.Decode(strings.NewReader(string(body)))
			if err != nil {
				return err
			}
			if cert != p.Name || e.Pod != p.Name || e.TLS == nil || e.TLS.ServerName != pass || resp.StatusCode != 200 {
				return fmt.Errorf("certificate %q, answered by %q with TLS %+v (status %d); want pod %s's own TLS", cert, e.Pod, e.TLS, resp.StatusCode, p.Name)
			}
			return nil
		}
	}
	until(t, 30*time.Second, "passed through", passedTo(pod))

	// Other hosts: nginx's TLS, the client address from the PROXY protocol
	// header of the internal hop, the public port as X-Forwarded-Port.
	resp, body, cert, err := tlsGet(c.HTTPSAddr(), plain, nil)
	if err != nil {
		t.Fatal(err)
	}
	e, err := echo.Decode(strings.NewReader(string(body)))
	if err != nil {
		t.Fatalf("%s: %v", plain, err)
	}
	if cert == pod.Name || e.TLS != nil || resp.StatusCode != 200 {
		t.Errorf("%s: certificate %q, pod TLS %+v, status %d; want nginx's TLS and plain HTTP to the pod", plain, cert, e.TLS, resp.StatusCode)
	}
	wantPort := strconv.Itoa(c.Opts.HTTPSPort)
	if got := e.Headers.Get("X-Real-IP"); got != "127.0.0.1" {
		t.Errorf("X-Real-IP %q through the TLS socket, want the client's 127.0.0.1", got)
	}
	if e.Headers.Get("X-Forwarded-Port") != wantPort || e.Headers.Get("X-Forwarded-Proto") != "https" {
		t.Errorf("X-Forwarded-Port %q Proto %q, want %s https", e.Headers.Get("X-Forwarded-Port"), e.Headers.Get("X-Forwarded-Proto"), wantPort)
	}
	// No SNI at all (an IP address as server name sends none): nginx's TLS too.
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 3 * time.Second}, "tcp", c.HTTPSAddr(), &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	if cs := conn.ConnectionState(); len(cs.PeerCertificates) == 0 || cs.PeerCertificates[0].Subject.CommonName == pod.Name {
		t.Errorf("no SNI: want nginx's certificate, got %+v", cs.PeerCertificates)
	}
	conn.Close()

	// Plain HTTP to the passthrough host goes to the pod over HTTPS.
	d := &net.Dialer{Timeout: 3 * time.Second}
	cl := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true,
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return d.DialContext(ctx, "tcp", c.HTTPAddr())
		}}}
	req, _ := http.NewRequest("GET", "http://"+pass+"/", nil)
	if r, err := cl.Do(req); err != nil {
		t.Error(err)
	} else {
		e, err := echo.Decode(r.Body)
		r.Body.Close()
		if err != nil || e.TLS == nil {
			t.Errorf("plain HTTP to the passthrough host: %+v %v, want the pod's TLS port", e, err)
		}
	}

	// The endpoints live in nginx.conf's stream block: a new pod reloads it.
	next := addPod(1)
	until(t, 30*time.Second, "passed through to the new pod", passedTo(next))
}

// TestLimitStatusCodes: the ConfigMap's limit-req-status-code and
// limit-conn-status-code answer the requests the limits refuse.
func TestLimitStatusCodes(t *testing.T) {
	host := backend(t, "limits", 1)
	ns := strings.Split(host, ".")[1]
	ctx := context.Background()
	rps, conn := "rps."+ns+".faults.test", "conn."+ns+".faults.test"
	for _, ing := range []*networkingv1.Ingress{
		annotatedIngress(ns, "rps", rps, "limits", "http", false, map[string]string{"limit-rpm": "1", "limit-burst-multiplier": "0"}),
		annotatedIngress(ns, "conn", conn, "limits", "http", false, map[string]string{"limit-connections": "1"}),
	} {
		if _, err := cs.NetworkingV1().Ingresses(ns).Create(ctx, ing, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "atrium-limits"},
		Data: map[string]string{"limit-req-status-code": "429", "limit-conn-status-code": "509"}}
	if _, err := cs.CoreV1().ConfigMaps("default").Create(ctx, cm, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cs.CoreV1().ConfigMaps("default").Delete(context.Background(), cm.Name, metav1.DeleteOptions{})
	})
	c, err := harness.StartController(ctx, harness.ControllerOptions{
		Binary: bin, Kubeconfig: cp.Kubeconfig, Dir: filepath.Join(tmp, "limits"),
		ExtraArgs: []string{"--configmap", "default/atrium-limits", "--election-id", "limits-test"},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop()
	d := &net.Dialer{Timeout: 3 * time.Second}
	cl := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true,
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return d.DialContext(ctx, "tcp", c.HTTPAddr())
		}}}
	status := func(host string, hdr map[string]string) (int, error) {
		req, _ := http.NewRequest("GET", "http://"+host+"/", nil)
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		r, err := cl.Do(req)
		if err != nil {
			return 0, err
		}
		_, _ = io.Copy(io.Discard, r.Body)
		r.Body.Close()
		return r.StatusCode, nil
	}
	// limit-rpm 1 without burst: the first request of the minute passes
	// (it is also the readiness probe), the next is refused with 429.
	until(t, 30*time.Second, "rps served", func() error {
		if code, err := status(rps, nil); err != nil || code != 200 {
			return fmt.Errorf("%d %v", code, err)
		}
		return nil
	})
	if code, err := status(rps, nil); err != nil || code != 429 {
		t.Errorf("second request within the minute: %d %v, want limit-req-status-code 429", code, err)
	}
	until(t, 30*time.Second, "conn served", func() error {
		if code, err := status(conn, nil); err != nil || code != 200 {
			return fmt.Errorf("%d %v", code, err)
		}
		return nil
	})
	// limit-connections 1: while one slow request is in progress, another
	// is refused with 509. The slow one goes first; should a check still
	// be in progress when it arrives, it is the one refused: try again.
	for attempt := 1; ; attempt++ {
		done := make(chan int, 1)
		go func() {
			code, _ := status(conn, map[string]string{echo.HeaderDelay: "2s"})
			done <- code
		}()
		time.Sleep(300 * time.Millisecond)
		code, err := status(conn, nil)
		slow := <-done
		if slow == 509 && attempt < 5 {
			continue
		}
		if slow != 200 || err != nil || code != 509 {
			t.Errorf("a request while a slow one is in progress: %d %v, want limit-conn-status-code 509; the slow one: %d, want 200", code, err, slow)
		}
		break
	}
}
