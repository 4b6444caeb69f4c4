package e2e

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

// flakyService creates Service svc without a selector whose "http" port
// has two endpoints at each address of Service from: its own port 8080
// (the echoserver) and 8081, where nothing listens (connection refused).
// The two EndpointSlices are written here, on any cluster.
func flakyService(t *testing.T, ns, svc, from string) {
	t.Helper()
	ctx := context.Background()
	s := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: svc},
		Spec:       corev1.ServiceSpec{Ports: []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromInt32(8080), Protocol: corev1.ProtocolTCP}}},
	}
	if _, err := env.client.CoreV1().Services(ns).Create(ctx, s, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	var ips []string
	slices, err := env.client.DiscoveryV1().EndpointSlices(ns).List(ctx, metav1.ListOptions{LabelSelector: discoveryv1.LabelServiceName + "=" + from})
	if err != nil {
		t.Fatal(err)
	}
	for _, sl := range slices.Items {
		for _, ep := range sl.Endpoints {
			ips = append(ips, ep.Addresses...)
		}
	}
	if len(ips) == 0 {
		t.Fatalf("Service %s/%s has no endpoints", ns, from)
	}
	for _, port := range []int32{8080, 8081} {
		es := &discoveryv1.EndpointSlice{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: fmt.Sprintf("%s-%d", svc, port), Labels: map[string]string{
				discoveryv1.LabelServiceName: svc, discoveryv1.LabelManagedBy: "e2e.atrium-ingress.io",
			}},
			AddressType: discoveryv1.AddressTypeIPv4,
			Ports:       []discoveryv1.EndpointPort{{Name: ptr.To("http"), Port: ptr.To(port), Protocol: ptr.To(corev1.ProtocolTCP)}},
			Endpoints:   []discoveryv1.Endpoint{{Addresses: ips, Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(true)}}},
		}
		if _, err := env.client.DiscoveryV1().EndpointSlices(ns).Create(ctx, es, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
}

// statuses sends n requests and counts the answers by status.
func statuses(host, p string, n int) (map[int]int, error) {
	out := map[int]int{}
	for i := 0; i < n; i++ {
		r, err := get(host, p)
		if err != nil {
			return nil, err
		}
		out[r.status]++
	}
	return out, nil
}

// TestAnnotationsRetries: proxy-next-upstream and proxy-next-upstream-tries
// against an upstream with one refusing endpoint out of two.
func TestAnnotationsRetries(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	deploy(t, ns, "web", 1)
	flakyService(t, ns, "flaky", "web")
	retry, off, once := hostFor(ns, "retry"), hostFor(ns, "off"), hostFor(ns, "once")
	createIngress(t, ingress(ns, "retry", rule(retry, prefix("/", "flaky"))))
	createIngress(t, annotated(ns, "off", off, "flaky", map[string]string{"proxy-next-upstream": "off"}))
	createIngress(t, annotated(ns, "once", once, "flaky", map[string]string{"proxy-next-upstream-tries": "1"}))
	// Without retries, the requests sent to the refusing endpoint fail. A
	// retry marks the endpoint failed for 10 s (passive health), after
	// which it would not be picked, so these come before any retry.
	for _, h := range []string{off, once} {
		// One endpoint refuses and is not retried: every other request fails.
		eventuallyOnce(t, settle, h+" served", expect(request{host: h, path: "/"}, 200, "web-"))
	}
	for _, h := range []string{off, once} {
		eventually(t, settle, h+" not retried", func() error {
			got, err := statuses(h, "/", 20)
			if err != nil || got[502] == 0 || got[200] == 0 {
				return fmt.Errorf("%s: %v %v, want both 200 and 502 (no retry on the refusing endpoint)", h, got, err)
			}
			return nil
		})
	}
	// The default retries a refused connection on the other endpoint.
	eventually(t, settle, "retried by default", func() error {
		if got, err := statuses(retry, "/", 20); err != nil || got[200] != 20 {
			return fmt.Errorf("default retries: %v %v, want 20 x 200", got, err)
		}
		return nil
	})
}

// TestAnnotationsBuffersAndConnection: proxy-buffer-size lets larger
// response headers through, client-body-buffer-size keeps bodies working
// (that it keeps them in memory shows only in nginx's error log: checked
// in test/faults), connection-proxy-header sets the Connection header the
// endpoint sees.
func TestAnnotationsBuffersAndConnection(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	deploy(t, ns, "web", 1)
	big, plain := hostFor(ns, "big"), hostFor(ns, "plain")
	createIngress(t, annotated(ns, "big", big, "web", map[string]string{
		"proxy-buffer-size": "32k", "client-body-buffer-size": "1m", "connection-proxy-header": "close",
	}))
	createIngress(t, ingress(ns, "plain", rule(plain, prefix("/", "web"))))
	eventually(t, settle, "served", expect(request{host: big, path: "/"}, 200, "web-"))
	eventually(t, settle, "served", expect(request{host: plain, path: "/"}, 200, "web-"))
	// 12 KiB of response headers: more than nginx's default 4k buffer.
	var hdr http.Header = http.Header{}
	for i := 0; i < 3; i++ {
		hdr.Add("X-Echo-Header", fmt.Sprintf("X-Big-%d: %s", i, strings.Repeat("b", 4<<10)))
	}
	eventually(t, settle, "default response header buffer", func() error {
		if r, err := do(request{host: plain, path: "/", header: hdr}); err != nil || r.status != 502 {
			return fmt.Errorf("12 KiB of headers with the default buffer: %v %v, want 502", r, err)
		}
		return nil
	})
	eventually(t, settle, "proxy-buffer-size", func() error {
		if r, err := do(request{host: big, path: "/", header: hdr}); err != nil || r.status != 200 || len(r.header.Get("X-Big-2")) != 4<<10 {
			return fmt.Errorf("12 KiB of headers with proxy-buffer-size 32k: %v %v, want 200 with the headers", r, err)
		}
		return nil
	})
	// A body between the default buffer and 1m is proxied whole; the
	// endpoint sees the Connection header asked for.
	eventually(t, settle, "client-body-buffer-size and connection-proxy-header", func() error {
		r, err := do(request{method: "POST", host: big, path: "/", body: strings.Repeat("x", 512<<10)})
		if err != nil || r.status != 200 || r.echo == nil || r.echo.BodyLength != 512<<10 {
			return fmt.Errorf("512 KiB body with client-body-buffer-size 1m: %v %v", r, err)
		}
		if got := r.echo.Headers.Get("Connection"); got != "close" {
			return fmt.Errorf("connection-proxy-header close: the endpoint saw Connection %q", got)
		}
		return nil
	})
	eventually(t, settle, "default Connection header", func() error {
		if r, err := get(plain, "/"); err != nil || r.echo == nil || r.echo.Headers.Get("Connection") != "" {
			return fmt.Errorf("default Connection header: %v %v, want none (keepalive)", r, err)
		}
		return nil
	})
}
