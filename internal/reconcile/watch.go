package reconcile

import (
	"context"
	"reflect"
	"sync"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/types"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/atrium-ingress/atrium/internal/nginxconf"
)

// relevance decides which events are worth a rebuild. Services, Secrets,
// ConfigMaps and EndpointSlices matter only when an Ingress we serve (or a
// flag) refers to them, so a busy cluster's unrelated churn triggers
// nothing.
type relevance struct {
	mu   sync.Mutex
	refs refs
	// skipped are objects whose events were ignored since the last sync
	// began; if the sync makes them relevant, another sync follows.
	skipped map[string]bool
}

// refs are the objects the configuration depends on, by kind ("Service",
// "Secret", "ConfigMap").
type refs map[string]map[types.NamespacedName]bool

func (r refs) add(kind string, n types.NamespacedName) {
	if r[kind] == nil {
		r[kind] = map[types.NamespacedName]bool{}
	}
	r[kind][n] = true
}

func newRelevance() *relevance {
	return &relevance{refs: refs{}, skipped: map[string]bool{}}
}

func (r *relevance) check(kind string, key types.NamespacedName) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	ok := r.refs[kind][key]
	if !ok {
		r.skipped[kind+"/"+key.String()] = true
	}
	return ok
}

// set replaces the referenced objects after a sync and reports whether an
// event skipped meanwhile concerns one of them.
func (r *relevance) set(now refs) (missed bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.refs = now
	for kind, names := range now {
		for n := range names {
			missed = missed || r.skipped[kind+"/"+n.String()]
		}
	}
	r.skipped = map[string]bool{}
	return missed
}

// watch registers event handlers on the cache's informers; each relevant
// event calls trigger, which only marks the state dirty (coalescing is the
// sync loop's job). ownConfigMap is --configmap (zero when unset), whose
// every change matters.
func watch(ctx context.Context, c cache.Cache, rel *relevance, trigger func(reason string), ownConfigMap types.NamespacedName) error {
	add := func(obj client.Object, h toolscache.ResourceEventHandler) error {
		inf, err := c.GetInformer(ctx, obj)
		if err != nil {
			return err
		}
		_, err = inf.AddEventHandler(h)
		return err
	}
	always := func(reason string) toolscache.ResourceEventHandler {
		return toolscache.ResourceEventHandlerFuncs{
			AddFunc:    func(any) { trigger(reason) },
			UpdateFunc: func(any, any) { trigger(reason) },
			DeleteFunc: func(any) { trigger(reason) },
		}
	}
	if err := add(&networkingv1.IngressClass{}, always("ingressclass")); err != nil {
		return err
	}
	if err := add(&networkingv1.Ingress{}, toolscache.ResourceEventHandlerFuncs{
		AddFunc: func(any) { trigger("ingress") },
		UpdateFunc: func(o, n any) {
			a, b := o.(*networkingv1.Ingress), n.(*networkingv1.Ingress)
			// Status-only updates (ours included) change neither.
			if a.Generation != b.Generation || !reflect.DeepEqual(a.Annotations, b.Annotations) || a.DeletionTimestamp != b.DeletionTimestamp {
				trigger("ingress")
			}
		},
		DeleteFunc: func(any) { trigger("ingress") },
	}); err != nil {
		return err
	}
	byKey := func(kind string, key func(any) (types.NamespacedName, bool), changed func(o, n any) bool) toolscache.ResourceEventHandler {
		fire := func(obj any) {
			if k, ok := key(obj); ok && rel.check(kind, k) {
				trigger(kind)
			}
		}
		return toolscache.ResourceEventHandlerFuncs{
			AddFunc: func(o any) { fire(o) },
			UpdateFunc: func(o, n any) {
				if changed == nil || changed(o, n) {
					fire(n)
				}
			},
			DeleteFunc: func(o any) {
				if d, ok := o.(toolscache.DeletedFinalStateUnknown); ok {
					o = d.Obj
				}
				fire(o)
			},
		}
	}
	objKey := func(o any) (types.NamespacedName, bool) {
		m, ok := o.(client.Object)
		if !ok {
			return types.NamespacedName{}, false
		}
		return types.NamespacedName{Namespace: m.GetNamespace(), Name: m.GetName()}, true
	}
	if err := add(&corev1.Service{}, byKey("Service", objKey, func(o, n any) bool {
		a, b := o.(*corev1.Service), n.(*corev1.Service)
		return !reflect.DeepEqual(a.Spec, b.Spec) || !reflect.DeepEqual(a.Status.LoadBalancer, b.Status.LoadBalancer)
	})); err != nil {
		return err
	}
	if err := add(&corev1.Secret{}, byKey("Secret", objKey, func(o, n any) bool {
		a, b := o.(*corev1.Secret), n.(*corev1.Secret)
		return a.Type != b.Type || !reflect.DeepEqual(a.Data, b.Data)
	})); err != nil {
		return err
	}
	// ConfigMaps: --configmap always, the others when custom-headers
	// names them.
	cmKey := func(o any) (types.NamespacedName, bool) {
		k, ok := objKey(o)
		if ok && ownConfigMap.Name != "" && k == ownConfigMap {
			trigger("configmap")
			return k, false
		}
		return k, ok
	}
	if err := add(&corev1.ConfigMap{}, byKey("ConfigMap", cmKey, func(o, n any) bool {
		a, b := o.(*corev1.ConfigMap), n.(*corev1.ConfigMap)
		return !reflect.DeepEqual(a.Data, b.Data) || a.Annotations[nginxconf.DroppedDataAnnotation] != b.Annotations[nginxconf.DroppedDataAnnotation]
	})); err != nil {
		return err
	}
	sliceService := func(o any) (types.NamespacedName, bool) {
		es, ok := o.(*discoveryv1.EndpointSlice)
		if !ok || es.Labels[discoveryv1.LabelServiceName] == "" {
			return types.NamespacedName{}, false
		}
		return types.NamespacedName{Namespace: es.Namespace, Name: es.Labels[discoveryv1.LabelServiceName]}, true
	}
	return add(&discoveryv1.EndpointSlice{}, byKey("Service", sliceService, func(o, n any) bool {
		a, b := o.(*discoveryv1.EndpointSlice), n.(*discoveryv1.EndpointSlice)
		return !reflect.DeepEqual(a.Endpoints, b.Endpoints) || !reflect.DeepEqual(a.Ports, b.Ports)
	}))
}
