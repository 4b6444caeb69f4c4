package main

import (
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/atrium-ingress/atrium/test/echoserver/echo"
)

// upgrader accepts any Origin: tests connect through the ingress with
// arbitrary hosts, and origin policy is not what they exercise.
var upgrader = websocket.Upgrader{
	CheckOrigin: func(*http.Request) bool { return true },
}

// isWebSocket reports whether r asks for a WebSocket. Only the Upgrade
// header is checked; a missing "Connection: upgrade" then fails the
// handshake loudly instead of silently getting a JSON answer.
func isWebSocket(r *http.Request) bool {
	for _, v := range r.Header.Values("Upgrade") {
		for _, tok := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(tok), "websocket") {
				return true
			}
		}
	}
	return false
}

// serveWebSocket upgrades, announces the pod name in a first text message
// (so tests see which pod a long-lived connection landed on) and then
// echoes every message back with its type until the peer closes.
func (h *handler) serveWebSocket(w http.ResponseWriter, r *http.Request) {
	respHdr := w.Header().Clone() // X-Pod and X-Echo-Header additions
	if protos := websocket.Subprotocols(r); len(protos) > 0 {
		// Accept the client's first choice so subprotocol pass-through
		// through the proxy can be tested.
		respHdr.Set("Sec-Websocket-Protocol", protos[0])
	}
	conn, err := upgrader.Upgrade(w, r, respHdr)
	if err != nil {
		return // Upgrade already answered with an HTTP error
	}
	h.ws.add(conn)
	defer h.ws.remove(conn)
	defer conn.Close()

	conn.SetReadLimit(echo.MaxSize)
	if err := conn.WriteMessage(websocket.TextMessage, []byte(h.pod)); err != nil {
		return
	}
	for {
		typ, msg, err := conn.ReadMessage()
		if err != nil {
			return // includes the peer's close frame, answered by gorilla
		}
		if err := conn.WriteMessage(typ, msg); err != nil {
			return
		}
	}
}

// wsTracker remembers open WebSocket connections, which http.Server stops
// tracking once hijacked, so shutdown can close them with "going away".
type wsTracker struct {
	mu    sync.Mutex
	conns map[*websocket.Conn]struct{}
}

func newWSTracker() *wsTracker {
	return &wsTracker{conns: make(map[*websocket.Conn]struct{})}
}

func (t *wsTracker) add(c *websocket.Conn) {
	t.mu.Lock()
	t.conns[c] = struct{}{}
	t.mu.Unlock()
}

func (t *wsTracker) remove(c *websocket.Conn) {
	t.mu.Lock()
	delete(t.conns, c)
	t.mu.Unlock()
}

// closeAll sends a close frame to every open connection and closes it.
// WriteControl and Close are safe alongside the echo loop's reads/writes.
func (t *wsTracker) closeAll() {
	t.mu.Lock()
	defer t.mu.Unlock()
	msg := websocket.FormatCloseMessage(websocket.CloseGoingAway, "echoserver shutting down")
	for c := range t.conns {
		c.WriteControl(websocket.CloseMessage, msg, time.Now().Add(time.Second))
		c.Close()
	}
}
