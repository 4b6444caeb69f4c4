package nginxconf

import (
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

// The core's cost at scale: every change to a served object rebuilds the
// whole configuration, so Build+Render of the largest cluster we target
// (10,000 Ingresses) bounds how quickly any change can be served. The goal
// is Build+Render of 10,000 <= 500 ms; `go run ./bench` runs these, sums
// Build and Render and prints the 10k/1k ratio (linear scaling gives 10).

var benchSizes = []int{100, 1000, 10000}

// benchSnapshot is n Ingresses (one host, one Prefix path each), each with
// its own Service and an EndpointSlice of 3 ready endpoints, spread over 10
// namespaces, plus the IngressClass that makes them ours.
func benchSnapshot(n int) Snapshot {
	pt := networkingv1.PathTypePrefix
	snap := Snapshot{IngressClasses: []*networkingv1.IngressClass{{
		ObjectMeta: metav1.ObjectMeta{Name: "atrium"},
		Spec:       networkingv1.IngressClassSpec{Controller: "atrium-ingress.io/controller"},
	}}}
	created := metav1.NewTime(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	for i := range n {
		ns, name := fmt.Sprintf("ns%d", i%10), fmt.Sprintf("app%d", i)
		snap.Ingresses = append(snap.Ingresses, &networkingv1.Ingress{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, CreationTimestamp: created},
			Spec: networkingv1.IngressSpec{IngressClassName: ptr.To("atrium"), Rules: []networkingv1.IngressRule{{
				Host: fmt.Sprintf("%s.%s.bench.local", name, ns),
				IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{Paths: []networkingv1.HTTPIngressPath{{
					Path: "/", PathType: &pt,
					Backend: networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{Name: name, Port: networkingv1.ServiceBackendPort{Name: "http"}}},
				}}}},
			}}},
		})
		snap.Services = append(snap.Services, &corev1.Service{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
			Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeClusterIP, Ports: []corev1.ServicePort{{
				Name: "http", Port: 80, TargetPort: intstr.FromInt32(8080),
			}}},
		})
		es := &discoveryv1.EndpointSlice{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name + "-abc",
				Labels: map[string]string{discoveryv1.LabelServiceName: name}},
			AddressType: discoveryv1.AddressTypeIPv4,
			Ports:       []discoveryv1.EndpointPort{{Name: ptr.To("http"), Port: ptr.To(int32(8080))}},
		}
		for e := range 3 {
			es.Endpoints = append(es.Endpoints, discoveryv1.Endpoint{
				Addresses:  []string{fmt.Sprintf("10.%d.%d.%d", i/256%256, i%256, e+1)},
				Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(true)},
			})
		}
		snap.EndpointSlices = append(snap.EndpointSlices, es)
	}
	return snap
}

func BenchmarkBuild(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("ingresses=%d", n), func(b *testing.B) {
			snap, o := benchSnapshot(n), testOptions(b, "/atrium-bench")
			b.ReportAllocs()
			for b.Loop() {
				cfg, probs, err := Build(snap, o)
				if err != nil || len(probs) != 0 || len(cfg.Upstreams) != n {
					b.Fatalf("Build: %d upstreams, problems %v, err %v", len(cfg.Upstreams), probs, err)
				}
			}
		})
	}
}

func BenchmarkRender(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("ingresses=%d", n), func(b *testing.B) {
			cfg, _, err := Build(benchSnapshot(n), testOptions(b, "/atrium-bench"))
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			var size int
			for b.Loop() {
				conf, _, err := Render(cfg)
				if err != nil {
					b.Fatal(err)
				}
				size = len(conf)
			}
			b.ReportMetric(float64(size)/float64(n), "conf-bytes/ingress")
		})
	}
}
