package main

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/atrium-ingress/atrium/test/echoserver/echo"
)

// handler serves every path identically (paths are routing tests' input);
// behaviour is selected only by the X-Echo-* request headers.
type handler struct {
	pod, namespace, service string
	ws                      *wsTracker
	log                     requestLog
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set(echo.HeaderPod, h.pod)
	addEchoHeaders(w.Header(), r.Header)

	if isWebSocket(r) {
		h.serveWebSocket(w, r)
		return
	}
	if r.URL.Path == echo.AuthPath {
		// Logged too, so tests can count what reached the service.
		n, _ := io.Copy(io.Discard, r.Body)
		h.log.add(h.describe(r, n))
		serveAuth(w, r, n)
		return
	}

	opts, err := parseOptions(r.Header)
	if err != nil {
		http.Error(w, "echoserver: "+err.Error(), http.StatusBadRequest)
		return
	}

	if opts.requests {
		body, _ := json.Marshal(echo.RequestLog{Pod: h.pod, Requests: h.log.list()})
		w.Header().Set("Content-Type", "application/json")
		w.Write(append(body, '\n'))
		return
	}

	if opts.stream > 0 {
		stream(w, r, opts)
		return
	}
	if opts.stall > 0 && !sleep(r.Context(), opts.stall) {
		return
	}
	// Read the body before any delay so uploads are not stalled and the
	// count is known for the JSON answer.
	n, _ := io.Copy(io.Discard, r.Body)
	desc := h.describe(r, n)
	id := h.log.add(desc)

	if opts.delay > 0 && !sleep(r.Context(), opts.delay) {
		return // client gave up; nobody is left to answer
	}

	switch {
	case opts.size >= 0:
		if writeFiller(w, r, opts.status, opts.size) {
			h.log.answered(id)
		}
	case opts.text >= 0:
		if w.Header().Get("Content-Type") == "" {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		}
		w.WriteHeader(opts.status)
		w.Write(echo.Text(int(opts.text)))
	case opts.plain:
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(opts.status)
		io.WriteString(w, h.pod+"\n")
	default:
		body, _ := json.Marshal(desc)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(opts.status)
		w.Write(append(body, '\n'))
	}
}

// stream answers an X-Echo-Stream request: the head and first line now,
// the body count once the pause is over. Full duplex, because Go's server
// otherwise reads the unread body before it sends a response.
func stream(w http.ResponseWriter, r *http.Request, opts options) {
	rc := http.NewResponseController(w)
	_ = rc.EnableFullDuplex()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(opts.status)
	io.WriteString(w, echo.StreamFirst)
	if err := rc.Flush(); err != nil || !sleep(r.Context(), opts.stream) {
		return
	}
	n, _ := io.Copy(io.Discard, r.Body)
	fmt.Fprintf(w, "done %d\n", n)
}

// describe builds the echo document for r.
func (h *handler) describe(r *http.Request, bodyLen int64) *echo.Response {
	resp := &echo.Response{
		Path:       r.RequestURI,
		Host:       r.Host,
		Method:     r.Method,
		Proto:      r.Proto,
		Headers:    r.Header,
		Pod:        h.pod,
		Namespace:  h.namespace,
		Service:    h.service,
		RemoteAddr: r.RemoteAddr,
		BodyLength: bodyLen,
	}
	if r.TLS != nil {
		resp.TLS = &echo.TLSInfo{
			// tls.VersionName says "TLS 1.3"; the contract is "TLS1.3".
			Version:    strings.ReplaceAll(tls.VersionName(r.TLS.Version), " ", ""),
			ServerName: r.TLS.ServerName,
			ALPN:       r.TLS.NegotiatedProtocol,
		}
		if len(r.TLS.VerifiedChains) > 0 {
			resp.TLS.ClientCN = r.TLS.VerifiedChains[0][0].Subject.CommonName
		}
	}
	return resp
}

// options are the parsed X-Echo-* behaviour headers.
type options struct {
	status int
	delay  time.Duration
	stall  time.Duration // before reading the body
	stream time.Duration // X-Echo-Stream
	size   int64         // -1: no X-Echo-Size
	text   int64         // -1: no X-Echo-Text
	plain  bool
	// requests answers with the request log (X-Echo-Requests).
	requests bool
}

// parseOptions rejects malformed values instead of ignoring them, so a
// test typo shows up as a 400 rather than as a silently wrong answer.
func parseOptions(hdr http.Header) (options, error) {
	o := options{status: http.StatusOK, size: -1, text: -1}
	if v := hdr.Get(echo.HeaderStatus); v != "" {
		code, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || code < 200 || code > 599 {
			return o, fmt.Errorf("bad %s %q: want a status code 200-599", echo.HeaderStatus, v)
		}
		o.status = code
	}
	var errs []error
	for name, d := range map[string]*time.Duration{echo.HeaderDelay: &o.delay, echo.HeaderStall: &o.stall, echo.HeaderStream: &o.stream} {
		errs = append(errs, durationOption(hdr, name, d))
	}
	for name, n := range map[string]*int64{echo.HeaderSize: &o.size, echo.HeaderText: &o.text} {
		errs = append(errs, countOption(hdr, name, n))
	}
	for name, b := range map[string]*bool{echo.HeaderPlain: &o.plain, echo.HeaderRequests: &o.requests} {
		errs = append(errs, boolOption(hdr, name, b))
	}
	return o, errors.Join(errs...)
}

// durationOption reads header name as a Go duration, capped at MaxDelay.
func durationOption(hdr http.Header, name string, dst *time.Duration) error {
	v := hdr.Get(name)
	if v == "" {
		return nil
	}
	d, err := time.ParseDuration(strings.TrimSpace(v))
	if err != nil || d < 0 {
		return fmt.Errorf("bad %s %q: want a non-negative Go duration", name, v)
	}
	*dst = min(d, echo.MaxDelay)
	return nil
}

// countOption reads header name as a byte count, capped at MaxSize.
func countOption(hdr http.Header, name string, dst *int64) error {
	v := hdr.Get(name)
	if v == "" {
		return nil
	}
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil || n < 0 {
		return fmt.Errorf("bad %s %q: want a non-negative byte count", name, v)
	}
	*dst = min(n, echo.MaxSize)
	return nil
}

// boolOption reads header name as "1"/"true" (or "0"/"false").
func boolOption(hdr http.Header, name string, dst *bool) error {
	v := hdr.Get(name)
	if v == "" {
		return nil
	}
	b, err := strconv.ParseBool(strings.TrimSpace(v))
	if err != nil {
		return fmt.Errorf("bad %s %q: want 1 or true", name, v)
	}
	*dst = b
	return nil
}

// addEchoHeaders copies every "X-Echo-Header: Name: value" request header
// into the response. Malformed ones (no colon, no name) are skipped.
func addEchoHeaders(dst, req http.Header) {
	for _, v := range req.Values(echo.HeaderHeader) {
		name, value, ok := strings.Cut(v, ":")
		name = strings.TrimSpace(name)
		if !ok || name == "" {
			continue
		}
		dst.Add(name, strings.TrimSpace(value))
	}
}

// sleep waits d, returning false if ctx ends first.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// fillChunk is a whole number of FillPattern repetitions, so writing it
// repeatedly keeps byte i equal to FillPattern[i%len(FillPattern)].
var fillChunk = echo.Filler(512 * len(echo.FillPattern))

// writeFiller answers with exactly n deterministic bytes (only the
// Content-Length for HEAD, so checking a size needs no transfer); it says
// whether all of them reached the socket.
func writeFiller(w http.ResponseWriter, r *http.Request, status int, n int64) bool {
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.FormatInt(n, 10))
	w.WriteHeader(status)
	if r.Method == http.MethodHead {
		return true
	}
	for n > 0 {
		chunk := fillChunk[:min(n, int64(len(fillChunk)))]
		if _, err := w.Write(chunk); err != nil {
			return false
		}
		n -= int64(len(chunk))
	}
	// Out of the server's buffer, into the socket.
	return http.NewResponseController(w).Flush() == nil
}
