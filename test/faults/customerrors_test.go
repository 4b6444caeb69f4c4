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
// the list for its paths. (Here rather than in test/e2e: it changes the
// controller's ConfigMap.)
func TestCustomHTTPErrorsConfigMap(t *testing.T) {
	fallback := backend(t, "fallback", 1)
	ns := nsOf(fallback)
	app := backend(t, "app", 1)
	appNS := nsOf(app)
	own := "own." + appNS + ".faults.test"
	pt := networkingv1.PathTypePrefix
	if _, err := cs.NetworkingV1().Ingresses(appNS).Create(context.Background(), &networkingv1.Ingress{
		ObjectMeta: metav1.ObjectMeta{Namespace: appNS, Name: "own", Annotations: map[string]string{
			"nginx.ingress.kubernetes.io/custom-http-errors": "500"}},
		Spec: networkingv1.IngressSpec{IngressClassName: ptr.To("atrium"), Rules: []networkingv1.IngressRule{{
			Host: own, IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{Paths: []networkingv1.HTTPIngressPath{{
				Path: "/", PathType: &pt, Backend: networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{
					Name: "app", Port: networkingv1.ServiceBackendPort{Name: "http"}}},
			}}}},
		}}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
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
	} {
		if err := want(w.host, w.status, w.byFallback); err != nil {
			t.Error(err)
		}
	}
}
