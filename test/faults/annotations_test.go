package faults

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// annotate adds ingress-nginx annotations (keys without the prefix) to
// Ingress ns/name.
func annotate(t *testing.T, ns, name string, ann map[string]string) {
	t.Helper()
	if len(ann) == 0 {
		return
	}
	ing, err := cs.NetworkingV1().Ingresses(ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if ing.Annotations == nil {
		ing.Annotations = map[string]string{}
	}
	for k, v := range ann {
		ing.Annotations["nginx.ingress.kubernetes.io/"+k] = v
	}
	if _, err := cs.NetworkingV1().Ingresses(ns).Update(context.Background(), ing, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// TestAnnotationsNeedingThePodsOrTheLog: the annotations whose effect only
// shows with a pod that ignores connections or in nginx's error log, so
// they are checked here rather than in test/e2e (which also runs on real
// clusters).
func TestAnnotationsNeedingThePodsOrTheLog(t *testing.T) {
	host := backend(t, "bodybuf", 1)
	ns := strings.Split(host, ".")[1]

	// proxy-connect-timeout 1: a pod that never answers the SYN is a 504
	// after a second; with the default (5 s) this client gives up first.
	silentHost := "silent." + ns + ".faults.test"
	silentBackend(t, ns, silentHost, map[string]string{"proxy-connect-timeout": "1"})
	c := client(false)
	c.Timeout = 4 * time.Second
	// The annotation came after the Ingress: until its reload, the
	// default applies and this client gives up first.
	until(t, 30*time.Second, "proxy-connect-timeout 1", func() error {
		if code, body, err := get(c, silentHost); err != nil || code != 504 {
			return fmt.Errorf("to a pod that ignores connections: %d %.80q %v, want 504", code, body, err)
		}
		return nil
	})

	// client-body-buffer-size 1m: a 512 KiB body stays in memory; without
	// it nginx writes the body to a file and says so in its error log.
	annotate(t, ns, "bodybuf", map[string]string{"client-body-buffer-size": "1m"})
	plainHost := "plain." + ns + ".faults.test"
	createIngress(t, ns, "plain", plainHost, "bodybuf")
	waitServing(t, plainHost, 30*time.Second)
	errorLog := filepath.Join(tmp, "run", "nginx", "logs", "error.log")
	const spilled = "a client request body is buffered to a temporary file"
	post := func(h string) {
		t.Helper()
		req, _ := http.NewRequest("POST", "http://"+h+"/", bytes.NewReader(make([]byte, 512<<10)))
		resp, err := client(false).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("POST 512 KiB to %s: %d", h, resp.StatusCode)
		}
	}
	logged := func(h string) bool {
		b, err := os.ReadFile(errorLog)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(b), "\n") {
			if strings.Contains(line, spilled) && strings.Contains(line, `host: "`+h+`"`) {
				return true
			}
		}
		return false
	}
	// The annotation may still be on its way: once the annotated host
	// keeps a body in memory it is in effect.
	until(t, 30*time.Second, "client-body-buffer-size applied", func() error {
		post(plainHost)
		if !logged(plainHost) {
			t.Fatalf("the default buffer did not spill 512 KiB to a file: the check proves nothing")
		}
		before, err := os.ReadFile(errorLog)
		if err != nil {
			return err
		}
		post(host)
		after, err := os.ReadFile(errorLog)
		if err != nil {
			return err
		}
		if strings.Contains(string(after[len(before):]), spilled) {
			return fmt.Errorf("client-body-buffer-size 1m: the 512 KiB body went to a file")
		}
		return nil
	})
}
