package e2e

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/atrium-ingress/atrium/test/echoserver/echo"
)

// streamed sends a request with X-Echo-Stream (the pod answers at once,
// before reading the body, then pauses) through the proxy, with only the
// first half of body, and reports whether the answer's head and first line
// arrived within wait. The rest of the body follows once that is known,
// and the answer must then end with the pod's count of the whole body.
func streamed(host, method, body string, pause, wait time.Duration) (early bool, err error) {
	conn, err := dialProxy()
	if err != nil {
		return false, err
	}
	defer conn.Close()
	half := len(body) / 2
	head := fmt.Sprintf("%s / HTTP/1.1\r\nHost: %s\r\n%s: %s\r\nConnection: close\r\n", method, host, echo.HeaderStream, pause)
	if body != "" {
		head += fmt.Sprintf("Content-Length: %d\r\n", len(body))
	}
	if _, err := io.WriteString(conn, head+"\r\n"+body[:half]); err != nil {
		return false, err
	}
	br := bufio.NewReader(conn)
	type first struct {
		resp *http.Response
		err  error
	}
	got := make(chan first, 1)
	go func() {
		resp, err := http.ReadResponse(br, nil)
		if err == nil {
			line := make([]byte, len(echo.StreamFirst))
			if _, err = io.ReadFull(resp.Body, line); err == nil && string(line) != echo.StreamFirst {
				err = fmt.Errorf("first line %q, want %q", line, echo.StreamFirst)
			}
		}
		got <- first{resp, err}
	}()
	var f first
	select {
	case f = <-got:
		early = true
	case <-time.After(wait):
		if _, err := io.WriteString(conn, body[half:]); err != nil {
			return false, err
		}
		f = <-got
	}
	if f.err != nil {
		return early, f.err
	}
	if early {
		if _, err := io.WriteString(conn, body[half:]); err != nil {
			return early, err
		}
	}
	_ = conn.SetDeadline(time.Now().Add(pause + 10*time.Second))
	rest, err := io.ReadAll(f.resp.Body)
	if err != nil {
		return early, err
	}
	if want := fmt.Sprintf("done %d\n", len(body)); string(rest) != want {
		return early, fmt.Errorf("answer ended with %q, want %q", rest, want)
	}
	return early, nil
}

// takenWhileUnread asks host's pod for a large answer (more than the
// socket buffers on the way hold), reads only its head, and reports
// whether the pod got to write all of it within wait: it does when nginx
// buffers answers, not when nginx streams them at the client's pace. The
// answer is then read and checked.
func takenWhileUnread(host string, wait time.Duration) (bool, error) {
	const size = echo.MaxSize
	mark := fmt.Sprintf("%s-%d", host, time.Now().UnixNano())
	conn, err := dialProxy()
	if err != nil {
		return false, err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(wait + time.Minute))
	fmt.Fprintf(conn, "GET / HTTP/1.1\r\nHost: %s\r\nX-Mark: %s\r\n%s: %d\r\nConnection: close\r\n\r\n", host, mark, echo.HeaderSize, size)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	// answered reads the pod's request log: nil until the request is there.
	answered := func() (*bool, error) {
		r, err := do(request{host: host, path: "/", header: http.Header{echo.HeaderRequests: {"1"}}})
		if err != nil {
			return nil, err
		}
		l, err := echo.DecodeRequests(strings.NewReader(string(r.body)))
		if err != nil {
			return nil, fmt.Errorf("request log: %v (%s)", err, r)
		}
		for _, q := range l.Requests {
			if q.Headers.Get("X-Mark") == mark {
				return &q.Answered, nil
			}
		}
		return nil, nil
	}
	taken := false
	for deadline := time.Now().Add(wait); time.Now().Before(deadline) && !taken; time.Sleep(100 * time.Millisecond) {
		a, err := answered()
		if err != nil {
			return false, err
		}
		taken = a != nil && *a
	}
	if n, err := io.Copy(io.Discard, resp.Body); err != nil || n != size {
		return taken, fmt.Errorf("read %d bytes of %d: %v", n, size, err)
	}
	return taken, nil
}

// TestAnnotationsBuffering: proxy-buffering (default off, as ingress-nginx:
// answers stream at the client's pace) and proxy-request-buffering
// (default on: nginx reads the whole body before it calls the endpoint).
func TestAnnotationsBuffering(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	deploy(t, ns, "web", 1)
	plain, buffered, upload := hostFor(ns, "plain"), hostFor(ns, "buffered"), hostFor(ns, "upload")
	createIngress(t, ingress(ns, "plain", rule(plain, prefix("/", "web"))))
	createIngress(t, annotated(ns, "buffered", buffered, "web", map[string]string{"proxy-buffering": "on"}))
	createIngress(t, annotated(ns, "upload", upload, "web", map[string]string{"proxy-request-buffering": "off"}))
	for _, h := range []string{plain, buffered, upload} {
		eventually(t, settle, h+" served", expect(request{host: h, path: "/"}, 200, "web-"))
	}
	// nginx takes the whole answer from the pod while the client reads
	// nothing only with proxy-buffering on.
	eventuallyOnce(t, settle, "proxy-buffering on", func() error {
		if taken, err := takenWhileUnread(buffered, 15*time.Second); err != nil || !taken {
			return fmt.Errorf("proxy-buffering on: answer taken from the pod while unread: %v (%v), want true", taken, err)
		}
		return nil
	})
	eventuallyOnce(t, settle, "proxy-buffering off by default", func() error {
		if taken, err := takenWhileUnread(plain, 3*time.Second); err != nil || taken {
			return fmt.Errorf("default: answer taken from the pod while unread: %v (%v), want false", taken, err)
		}
		return nil
	})
	for _, c := range []struct {
		what, host string
		early      bool
	}{
		// Half a body: nginx waits for the rest before calling the pod...
		{"request body buffered by default", plain, false},
		// ...unless it passes the body on as it comes.
		{"proxy-request-buffering off streams the body", upload, true},
	} {
		eventuallyOnce(t, settle, c.what, func() error {
			early, err := streamed(c.host, "POST", strings.Repeat("b", 2048), 4*time.Second, 2*time.Second)
			if err != nil {
				return err
			}
			if early != c.early {
				return fmt.Errorf("%s: the pod answered before the whole body was sent: %v, want %v", c.what, early, c.early)
			}
			return nil
		})
	}
}

// TestAnnotationsSendTimeout: proxy-send-timeout 1 gives up on an endpoint
// that leaves an upload unread for 4 s (504); proxy-connect-timeout is
// checked in test/faults, which can make a pod ignore connections.
func TestAnnotationsSendTimeout(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	deploy(t, ns, "web", 1)
	host := hostFor(ns, "send")
	createIngress(t, annotated(ns, "send", host, "web", map[string]string{"proxy-send-timeout": "1", "proxy-body-size": "64m"}))
	eventually(t, settle, "served", expect(request{host: host, path: "/"}, 200, "web-"))
	// 16 MiB: more than the socket buffers between nginx and the pod hold,
	// so nginx's writes wait on the pod.
	big := strings.Repeat("u", 16<<20)
	if r, err := do(request{method: "POST", host: host, path: "/", body: big, header: http.Header{echo.HeaderStall: {"4s"}}}); err != nil || r.status != 504 {
		t.Errorf("upload left unread with proxy-send-timeout 1: %v %v, want 504", r, err)
	}
	// Read at once, the same upload goes through.
	if r, err := do(request{method: "POST", host: host, path: "/", body: big}); err != nil || r.status != 200 || r.echo == nil || r.echo.BodyLength != 16<<20 {
		t.Errorf("upload read at once: %v %v, want 200 with the whole body", r, err)
	}
}
