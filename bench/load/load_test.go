package load

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestRunCountsAndBounds(t *testing.T) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Host != "bench.local" || r.Header.Get("X-Echo-Plain") != "1" {
			http.Error(w, "bad request", 400)
			return
		}
		if n.Add(1)%10 == 0 {
			w.WriteHeader(503)
		}
		w.Write([]byte("pod\n"))
	}))
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")
	res, err := Run(context.Background(), Options{Addr: addr, Host: "bench.local", Header: map[string]string{"X-Echo-Plain": "1"},
		Conns: 4, Duration: 10 * time.Second, MaxRequests: 500})
	if err != nil {
		t.Fatal(err)
	}
	if res.Requests != 500 || res.Non2xx != 50 || res.SocketErrors != 0 {
		t.Fatalf("got %+v, want 500 requests, 50 non-2xx, 0 socket errors", res)
	}
	if res.P50 <= 0 || res.P99 < res.P50 || res.Max < res.P99 {
		t.Fatalf("bad latencies %+v", res)
	}

	start := time.Now()
	res, err = Run(context.Background(), Options{Addr: addr, Host: "bench.local", Conns: 2, Duration: 200 * time.Millisecond, MaxRequests: 1 << 40})
	if err != nil {
		t.Fatal(err)
	}
	if time.Since(start) > 2*time.Second || res.Requests == 0 || res.Non2xx != res.Requests {
		t.Fatalf("time bound: %+v after %s (all 400 expected)", res, time.Since(start))
	}
}

func TestRunSocketErrors(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	addr := strings.TrimPrefix(srv.URL, "http://")
	srv.Close() // nothing listens any more: every dial is refused
	res, err := Run(context.Background(), Options{Addr: addr, Host: "x", Conns: 2, Duration: 100 * time.Millisecond, MaxRequests: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if res.Requests != 0 || res.SocketErrors == 0 || len(res.Errors) == 0 {
		t.Fatalf("got %+v, want only socket errors", res)
	}
}

func TestPercentile(t *testing.T) {
	var d []time.Duration
	for i := 1; i <= 100; i++ {
		d = append(d, time.Duration(i))
	}
	if Percentile(d, 50) != 50 || Percentile(d, 99) != 99 || Percentile(d, 100) != 100 || Percentile(nil, 50) != 0 {
		t.Fatal("nearest-rank percentiles are off")
	}
}
