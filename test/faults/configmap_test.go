package faults

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/atrium-ingress/atrium/test/echoserver/echo"
)

// TestConfigMapLive: --configmap settings apply live, unknown keys and
// refused values raise Events on the ConfigMap, and a refused value keeps
// the previous one. (Here rather than in test/e2e: it changes settings for
// every Ingress, which would disturb parallel tests on a shared cluster.)
func TestConfigMapLive(t *testing.T) {
	host := backend(t, "cm", 1)
	c := extraController(t, "cm", "--configmap", "default/atrium-config")
	do := func(method, ua, xfp string, body int) (*http.Response, *echo.Response) {
		t.Helper()
		req, _ := http.NewRequest(method, "http://"+host+"/", strings.NewReader(strings.Repeat("x", body)))
		if ua != "" {
			req.Header.Set("User-Agent", ua)
		}
		if xfp != "" {
			req.Header.Set("X-Forwarded-Proto", xfp)
		}
		resp, err := clientTo(c.HTTPAddr()).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		e, _ := echo.Decode(resp.Body)
		return resp, e
	}
	resp, e := do("GET", "BadBot/1.0", "https", 0)
	// server-tokens off (the default): no Server header at all, as in
	// ingress-nginx, on proxied answers and on nginx's own (the 404).
	if _, ok := resp.Header["Server"]; resp.StatusCode != 200 || ok {
		t.Fatalf("defaults: %d Server %q (server-tokens must default to off: no Server header)", resp.StatusCode, resp.Header.Get("Server"))
	}
	r404, err := clientTo(c.HTTPAddr()).Get("http://no-such-host.invalid/")
	if err != nil {
		t.Fatal(err)
	}
	r404.Body.Close()
	if _, ok := r404.Header["Server"]; r404.StatusCode != 404 || ok {
		t.Fatalf("defaults, unknown host: %d Server %q, want 404 without a Server header", r404.StatusCode, r404.Header.Get("Server"))
	}
	if e == nil || e.Headers.Get("X-Forwarded-Proto") != "http" {
		t.Fatalf("without use-forwarded-headers the client's X-Forwarded-Proto must not pass: %+v", e)
	}

	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "atrium-config"}, Data: map[string]string{
		"server-tokens": "true", "block-user-agents": "BadBot/1.0", "proxy-body-size": "1k",
		"use-forwarded-headers": "true", "not-a-key": "x", "gzip-level": "99",
	}}
	if _, err := cs.CoreV1().ConfigMaps("default").Create(context.Background(), cm, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	until(t, 30*time.Second, "ConfigMap applied", func() error {
		if r, _ := do("GET", "", "", 0); !strings.HasPrefix(r.Header.Get("Server"), "nginx/") {
			return fmt.Errorf("server-tokens: Server %q", r.Header.Get("Server"))
		}
		return nil
	})
	if r, _ := do("GET", "BadBot/1.0", "", 0); r.StatusCode != 403 {
		t.Errorf("block-user-agents: %d, want 403", r.StatusCode)
	}
	if r, _ := do("POST", "", "", 2048); r.StatusCode != 413 {
		t.Errorf("proxy-body-size 1k: %d, want 413", r.StatusCode)
	}
	if _, e := do("GET", "", "https", 0); e == nil || e.Headers.Get("X-Forwarded-Proto") != "https" {
		t.Errorf("use-forwarded-headers: backend saw %+v", e)
	}
	waitCMEvent(t, "UnknownConfigMapKeys", "not-a-key")
	waitCMEvent(t, "InvalidConfigMapValue", "gzip-level")

	// A refused value keeps the previous one.
	cm.Data["proxy-body-size"] = "1k; return 200 pwned"
	if _, err := cs.CoreV1().ConfigMaps("default").Update(context.Background(), cm, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitCMEvent(t, "InvalidConfigMapValue", "proxy-body-size")
	if r, _ := do("POST", "", "", 2048); r.StatusCode != 413 {
		t.Errorf("after a refused proxy-body-size the previous 1k must stay: %d", r.StatusCode)
	}
}

func until(t *testing.T, timeout time.Duration, what string, f func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %v", what, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func waitCMEvent(t *testing.T, reason, text string) {
	t.Helper()
	until(t, 30*time.Second, "Event "+reason, func() error {
		evs, err := cs.EventsV1().Events("default").List(context.Background(), metav1.ListOptions{})
		if err != nil {
			return err
		}
		for _, e := range evs.Items {
			if e.Regarding.Kind == "ConfigMap" && e.Regarding.Name == "atrium-config" && e.Reason == reason && strings.Contains(e.Note, text) {
				return nil
			}
		}
		return fmt.Errorf("no %s Event mentioning %q", reason, text)
	})
}
