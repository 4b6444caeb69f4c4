package main

import (
	"context"
	"crypto/tls"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/atrium-ingress/atrium/test/echoserver/echo"
)

func TestGRPCHealth(t *testing.T) {
	in := startTest(t, func(c *config) { c.GRPCAddr = "127.0.0.1:0" })
	cc, err := grpc.NewClient(in.Addrs.GRPC.String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	client := healthpb.NewHealthClient(cc)

	for _, svc := range []string{"", "svc-a"} {
		var md metadata.MD
		resp, err := client.Check(t.Context(), &healthpb.HealthCheckRequest{Service: svc}, grpc.Header(&md))
		if err != nil {
			t.Fatalf("Check(%q): %v", svc, err)
		}
		if resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
			t.Errorf("Check(%q) = %v, want SERVING", svc, resp.GetStatus())
		}
		if got := md.Get(echo.GRPCPodKey); len(got) != 1 || got[0] != "pod-a" {
			t.Errorf("Check(%q) header %s = %q, want pod-a", svc, echo.GRPCPodKey, got)
		}
		if got := md.Get(echo.GRPCTLSKey); len(got) != 0 {
			t.Errorf("Check(%q) over plaintext: header %s = %q, want none", svc, echo.GRPCTLSKey, got)
		}
	}

	_, err = client.Check(t.Context(), &healthpb.HealthCheckRequest{Service: "other"})
	if status.Code(err) != codes.NotFound {
		t.Errorf("Check(other) err = %v, want NotFound", err)
	}

	// The streaming Watch is tagged with x-pod as well.
	stream, err := client.Watch(t.Context(), &healthpb.HealthCheckRequest{Service: "svc-a"})
	if err != nil {
		t.Fatal(err)
	}
	if msg, err := stream.Recv(); err != nil || msg.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("Watch = %v, %v", msg, err)
	}
	if md, err := stream.Header(); err != nil || md.Get(echo.GRPCPodKey)[0] != "pod-a" {
		t.Errorf("Watch header = %v, %v", md, err)
	}
}

// TestGRPCSHealth: --grpcs serves the same health service over TLS, with
// the pod's self-signed certificate, and says so in x-tls; a plaintext
// client gets nowhere.
func TestGRPCSHealth(t *testing.T) {
	in := startTest(t, func(c *config) { c.GRPCSAddr = "127.0.0.1:0" })
	var state tls.ConnectionState
	conf := &tls.Config{
		InsecureSkipVerify: true, // self-signed; the certificate is checked below
		ServerName:         "grpcs.example.test",
		VerifyConnection:   func(cs tls.ConnectionState) error { state = cs; return nil },
	}
	cc, err := grpc.NewClient(in.Addrs.GRPCS.String(), grpc.WithTransportCredentials(credentials.NewTLS(conf)))
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	client := healthpb.NewHealthClient(cc)
	var md metadata.MD
	resp, err := client.Check(t.Context(), &healthpb.HealthCheckRequest{Service: "svc-a"}, grpc.Header(&md))
	if err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("Check over TLS = %v, %v; want SERVING", resp, err)
	}
	if got := md.Get(echo.GRPCPodKey); len(got) != 1 || got[0] != "pod-a" {
		t.Errorf("header %s = %q, want pod-a", echo.GRPCPodKey, got)
	}
	if got := md.Get(echo.GRPCTLSKey); len(got) != 1 || got[0] != "TLS1.3" {
		t.Errorf("header %s = %q, want TLS1.3", echo.GRPCTLSKey, got)
	}
	if state.NegotiatedProtocol != "h2" || len(state.PeerCertificates) == 0 || state.PeerCertificates[0].Subject.CommonName != "pod-a" {
		t.Errorf("TLS: ALPN %q, certificates %d; want h2 and the pod's certificate", state.NegotiatedProtocol, len(state.PeerCertificates))
	}

	// The streaming Watch is tagged as well.
	stream, err := client.Watch(t.Context(), &healthpb.HealthCheckRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if msg, err := stream.Recv(); err != nil || msg.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("Watch = %v, %v", msg, err)
	}
	if md, err := stream.Header(); err != nil || len(md.Get(echo.GRPCTLSKey)) != 1 {
		t.Errorf("Watch header = %v, %v", md, err)
	}

	// Plaintext to the TLS listener fails.
	plain, err := grpc.NewClient(in.Addrs.GRPCS.String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if _, err := healthpb.NewHealthClient(plain).Check(ctx, &healthpb.HealthCheckRequest{}); err == nil {
		t.Error("a plaintext Check on the --grpcs listener succeeded")
	}
}

// TestGRPCBothListeners: --grpc and --grpcs together, each in its own
// protocol, and both end with the instance.
func TestGRPCBothListeners(t *testing.T) {
	in, err := start(config{GRPCAddr: "127.0.0.1:0", GRPCSAddr: "127.0.0.1:0", Pod: "pod-b"})
	if err != nil {
		t.Fatal(err)
	}
	dial := func(addr string, creds credentials.TransportCredentials) healthpb.HealthClient {
		cc, err := grpc.NewClient(addr, grpc.WithTransportCredentials(creds))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cc.Close() })
		return healthpb.NewHealthClient(cc)
	}
	plain := dial(in.Addrs.GRPC.String(), insecure.NewCredentials())
	secure := dial(in.Addrs.GRPCS.String(), credentials.NewTLS(&tls.Config{InsecureSkipVerify: true}))
	for name, c := range map[string]healthpb.HealthClient{"grpc": plain, "grpcs": secure} {
		if _, err := c.Check(t.Context(), &healthpb.HealthCheckRequest{}); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	// An open Watch on each must not keep shutdown from returning.
	for _, c := range []healthpb.HealthClient{plain, secure} {
		s, err := c.Watch(t.Context(), &healthpb.HealthCheckRequest{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Recv(); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- in.shutdown(ctx) }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("shutdown: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("shutdown hung")
	}
	for name, c := range map[string]healthpb.HealthClient{"grpc": plain, "grpcs": secure} {
		cctx, ccancel := context.WithTimeout(t.Context(), 2*time.Second)
		if _, err := c.Check(cctx, &healthpb.HealthCheckRequest{}); err == nil {
			t.Errorf("%s still serving after shutdown", name)
		}
		ccancel()
	}
}
