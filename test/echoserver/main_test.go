package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestParseFlags(t *testing.T) {
	env := map[string]string{"POD_NAME": "env-pod", "POD_NAMESPACE": "env-ns", "SERVICE_NAME": "env-svc"}
	getenv := func(k string) string { return env[k] }

	cfg, err := parseFlags(nil, getenv, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	want := config{HTTPAddr: ":8080", Pod: "env-pod", Namespace: "env-ns", Service: "env-svc"}
	if cfg != want {
		t.Errorf("defaults = %+v, want %+v", cfg, want)
	}

	cfg, err = parseFlags([]string{"--http", "", "--https", ":8443", "--grpc", ":9000", "--grpcs", ":9443",
		"--pod", "p", "--namespace", "n", "--service", "s",
		"--tls-cert", "c.pem", "--tls-key", "k.pem"}, getenv, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	want = config{HTTPSAddr: ":8443", GRPCAddr: ":9000", GRPCSAddr: ":9443", TLSCert: "c.pem", TLSKey: "k.pem", Pod: "p", Namespace: "n", Service: "s"}
	if cfg != want {
		t.Errorf("flags = %+v, want %+v", cfg, want)
	}

	for _, args := range [][]string{{"--tls-cert", "c.pem"}, {"extra"}, {"--nope"}} {
		if _, err := parseFlags(args, getenv, io.Discard); err == nil {
			t.Errorf("parseFlags(%q) should fail", args)
		}
	}
}

// syncBuffer is a log sink safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestRunLifecycle covers what main does: listening lines, serving, and a
// clean return once the (signal) context is cancelled.
func TestRunLifecycle(t *testing.T) {
	var logs syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan addrs, 1)
	done := make(chan error, 1)
	cfg := config{HTTPAddr: "127.0.0.1:0", GRPCAddr: "127.0.0.1:0", GRPCSAddr: "127.0.0.1:0", Pod: "pod-run", Log: &logs}
	go func() { done <- run(ctx, cfg, func(a addrs) { ready <- a }) }()

	a := <-ready
	for _, line := range []string{"echoserver: http listening on " + a.HTTP.String(), "echoserver: grpc listening on " + a.GRPC.String(),
		"echoserver: grpcs listening on " + a.GRPCS.String()} {
		if !strings.Contains(logs.String(), line) {
			t.Errorf("logs %q lack %q", logs.String(), line)
		}
	}
	resp, err := http.Get("http://" + a.HTTP.String() + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Header.Get("X-Pod") != "pod-run" {
		t.Errorf("X-Pod = %q", resp.Header.Get("X-Pod"))
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("run did not return after cancel")
	}
	if _, err := http.Get("http://" + a.HTTP.String() + "/"); err == nil {
		t.Error("listener still serving after shutdown")
	}
}
