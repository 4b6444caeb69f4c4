package faults

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/atrium-ingress/atrium/test/echoserver/echo"
)

// behindLoadBalancer is a client whose every connection to addr starts
// with a PROXY protocol v1 header naming client as the source, as a load
// balancer in front (AWS NLB, say) writes it; client "" sends none.
func behindLoadBalancer(addr, client string, tc *tls.Config) *http.Client {
	d := &net.Dialer{Timeout: 3 * time.Second}
	tr := &http.Transport{DisableKeepAlives: true, TLSClientConfig: tc,
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			conn, err := d.DialContext(ctx, "tcp", addr)
			if err != nil || client == "" {
				return conn, err
			}
			if _, err := fmt.Fprintf(conn, "PROXY TCP4 %s 127.0.0.1 40000 443\r\n", client); err != nil {
				conn.Close()
				return nil, err
			}
			return conn, nil
		}}
	return &http.Client{Timeout: 5 * time.Second, Transport: tr,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// TestUseProxyProtocol: with the ConfigMap's use-proxy-protocol, the HTTP
// and HTTPS ports expect a PROXY header and take the client's address
// from it (X-Real-IP, and appended to X-Forwarded-For with
// compute-full-forwarded-for), with and without ssl-passthrough (whose
// front must pass the client's address on to nginx's TLS socket, and whose
// passthrough hosts still reach their pods' own TLS); a connection without
// the header is not served.
func TestUseProxyProtocol(t *testing.T) {
	ctx := context.Background()
	ns, addPod := secureService(t)
	pod := addPod(0)
	pass, plain := "pass."+ns+".faults.test", "plain."+ns+".faults.test"
	for _, ing := range []*networkingv1.Ingress{
		annotatedIngress(ns, "pass", pass, "secure", "https", false, map[string]string{"ssl-passthrough": "true"}),
		annotatedIngress(ns, "plain", plain, "secure", "http", true, map[string]string{"ssl-redirect": "false"}),
	} {
		if _, err := cs.NetworkingV1().Ingresses(ns).Create(ctx, ing, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "atrium-proxy-protocol"}, Data: map[string]string{
		"use-proxy-protocol": "true", "proxy-real-ip-cidr": "127.0.0.0/8",
		"use-forwarded-headers": "true", "compute-full-forwarded-for": "true",
	}}
	if _, err := cs.CoreV1().ConfigMaps("default").Create(ctx, cm, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cs.CoreV1().ConfigMaps("default").Delete(context.Background(), cm.Name, metav1.DeleteOptions{})
	})
	for _, passthrough := range []bool{false, true} {
		args := []string{"--configmap", "default/" + cm.Name}
		if passthrough {
			args = append(args, "--enable-ssl-passthrough")
		}
		c := extraController(t, fmt.Sprintf("proxyprotocol-%v", passthrough), args...)
		behindProxyProtocol(t, c.HTTPAddr(), c.HTTPSAddr(), plain, pass, pod.Name, passthrough)
	}
}

// behindProxyProtocol checks one controller (with or without
// ssl-passthrough) configured by TestUseProxyProtocol.
func behindProxyProtocol(t *testing.T, httpAddr, httpsAddr, plain, pass, pod string, passthrough bool) {
	t.Helper()
	// echoed sends GET / for host and decodes the pod's echo.
	echoed := func(cl *http.Client, url string) (*echo.Response, error) {
		req, _ := http.NewRequest("GET", url, nil)
		req.Header.Set("X-Forwarded-For", "198.51.100.1")
		resp, err := cl.Do(req)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		if resp.StatusCode != 200 {
			return nil, fmt.Errorf("status %d", resp.StatusCode)
		}
		return echo.Decode(resp.Body)
	}
	tlsTo := func(host string) *tls.Config { return &tls.Config{InsecureSkipVerify: true, ServerName: host} }
	for _, k := range []struct {
		name, url, client string
		cl                *http.Client
	}{
		{"HTTP", "http://" + plain + "/", "203.0.113.7", behindLoadBalancer(httpAddr, "203.0.113.7", nil)},
		{fmt.Sprintf("HTTPS (ssl-passthrough %v)", passthrough), "https://" + plain + "/", "203.0.113.8", behindLoadBalancer(httpsAddr, "203.0.113.8", tlsTo(plain))},
	} {
		var e *echo.Response
		until(t, 30*time.Second, k.name+" served behind the load balancer", func() error {
			var err error
			e, err = echoed(k.cl, k.url)
			return err
		})
		if got := e.Headers.Get("X-Real-IP"); got != k.client {
			t.Errorf("%s: X-Real-IP %q, want the PROXY header's %s", k.name, got, k.client)
		}
		if got, want := e.Headers.Get("X-Forwarded-For"), "198.51.100.1, "+k.client; got != want {
			t.Errorf("%s: X-Forwarded-For %q, want %q", k.name, got, want)
		}
	}
	// A passthrough host still reaches the pod's own TLS behind the header.
	if passthrough {
		e, err := echoed(behindLoadBalancer(httpsAddr, "203.0.113.9", tlsTo(pass)), "https://"+pass+"/")
		if err != nil || e.Pod != pod || e.TLS == nil || e.TLS.ServerName != pass {
			t.Errorf("passthrough behind the load balancer: %+v %v, want pod %s's own TLS", e, err, pod)
		}
	}
	// Without the header nginx takes the request line for a broken PROXY
	// header and closes the connection, on both ports.
	for _, url := range []string{"http://" + plain + "/", "https://" + plain + "/"} {
		addr := httpAddr
		if strings.HasPrefix(url, "https") {
			addr = httpsAddr
		}
		if e, err := echoed(behindLoadBalancer(addr, "", tlsTo(plain)), url); err == nil {
			t.Errorf("%s without a PROXY header was served (ssl-passthrough %v): %+v", url, passthrough, e)
		}
	}
}
