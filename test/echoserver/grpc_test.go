package main

import (
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
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
