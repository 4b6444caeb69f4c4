package main

import (
	"context"

	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"

	"github.com/atrium-ingress/atrium/test/echoserver/echo"
)

// newGRPCServer returns a plaintext (h2c) gRPC server offering only the
// standard grpc.health.v1 service, SERVING for "" and for service. It is
// enough for tests of gRPC routing; the "x-pod" response header shows
// which pod answered. stop marks everything NOT_SERVING for shutdown.
func newGRPCServer(pod, service string) (srv *grpc.Server, stop func()) {
	md := metadata.Pairs(echo.GRPCPodKey, pod)
	srv = grpc.NewServer(
		grpc.UnaryInterceptor(func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, next grpc.UnaryHandler) (any, error) {
			if err := grpc.SetHeader(ctx, md); err != nil {
				return nil, err
			}
			return next(ctx, req)
		}),
		// Health.Watch is a stream; tag it too so every RPC is attributable.
		grpc.StreamInterceptor(func(s any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, next grpc.StreamHandler) error {
			if err := ss.SetHeader(md); err != nil {
				return err
			}
			return next(s, ss)
		}),
	)
	hs := health.NewServer()
	hs.SetServingStatus("", healthpb.HealthCheckResponse_SERVING)
	if service != "" {
		hs.SetServingStatus(service, healthpb.HealthCheckResponse_SERVING)
	}
	healthpb.RegisterHealthServer(srv, hs)
	return srv, hs.Shutdown
}
