package faults

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/atrium-ingress/atrium/test/echoserver/echo"
)

// TestCustomHTTPErrorsConfigMap: the ConfigMap's custom-http-errors sends
// those codes, from every Ingress, to --default-backend-service, asked for
// "/" with X-Code; an Ingress's own custom-http-errors annotation replaces
// the list for its paths; disable-proxy-intercept-errors lets the
// endpoints' answers with the ConfigMap's codes pass, while nginx's own
// 503 (a missing Service) still goes to the default backend. (Here rather
// than in test/e2e: it changes the controller's ConfigMap.)
func TestCustomHTTPErrorsConfigMap(t *testing.T) {
	fallback := backend(t, "fallback", 1)
	ns := nsOf(fallback)
	app := backend(t, "app", 1)
	appNS := nsOf(app)
	own, pass := "own."+appNS+".faults.test", "pass."+appNS+".faults.test"
	pt := networkingv1.PathTypePrefix
	path := func(p, svc string) networkingv1.HTTPIngressPath {
		return networkingv1.HTTPIngressPath{Path: p, PathType: &pt, Backend: networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{
			Name: svc, Port: networkingv1.ServiceBackendPort{Name: "http"}}}}
	}
	for _, ing := range []struct {
		host, annotation, value string
		paths                   []networkingv1.HTTPIngressPath
	}{
		{own, "custom-http-errors", "500", []networkingv1.HTTPIngressPath{path("/", "app")}},
		{pass, "disable-proxy-intercept-errors", "true", []networkingv1.HTTPIngressPath{path("/", "app"), path("/gone", "gone")}},
	} {
		name, _, _ := strings.Cut(ing.host, ".")
		if _, err := cs.NetworkingV1().Ingresses(appNS).Create(context.Background(), &networkingv1.Ingress{
			ObjectMeta: metav1.ObjectMeta{Namespace: appNS, Name: name, Annotations: map[string]string{
				"nginx.ingress.kubernetes.io/" + ing.annotation: ing.value}},
			Spec: networkingv1.IngressSpec{IngressClassName: ptr.To("atrium"), Rules: []networkingv1.IngressRule{{
				Host: ing.host, IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{Paths: ing.paths}},
			}}},
		}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := cs.CoreV1().ConfigMaps(ns).Create(context.Background(), &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "errors-config"},
		Data:       map[string]string{"custom-http-errors": "503, 404"},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	c := extraController(t, "errors", "--configmap", ns+"/errors-config", "--default-backend-service", ns+"/fallback")
	cl := clientTo(c.HTTPAddr())
	// ask sends GET host/p?x=1 whose backend answers status; it returns
	// the status and what the answering echoserver saw.
	ask := func(host string, status int) (int, *echo.Response, error) {
		req, _ := http.NewRequest("GET", "http://"+host+"/p?x=1", nil)
		req.Header.Set(echo.HeaderStatus, fmt.Sprint(status))
		resp, err := cl.Do(req)
		if err != nil {
			return 0, nil, err
		}
		defer resp.Body.Close()
		e, err := echo.Decode(resp.Body)
		return resp.StatusCode, e, err
	}
	// want checks who answered: the fallback (with X-Code) or the app.
	want := func(host string, status int, byFallback bool) error {
		code, e, err := ask(host, status)
		if err != nil {
			return err
		}
		if code != status {
			return fmt.Errorf("%s answering %d: got %d", host, status, code)
		}
		if !byFallback {
			if !strings.Contains(e.Pod, "-app-") || e.Path != "/p?x=1" {
				return fmt.Errorf("%s answering %d: pod %s path %s, want the app's answer", host, status, e.Pod, e.Path)
			}
			return nil
		}
		if !strings.Contains(e.Pod, "-fallback-") || e.Path != "/?x=1" || e.Headers.Get("X-Code") != fmt.Sprint(status) ||
			e.Headers.Get("X-Original-URI") != "/p?x=1" || e.Headers.Get("X-Service-Name") != "app" {
			return fmt.Errorf("%s answering %d: pod %s path %s headers %v, want the default backend asked for /?x=1 with X-Code", host, status, e.Pod, e.Path, e.Headers)
		}
		return nil
	}
	until(t, 30*time.Second, "503 answered by the default backend", func() error { return want(app, 503, true) })
	for _, w := range []struct {
		host       string
		status     int
		byFallback bool
	}{
		{app, 404, true}, {app, 500, false}, // the ConfigMap's list
		{own, 503, false}, {own, 500, true}, // the annotation's list instead
		{pass, 503, false}, {pass, 404, false}, // disable-proxy-intercept-errors
	} {
		if err := want(w.host, w.status, w.byFallback); err != nil {
			t.Error(err)
		}
	}
	// The missing Service's path is nginx's own 503: still the default
	// backend's answer (whose status is its own: the echoserver's 200).
	resp, err := cl.Get("http://" + pass + "/gone")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	e, err := echo.Decode(resp.Body)
	if err != nil || !strings.Contains(e.Pod, "-fallback-") || e.Headers.Get("X-Code") != "503" {
		t.Errorf("%s/gone: %d %+v %v, want the default backend's answer, asked with X-Code 503", pass, resp.StatusCode, e, err)
	}
}
