package e2e

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// dialWS opens a WebSocket to host through the proxy's HTTP listener and
// reads the echoserver's first message, the pod's name.
func dialWS(host, podPrefix string) (*websocket.Conn, error) {
	d := websocket.Dialer{NetDial: func(_, _ string) (netConn, error) { return dialProxy() }, HandshakeTimeout: 5 * time.Second}
	conn, resp, err := d.Dial("ws://"+host+"/socket", http.Header{})
	if err != nil {
		if resp != nil {
			return nil, fmt.Errorf("websocket dial %s: %w (status %d)", host, err, resp.StatusCode)
		}
		return nil, fmt.Errorf("websocket dial %s: %w", host, err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, first, err := conn.ReadMessage()
	if err != nil || !strings.HasPrefix(string(first), podPrefix) {
		conn.Close()
		return nil, fmt.Errorf("first message %q, %v; want the pod name %s*", first, err, podPrefix)
	}
	return conn, nil
}

// wsEcho sends msg and expects it back within 5 s.
func wsEcho(conn *websocket.Conn, msg string) error {
	_ = conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if err := conn.WriteMessage(websocket.TextMessage, []byte(msg)); err != nil {
		return err
	}
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, got, err := conn.ReadMessage()
	if err != nil {
		return err
	}
	if string(got) != msg {
		return fmt.Errorf("echo %q, want %q", got, msg)
	}
	return nil
}

// TestAnnotationsWebSocketReadTimeout: proxy-read-timeout bounds how long
// an upgraded connection may stay silent, as in ingress-nginx: with 2 s
// nginx closes an idle WebSocket, well before a 6 s read deadline; without
// it (60 s) an idle WebSocket still echoes after 3.5 s of silence.
func TestAnnotationsWebSocketReadTimeout(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	deploy(t, ns, "ws", 1)
	cut, open := hostFor(ns, "cut"), hostFor(ns, "open")
	createIngress(t, withAnnotations(ingress(ns, "cut", rule(cut, prefix("/", "ws"))),
		map[string]string{"proxy-read-timeout": "2"}))
	createIngress(t, ingress(ns, "open", rule(open, prefix("/", "ws"))))
	eventually(t, settle, "cut served", expect(request{host: cut, path: "/"}, 200, "ws-"))
	eventually(t, settle, "open served", expect(request{host: open, path: "/"}, 200, "ws-"))

	const deadline = 6 * time.Second
	eventuallyOnce(t, settle, "an idle WebSocket closed by proxy-read-timeout 2", func() error {
		conn, err := dialWS(cut, "ws-")
		if err != nil {
			return err
		}
		defer conn.Close()
		if err := wsEcho(conn, "before"); err != nil {
			return fmt.Errorf("echo before going idle: %w", err)
		}
		start := time.Now()
		_ = conn.SetReadDeadline(start.Add(deadline))
		typ, msg, err := conn.ReadMessage()
		if err == nil {
			return fmt.Errorf("a message (%d %q) on an idle WebSocket", typ, msg)
		}
		if ne := net.Error(nil); errors.As(err, &ne) && ne.Timeout() {
			return fmt.Errorf("idle WebSocket still open at the %s read deadline: %v", deadline, err)
		}
		t.Logf("closed after %s idle: %v", time.Since(start).Round(time.Millisecond), err)
		return nil
	})
	eventuallyOnce(t, settle, "an idle WebSocket kept open without proxy-read-timeout", func() error {
		conn, err := dialWS(open, "ws-")
		if err != nil {
			return err
		}
		defer conn.Close()
		// Nothing is read while idle: a read that times out would leave
		// the connection unusable.
		time.Sleep(3500 * time.Millisecond)
		if err := wsEcho(conn, "after 3.5 s idle"); err != nil {
			return fmt.Errorf("echo after 3.5 s idle: %w", err)
		}
		return nil
	})
}

// TestAnnotationsWebSocketHTTPS: backend-protocol HTTPS carries the
// upgrade to the pods' TLS listener (a plain HTTP request there would be
// refused), and messages flow both ways.
func TestAnnotationsWebSocketHTTPS(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	deployProtocols(t, ns, "wss", 1)
	host := hostFor(ns, "wss")
	createIngress(t, withAnnotations(ingress(ns, "wss", rule(host, portNamed(prefix("/", "wss"), "https"))),
		map[string]string{"backend-protocol": "HTTPS"}))
	eventually(t, settle, "WebSocket to the endpoints' TLS listener", func() error {
		conn, err := dialWS(host, "wss-")
		if err != nil {
			return err
		}
		defer conn.Close()
		for i := 0; i < 3; i++ {
			if err := wsEcho(conn, fmt.Sprintf("over tls %d", i)); err != nil {
				return err
			}
		}
		return nil
	})
}
