package main

import (
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/atrium-ingress/atrium/test/echoserver/echo"
)

// serveAuth answers as an external authentication service (see
// echo.AuthPath for the contract); n is the length of the body, read.
func serveAuth(w http.ResponseWriter, r *http.Request, n int64) {
	user, bearer := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	user = strings.TrimSpace(user)
	status := http.StatusUnauthorized
	if bearer && user != "" {
		status = http.StatusOK
	}
	if v := r.Header.Get(echo.AuthHeaderStatus); v != "" {
		code, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || code < 200 || code > 599 {
			http.Error(w, "echoserver: bad "+echo.AuthHeaderStatus, http.StatusBadRequest)
			return
		}
		status = code
	}
	if status/100 == 2 {
		seen := &echo.AuthRequest{Method: r.Method, Path: r.RequestURI, Host: r.Host, Headers: r.Header, BodyLength: n}
		w.Header().Set(echo.AuthHeaderRequest, echo.EncodeAuthRequest(seen))
		if user != "" {
			w.Header().Set(echo.AuthHeaderUser, user)
			if r.Header.Get(echo.AuthHeaderNoCookie) == "" {
				http.SetCookie(w, &http.Cookie{Name: "echo-auth", Value: user})
			}
		}
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="echo"`)
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	io.WriteString(w, http.StatusText(status)+"\n")
}
