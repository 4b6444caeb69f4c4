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
	ids  []uint64        // ids[i] names reqs[i], for answered
	next uint64
}

// add logs r and returns its id.
func (l *requestLog) add(r *echo.Response) uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.reqs) == echo.MaxLogged {
		copy(l.reqs, l.reqs[1:])
		l.reqs = l.reqs[:len(l.reqs)-1]
		copy(l.ids, l.ids[1:])
		l.ids = l.ids[:len(l.ids)-1]
	}
	l.next++
	l.reqs = append(l.reqs, *r)
	l.ids = append(l.ids, l.next)
	return l.next
}

// answered marks request id as answered in full, if it is still logged.
func (l *requestLog) answered(id uint64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i, v := range l.ids {
		if v == id {
			l.reqs[i].Answered = true
		}
	}
}

func (l *requestLog) list() []echo.Response {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]echo.Response{}, l.reqs...)
}
