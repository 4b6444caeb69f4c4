// Package echo is the wire contract of the echoserver test backend.
//
// End-to-end tests send requests through the ingress controller to
// emulated pods running echoserver, then decode what the pod saw with
// Decode. The echoserver binary encodes the very same Response type, so
// the encoder and the decoder can never drift apart.
package echo

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// Request headers that select a behaviour. Behaviours are chosen by header,
// never by path, because paths are what routing tests vary.
const (
	// HeaderStatus ("NNN", 200-599) sets the response status code.
	HeaderStatus = "X-Echo-Status"
	// HeaderDelay (a Go duration, capped at MaxDelay) delays the answer.
	HeaderDelay = "X-Echo-Delay"
	// HeaderStall (a Go duration, capped at MaxDelay) waits before reading
	// the request body, so an upload stalls: what a proxy's send timeout
	// is for. X-Echo-Delay instead reads the body first.
	HeaderStall = "X-Echo-Stall"
	// HeaderStream (a Go duration, capped at MaxDelay) answers at once,
	// before reading the request body: status, headers and StreamFirst,
	// flushed. After the duration the pod reads the body and ends the
	// answer with "done <body bytes>\n". A proxy that holds either the
	// request body or the response shows here.
	HeaderStream = "X-Echo-Stream"
	// HeaderSize (bytes, capped at MaxSize) replaces the JSON body with
	// that many bytes of FillPattern as application/octet-stream.
	HeaderSize = "X-Echo-Size"
	// HeaderText (bytes, capped at MaxSize) replaces the JSON body with that
	// many bytes of Text, as text/plain unless an X-Echo-Header sets the
	// Content-Type: compressible like prose, so compression levels differ.
	HeaderText = "X-Echo-Text"
	// HeaderPlain ("1" or "true") replaces the JSON body with the pod
	// name and a newline as text/plain.
	HeaderPlain = "X-Echo-Plain"
	// HeaderHeader ("Name: value", may repeat) adds a response header.
	HeaderHeader = "X-Echo-Header"
	// HeaderRequests ("1" or "true") answers, instead of an echo, with the
	// pod's RequestLog: the last MaxLogged plain HTTP requests it served,
	// oldest first (requests with this header are not logged). It shows
	// what reached a pod that answers nobody, e.g. a mirror.
	HeaderRequests = "X-Echo-Requests"
)

// MaxLogged is how many requests a pod's RequestLog keeps.
const MaxLogged = 100

// RequestLog is the answer to HeaderRequests.
type RequestLog struct {
	Pod      string     `json:"pod"`
	Requests []Response `json:"requests"`
}

// DecodeRequests reads a RequestLog.
func DecodeRequests(r io.Reader) (*RequestLog, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxDecode))
	if err != nil {
		return nil, fmt.Errorf("echo: reading request log: %w", err)
	}
	var l RequestLog
	if err := json.Unmarshal(data, &l); err != nil || l.Pod == "" {
		return nil, fmt.Errorf("echo: not a request log (%v): %q", err, snippet(data))
	}
	return &l, nil
}

// The auth mode, for auth-url tests: a request to AuthPath (any method,
// any query) is answered as an external authentication service would,
// instead of with an echo document. This is the one path with a meaning;
// routing tests never use it.
//
//   - With a request header AuthHeaderStatus ("NNN", 200-599) it answers
//     that status.
//   - Else with "Authorization: Bearer <user>" it answers 200, else 401
//     with "WWW-Authenticate: Bearer realm=\"echo\"".
//   - A 2xx answer carries AuthHeaderUser (the user, when there is one),
//     "Set-Cookie: echo-auth=<user>" (not with a request header
//     AuthHeaderNoCookie, any value), and AuthHeaderRequest: what the
//     service saw (EncodeAuthRequest), for the tests to read back through
//     auth-response-headers.
//   - The request is in the pod's RequestLog (HeaderRequests), as the
//     echoed ones are.
const (
	AuthPath           = "/_echo/auth"
	AuthHeaderStatus   = "X-Echo-Auth-Status"
	AuthHeaderUser     = "X-Auth-User"
	AuthHeaderRequest  = "X-Echo-Auth-Request"
	AuthHeaderNoCookie = "X-Echo-Auth-No-Cookie"
)

// AuthRequest is what the auth mode saw of a request.
type AuthRequest struct {
	Method  string      `json:"method"`
	Path    string      `json:"path"` // the request URI, query included
	Host    string      `json:"host"`
	Headers http.Header `json:"headers"`
	// BodyLength is the number of body bytes read.
	BodyLength int64 `json:"bodyLength"`
}

// EncodeAuthRequest makes a header value of r (base64url of its JSON).
func EncodeAuthRequest(r *AuthRequest) string {
	b, _ := json.Marshal(r)
	return base64.RawURLEncoding.EncodeToString(b)
}

// DecodeAuthRequest reads an AuthHeaderRequest value.
func DecodeAuthRequest(v string) (*AuthRequest, error) {
	b, err := base64.RawURLEncoding.DecodeString(v)
	if err != nil {
		return nil, fmt.Errorf("echo: %s is not base64url: %w", AuthHeaderRequest, err)
	}
	var r AuthRequest
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("echo: %s: %w", AuthHeaderRequest, err)
	}
	return &r, nil
}

// StreamFirst is the first line of an X-Echo-Stream answer.
const StreamFirst = "started\n"

// HeaderPod is the response header (HTTP and WebSocket handshake) that
// carries the pod name, so even non-JSON answers show which pod served.
const HeaderPod = "X-Pod"

// GRPCPodKey is the gRPC response header metadata key carrying the pod name.
const GRPCPodKey = "x-pod"

// GRPCTLSKey is the gRPC response header metadata key the --grpcs listener
// adds: the TLS version of the connection ("TLS1.3"), so tests see the call
// reached the pod over TLS. The plaintext --grpc listener never sends it.
const GRPCTLSKey = "x-tls"

// Caps on the behaviour headers, so a typo cannot hang or exhaust a test run.
const (
	MaxDelay = 60 * time.Second
	MaxSize  = 64 << 20
)

// FillPattern is the deterministic filler of X-Echo-Size bodies: byte i
// of the body is FillPattern[i%len(FillPattern)]. Its length is 64 and it
// contains newlines, so truncation or reordering by a proxy is visible.
const FillPattern = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-\n"

// textWords are what Text draws from.
var textWords = strings.Fields(`the of and to in is was for on that with as by at from his her they be
this are or an which had not but one all were we when there can have more if will about up out
them then she many some so these would other into has time two like him see could no than been
who its now people my made over did down only way find use may water long little very after
words called just where most know`)

// Text returns n bytes of words drawn by a fixed pseudo-random sequence:
// the same bytes for the same n, everywhere.
func Text(n int) []byte {
	b := make([]byte, 0, n+16)
	for x := uint32(12345); len(b) < n; {
		x = x*1103515245 + 12345
		b = append(b, textWords[(x>>16)%uint32(len(textWords))]...)
		b = append(b, ' ')
	}
	return b[:n]
}

// Filler returns the first n bytes of an X-Echo-Size body, for comparing
// against what came back through the proxy.
func Filler(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = FillPattern[i%len(FillPattern)]
	}
	return b
}

// Response is the JSON document echoserver returns for every plain
// request: what the pod saw, plus which pod it was.
type Response struct {
	// Path is the request URI exactly as received, query included.
	Path   string `json:"path"`
	Host   string `json:"host"`
	Method string `json:"method"`
	// Proto is e.g. "HTTP/1.1" or "HTTP/2.0".
	Proto   string      `json:"proto"`
	Headers http.Header `json:"headers"`

	Pod       string `json:"pod"`
	Namespace string `json:"namespace"`
	Service   string `json:"service"`

	RemoteAddr string `json:"remoteAddr"`
	// BodyLength is the number of request body bytes the pod read.
	BodyLength int64 `json:"bodyLength"`
	// TLS is nil for plain HTTP (encoded as null).
	TLS *TLSInfo `json:"tls"`
	// Answered is set in a RequestLog once the pod has handed the whole
	// answer to its socket: a proxy that buffers answers takes a large one
	// at once, one that streams only as fast as its client reads.
	Answered bool `json:"answered,omitempty"`
}

// TLSInfo describes the TLS connection the request arrived on.
type TLSInfo struct {
	// Version is e.g. "TLS1.2" or "TLS1.3".
	Version string `json:"version"`
	// ServerName is the SNI the client sent ("" if none).
	ServerName string `json:"serverName"`
	// ALPN is the negotiated protocol, e.g. "h2" or "http/1.1".
	ALPN string `json:"alpn"`
	// ClientCN is the common name of the client certificate, verified
	// against --tls-client-ca ("" if none was sent).
	ClientCN string `json:"clientCN,omitempty"`
}

// maxDecode bounds how much Decode reads; echo documents are small.
const maxDecode = 4 << 20

// Decode reads one echo Response from r. When the body is not an echo
// document (say an nginx error page), the error quotes its beginning so
// a failing test shows what actually answered.
func Decode(r io.Reader) (*Response, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxDecode))
	if err != nil {
		return nil, fmt.Errorf("echo: reading response: %w", err)
	}
	var resp Response
	if err := json.Unmarshal(data, &resp); err != nil {
		return nil, fmt.Errorf("echo: not an echo response (%v): %q", err, snippet(data))
	}
	if resp.Pod == "" && resp.Method == "" {
		return nil, fmt.Errorf("echo: JSON lacks pod and method, not an echo response: %q", snippet(data))
	}
	return &resp, nil
}

// snippet shortens a body for error messages.
func snippet(b []byte) []byte {
	const max = 256
	b = bytes.TrimSpace(b)
	if len(b) > max {
		return append(b[:max:max], "..."...)
	}
	return b
}
