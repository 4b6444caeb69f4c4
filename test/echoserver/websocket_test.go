package main

import (
	"crypto/tls"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/atrium-ingress/atrium/test/echoserver/echo"
)

// dialWS connects and checks the first message names the pod.
func dialWS(t *testing.T, url string, d *websocket.Dialer, hdr http.Header) (*websocket.Conn, *http.Response) {
	t.Helper()
	conn, resp, err := d.Dial(url, hdr)
	if err != nil {
		t.Fatalf("dial %s: %v", url, err)
	}
	t.Cleanup(func() { conn.Close() })
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	typ, msg, err := conn.ReadMessage()
	if err != nil || typ != websocket.TextMessage || string(msg) != "pod-a" {
		t.Fatalf("first message = %d %q %v, want text \"pod-a\"", typ, msg, err)
	}
	return conn, resp
}

func roundTrip(t *testing.T, conn *websocket.Conn, typ int, msg string) {
	t.Helper()
	if err := conn.WriteMessage(typ, []byte(msg)); err != nil {
		t.Fatal(err)
	}
	gotTyp, got, err := conn.ReadMessage()
	if err != nil || gotTyp != typ || string(got) != msg {
		t.Errorf("echo = %d %q %v, want %d %q", gotTyp, got, err, typ, msg)
	}
}

func TestWebSocketEcho(t *testing.T) {
	in := startTest(t, nil)
	hdr := http.Header{"Origin": {"https://elsewhere.example"}, echo.HeaderHeader: {"X-Extra: yes"}}
	d := &websocket.Dialer{Subprotocols: []string{"chat.v1", "chat.v0"}}
	conn, resp := dialWS(t, "ws://"+in.Addrs.HTTP.String()+"/any/path?x=1", d, hdr)
	if resp.Header.Get(echo.HeaderPod) != "pod-a" || resp.Header.Get("X-Extra") != "yes" {
		t.Errorf("handshake headers = %v", resp.Header)
	}
	if conn.Subprotocol() != "chat.v1" {
		t.Errorf("subprotocol = %q, want chat.v1", conn.Subprotocol())
	}
	roundTrip(t, conn, websocket.TextMessage, "hello")
	roundTrip(t, conn, websocket.BinaryMessage, "\x00\x01\x02")
	roundTrip(t, conn, websocket.TextMessage, "")

	err := conn.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := conn.ReadMessage(); !websocket.IsCloseError(err, websocket.CloseNormalClosure) {
		t.Errorf("after close: %v, want normal closure echoed", err)
	}
}

func TestWebSocketTLS(t *testing.T) {
	in := startTest(t, func(c *config) { c.HTTPSAddr = "127.0.0.1:0" })
	d := &websocket.Dialer{TLSClientConfig: &tls.Config{InsecureSkipVerify: true, ServerName: "ws.example"}}
	conn, _ := dialWS(t, "wss://"+in.Addrs.HTTPS.String()+"/", d, nil)
	roundTrip(t, conn, websocket.TextMessage, "over tls")
}

// TestWebSocketShutdown checks open connections get "going away" on
// shutdown instead of hanging, since http.Server forgets hijacked conns.
func TestWebSocketShutdown(t *testing.T) {
	in, err := start(config{HTTPAddr: "127.0.0.1:0", Pod: "pod-a"})
	if err != nil {
		t.Fatal(err)
	}
	conn, _ := dialWS(t, "ws://"+in.Addrs.HTTP.String()+"/", websocket.DefaultDialer, nil)
	done := make(chan error, 1)
	go func() { done <- in.shutdown(t.Context()) }()
	_, _, err = conn.ReadMessage()
	if !websocket.IsCloseError(err, websocket.CloseGoingAway) {
		t.Errorf("read after shutdown: %v, want going-away close", err)
	}
	select {
	case err := <-done:
		if err != nil && !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("shutdown: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("shutdown hung")
	}
}
