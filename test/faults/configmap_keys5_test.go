package faults

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/atrium-ingress/atrium/test/cluster"
	"github.com/atrium-ingress/atrium/test/echoserver/echo"
	"github.com/atrium-ingress/atrium/test/harness"
)

// cmController creates ConfigMap default/atrium-<name> with data and
// starts a controller of its own that reads it, in a fresh directory.
func cmController(t *testing.T, name string, data map[string]string) (*harness.Controller, *corev1.ConfigMap) {
	t.Helper()
	_ = os.RemoveAll(filepath.Join(tmp, name)) // logs of an earlier run (go test -count)
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "atrium-" + name}, Data: data}
	if _, err := cs.CoreV1().ConfigMaps("default").Create(context.Background(), cm, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cs.CoreV1().ConfigMaps("default").Delete(context.Background(), cm.Name, metav1.DeleteOptions{})
	})
	return extraController(t, name, "--configmap", "default/"+cm.Name), cm
}

// sendVia sends one request for host (path and query in uri) through cl
// and reads the whole answer.
func sendVia(cl *http.Client, method, host, uri string, hdr map[string]string, body io.Reader) (*http.Response, []byte, error) {
	req, err := http.NewRequest(method, "http://"+host+uri, body)
	if err != nil {
		return nil, nil, err
	}
	for k, v := range hdr {
		req.Header[k] = []string{v} // as written: some names here are not canonical on purpose
	}
	resp, err := cl.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp, b, err
}

// servedVia waits until c serves host.
func servedVia(t *testing.T, c *harness.Controller, host string) {
	t.Helper()
	until(t, 30*time.Second, host+" served", func() error {
		resp, _, err := sendVia(clientTo(c.HTTPAddr()), "GET", host, "/", nil, nil)
		if err == nil && resp.StatusCode != 200 {
			err = fmt.Errorf("status %d", resp.StatusCode)
		}
		return err
	})
}

// podSaw says whether the pod's request log (asked directly, not through
// nginx) has a request with X-Marker: marker.
func podSaw(t *testing.T, p *cluster.Pod, marker string) bool {
	t.Helper()
	cl := &http.Client{Timeout: 5 * time.Second}
	req, _ := http.NewRequest("GET", fmt.Sprintf("http://%s/", net.JoinHostPort(p.IP, fmt.Sprint(p.Ports.HTTP))), nil)
	req.Header.Set(echo.HeaderRequests, "1")
	resp, err := cl.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	l, err := echo.DecodeRequests(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range l.Requests {
		if r.Headers.Get("X-Marker") == marker {
			return true
		}
	}
	return false
}

// TestConfigMapRetries: proxy-next-upstream, proxy-next-upstream-tries
// and proxy-next-upstream-timeout, seen as the number of pods one request
// reached. Every pod answers it 502, which proxy-next-upstream
// "http_502" makes a reason to try another pod (each at most once); the
// tries are bounded twice, by nginx and by the Lua balancer, so a count
// other than 3 shows that both took the ConfigMap's value.
func TestConfigMapRetries(t *testing.T) {
	_, host, pods := podsBehind(t, "flaky", 5)
	c, cm := cmController(t, "retries", map[string]string{})
	servedVia(t, c, host)
	reached := func(what string, hdr map[string]string, want int) {
		t.Helper()
		marker := fmt.Sprintf("retry-%d", time.Now().UnixNano())
		h := map[string]string{echo.HeaderStatus: "502", "X-Marker": marker}
		for k, v := range hdr {
			h[k] = v
		}
		cl := clientTo(c.HTTPAddr())
		cl.Timeout = 20 * time.Second
		resp, _, err := sendVia(cl, "GET", host, "/", h, nil)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		n := 0
		for _, p := range pods {
			if podSaw(t, p, marker) {
				n++
			}
		}
		if resp.StatusCode != 502 || n != want {
			t.Errorf("%s: %d after reaching %d pods, want 502 from %d", what, resp.StatusCode, n, want)
		}
	}
	reached("default proxy-next-upstream (error timeout)", nil, 1)

	cm.Data = map[string]string{"proxy-next-upstream": "error timeout http_502", "proxy-next-upstream-tries": "4"}
	applyConfigMap(t, c, cm)
	reached("proxy-next-upstream http_502, proxy-next-upstream-tries 4", nil, 4)

	cm.Data["proxy-next-upstream-tries"] = "0"
	applyConfigMap(t, c, cm)
	reached("proxy-next-upstream-tries 0 (one per pod)", nil, 5)

	// proxy-next-upstream-timeout 1: a pod answers after 0.7 s; the second
	// try starts within the second, the third would not (3 by default).
	delete(cm.Data, "proxy-next-upstream-tries")
	cm.Data["proxy-next-upstream-timeout"] = "1"
	applyConfigMap(t, c, cm)
	reached("proxy-next-upstream-timeout 1", map[string]string{echo.HeaderDelay: "700ms"}, 2)
}

// TestConfigMapBuffers: proxy-buffer-size, client-body-buffer-size,
// proxy-request-buffering and proxy-buffers-number, each first with its
// default, then set, through requests (nginx's warnings about temporary
// files tell when a body did not fit the buffers).
func TestConfigMapBuffers(t *testing.T) {
	_, host, pods := podsBehind(t, "buffers", 1)
	c, cm := cmController(t, "buffers", map[string]string{})
	servedVia(t, c, host)
	errorLog := filepath.Join(tmp, "buffers", "nginx", "logs", "error.log")
	// warned says whether nginx's error log has the warning about a
	// request whose URI holds marker.
	warned := func(warning, marker string) bool {
		b, err := os.ReadFile(errorLog)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(b), "\n") {
			if strings.Contains(line, warning) && strings.Contains(line, marker) {
				return true
			}
		}
		return false
	}
	cl := clientTo(c.HTTPAddr())
	// An answer with a 5,000-byte header: more than the default 4k buffer.
	bigHeader := map[string]string{echo.HeaderHeader: "X-Big: " + strings.Repeat("b", 5000)}
	// bodyToFile posts 20,000 bytes: more than the default 8k buffer.
	const bodyWarning = "a client request body is buffered to a temporary file"
	bodyToFile := func() bool {
		mark := fmt.Sprintf("body-%d", time.Now().UnixNano())
		resp, _, err := sendVia(cl, "POST", host, "/?"+mark, nil, bytes.NewReader(make([]byte, 20000)))
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("POST: %v %v", resp, err)
		}
		return warned(bodyWarning, mark)
	}

	if resp, _, err := sendVia(cl, "GET", host, "/", bigHeader, nil); err != nil || resp.StatusCode != 502 {
		t.Errorf("default proxy-buffer-size (4k): an answer with a 5,000-byte header gave %v %v, want 502", resp, err)
	}
	if !bodyToFile() {
		t.Errorf("default client-body-buffer-size (8k): a 20,000-byte body was not written to a file (no %q)", bodyWarning)
	}
	if requestStreamed(t, c, host) {
		t.Errorf("default proxy-request-buffering (on): the pod got the request before its body")
	}

	cm.Data = map[string]string{"proxy-buffer-size": "16k", "client-body-buffer-size": "64k"}
	applyConfigMap(t, c, cm)
	if resp, _, err := sendVia(cl, "GET", host, "/", bigHeader, nil); err != nil || resp.StatusCode != 200 {
		t.Errorf("proxy-buffer-size 16k: an answer with a 5,000-byte header gave %v %v, want 200", resp, err)
	}
	if bodyToFile() {
		t.Errorf("client-body-buffer-size 64k: a 20,000-byte body was written to a file")
	}

	cm.Data = map[string]string{"proxy-request-buffering": "off"}
	applyConfigMap(t, c, cm)
	if !requestStreamed(t, c, host) {
		t.Errorf("proxy-request-buffering off: the pod did not get the request before its body")
	}

	// proxy-buffers-number: with proxy-buffering on, an 8 MiB answer to a
	// client that reads nothing fills the socket buffers (4 MiB at most,
	// Linux's tcp_wmem) and then nginx's buffers: 4 of 64k spill to a
	// temporary file, 256 of 64k (16 MiB) hold it.
	const answerWarning = "an upstream response is buffered to a temporary file"
	cm.Data = map[string]string{"proxy-buffering": "on", "proxy-buffer-size": "64k"}
	applyConfigMap(t, c, cm)
	unreadAnswer(t, c, host, pods[0], func(mark string) {
		until(t, 10*time.Second, "the 4 default buffers spill to a file", func() error {
			if !warned(answerWarning, mark) {
				return fmt.Errorf("no %q", answerWarning)
			}
			return nil
		})
	})
	cm.Data["proxy-buffers-number"] = "256"
	applyConfigMap(t, c, cm)
	unreadAnswer(t, c, host, pods[0], func(mark string) {
		time.Sleep(500 * time.Millisecond)
		if warned(answerWarning, mark) {
			t.Errorf("proxy-buffers-number 256: the answer was written to a file")
		}
	})
}

// requestStreamed sends a request whose body comes 1.5 s late and says
// whether the pod got the request (X-Echo-Stream answers at once, before
// reading the body) in the meantime, as with proxy-request-buffering off.
func requestStreamed(t *testing.T, c *harness.Controller, host string) bool {
	t.Helper()
	conn, err := net.DialTimeout("tcp", c.HTTPAddr(), 3*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST / HTTP/1.1\r\nHost: %s\r\n%s: 1s\r\nContent-Length: 10\r\nConnection: close\r\n\r\n12345", host, echo.HeaderStream)
	_ = conn.SetReadDeadline(time.Now().Add(1500 * time.Millisecond))
	br := bufio.NewReader(conn)
	_, err = br.ReadString('\n')
	early := err == nil
	// The rest of the body ends the request either way.
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(conn, "67890"); err != nil {
		t.Fatal(err)
	}
	resp, err := io.ReadAll(br)
	if err != nil || !bytes.Contains(resp, []byte("done 10")) {
		t.Fatalf("the streamed request did not end with the whole body at the pod: %q %v", resp, err)
	}
	return early
}

// unreadAnswer asks for an 8 MiB answer on a connection with a small
// receive buffer, reads nothing, and once the pod wrote it all calls check
// with the marker in the request's URI, then closes the connection.
func unreadAnswer(t *testing.T, c *harness.Controller, host string, pod *cluster.Pod, check func(mark string)) {
	t.Helper()
	mark := fmt.Sprintf("answer-%d", time.Now().UnixNano())
	conn, err := net.DialTimeout("tcp", c.HTTPAddr(), 3*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.(*net.TCPConn).SetReadBuffer(4096)
	fmt.Fprintf(conn, "GET /?%s HTTP/1.1\r\nHost: %s\r\nX-Marker: %s\r\n%s: %d\r\nConnection: close\r\n\r\n", mark, host, mark, echo.HeaderSize, 8<<20)
	until(t, 15*time.Second, "the pod wrote its whole answer", func() error {
		cl := &http.Client{Timeout: 5 * time.Second}
		req, _ := http.NewRequest("GET", fmt.Sprintf("http://%s/", net.JoinHostPort(pod.IP, fmt.Sprint(pod.Ports.HTTP))), nil)
		req.Header.Set(echo.HeaderRequests, "1")
		resp, err := cl.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		l, err := echo.DecodeRequests(resp.Body)
		if err != nil {
			return err
		}
		for _, r := range l.Requests {
			if r.Headers.Get("X-Marker") == mark && r.Answered {
				return nil
			}
		}
		return errors.New("not answered in full yet")
	})
	check(mark)
}

var requestIDRe = regexp.MustCompile(`^[0-9a-f]{32}$`)

// TestConfigMapRequestHeaders: enable-underscores-in-headers,
// ignore-invalid-headers, generate-request-id, hide-headers (also on a
// path with CORS, whose location has hide directives of its own),
// skip-access-log-urls and upstream-keepalive-requests, first with their
// defaults, then set.
func TestConfigMapRequestHeaders(t *testing.T) {
	ns, host, _ := podsBehind(t, "headers", 1)
	corsHost := "cors." + ns + ".faults.test"
	if _, err := cs.NetworkingV1().Ingresses(ns).Create(context.Background(),
		annotatedIngress(ns, "cors", corsHost, "headers", "http", false, map[string]string{"enable-cors": "true"}), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(tmp, "headers", "access.log")
	// One worker: back-to-back requests share its idle connection to the pod.
	base := map[string]string{"access-log-path": logPath, "worker-processes": "1"}
	c, cm := cmController(t, "headers", base)
	servedVia(t, c, host)
	servedVia(t, c, corsHost)
	cl := clientTo(c.HTTPAddr())
	// echoed sends the odd headers and a response header to ask for, and
	// returns what the pod saw and the header in the answer.
	type seen struct{ underscore, dot, requestID, remote, secret string }
	echoed := func(h string) seen {
		t.Helper()
		resp, body, err := sendVia(cl, "GET", h, "/", map[string]string{
			"X_Under": "u", "X.Dot": "d", echo.HeaderHeader: "X-Secret: s3cret"}, nil)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("%s: %v %v", h, resp, err)
		}
		e, err := echo.Decode(bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		return seen{underscore: e.Headers.Get("X_Under"), dot: e.Headers.Get("X.Dot"), requestID: e.Headers.Get("X-Request-ID"),
			remote: e.RemoteAddr, secret: resp.Header.Get("X-Secret")}
	}
	// logged sends a request for uri with a marked User-Agent and says
	// whether the access log got it (waiting for one logged request).
	const loggedURI = "/logged"
	logged := func(uri string) bool {
		t.Helper()
		n := time.Now().UnixNano()
		mark, other := fmt.Sprintf("probe-%d", n), fmt.Sprintf("witness-%d", n)
		if _, _, err := sendVia(cl, "GET", host, uri, map[string]string{"User-Agent": mark}, nil); err != nil {
			t.Fatal(err)
		}
		if _, _, err := sendVia(cl, "GET", host, loggedURI, map[string]string{"User-Agent": other}, nil); err != nil {
			t.Fatal(err)
		}
		var b []byte
		until(t, 10*time.Second, "the access log line of "+loggedURI, func() error {
			var err error
			if b, err = os.ReadFile(logPath); err == nil && !bytes.Contains(b, []byte(other)) {
				err = errors.New("not logged yet")
			}
			return err
		})
		return bytes.Contains(b, []byte(mark))
	}

	s := echoed(host)
	if s.underscore != "" || s.dot != "" {
		t.Errorf("defaults: X_Under %q and X.Dot %q reached the pod, want both dropped", s.underscore, s.dot)
	}
	if !requestIDRe.MatchString(s.requestID) {
		t.Errorf("default generate-request-id (true): X-Request-ID %q, want 32 hex digits", s.requestID)
	}
	for _, h := range []string{host, corsHost} {
		if got := echoed(h).secret; got != "s3cret" {
			t.Errorf("no hide-headers: X-Secret %q from %s, want the pod's", got, h)
		}
	}
	if !logged("/skip-me") {
		t.Errorf("no skip-access-log-urls: /skip-me was not logged")
	}
	if a, b := echoed(host).remote, echoed(host).remote; a != b {
		t.Errorf("default upstream-keepalive-requests: back-to-back requests came from %s and %s, want one connection", a, b)
	}

	cm.Data = map[string]string{"enable-underscores-in-headers": "true", "generate-request-id": "false", "hide-headers": "X-Other, X-Secret",
		"skip-access-log-urls": "/skip-me", "upstream-keepalive-requests": "1"}
	for k, v := range base {
		cm.Data[k] = v
	}
	applyConfigMap(t, c, cm)
	s = echoed(host)
	if s.underscore != "u" || s.dot != "" {
		t.Errorf("enable-underscores-in-headers true: X_Under %q, X.Dot %q reached the pod, want u and nothing", s.underscore, s.dot)
	}
	if s.requestID != "" {
		t.Errorf("generate-request-id false: the pod got X-Request-ID %q", s.requestID)
	}
	for _, h := range []string{host, corsHost} {
		if got := echoed(h).secret; got != "" {
			t.Errorf("hide-headers X-Secret: %s answered it (%q)", h, got)
		}
	}
	if logged("/skip-me") {
		t.Errorf("skip-access-log-urls /skip-me: it was logged")
	}
	if a, b := echoed(host).remote, echoed(host).remote; a == b {
		t.Errorf("upstream-keepalive-requests 1: back-to-back requests shared the connection from %s", a)
	}

	cm.Data = map[string]string{"ignore-invalid-headers": "false"}
	for k, v := range base {
		cm.Data[k] = v
	}
	applyConfigMap(t, c, cm)
	// Not ignored, the invalid names pass, the one with '_' too.
	if s := echoed(host); s.dot != "d" || s.underscore != "u" {
		t.Errorf("ignore-invalid-headers false: X.Dot %q and X_Under %q reached the pod, want d and u", s.dot, s.underscore)
	}
}

// TestConfigMapTLSSessions: ssl-session-cache, ssl-session-timeout and
// ssl-session-tickets, seen by a Go client resuming its session on a
// second connection (Go resumes TLS 1.2 only with tickets; TLS 1.3 tickets
// without ssl-session-tickets refer to the session cache).
func TestConfigMapTLSSessions(t *testing.T) {
	c, cm := cmController(t, "sessions", map[string]string{})
	// resumes connects twice (wait between them) and says whether the
	// second connection resumed the first one's session.
	resumes := func(version uint16, wait time.Duration) bool {
		t.Helper()
		cfg := &tls.Config{InsecureSkipVerify: true, ServerName: "sessions.faults.test", MinVersion: version, MaxVersion: version,
			ClientSessionCache: tls.NewLRUClientSessionCache(4)}
		resumed := false
		for i := 0; i < 2; i++ {
			if i == 1 {
				time.Sleep(wait)
			}
			conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 3 * time.Second}, "tcp", c.HTTPSAddr(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
			// Reading the answer reads the TLS 1.3 tickets sent before it.
			fmt.Fprintf(conn, "GET / HTTP/1.1\r\nHost: sessions.faults.test\r\nConnection: close\r\n\r\n")
			if _, err := io.Copy(io.Discard, conn); err != nil {
				t.Fatal(err)
			}
			resumed = conn.ConnectionState().DidResume
			conn.Close()
		}
		return resumed
	}
	until(t, 30*time.Second, "HTTPS served", func() error {
		_, _, _, err := tlsGet(c.HTTPSAddr(), "sessions.faults.test", nil)
		return err
	})
	if resumes(tls.VersionTLS12, 0) {
		t.Errorf("default ssl-session-tickets (false): a TLS 1.2 session was resumed")
	}
	if !resumes(tls.VersionTLS13, 0) {
		t.Errorf("default ssl-session-cache (true): a TLS 1.3 session was not resumed")
	}
	if !resumes(tls.VersionTLS13, 3*time.Second) {
		t.Errorf("default ssl-session-timeout (10m): a TLS 1.3 session was not resumed after 3 s")
	}

	cm.Data = map[string]string{"ssl-session-tickets": "true"}
	applyConfigMap(t, c, cm)
	if !resumes(tls.VersionTLS12, 0) {
		t.Errorf("ssl-session-tickets true: a TLS 1.2 session was not resumed")
	}

	cm.Data = map[string]string{"ssl-session-timeout": "2s"}
	applyConfigMap(t, c, cm)
	if !resumes(tls.VersionTLS13, 0) {
		t.Errorf("ssl-session-timeout 2s: a TLS 1.3 session was not resumed at once")
	}
	if resumes(tls.VersionTLS13, 3*time.Second) {
		t.Errorf("ssl-session-timeout 2s: a TLS 1.3 session was resumed after 3 s")
	}

	cm.Data = map[string]string{"ssl-session-cache": "false"}
	applyConfigMap(t, c, cm)
	if resumes(tls.VersionTLS13, 0) {
		t.Errorf("ssl-session-cache false: a TLS 1.3 session was resumed")
	}
}
