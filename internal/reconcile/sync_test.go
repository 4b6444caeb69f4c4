package reconcile

import (
	"context"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"
)

func countingSyncer(holdOff, maxDelay time.Duration) (*syncer, *atomic.Int64) {
	var n atomic.Int64
	s := &syncer{holdOff: holdOff, maxDelay: maxDelay, dirty: make(chan struct{}, 1), log: slog.New(slog.DiscardHandler),
		syncFn: func(context.Context) error { n.Add(1); return nil }}
	return s, &n
}

// TestBurstCoalesced: a burst of 1,000 events makes a handful of rebuilds,
// and one later event makes exactly one more.
func TestBurstCoalesced(t *testing.T) {
	s, n := countingSyncer(50*time.Millisecond, time.Second)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go s.run(ctx)
	for i := 0; i < 1000; i++ {
		s.trigger("test")
		if i%100 == 0 {
			time.Sleep(time.Millisecond)
		}
	}
	waitQuiet(n)
	burst := n.Load()
	if burst < 1 || burst > 3 {
		t.Fatalf("1,000 events made %d rebuilds, want 1 to 3", burst)
	}
	s.trigger("one more")
	waitQuiet(n)
	if got := n.Load(); got != burst+1 {
		t.Fatalf("one event after the burst made %d rebuilds, want 1", got-burst)
	}
}

// TestSteadyStreamStillSyncs: events that never stop for the hold-off
// still get rebuilds, at least every maxDelay.
func TestSteadyStreamStillSyncs(t *testing.T) {
	s, n := countingSyncer(50*time.Millisecond, 150*time.Millisecond)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go s.run(ctx)
	deadline := time.Now().Add(700 * time.Millisecond)
	for time.Now().Before(deadline) {
		s.trigger("stream")
		time.Sleep(10 * time.Millisecond)
	}
	if got := n.Load(); got < 2 {
		t.Fatalf("a steady stream of events made %d rebuilds in 700ms with a 150ms maximum delay", got)
	}
}

// waitQuiet waits until the count has not moved for a while.
func waitQuiet(n *atomic.Int64) {
	last := n.Load()
	for {
		time.Sleep(300 * time.Millisecond)
		if cur := n.Load(); cur == last {
			return
		} else {
			last = cur
		}
	}
}
