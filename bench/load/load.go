// Package load is the benchmarks' HTTP/1.1 load generator: a fixed number
// of keepalive connections, each sending one request after the other, for
// a fixed time and at most a fixed number of requests.
//
// It speaks raw HTTP over net.Conn instead of using net/http's client so
// that the connection count is exact (no pool that opens extra connections
// or retries behind our back) and so that on a 2-core box the generator
// costs as little CPU as possible next to nginx and the pods it measures.
package load

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Options describe one load run. Addr, Host, Conns, Duration and
// MaxRequests are required: every run is bounded in time and in count.
type Options struct {
	Addr        string            // host:port to connect to
	Host        string            // Host header
	Path        string            // default "/"
	Header      map[string]string // extra request headers
	Conns       int               // concurrent keepalive connections
	Duration    time.Duration     // no request starts after this
	MaxRequests int64             // no more requests than this in total
	// Timeout bounds each dial and each request (default 5s).
	Timeout time.Duration
}

// Result is what a run saw. A request is either answered (Requests, of
// which Non2xx had another status) or failed on the socket (SocketErrors:
// dial, write, read, timeout or a malformed answer).
type Result struct {
	Requests     int64         `json:"requests"`
	Non2xx       int64         `json:"non2xx"`
	SocketErrors int64         `json:"socketErrors"`
	Elapsed      time.Duration `json:"elapsedNs"`
	RPS          float64       `json:"rps"`
	P50          time.Duration `json:"p50Ns"`
	P99          time.Duration `json:"p99Ns"`
	Max          time.Duration `json:"maxNs"`
	// Errors are the first few distinct failures, for the report.
	Errors []string `json:"errors,omitempty"`
}

// Run generates load until Duration passed, MaxRequests were started or
// ctx ended, and waits for the requests in flight.
func Run(ctx context.Context, o Options) (Result, error) {
	if o.Addr == "" || o.Host == "" || o.Conns <= 0 || o.Duration <= 0 || o.MaxRequests <= 0 {
		return Result{}, errors.New("load: Addr, Host, Conns, Duration and MaxRequests are required")
	}
	if o.Timeout <= 0 {
		o.Timeout = 5 * time.Second
	}
	r := &run{opts: o, req: request(o), deadline: time.Now().Add(o.Duration)}
	start := time.Now()
	lat := make([][]time.Duration, o.Conns)
	var wg sync.WaitGroup
	for i := range o.Conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lat[i] = r.conn(ctx)
		}()
	}
	wg.Wait()
	res := Result{Requests: r.answered.Load(), Non2xx: r.non2xx.Load(), SocketErrors: r.sockErrs.Load(),
		Elapsed: time.Since(start), Errors: r.errs}
	all := slices.Concat(lat...)
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	res.P50, res.P99 = Percentile(all, 50), Percentile(all, 99)
	if len(all) > 0 {
		res.Max = all[len(all)-1]
	}
	res.RPS = float64(res.Requests) / res.Elapsed.Seconds()
	return res, ctx.Err()
}

// Percentile returns the p-th percentile (nearest rank) of sorted durations.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted))*p/100+0.5) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

type run struct {
	opts     Options
	req      []byte
	deadline time.Time
	started  atomic.Int64
	answered atomic.Int64
	non2xx   atomic.Int64
	sockErrs atomic.Int64
	mu       sync.Mutex
	errs     []string
}

func request(o Options) []byte {
	path := o.Path
	if path == "" {
		path = "/"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: atrium-bench\r\n", path, o.Host)
	keys := make([]string, 0, len(o.Header))
	for k := range o.Header {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "%s: %s\r\n", k, o.Header[k])
	}
	b.WriteString("\r\n")
	return []byte(b.String())
}

// conn is one connection's loop; it reconnects after a failure or when the
// server closes the connection (nginx does after keepalive_requests).
func (r *run) conn(ctx context.Context) []time.Duration {
	lat := make([]time.Duration, 0, 1024)
	var c net.Conn
	var br *bufio.Reader
	defer func() {
		if c != nil {
			c.Close()
		}
	}()
	d := net.Dialer{Timeout: r.opts.Timeout}
	for ctx.Err() == nil && time.Now().Before(r.deadline) && r.started.Add(1) <= r.opts.MaxRequests {
		if c == nil {
			var err error
			if c, err = d.DialContext(ctx, "tcp", r.opts.Addr); err != nil {
				r.fail(err)
				c = nil
				sleep(ctx, 10*time.Millisecond) // a refused dial returns at once
				continue
			}
			br = bufio.NewReaderSize(c, 16<<10)
		}
		t0 := time.Now()
		status, closing, err := r.roundTrip(c, br, t0)
		if err != nil {
			r.fail(err)
			c.Close()
			c = nil
			continue
		}
		lat = append(lat, time.Since(t0))
		r.answered.Add(1)
		if status < 200 || status > 299 {
			r.non2xx.Add(1)
			r.note(fmt.Sprintf("HTTP %d", status))
		}
		if closing {
			c.Close()
			c = nil
		}
	}
	return lat
}

func (r *run) roundTrip(c net.Conn, br *bufio.Reader, t0 time.Time) (status int, closing bool, err error) {
	if err := c.SetDeadline(t0.Add(r.opts.Timeout)); err != nil {
		return 0, false, err
	}
	if _, err := c.Write(r.req); err != nil {
		return 0, false, err
	}
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return 0, false, err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, resp.Close, err
}

func (r *run) fail(err error) {
	r.sockErrs.Add(1)
	r.note(err.Error())
}

// note keeps the first few distinct failure messages.
func (r *run) note(msg string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.errs) < 5 && !slices.Contains(r.errs, msg) {
		r.errs = append(r.errs, msg)
	}
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
