package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/atrium-ingress/atrium/internal/nginxconf"
)

func options() nginxconf.Options {
	return nginxconf.Options{IngressClass: "atrium", ControllerClass: "atrium-ingress.io/controller",
		HTTPPort: 80, HTTPSPort: 443, StatusPort: 10246, Dir: "/tmp/atrium-webhook", PIDFile: "/tmp/atrium-webhook/nginx.pid",
		ErrorLog: "/tmp/atrium-webhook/error.log", TempDir: "/tmp/atrium-webhook/tmp",
		EndpointsFile: "/tmp/atrium-webhook/endpoints.txt", ControlSocket: "/tmp/atrium-webhook/control/atrium.sock"}
}

func ing(name, host, path, class string, ann map[string]string, age time.Duration) *networkingv1.Ingress {
	pt := networkingv1.PathTypeImplementationSpecific
	return &networkingv1.Ingress{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name, Annotations: ann, CreationTimestamp: metav1.NewTime(time.Now().Add(-age))},
		Spec: networkingv1.IngressSpec{IngressClassName: ptr.To(class), Rules: []networkingv1.IngressRule{{Host: host,
			IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{Paths: []networkingv1.HTTPIngressPath{{
				Path: path, PathType: &pt, Backend: networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{Name: "web", Port: networkingv1.ServiceBackendPort{Number: 80}}},
			}}}}}}},
	}
}

func handler(existing ...*networkingv1.Ingress) *Handler {
	snap := nginxconf.Snapshot{
		IngressClasses: []*networkingv1.IngressClass{{ObjectMeta: metav1.ObjectMeta{Name: "atrium"}, Spec: networkingv1.IngressClassSpec{Controller: "atrium-ingress.io/controller"}}},
		Services: []*corev1.Service{{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "web"},
			Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{Port: 80, TargetPort: intstr.FromInt32(8080)}}}},
			{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "web2"},
				Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{Port: 80, TargetPort: intstr.FromInt32(8080)}}}}},
		Ingresses: existing,
	}
	return &Handler{Options: options(), Snapshot: func(context.Context) (nginxconf.Snapshot, error) { return snap, nil }}
}

func admit(t *testing.T, h *Handler, i *networkingv1.Ingress) *admissionv1.AdmissionResponse {
	t.Helper()
	raw, _ := json.Marshal(i)
	review := admissionv1.AdmissionReview{
		TypeMeta: metav1.TypeMeta{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview"},
		Request: &admissionv1.AdmissionRequest{UID: "u1", Kind: metav1.GroupVersionKind{Group: "networking.k8s.io", Version: "v1", Kind: "Ingress"},
			Namespace: i.Namespace, Operation: admissionv1.Create, Object: runtime.RawExtension{Raw: raw}},
	}
	body, _ := json.Marshal(review)
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodPost, "/validate", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	h.ServeHTTP(rec, req)
	var out admissionv1.AdmissionReview
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil || out.Response == nil {
		t.Fatalf("bad response %d %s", rec.Code, rec.Body.String())
	}
	if out.Response.UID != "u1" {
		t.Errorf("UID not echoed: %q", out.Response.UID)
	}
	return out.Response
}

func TestAdmission(t *testing.T) {
	h := handler(ing("old", "a.example.com", "/app", "atrium", nil, time.Hour))
	if r := admit(t, h, ing("ok", "b.example.com", "/", "atrium", nil, 0)); !r.Allowed {
		t.Errorf("valid Ingress refused: %v", r.Result)
	}
	r := admit(t, h, ing("evil", "c.example.com", "/x;}\nlocation /pwn { return 200 pwned; }#", "atrium", nil, 0))
	if r.Allowed || !strings.Contains(r.Result.Message, "spec.rules[0].http.paths[0].path") {
		t.Errorf("injection in a path must be refused naming the field: %+v", r.Result)
	}
	r = admit(t, h, ing("bad-ann", "d.example.com", "/", "atrium", map[string]string{"nginx.ingress.kubernetes.io/proxy-read-timeout": "60; return 200 x"}, 0))
	if r.Allowed || !strings.Contains(r.Result.Message, "proxy-read-timeout") {
		t.Errorf("an invalid annotation must be refused: %+v", r.Result)
	}
	clash := ing("clash", "a.example.com", "/app", "atrium", nil, 0)
	clash.Spec.Rules[0].HTTP.Paths[0].Backend.Service.Name = "web2"
	r = admit(t, h, clash)
	if r.Allowed || !strings.Contains(r.Result.Message, "default/old") {
		t.Errorf("a path conflict with an older Ingress must be refused naming it: %+v", r.Result)
	}
	// Updating the older Ingress itself is no conflict.
	if r := admit(t, h, ing("old", "a.example.com", "/app", "atrium", nil, 0)); !r.Allowed {
		t.Errorf("updating the owner of the path refused: %v", r.Result)
	}
	// Another class is none of our business, whatever it holds.
	if r := admit(t, h, ing("theirs", "e.example.com", "/x;{", "nginx", nil, 0)); !r.Allowed {
		t.Errorf("another class's Ingress refused: %v", r.Result)
	}
	// Problems that may resolve later are warnings, not refusals.
	missing := ing("later", "f.example.com", "/", "atrium", nil, 0)
	missing.Spec.Rules[0].HTTP.Paths[0].Backend.Service.Name = "not-yet"
	if r := admit(t, h, missing); !r.Allowed || len(r.Warnings) == 0 {
		t.Errorf("a missing Service must be a warning: allowed=%v warnings=%v", r.Allowed, r.Warnings)
	}
}
