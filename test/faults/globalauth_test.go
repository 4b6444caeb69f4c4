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

	"github.com/atrium-ingress/atrium/test/cluster"
	"github.com/atrium-ingress/atrium/test/echoserver/echo"
)

// TestGlobalAuth: the ConfigMap's global-auth-url guards every Ingress
// without its own auth-url (401 without credentials; with them the
// endpoint gets global-auth-response-headers), but not one with
// enable-global-auth "false", nor paths under no-auth-locations (by
// default the ACME challenge path, so certificates still renew).
func TestGlobalAuth(t *testing.T) {
	ctx := context.Background()
	host := backend(t, "ga", 1)
	ns := strings.Split(host, ".")[1]
	auth, err := pnet.AddPod(ctx, cluster.PodSpec{Name: ns + "-auth-0", Namespace: ns, Service: "auth"})
	if err != nil {
		t.Fatal(err)
	}
	open := "open." + ns + ".faults.test"
	pt := networkingv1.PathTypePrefix
	acme := annotatedIngress(ns, "acme", host, "ga", "http", false, nil)
	acme.Spec.Rules[0].HTTP.Paths[0].Path, acme.Spec.Rules[0].HTTP.Paths[0].PathType = "/.well-known/acme-challenge", &pt
	for _, ing := range []*networkingv1.Ingress{
		annotatedIngress(ns, "open", open, "ga", "http", false, map[string]string{"enable-global-auth": "false"}), acme,
	} {
		ing.Spec.IngressClassName = ptr.To("atrium")
		if _, err := cs.NetworkingV1().Ingresses(ns).Create(ctx, ing, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "atrium-global-auth"}, Data: map[string]string{
		"global-auth-url":              "http://" + auth.IP + ":8080" + echo.AuthPath,
		"global-auth-response-headers": echo.AuthHeaderUser,
	}}
	if _, err := cs.CoreV1().ConfigMaps("default").Create(ctx, cm, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cs.CoreV1().ConfigMaps("default").Delete(context.Background(), cm.Name, metav1.DeleteOptions{})
	})
	c := extraController(t, "globalauth", "--configmap", "default/"+cm.Name)

	get := func(h, path, user string) (int, *echo.Response, error) {
		req, _ := http.NewRequest("GET", "http://"+h+path, nil)
		if user != "" {
			req.Header.Set("Authorization", "Bearer "+user)
		}
		resp, err := clientTo(c.HTTPAddr()).Do(req)
		if err != nil {
			return 0, nil, err
		}
		defer resp.Body.Close()
		e, _ := echo.Decode(resp.Body)
		return resp.StatusCode, e, nil
	}
	until(t, 30*time.Second, "global auth asks for credentials", func() error {
		if code, _, err := get(host, "/", ""); err != nil || code != 401 {
			return fmt.Errorf("%d %v, want 401", code, err)
		}
		return nil
	})
	if code, e, err := get(host, "/x", "alice"); err != nil || code != 200 || e == nil || e.Headers.Get(echo.AuthHeaderUser) != "alice" {
		t.Errorf("with credentials: %d %v %+v, want 200 with %s alice", code, err, e, echo.AuthHeaderUser)
	}
	for _, u := range []struct{ name, host, path string }{
		{"enable-global-auth false", open, "/"},
		{"no-auth-locations (the default)", host, "/.well-known/acme-challenge/token"},
	} {
		if code, e, err := get(u.host, u.path, ""); err != nil || code != 200 || e == nil {
			t.Errorf("%s: %d %v, want 200 without credentials", u.name, code, err)
		}
	}
}
