package faults

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/atrium-ingress/atrium/test/echoserver/echo"
)

// TestGlobalHeaders: the ConfigMap's add-headers sets its ConfigMap's
// headers on every response (a custom-headers header of the same name
// wins on its paths, sent once), proxy-set-headers sends its ConfigMap's
// headers with their variables to every endpoint, and a change of either
// ConfigMap is served without touching the controller's own.
func TestGlobalHeaders(t *testing.T) {
	ctx := context.Background()
	host := backend(t, "gh", 1)
	ns := strings.Split(host, ".")[1]
	custom := "custom." + ns + ".faults.test"
	mk := func(ns, name string, data map[string]string) *corev1.ConfigMap {
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Data: data}
		if _, err := cs.CoreV1().ConfigMaps(ns).Create(ctx, cm, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cs.CoreV1().ConfigMaps(ns).Delete(context.Background(), name, metav1.DeleteOptions{}) })
		return cm
	}
	mk(ns, "own", map[string]string{"X-Frame-Options": "DENY"})
	if _, err := cs.NetworkingV1().Ingresses(ns).Create(ctx, annotatedIngress(ns, "custom", custom, "gh", "http", false,
		map[string]string{"custom-headers": ns + "/own"}), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	mk("default", "atrium-gh-add", map[string]string{"X-Frame-Options": "SAMEORIGIN", "X-Literal": "a$b"})
	set := mk("default", "atrium-gh-set", map[string]string{"X-Request-Start": "t=${msec}", "X-Client-Addr": "$remote_addr", "X-Using": "atrium"})
	mk("default", "atrium-gh", map[string]string{"add-headers": "default/atrium-gh-add", "proxy-set-headers": "default/atrium-gh-set",
		"global-allowed-response-headers": "X-Frame-Options"})
	c := extraController(t, "globalheaders", "--configmap", "default/atrium-gh")

	get := func(h string) (http.Header, *echo.Response, error) {
		req, _ := http.NewRequest("GET", "http://"+h+"/", nil)
		resp, err := clientTo(c.HTTPAddr()).Do(req)
		if err != nil {
			return nil, nil, err
		}
		defer resp.Body.Close()
		e, err := echo.Decode(resp.Body)
		if err != nil || resp.StatusCode != 200 {
			return nil, nil, fmt.Errorf("status %d: %v", resp.StatusCode, err)
		}
		return resp.Header, e, nil
	}
	var hdr http.Header
	var e *echo.Response
	until(t, 30*time.Second, "served with add-headers", func() (err error) {
		hdr, e, err = get(host)
		if err == nil && hdr.Get("X-Literal") == "" {
			err = fmt.Errorf("no X-Literal in %v", hdr)
		}
		return err
	})
	if got := hdr.Values("X-Frame-Options"); len(got) != 1 || got[0] != "SAMEORIGIN" || hdr.Get("X-Literal") != "a$b" {
		t.Errorf("add-headers: X-Frame-Options %q X-Literal %q, want SAMEORIGIN and a$b", got, hdr.Get("X-Literal"))
	}
	if !regexp.MustCompile(`^t=[0-9]+\.[0-9]{3}$`).MatchString(e.Headers.Get("X-Request-Start")) ||
		e.Headers.Get("X-Client-Addr") != "127.0.0.1" || e.Headers.Get("X-Using") != "atrium" {
		t.Errorf("proxy-set-headers: the endpoint saw X-Request-Start %q X-Client-Addr %q X-Using %q",
			e.Headers.Get("X-Request-Start"), e.Headers.Get("X-Client-Addr"), e.Headers.Get("X-Using"))
	}
	// custom-headers wins on its own paths: one X-Frame-Options, its own.
	until(t, 30*time.Second, "custom-headers host served", func() error {
		hdr, _, err := get(custom)
		if err != nil {
			return err
		}
		if got := hdr.Values("X-Frame-Options"); len(got) != 1 || got[0] != "DENY" || hdr.Get("X-Literal") != "a$b" {
			return fmt.Errorf("X-Frame-Options %q X-Literal %q, want only DENY and a$b", got, hdr.Get("X-Literal"))
		}
		return nil
	})
	// A change of the proxy-set-headers ConfigMap alone is served.
	set.Data["X-Using"] = "v2"
	if _, err := cs.CoreV1().ConfigMaps("default").Update(ctx, set, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	until(t, 30*time.Second, "the changed proxy-set-headers", func() error {
		_, e, err := get(host)
		if err == nil && e.Headers.Get("X-Using") != "v2" {
			err = fmt.Errorf("X-Using %q", e.Headers.Get("X-Using"))
		}
		return err
	})
}
