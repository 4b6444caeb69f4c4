package nginxconf

import (
	networkingv1 "k8s.io/api/networking/v1"
)

const (
	// LegacyClassAnnotation is the pre-IngressClass way to pick a controller.
	LegacyClassAnnotation = "kubernetes.io/ingress.class"
	// DefaultClassAnnotation marks the IngressClass that class-less Ingresses get.
	DefaultClassAnnotation = "ingressclass.kubernetes.io/is-default-class"
)

// IsOurs says whether this controller serves the Ingress. The rules follow
// ingress-nginx: spec.ingressClassName must name an IngressClass whose
// spec.controller is ours; else the legacy annotation must equal our class
// name; an Ingress with neither is ours when a default IngressClass of ours
// exists or when we watch class-less Ingresses.
func IsOurs(ing *networkingv1.Ingress, classes []*networkingv1.IngressClass, o Options) bool {
	if name := ing.Spec.IngressClassName; name != nil {
		for _, c := range classes {
			if c.Name == *name {
				return c.Spec.Controller == o.ControllerClass
			}
		}
		return false
	}
	if v, ok := ing.Annotations[LegacyClassAnnotation]; ok {
		return v == o.IngressClass
	}
	if o.WatchWithoutClass {
		return true
	}
	for _, c := range classes {
		if c.Spec.Controller == o.ControllerClass && c.Annotations[DefaultClassAnnotation] == "true" {
			return true
		}
	}
	return false
}
