package faults

import (
	"strings"
	"testing"
)

// TestDefaultBackendService: with --default-backend-service, unknown hosts
// go to that Service instead of the built-in 404 (unmatched paths of known
// hosts use the same fallback location; the golden case default-backends
// shows it).
func TestDefaultBackendService(t *testing.T) {
	fallback := backend(t, "fallback", 1) // its Service is the default backend
	ns := nsOf(fallback)
	c := extraController(t, "dflt", "--default-backend-service", ns+"/fallback")
	cl := clientTo(c.HTTPAddr())
	for _, h := range []string{"nobody-knows.example", "another.unknown.example"} {
		code, pod, err := get(cl, h)
		if err != nil || code != 200 || !strings.Contains(pod, "fallback") {
			t.Errorf("%s: %d %q %v, want the default backend's pod", h, code, pod, err)
		}
	}
}
