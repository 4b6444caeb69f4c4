package e2e

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestLoadBalancing: every one of 10 endpoints answers.
func TestLoadBalancing(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	pods := deploy(t, ns, "ten", 10)
	host := hostFor(ns, "lb")
	createIngress(t, ingress(ns, "lb", rule(host, prefix("/", "ten"))))
	eventually(t, settle, "all 10 endpoints answer", func() error {
		seen := answering(t, host, 40)
		if len(seen) != len(pods) {
			return fmt.Errorf("answered by %d of %d pods: %v", len(seen), len(pods), keys(seen))
		}
		return nil
	})
}

// TestEndpointsFollowed: pods added to and removed from the Service are
// followed, and a Service without ready endpoints answers 503.
func TestEndpointsFollowed(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	deploy(t, ns, "web", 1)
	host := hostFor(ns, "ep")
	createIngress(t, ingress(ns, "ep", rule(host, prefix("/", "web"))))
	eventually(t, settle, "served", expect(request{host: host, path: "/"}, 200, "web-"))

	pods := scale(t, ns, "web", 3)
	eventually(t, settle, "3 pods answer", func() error {
		if seen := answering(t, host, 15); len(seen) != 3 {
			return fmt.Errorf("answered by %v, want %v", keys(seen), pods)
		}
		return nil
	})
	pods = scale(t, ns, "web", 1)
	eventually(t, settle, "only the remaining pod answers", func() error {
		seen := answering(t, host, 10)
		if len(seen) != 1 || !seen[pods[0]] {
			return fmt.Errorf("answered by %v, want only %s", keys(seen), pods[0])
		}
		return nil
	})
	scale(t, ns, "web", 0)
	eventually(t, settle, "no endpoints: 503", expect(request{host: host, path: "/"}, 503, ""))
	scale(t, ns, "web", 2)
	eventually(t, settle, "back again", expect(request{host: host, path: "/"}, 200, "web-"))
}

// TestBrokenBackends: a missing Service or port answers 503, and raises a
// Warning Event, while the rest of the same Ingress and other Ingresses
// keep serving.
func TestBrokenBackends(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	deploy(t, ns, "web", 1)
	host, other := hostFor(ns, "broken"), hostFor(ns, "fine")
	noPort := path{"/noport", networkingv1.PathTypePrefix, "web", networkingv1.ServiceBackendPort{Number: 81}}
	createIngress(t, ingress(ns, "broken", rule(host, prefix("/", "web"), prefix("/missing", "does-not-exist"), noPort)))
	createIngress(t, ingress(ns, "fine", rule(other, prefix("/", "web"))))
	eventually(t, settle, "good path", expect(request{host: host, path: "/"}, 200, "web-"))
	eventually(t, settle, "missing Service", expect(request{host: host, path: "/missing/x"}, 503, ""))
	eventually(t, settle, "missing port", expect(request{host: host, path: "/noport"}, 503, ""))
	eventually(t, settle, "other Ingress", expect(request{host: other, path: "/"}, 200, "web-"))
	waitEvent(t, ns, "broken", corev1.EventTypeWarning, "ServiceNotFound", "does-not-exist")
	waitEvent(t, ns, "broken", corev1.EventTypeWarning, "ServicePortNotFound", "81")
	waitEvent(t, ns, "fine", corev1.EventTypeNormal, "Sync", "")
}

// TestConflictAndInvalid: the older Ingress wins a conflict and the newer
// gets an Event naming it; an Ingress with an invalid path loses only that
// path. Everything else keeps serving.
func TestConflictAndInvalid(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	deploy(t, ns, "old", 1)
	deploy(t, ns, "new", 1)
	host := hostFor(ns, "conflict")
	createIngress(t, ingress(ns, "first", rule(host, prefix("/app", "old"))))
	eventually(t, settle, "first served", expect(request{host: host, path: "/app"}, 200, "old-"))
	createIngress(t, ingress(ns, "second", rule(host, prefix("/app", "new"), prefix("/extra", "new"))))
	eventually(t, settle, "merged path of second", expect(request{host: host, path: "/extra"}, 200, "new-"))
	if err := expect(request{host: host, path: "/app"}, 200, "old-")(); err != nil {
		t.Errorf("the older Ingress must keep the conflicting path: %v", err)
	}
	waitEvent(t, ns, "second", corev1.EventTypeWarning, "PathConflict", ns+"/first")

	// The apiserver accepts this path for ImplementationSpecific; Atrium refuses it.
	bad := ingress(ns, "injection", rule(hostFor(ns, "inj"), prefix("/ok", "old")))
	bad.Spec.Rules[0].HTTP.Paths = append(bad.Spec.Rules[0].HTTP.Paths, networkingv1.HTTPIngressPath{
		Path: "/x;return 200 owned;#", PathType: ptrPathType(networkingv1.PathTypeImplementationSpecific),
		Backend: networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{Name: "old", Port: httpPort}},
	})
	createIngress(t, bad)
	eventually(t, settle, "valid path of the invalid Ingress", expect(request{host: hostFor(ns, "inj"), path: "/ok"}, 200, "old-"))
	waitEvent(t, ns, "injection", corev1.EventTypeWarning, "InvalidField", "spec.rules[0].http.paths[1].path")
	r, err := get(hostFor(ns, "inj"), "/x")
	if err != nil || r.status != 404 || strings.Contains(string(r.body), "owned") {
		t.Errorf("invalid path must not be served: %v %v", r, err)
	}
	if err := expect(request{host: host, path: "/extra"}, 200, "new-")(); err != nil {
		t.Errorf("other Ingresses must keep serving: %v", err)
	}
}

// TestWebSocket: upgrades pass through, messages flow both ways.
func TestWebSocket(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	deploy(t, ns, "ws", 1)
	host := hostFor(ns, "ws")
	createIngress(t, ingress(ns, "ws", rule(host, prefix("/", "ws"))))
	eventually(t, settle, "served", expect(request{host: host, path: "/"}, 200, "ws-"))
	d := websocket.Dialer{NetDial: func(_, _ string) (netConn, error) { return dialProxy() }, HandshakeTimeout: 5 * time.Second}
	conn, resp, err := d.Dial("ws://"+host+"/socket", http.Header{})
	if err != nil {
		t.Fatalf("websocket dial: %v (%v)", err, resp)
	}
	defer conn.Close()
	_, first, err := conn.ReadMessage()
	if err != nil || !strings.HasPrefix(string(first), "ws-") {
		t.Fatalf("first message %q, %v; want the pod name", first, err)
	}
	for i := 0; i < 3; i++ {
		msg := fmt.Sprintf("hello %d", i)
		if err := conn.WriteMessage(websocket.TextMessage, []byte(msg)); err != nil {
			t.Fatal(err)
		}
		_, got, err := conn.ReadMessage()
		if err != nil || string(got) != msg {
			t.Fatalf("echo %q, %v; want %q", got, err, msg)
		}
	}
}

// answering sends n requests and returns the set of pods that answered 200.
func answering(t *testing.T, host string, n int) map[string]bool {
	t.Helper()
	seen := map[string]bool{}
	for i := 0; i < n; i++ {
		r, err := get(host, "/")
		if err == nil && r.status == 200 && r.pod() != "" {
			seen[r.pod()] = true
		}
	}
	return seen
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// waitEvent waits for an Event on an Ingress with the type and reason given
// and a note containing text.
func waitEvent(t *testing.T, ns, ingress, typ, reason, text string) {
	t.Helper()
	eventually(t, settle, fmt.Sprintf("%s Event %s on %s/%s", typ, reason, ns, ingress), func() error {
		evs, err := env.client.EventsV1().Events(ns).List(context.Background(), metav1.ListOptions{})
		if err != nil {
			return err
		}
		var seen []string
		for _, e := range evs.Items {
			if e.Regarding.Kind != "Ingress" || e.Regarding.Name != ingress {
				continue
			}
			seen = append(seen, e.Type+"/"+e.Reason+": "+e.Note)
			if e.Type == typ && e.Reason == reason && strings.Contains(e.Note, text) {
				return nil
			}
		}
		return fmt.Errorf("not found among %q", seen)
	})
}

func ptrPathType(p networkingv1.PathType) *networkingv1.PathType { return &p }

// TestEventsNotRepeated: a problem raises one Warning Event; later
// rebuilds (other changes) do not repeat it.
func TestEventsNotRepeated(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	deploy(t, ns, "web", 1)
	createIngress(t, ingress(ns, "once", rule(hostFor(ns, "once"), prefix("/", "missing-svc"))))
	waitEvent(t, ns, "once", corev1.EventTypeWarning, "ServiceNotFound", "missing-svc")
	// More rebuilds: other Ingresses come and go.
	for i := 0; i < 3; i++ {
		name := fmt.Sprintf("other-%d", i)
		createIngress(t, ingress(ns, name, rule(hostFor(ns, name), prefix("/", "web"))))
		eventually(t, settle, "other served", expect(request{host: hostFor(ns, name), path: "/"}, 200, "web-"))
	}
	evs, err := env.client.EventsV1().Events(ns).List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range evs.Items {
		if e.Regarding.Name == "once" && e.Reason == "ServiceNotFound" {
			n++
			if e.Series != nil && e.Series.Count > 1 {
				t.Errorf("event repeated %d times in a series", e.Series.Count)
			}
		}
	}
	if n != 1 {
		t.Errorf("%d ServiceNotFound Events for one problem, want 1", n)
	}
}
