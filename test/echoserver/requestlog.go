package main

import (
	"sync"

	"github.com/atrium-ingress/atrium/test/echoserver/echo"
)

// requestLog keeps the last echo.MaxLogged requests a pod served, so a
// test can see requests whose answers it never gets (mirrored copies).
type requestLog struct {
	mu   sync.Mutex
	reqs []echo.Response // oldest first
}

func (l *requestLog) add(r *echo.Response) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.reqs) == echo.MaxLogged {
		copy(l.reqs, l.reqs[1:])
		l.reqs = l.reqs[:len(l.reqs)-1]
	}
	l.reqs = append(l.reqs, *r)
}

func (l *requestLog) list() []echo.Response {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]echo.Response{}, l.reqs...)
}
