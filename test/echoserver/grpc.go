package main

import (
	"context"
	"crypto/tls"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"

	"github.com/atrium-ingress/atrium/test/echoserver/echo"
)

// newGRPCServer returns a gRPC server offering only the standard
// grpc.health.v1 service, SERVING for "" and for service: plaintext (h2c)
// when creds is nil, else over the credentials' TLS. It is enough for tests
// of gRPC routing; the "x-pod" response header shows which pod answered
// and, over TLS, "x-tls" the TLS version. The server is shut down with the
// instance (its health turns NOT_SERVING first).
func (in *instance) newGRPCServer(pod, service string, creds credentials.TransportCredentials) *grpc.Server {
	header := func(ctx context.Context) metadata.MD {
		md := metadata.Pairs(echo.GRPCPodKey, pod)
		if p, ok := peer.FromContext(ctx); ok {
			if ti, ok := p.AuthInfo.(credentials.TLSInfo); ok {
				// tls.VersionName says "TLS 1.3"; the contract is "TLS1.3".
				md.Set(echo.GRPCTLSKey, strings.ReplaceAll(tls.VersionName(ti.State.Version), " ", ""))
			}
		}
		return md
	}
	opts := []grpc.ServerOption{
		grpc.UnaryInterceptor(func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, next grpc.UnaryHandler) (any, error) {
			if err := grpc.SetHeader(ctx, header(ctx)); err != nil {
				return nil, err
			}
			return next(ctx, req)
		}),
		// Health.Watch is a stream; tag it too so every RPC is attributable.
		grpc.StreamInterceptor(func(s any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, next grpc.StreamHandler) error {
			if err := ss.SetHeader(header(ss.Context())); err != nil {
				return err
			}
			return next(s, ss)
		}),
	}
	if creds != nil {
		opts = append(opts, grpc.Creds(creds))
	}
	srv := grpc.NewServer(opts...)
	hs := health.NewServer()
	hs.SetServingStatus("", healthpb.HealthCheckResponse_SERVING)
	if service != "" {
		hs.SetServingStatus(service, healthpb.HealthCheckResponse_SERVING)
	}
	healthpb.RegisterHealthServer(srv, hs)
	in.grpc = append(in.grpc, srv)
	in.grpcStops = append(in.grpcStops, hs.Shutdown)
	return srv
}
