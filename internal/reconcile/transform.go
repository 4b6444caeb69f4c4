package reconcile

import (
	"k8s.io/apimachinery/pkg/api/meta"
)

// lastApplied is kubectl's copy of the whole object in an annotation.
const lastApplied = "kubectl.kubernetes.io/last-applied-configuration"

// slim drops what the core never reads before an object enters the
// informer cache: managedFields and kubectl's last-applied copy, which
// together are often larger than the object itself (about half of the
// controller's heap at 1,000 Ingresses). It runs on the freshly decoded
// object, so changing it in place is safe.
func slim(in any) (any, error) {
	obj, err := meta.Accessor(in)
	if err != nil {
		return in, nil
	}
	if obj.GetManagedFields() != nil {
		obj.SetManagedFields(nil)
	}
	if a := obj.GetAnnotations(); a != nil {
		if _, ok := a[lastApplied]; ok {
			delete(a, lastApplied)
		}
	}
	return in, nil
}
