package e2e

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/atrium-ingress/atrium/test/echoserver/echo"
)

// podAddress is ip:port of one ready endpoint of svc's "http" port, read
// from its EndpointSlices. A Service's cluster IP is not routable in the
// local cluster; a pod's address is, and it is on a real cluster too.
func podAddress(t *testing.T, ns, svc string) string {
	t.Helper()
	var addr string
	eventually(t, settle, "endpoint of "+svc, func() error {
		slices, err := env.client.DiscoveryV1().EndpointSlices(ns).List(context.Background(),
			metav1.ListOptions{LabelSelector: discoveryv1.LabelServiceName + "=" + svc})
		if err != nil {
			return err
		}
		for _, s := range slices.Items {
			port := int32(0)
			for _, p := range s.Ports {
				if p.Name != nil && *p.Name == "http" && p.Port != nil {
					port = *p.Port
				}
			}
			for _, e := range s.Endpoints {
				if port != 0 && len(e.Addresses) > 0 && (e.Conditions.Ready == nil || *e.Conditions.Ready) {
					addr = net.JoinHostPort(e.Addresses[0], strconv.Itoa(int(port)))
					return nil
				}
			}
		}
		return fmt.Errorf("no ready endpoint with an http port in %d slices", len(slices.Items))
	})
	return addr
}

// mirrored waits until the pod behind logHost (through its own Ingress)
// has logged a request matching match, and returns it.
func mirrored(t *testing.T, logHost, what string, match func(echo.Response) bool) echo.Response {
	t.Helper()
	var found echo.Response
	eventually(t, settle, what, func() error {
		r, err := do(request{host: logHost, path: "/", header: http.Header{echo.HeaderRequests: {"1"}}})
		if err != nil {
			return err
		}
		l, err := echo.DecodeRequests(strings.NewReader(string(r.body)))
		if err != nil {
			return err
		}
		for _, req := range l.Requests {
			if match(req) {
				found = req
				return nil
			}
		}
		return fmt.Errorf("%s: not among the %d requests the mirror pod logged", what, len(l.Requests))
	})
	return found
}

// TestAnnotationsMirror: mirror-target copies each request to another
// endpoint (here the pod of a second echo Service, by address), with
// mirror-host as Host and the body unless mirror-request-body is off; the
// client gets the main backend's answer.
func TestAnnotationsMirror(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	deploy(t, ns, "web", 1)
	deploy(t, ns, "shadow", 1)
	target := podAddress(t, ns, "shadow")
	main, bodiless, logs := hostFor(ns, "main"), hostFor(ns, "bodiless"), hostFor(ns, "logs")
	mirrorHost := "copy." + ns + ".example"
	createIngress(t, ingress(ns, "logs", rule(logs, prefix("/", "shadow"))))
	createIngress(t, annotated(ns, "main", main, "web", map[string]string{
		"mirror-target": "http://" + target + "$request_uri", "mirror-host": mirrorHost}))
	createIngress(t, annotated(ns, "bodiless", bodiless, "web", map[string]string{
		"mirror-target": "http://" + target + "/copy", "mirror-request-body": "off"}))
	for _, h := range []string{main, bodiless, logs} {
		eventually(t, settle, h+" served", expect(request{host: h, path: "/"}, 200, ""))
	}

	mark := strconv.FormatInt(time.Now().UnixNano(), 36)
	r, err := do(request{method: "POST", host: main, path: "/orders?mark=" + mark, body: "payload", header: http.Header{"X-Mark": {mark}}})
	if err != nil || r.status != 200 || !strings.HasPrefix(r.pod(), "web-") || r.echo.BodyLength != 7 {
		t.Fatalf("the client must get the main backend's answer: %v %v", r, err)
	}
	got := mirrored(t, logs, "the mirrored POST", func(e echo.Response) bool { return e.Path == "/orders?mark="+mark })
	if got.Method != "POST" || got.Host != mirrorHost || got.BodyLength != 7 || got.Headers.Get("X-Mark") != mark {
		t.Errorf("mirror got %s %s Host %q body %d X-Mark %q; want POST, Host %q, the 7-byte body and the client's headers",
			got.Method, got.Path, got.Host, got.BodyLength, got.Headers.Get("X-Mark"), mirrorHost)
	}

	// A target with a path gets that path and the client's query; with
	// mirror-request-body off, no body (and no length waiting for one).
	if r, err := do(request{method: "POST", host: bodiless, path: "/any/where?mark=" + mark, body: "data"}); err != nil || r.status != 200 {
		t.Fatalf("%v %v", r, err)
	}
	got = mirrored(t, logs, "the bodiless copy", func(e echo.Response) bool { return e.Path == "/copy?mark="+mark })
	if got.Method != "POST" || got.BodyLength != 0 || got.Host != target[:strings.LastIndex(target, ":")] {
		t.Errorf("mirror got %s %s Host %q body %d; want POST, the target's host, no body", got.Method, got.Path, got.Host, got.BodyLength)
	}
}
