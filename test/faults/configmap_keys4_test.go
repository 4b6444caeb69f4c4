package faults

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/atrium-ingress/atrium/test/cluster"
	"github.com/atrium-ingress/atrium/test/echoserver/echo"
	"github.com/atrium-ingress/atrium/test/harness"
)

// silentBackend serves host from one pod (Ingress "silent" with the given
// ingress-nginx annotations), waits until it answers, then blackholes the
// pod: from then on a connection to it neither succeeds nor is refused,
// it times out.
func silentBackend(t *testing.T, ns, host string, ann map[string]string) *cluster.Pod {
	t.Helper()
	ctx := context.Background()
	svc, err := cluster.CreateService(ctx, cs, ns, "silent", []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromInt32(8080)}})
	if err != nil {
		t.Fatal(err)
	}
	pod, err := pnet.AddPod(ctx, cluster.PodSpec{Name: ns + "-silent-0", Namespace: ns, Service: "silent"})
	if err != nil {
		t.Fatal(err)
	}
	if err := cluster.SyncEndpoints(ctx, cs, svc, cluster.EndpointsFor([]*cluster.Pod{pod})); err != nil {
		t.Fatal(err)
	}
	createIngress(t, ns, "silent", host, "silent")
	annotate(t, ns, "silent", ann)
	waitServing(t, host, 30*time.Second)
	if err := pod.Blackhole(true); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pod.Blackhole(false) })
	return pod
}

// applyConfigMap updates cm and waits until the controller confirmed the
// reload with it: a reload counts as done once nginx's old workers stopped
// accepting, so from then on a new connection sees the new configuration.
func applyConfigMap(t *testing.T, c *harness.Controller, cm *corev1.ConfigMap) {
	t.Helper()
	reloads := metricOf(t, c, "atrium_nginx_reloads_total", `result="success"`)
	if _, err := cs.CoreV1().ConfigMaps(cm.Namespace).Update(context.Background(), cm, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	until(t, 30*time.Second, "reload with the updated ConfigMap", func() error {
		if n := metricOf(t, c, "atrium_nginx_reloads_total", `result="success"`); n <= reloads {
			return fmt.Errorf("%v successful reloads, want more than %v", n, reloads)
		}
		return nil
	})
}

// fourthConfigMap checks the keys about connections and nginx's own
// process: timeouts towards endpoints, the header buffer, idle upstream
// connections, worker connections, the error log level and how long old
// workers may drain. Each setting is chosen so that nginx's default (or
// ingress-nginx's) would give a different answer.
func fourthConfigMap(t *testing.T, c *harness.Controller, cm *corev1.ConfigMap, host, silentHost string, silent *cluster.Pod, dir string) {
	errorLog := filepath.Join(dir, "nginx", "logs", "error.log")
	before, err := os.ReadFile(errorLog)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(before, []byte("[info]")) {
		t.Fatalf("error-log-level notice (the default) logged [info] lines: the check below would prove nothing")
	}
	cm.Data = map[string]string{
		"worker-processes":            "1",
		"proxy-connect-timeout":       "1",
		"proxy-send-timeout":          "1",
		"proxy-body-size":             "64m",
		"upstream-keepalive-timeout":  "2",
		"client-header-buffer-size":   "16k",
		"large-client-header-buffers": "2 1k",
		"max-worker-connections":      "64",
		"worker-shutdown-timeout":     "2s",
		"error-log-level":             "info",
		"proxy-buffering":             "on",
	}
	applyConfigMap(t, c, cm)
	until(t, 30*time.Second, "one nginx worker", func() error {
		n, err := nginxWorkers(filepath.Join(dir, "nginx", "nginx.pid"))
		if err != nil || n != 1 {
			return fmt.Errorf("%d workers (%v)", n, err)
		}
		return nil
	})
	plain := clientTo(c.HTTPAddr())
	send := func(cl *http.Client, method, h string, hdr map[string]string, body io.Reader) (int, []byte, error) {
		req, _ := http.NewRequest(method, "http://"+h+"/", body)
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := cl.Do(req)
		if err != nil {
			return 0, nil, err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return resp.StatusCode, b, err
	}

	// client-header-buffer-size 16k: a 2 KiB header line fits the first
	// buffer, so the 1k large buffers never come into play (the first
	// ConfigMap showed the same line refused with the default 1k buffer).
	if code, _, err := send(plain, "GET", host, map[string]string{"X-Big": strings.Repeat("b", 2048)}, nil); err != nil || code != 200 {
		t.Errorf("client-header-buffer-size 16k: %d %v, want 200", code, err)
	}

	// upstream-keepalive-timeout 2: back-to-back requests share the
	// connection to the endpoint; after 3.5 s idle it was closed.
	port := func() string {
		_, body, err := send(plain, "GET", host, nil, nil)
		e, _ := echo.Decode(bytes.NewReader(body))
		if err != nil || e == nil {
			t.Fatalf("upstream-keepalive-timeout: %v %s", err, body)
		}
		return e.RemoteAddr
	}
	first, second := port(), port()
	if first != second {
		t.Errorf("upstream keepalive: back-to-back requests came from %s and %s, want one connection", first, second)
	}
	time.Sleep(3500 * time.Millisecond)
	if third := port(); third == second {
		t.Errorf("upstream-keepalive-timeout 2: after 3.5 s idle the endpoint still saw %s", third)
	}

	// proxy-connect-timeout 1: a pod that never answers the SYN is a 504
	// after a second; with the default (5 s) this client gives up first.
	quick := clientTo(c.HTTPAddr())
	quick.Timeout = 4 * time.Second
	if code, _, err := send(quick, "GET", silentHost, nil, nil); err != nil || code != 504 {
		t.Errorf("proxy-connect-timeout 1: %d %v, want 504 (pod %s blackholed)", code, err, silent.IP)
	}

	// proxy-send-timeout 1: an endpoint that leaves a 16 MiB upload
	// unread for 4 s makes nginx's writes wait past the timeout: 504. With
	// the default (60 s) the pod reads it after 4 s and answers 200.
	slow := clientTo(c.HTTPAddr())
	slow.Timeout = 30 * time.Second
	code, _, err := send(slow, "POST", host, map[string]string{echo.HeaderStall: "4s"}, bytes.NewReader(make([]byte, 16<<20)))
	if err != nil || code != 504 {
		t.Errorf("proxy-send-timeout 1: %d %v, want 504", code, err)
	}

	// error-log-level info: a client closing a keep-alive connection is
	// an [info] line (not logged at the default notice).
	conn, err := net.DialTimeout("tcp", c.HTTPAddr(), 3*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(conn, "GET / HTTP/1.1\r\nHost: %s\r\n\r\n", host)
	if resp, err := http.ReadResponse(bufio.NewReader(conn), nil); err != nil {
		t.Fatal(err)
	} else {
		resp.Body.Close()
	}
	conn.Close()
	until(t, 10*time.Second, "error-log-level info", func() error {
		b, err := os.ReadFile(errorLog)
		if err != nil {
			return err
		}
		if !bytes.Contains(b[len(before):], []byte("[info]")) || !bytes.Contains(b[len(before):], []byte("closed keepalive connection")) {
			return errors.New("no [info] line about the closed keep-alive connection")
		}
		return nil
	})

	// proxy-buffering on: nginx takes a 64 MiB answer from the pod whole
	// while this client reads nothing (by default it would stream it at the
	// client's pace, and the pod could not finish).
	takenWhileUnread(t, c, host, send)

	maxWorkerConnections(t, c, host, send)
	workerShutdownTimeout(t, c, cm, host, send)
}

type sendFunc func(cl *http.Client, method, host string, hdr map[string]string, body io.Reader) (int, []byte, error)

// maxWorkerConnections: one worker of 64 connections (listening sockets
// count too) cannot carry 40 requests in flight at once, each holding a
// client and an endpoint connection; the default (16384) would. Requests
// in flight are not "reusable" connections, so nginx cannot make room by
// closing idle ones.
func maxWorkerConnections(t *testing.T, c *harness.Controller, host string, send sendFunc) {
	t.Helper()
	const n = 40
	oks := make(chan bool, n)
	for i := 0; i < n; i++ {
		go func() {
			cl := clientTo(c.HTTPAddr())
			cl.Timeout = 20 * time.Second
			code, _, err := send(cl, "GET", host, map[string]string{echo.HeaderDelay: "3s"}, nil)
			oks <- err == nil && code == 200
		}()
	}
	served := 0
	for i := 0; i < n; i++ {
		if <-oks {
			served++
		}
	}
	t.Logf("max-worker-connections 64: %d of %d concurrent slow requests served", served, n)
	if served == 0 || served == n {
		t.Errorf("max-worker-connections 64: %d of %d concurrent requests served, want some but not all", served, n)
	}
	until(t, 30*time.Second, "serving again once the requests ended", func() error {
		code, _, err := send(clientTo(c.HTTPAddr()), "GET", host, nil, nil)
		if err != nil || code != 200 {
			return fmt.Errorf("%d %v", code, err)
		}
		return nil
	})
}

// workerShutdownTimeout: a request still running when nginx reloads is
// cut after worker-shutdown-timeout (2 s) instead of finishing (a 20 s
// answer; without the key old workers drain for --shutdown-grace-period,
// 60 s for this controller).
func workerShutdownTimeout(t *testing.T, c *harness.Controller, cm *corev1.ConfigMap, host string, send sendFunc) {
	t.Helper()
	marker := fmt.Sprintf("drain-%d", time.Now().UnixNano())
	slow := clientTo(c.HTTPAddr())
	slow.Timeout = 40 * time.Second
	type result struct {
		code int
		err  error
	}
	done := make(chan result, 1)
	go func() {
		code, _, err := send(slow, "GET", host, map[string]string{echo.HeaderDelay: "20s", "X-Marker": marker}, nil)
		done <- result{code, err}
	}()
	// The reload must come while the request is at the pod.
	until(t, 10*time.Second, "the slow request at the pod", func() error {
		_, err := podLogged(c, host, send, marker)
		return err
	})
	cm.Data["error-log-level"] = "notice" // any change: a reload
	applyConfigMap(t, c, cm)
	if r := <-done; r.err == nil {
		t.Errorf("worker-shutdown-timeout 2s: the slow request was not cut: %d", r.code)
	} else {
		t.Logf("worker-shutdown-timeout: the slow request ended with %v", r.err)
	}
}

// takenWhileUnread asks for an answer larger than the socket buffers on
// the way, reads only its head, and waits for the pod's request log to
// say the whole answer was written.
func takenWhileUnread(t *testing.T, c *harness.Controller, host string, send sendFunc) {
	t.Helper()
	mark := fmt.Sprintf("buffered-%d", time.Now().UnixNano())
	conn, err := net.DialTimeout("tcp", c.HTTPAddr(), 3*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(time.Minute))
	fmt.Fprintf(conn, "GET / HTTP/1.1\r\nHost: %s\r\nX-Marker: %s\r\n%s: %d\r\nConnection: close\r\n\r\n", host, mark, echo.HeaderSize, echo.MaxSize)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	until(t, 15*time.Second, "proxy-buffering on: the pod wrote its whole answer", func() error {
		r, err := podLogged(c, host, send, mark)
		if err == nil && !r.Answered {
			err = errors.New("not answered in full while the client reads nothing")
		}
		return err
	})
	if n, err := io.Copy(io.Discard, resp.Body); err != nil || n != echo.MaxSize {
		t.Errorf("read %d of %d bytes: %v", n, echo.MaxSize, err)
	}
}

// podLogged finds the request with header X-Marker: marker in the request
// log of host's pod (asked through nginx); an error until it is there.
func podLogged(c *harness.Controller, host string, send sendFunc, marker string) (*echo.Response, error) {
	_, body, err := send(clientTo(c.HTTPAddr()), "GET", host, map[string]string{echo.HeaderRequests: "1"}, nil)
	if err != nil {
		return nil, err
	}
	l, err := echo.DecodeRequests(bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	for i := range l.Requests {
		if l.Requests[i].Headers.Get("X-Marker") == marker {
			return &l.Requests[i], nil
		}
	}
	return nil, errors.New("not in the pod's request log yet")
}
