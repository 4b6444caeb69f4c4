package reconcile

import (
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestSlim(t *testing.T) {
	ing := &networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{
		Name:          "a",
		Annotations:   map[string]string{lastApplied: `{"big":"copy"}`, "nginx.ingress.kubernetes.io/ssl-redirect": "false"},
		ManagedFields: []metav1.ManagedFieldsEntry{{Manager: "kubectl"}},
	}}
	out, err := slim(ing)
	if err != nil {
		t.Fatal(err)
	}
	got := out.(*networkingv1.Ingress)
	if got.ManagedFields != nil {
		t.Errorf("managedFields kept: %v", got.ManagedFields)
	}
	if _, ok := got.Annotations[lastApplied]; ok {
		t.Errorf("last-applied annotation kept")
	}
	if got.Annotations["nginx.ingress.kubernetes.io/ssl-redirect"] != "false" {
		t.Errorf("other annotations must stay: %v", got.Annotations)
	}
	if _, err := slim("not an object"); err != nil {
		t.Errorf("non-objects pass through: %v", err)
	}
}
