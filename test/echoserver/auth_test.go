package main

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/atrium-ingress/atrium/test/echoserver/echo"
)

func TestAuthMode(t *testing.T) {
	in := startTest(t, nil)
	do := func(method string, hdr map[string]string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(method, "http://"+in.Addrs.HTTP.String()+echo.AuthPath+"?x=1", strings.NewReader("body"))
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	// No credentials: 401 with a challenge and nothing else.
	r := do("GET", nil)
	if r.StatusCode != 401 || r.Header.Get("WWW-Authenticate") != `Bearer realm="echo"` || r.Header.Get(echo.AuthHeaderUser) != "" ||
		r.Header.Get(echo.AuthHeaderRequest) != "" {
		t.Errorf("no credentials: %d %v", r.StatusCode, r.Header)
	}
	// A bearer user: 200, the user, a cookie, and what the service saw.
	r = do("POST", map[string]string{"Authorization": "Bearer alice", "X-Original-URL": "http://h/p"})
	if r.StatusCode != 200 || r.Header.Get(echo.AuthHeaderUser) != "alice" || !strings.HasPrefix(r.Header.Get("Set-Cookie"), "echo-auth=alice") {
		t.Fatalf("bearer: %d %v", r.StatusCode, r.Header)
	}
	seen, err := echo.DecodeAuthRequest(r.Header.Get(echo.AuthHeaderRequest))
	if err != nil {
		t.Fatal(err)
	}
	if seen.Method != "POST" || seen.Path != echo.AuthPath+"?x=1" || seen.Headers.Get("X-Original-URL") != "http://h/p" || seen.BodyLength != 4 {
		t.Errorf("seen: %+v", seen)
	}
	// A forced status, with or without credentials.
	if r := do("GET", map[string]string{echo.AuthHeaderStatus: "403", "Authorization": "Bearer alice"}); r.StatusCode != 403 || r.Header.Get(echo.AuthHeaderUser) != "" {
		t.Errorf("forced 403: %d %v", r.StatusCode, r.Header)
	}
	if r := do("GET", map[string]string{echo.AuthHeaderStatus: "204"}); r.StatusCode != 204 || r.Header.Get(echo.AuthHeaderRequest) == "" || r.Header.Get(echo.AuthHeaderUser) != "" {
		t.Errorf("forced 204: %d %v", r.StatusCode, r.Header)
	}
	if r := do("GET", map[string]string{echo.AuthHeaderStatus: "x"}); r.StatusCode != 400 {
		t.Errorf("bad status header: %d", r.StatusCode)
	}
	// Without the cookie on request.
	if r := do("GET", map[string]string{"Authorization": "Bearer bob", echo.AuthHeaderNoCookie: "1"}); r.StatusCode != 200 ||
		r.Header.Get(echo.AuthHeaderUser) != "bob" || r.Header.Get("Set-Cookie") != "" {
		t.Errorf("no cookie: %d %v", r.StatusCode, r.Header)
	}
	// Every auth request is in the request log.
	req, _ := http.NewRequest("GET", "http://"+in.Addrs.HTTP.String()+"/", nil)
	req.Header.Set(echo.HeaderRequests, "1")
	lr, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	l, err := echo.DecodeRequests(lr.Body)
	lr.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	auth := 0
	for _, q := range l.Requests {
		if q.Path == echo.AuthPath+"?x=1" {
			auth++
		}
	}
	if auth != 6 || l.Requests[1].BodyLength != 4 || l.Requests[5].Headers.Get("Authorization") != "Bearer bob" {
		t.Errorf("request log: %d auth requests, want 6: %+v", auth, l.Requests)
	}
	// Any other path is still an echo.
	resp, err := http.Get("http://" + in.Addrs.HTTP.String() + "/_echo/authx")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if e, err := echo.Decode(resp.Body); err != nil || e.Path != "/_echo/authx" {
		t.Errorf("other path: %v %v", e, err)
	}
}
