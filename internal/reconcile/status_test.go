package reconcile

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
)

func TestReplicaSelectorIgnoresRevisionLabels(t *testing.T) {
	got := replicaSelector(map[string]string{"app": "atrium", "pod-template-hash": "abc", "controller-revision-hash": "x", "pod-template-generation": "2"})
	if got != "app=atrium" {
		t.Errorf("selector %q, want app=atrium", got)
	}
}

func TestServiceAddresses(t *testing.T) {
	lb := &corev1.Service{Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, ExternalIPs: []string{"198.51.100.9"}},
		Status: corev1.ServiceStatus{LoadBalancer: corev1.LoadBalancerStatus{Ingress: []corev1.LoadBalancerIngress{{IP: "203.0.113.1"}, {Hostname: "lb.example.com"}}}}}
	if got := serviceAddresses(lb); len(got) != 3 || got[0] != "203.0.113.1" || got[1] != "lb.example.com" || got[2] != "198.51.100.9" {
		t.Errorf("LoadBalancer: %v", got)
	}
	cip := &corev1.Service{Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeClusterIP, ClusterIP: "10.96.0.10"}}
	if got := serviceAddresses(cip); len(got) != 1 || got[0] != "10.96.0.10" {
		t.Errorf("ClusterIP: %v", got)
	}
	en := &corev1.Service{Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeExternalName, ExternalName: "ext.example.com"}}
	if got := serviceAddresses(en); len(got) != 1 || got[0] != "ext.example.com" {
		t.Errorf("ExternalName: %v", got)
	}
}
