package reconcile

import (
	"sync"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"

	"github.com/atrium-ingress/atrium/internal/nginxconf"
)

// reporter turns the core's problems into Events on the objects they
// belong to. It remembers what it said, so a rebuild that finds the same
// problem again stays quiet, and a problem that goes away and comes back
// is reported again.
type reporter struct {
	rec events.EventRecorder

	mu     sync.Mutex
	said   map[nginxconf.Problem]bool
	served map[types.UID]bool
}

func newReporter(rec events.EventRecorder) *reporter {
	return &reporter{rec: rec, said: map[nginxconf.Problem]bool{}, served: map[types.UID]bool{}}
}

// report emits Warning Events for new problems and a Normal Sync Event for
// each Ingress served for the first time. Call it after nginx took the config.
func (r *reporter) report(snap nginxconf.Snapshot, served []*networkingv1.Ingress, probs []nginxconf.Problem, configMaps ...*corev1.ConfigMap) {
	if r.rec == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	objects := map[nginxconf.ObjectRef]runtime.Object{}
	for _, ing := range snap.Ingresses {
		objects[nginxconf.ObjectRef{Kind: "Ingress", Namespace: ing.Namespace, Name: ing.Name}] = ing
	}
	for _, s := range snap.Services {
		objects[nginxconf.ObjectRef{Kind: "Service", Namespace: s.Namespace, Name: s.Name}] = s
	}
	for _, s := range snap.Secrets {
		objects[nginxconf.ObjectRef{Kind: "Secret", Namespace: s.Namespace, Name: s.Name}] = s
	}
	for _, c := range configMaps {
		objects[nginxconf.ObjectRef{Kind: "ConfigMap", Namespace: c.Namespace, Name: c.Name}] = c
	}
	now := map[nginxconf.Problem]bool{}
	for _, p := range probs {
		now[p] = true
		if r.said[p] {
			continue
		}
		obj, ok := objects[p.Object]
		if !ok {
			continue // e.g. a flag names a Secret that does not exist: nothing to attach to
		}
		r.rec.Eventf(obj, nil, corev1.EventTypeWarning, string(p.Reason), "Sync", "%s: %s", p.Field, p.Message)
	}
	r.said = now

	seen := map[types.UID]bool{}
	for _, ing := range served {
		seen[ing.UID] = true
		if !r.served[ing.UID] {
			r.rec.Eventf(ing, nil, corev1.EventTypeNormal, "Sync", "Sync", "Scheduled for sync: served by Atrium")
		}
	}
	r.served = seen
}
