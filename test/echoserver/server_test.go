package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/atrium-ingress/atrium/test/echoserver/echo"
)

// startTest runs an instance on 127.0.0.1 ephemeral ports (HTTP always,
// others as edit enables them) and shuts it down when the test ends.
func startTest(t *testing.T, edit func(*config)) *instance {
	t.Helper()
	cfg := config{HTTPAddr: "127.0.0.1:0", Pod: "pod-a", Namespace: "ns-a", Service: "svc-a"}
	if edit != nil {
		edit(&cfg)
	}
	in, err := start(cfg)
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := in.shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	return in
}

// get sends a request to the instance's plain HTTP listener.
func get(t *testing.T, in *instance, method, path string, body io.Reader, hdr map[string]string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, "http://"+in.Addrs.HTTP.String()+path, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		if k == "Host" {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func decode(t *testing.T, resp *http.Response) *echo.Response {
	t.Helper()
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	e, err := echo.Decode(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestJSONFields(t *testing.T) {
	in := startTest(t, nil)
	resp := get(t, in, "POST", "/some/path?a=1&b=two", strings.NewReader("hello"),
		map[string]string{"Host": "app.example.com", "X-Test": "v1"})
	if resp.StatusCode != 200 {
		t.Fatalf("status = %d", resp.StatusCode)
	}
	if got := resp.Header.Get(echo.HeaderPod); got != "pod-a" {
		t.Errorf("X-Pod = %q", got)
	}
	e := decode(t, resp)
	want := echo.Response{
		Path: "/some/path?a=1&b=two", Host: "app.example.com", Method: "POST", Proto: "HTTP/1.1",
		Pod: "pod-a", Namespace: "ns-a", Service: "svc-a", BodyLength: 5,
	}
	got := *e
	got.Headers, got.RemoteAddr = nil, ""
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
	if e.Headers.Get("X-Test") != "v1" {
		t.Errorf("headers = %v, want X-Test: v1", e.Headers)
	}
	if !strings.HasPrefix(e.RemoteAddr, "127.0.0.1:") {
		t.Errorf("remoteAddr = %q", e.RemoteAddr)
	}
}

// TestPathVerbatim sends a raw request line so that nothing on the client
// side normalises it: the echoed path must be byte-identical.
func TestPathVerbatim(t *testing.T) {
	in := startTest(t, nil)
	const uri = "/a%2Fb//c/../d?q=1%202&q=&x"
	conn, err := net.Dial("tcp", in.Addrs.HTTP.String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: raw.example\r\nConnection: close\r\n\r\n", uri)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	e := decode(t, resp)
	if e.Path != uri || e.Host != "raw.example" || e.TLS != nil {
		t.Errorf("path=%q host=%q tls=%v", e.Path, e.Host, e.TLS)
	}
}

func TestTLSNullOnPlainHTTP(t *testing.T) {
	in := startTest(t, nil)
	body, _ := io.ReadAll(get(t, in, "GET", "/", nil, nil).Body)
	if !bytes.Contains(body, []byte(`"tls":null`)) {
		t.Errorf("body lacks \"tls\":null: %s", body)
	}
}

func TestEchoStatus(t *testing.T) {
	in := startTest(t, nil)
	resp := get(t, in, "GET", "/x", nil, map[string]string{echo.HeaderStatus: "418"})
	if resp.StatusCode != 418 {
		t.Errorf("status = %d, want 418", resp.StatusCode)
	}
	if e := decode(t, resp); e.Path != "/x" {
		t.Errorf("path = %q", e.Path)
	}
}

func TestEchoSize(t *testing.T) {
	in := startTest(t, nil)
	const n = 100_000
	resp := get(t, in, "GET", "/big", nil, map[string]string{echo.HeaderSize: fmt.Sprint(n), echo.HeaderStatus: "203"})
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 203 || resp.Header.Get("Content-Type") != "application/octet-stream" {
		t.Errorf("status=%d content-type=%q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if len(body) != n || !bytes.Equal(body, echo.Filler(n)) {
		t.Errorf("got %d bytes, want %d bytes of filler", len(body), n)
	}

	// The cap is visible in Content-Length; HEAD avoids moving 64 MiB.
	resp = get(t, in, "HEAD", "/big", nil, map[string]string{echo.HeaderSize: "999999999999"})
	if resp.ContentLength != echo.MaxSize {
		t.Errorf("capped Content-Length = %d, want %d", resp.ContentLength, echo.MaxSize)
	}

	resp = get(t, in, "GET", "/", nil, map[string]string{echo.HeaderSize: "0"})
	if body, _ := io.ReadAll(resp.Body); len(body) != 0 || resp.Header.Get(echo.HeaderPod) != "pod-a" {
		t.Errorf("size 0: body %q, X-Pod %q", body, resp.Header.Get(echo.HeaderPod))
	}
}

func TestEchoPlain(t *testing.T) {
	in := startTest(t, nil)
	resp := get(t, in, "GET", "/p", nil, map[string]string{echo.HeaderPlain: "1"})
	body, _ := io.ReadAll(resp.Body)
	if string(body) != "pod-a\n" || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Errorf("body %q, Content-Type %q", body, resp.Header.Get("Content-Type"))
	}
}

func TestEchoHeader(t *testing.T) {
	in := startTest(t, nil)
	req, _ := http.NewRequest("GET", "http://"+in.Addrs.HTTP.String()+"/", nil)
	req.Header.Add(echo.HeaderHeader, "X-One: 1")
	req.Header.Add(echo.HeaderHeader, "x-two:  a, b ")
	req.Header.Add(echo.HeaderHeader, "X-One: again")
	req.Header.Add(echo.HeaderHeader, "no colon here")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := resp.Header.Values("X-One"); fmt.Sprint(got) != "[1 again]" {
		t.Errorf("X-One = %q", got)
	}
	if got := resp.Header.Get("X-Two"); got != "a, b" {
		t.Errorf("X-Two = %q", got)
	}
}

func TestEchoDelay(t *testing.T) {
	in := startTest(t, nil)
	begin := time.Now()
	resp := get(t, in, "GET", "/", nil, map[string]string{echo.HeaderDelay: "150ms"})
	if el := time.Since(begin); el < 150*time.Millisecond || resp.StatusCode != 200 {
		t.Errorf("status %d after %v, want 200 after >=150ms", resp.StatusCode, el)
	}
}

// TestEchoStall: with X-Echo-Stall the body is not read for that long, so
// a sender's writes block once the socket buffers are full.
func TestEchoStall(t *testing.T) {
	in := startTest(t, nil)
	conn, err := net.Dial("tcp", in.Addrs.HTTP.String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	const size = 64 << 20 // far more than socket buffers hold
	fmt.Fprintf(conn, "POST / HTTP/1.1\r\nHost: x\r\n%s: 2s\r\nContent-Length: %d\r\n\r\n", echo.HeaderStall, size)
	_ = conn.SetWriteDeadline(time.Now().Add(500 * time.Millisecond))
	n, err := conn.Write(make([]byte, size))
	if err == nil || n >= size {
		t.Fatalf("wrote %d bytes (%v): the body was read during the stall", n, err)
	}
	// After the stall the pod reads the rest and answers with the count.
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := conn.Write(make([]byte, size-n)); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	e, err := echo.Decode(resp.Body)
	if err != nil || e.BodyLength != size {
		t.Errorf("answer %v %+v, want the whole body counted", err, e)
	}
}

// TestEchoStream: the head and first line come before the request body is
// even sent; the end counts the body sent afterwards.
func TestEchoStream(t *testing.T) {
	in := startTest(t, nil)
	conn, err := net.Dial("tcp", in.Addrs.HTTP.String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(conn, "POST / HTTP/1.1\r\nHost: x\r\n%s: 300ms\r\nContent-Length: 5\r\n\r\n", echo.HeaderStream)
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	first := make([]byte, len(echo.StreamFirst))
	if _, err := io.ReadFull(resp.Body, first); err != nil || resp.StatusCode != 200 || string(first) != echo.StreamFirst {
		t.Fatalf("%d %q %v", resp.StatusCode, first, err)
	}
	io.WriteString(conn, "hello")
	rest, _ := io.ReadAll(resp.Body)
	if string(rest) != "done 5\n" {
		t.Errorf("after the pause: %q, want done 5", rest)
	}
}

// TestEchoDelayCancel checks a delayed handler stops when the client goes
// away: otherwise graceful shutdown would wait for the whole delay.
func TestEchoDelayCancel(t *testing.T) {
	in := startTest(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", "http://"+in.Addrs.HTTP.String()+"/", nil)
	req.Header.Set(echo.HeaderDelay, "30s")
	if _, err := http.DefaultClient.Do(req); err == nil {
		t.Fatal("expected the client timeout to fire")
	}
	sctx, scancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer scancel()
	begin := time.Now()
	if err := in.shutdown(sctx); err != nil || time.Since(begin) > 2*time.Second {
		t.Errorf("shutdown took %v (err %v); delayed handler kept running", time.Since(begin), err)
	}
}

func TestBadBehaviourHeaders(t *testing.T) {
	in := startTest(t, nil)
	for _, h := range [][2]string{
		{echo.HeaderStatus, "abc"}, {echo.HeaderStatus, "99"}, {echo.HeaderStatus, "1000"},
		{echo.HeaderDelay, "soon"}, {echo.HeaderDelay, "-1s"}, {echo.HeaderStall, "later"}, {echo.HeaderStream, "x"}, {echo.HeaderText, "-1"},
		{echo.HeaderSize, "-5"}, {echo.HeaderSize, "1k"},
		{echo.HeaderPlain, "yes please"},
	} {
		resp := get(t, in, "GET", "/", nil, map[string]string{h[0]: h[1]})
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 400 || !bytes.Contains(body, []byte(h[0])) {
			t.Errorf("%s: %q gave %d %q, want 400 naming the header", h[0], h[1], resp.StatusCode, body)
		}
	}
}

// TestBindFailureReleasesListeners checks start fails fast when a port is
// taken and leaves nothing bound behind.
func TestBindFailureReleasesListeners(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	free, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	freeAddr := free.Addr().String()
	free.Close()

	_, err = start(config{HTTPAddr: freeAddr, GRPCAddr: busy.Addr().String(), Pod: "p"})
	if err == nil || !strings.Contains(err.Error(), "grpc listener") {
		t.Fatalf("start err = %v, want grpc listener error", err)
	}
	ln, err := net.Listen("tcp", freeAddr)
	if err != nil {
		t.Fatalf("http port still held after failed start: %v", err)
	}
	ln.Close()

	if _, err := start(config{}); err == nil {
		t.Error("start with no listeners should fail")
	}
}

// TestRequestLog: X-Echo-Requests answers with the requests served so far
// (not itself), oldest first, at most echo.MaxLogged.
func TestRequestLog(t *testing.T) {
	in := startTest(t, nil)
	log := func() *echo.RequestLog {
		t.Helper()
		resp := get(t, in, "GET", "/anything", nil, map[string]string{echo.HeaderRequests: "1"})
		l, err := echo.DecodeRequests(resp.Body)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("%d %v", resp.StatusCode, err)
		}
		return l
	}
	if l := log(); l.Pod != "pod-a" || len(l.Requests) != 0 {
		t.Fatalf("fresh log: %+v", l)
	}
	get(t, in, "GET", "/first?q=1", nil, map[string]string{"X-Mark": "a"})
	get(t, in, "POST", "/second", strings.NewReader("body!"), map[string]string{"Host": "mirror.example"})
	l := log()
	if len(l.Requests) != 2 {
		t.Fatalf("want 2 requests logged, got %+v", l.Requests)
	}
	first, second := l.Requests[0], l.Requests[1]
	if first.Path != "/first?q=1" || first.Headers.Get("X-Mark") != "a" || first.Method != "GET" {
		t.Errorf("first: %+v", first)
	}
	if second.Path != "/second" || second.Host != "mirror.example" || second.BodyLength != 5 {
		t.Errorf("second: %+v", second)
	}
	for i := 0; i < echo.MaxLogged+5; i++ {
		get(t, in, "GET", fmt.Sprintf("/n%d", i), nil, nil)
	}
	l = log()
	if len(l.Requests) != echo.MaxLogged || l.Requests[len(l.Requests)-1].Path != fmt.Sprintf("/n%d", echo.MaxLogged+4) || l.Requests[0].Path != "/n5" {
		t.Errorf("after %d more: %d kept, first %q last %q", echo.MaxLogged+5, len(l.Requests), l.Requests[0].Path, l.Requests[len(l.Requests)-1].Path)
	}
	if resp := get(t, in, "GET", "/", nil, map[string]string{echo.HeaderRequests: "please"}); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("a malformed %s: %d, want 400", echo.HeaderRequests, resp.StatusCode)
	}
}

// TestRequestLogAnswered: an X-Echo-Size answer is marked answered once
// the pod has written all of it, which a client that does not read holds
// back when the answer is larger than the socket buffers.
func TestRequestLogAnswered(t *testing.T) {
	in := startTest(t, nil)
	answered := func(mark string) bool {
		t.Helper()
		resp := get(t, in, "GET", "/", nil, map[string]string{echo.HeaderRequests: "1"})
		l, err := echo.DecodeRequests(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range l.Requests {
			if r.Headers.Get("X-Mark") == mark {
				return r.Answered
			}
		}
		t.Fatalf("%s not logged", mark)
		return false
	}
	conn, err := net.Dial("tcp", in.Addrs.HTTP.String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET / HTTP/1.1\r\nHost: x\r\nX-Mark: big\r\n%s: %d\r\n\r\n", echo.HeaderSize, echo.MaxSize)
	deadline := time.Now().Add(5 * time.Second)
	for {
		resp := get(t, in, "GET", "/", nil, map[string]string{echo.HeaderRequests: "1"})
		l, _ := echo.DecodeRequests(resp.Body)
		if l != nil && len(l.Requests) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the big request was not logged")
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond)
	if answered("big") {
		t.Fatal("64 MiB answered to a client that reads nothing")
	}
	_ = conn.SetDeadline(time.Now().Add(20 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := io.Copy(io.Discard, resp.Body); err != nil || n != echo.MaxSize {
		t.Fatalf("read %d %v", n, err)
	}
	deadline = time.Now().Add(5 * time.Second)
	for !answered("big") {
		if time.Now().After(deadline) {
			t.Fatal("not marked answered after the client read it all")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestEchoText: X-Echo-Text answers n bytes of the same words every time,
// as text/plain unless X-Echo-Header sets another type.
func TestEchoText(t *testing.T) {
	in := startTest(t, nil)
	resp := get(t, in, "GET", "/", nil, map[string]string{echo.HeaderText: "5000"})
	body, _ := io.ReadAll(resp.Body)
	if !bytes.Equal(body, echo.Text(5000)) || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Errorf("%q %.40q", resp.Header.Get("Content-Type"), body)
	}
	if words := strings.Fields(string(body)); len(words) < 500 {
		t.Errorf("%d words in 5000 bytes", len(words))
	}
	resp = get(t, in, "GET", "/", nil, map[string]string{echo.HeaderText: "10", echo.HeaderHeader: "Content-Type: application/json"})
	if got := resp.Header.Get("Content-Type"); got != "application/json" {
		t.Errorf("Content-Type %q, want the X-Echo-Header one", got)
	}
}
