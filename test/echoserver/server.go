package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
)

// shutdownTimeout bounds graceful shutdown; a pod being deleted should go
// away quickly even if a client holds an X-Echo-Delay request open.
const shutdownTimeout = 5 * time.Second

// config is everything the command line controls. An empty address
// disables that listener.
type config struct {
	HTTPAddr, HTTPSAddr, GRPCAddr, GRPCSAddr string
	TLSCert, TLSKey                          string // both empty: self-signed in memory
	// TLSClientCA verifies client certificates (HTTPS and gRPC over TLS),
	// which stay optional.
	TLSClientCA             string
	Pod, Namespace, Service string
	Log                     io.Writer // nil discards
}

// addrs are the addresses actually bound (nil when disabled), which is
// what tests need after asking for port 0.
type addrs struct {
	HTTP, HTTPS, GRPC, GRPCS net.Addr
}

// instance is a running echoserver. Listeners are bound in start, before
// it returns, so callers can connect immediately.
type instance struct {
	Addrs addrs

	log       *log.Logger
	http      []*http.Server
	grpc      []*grpc.Server // plaintext and/or TLS
	grpcStops []func()       // mark their health NOT_SERVING
	ws        *wsTracker
	errc      chan error // first serve failure
}

// run starts the listeners, calls ready (if non-nil) with the bound
// addresses, and serves until ctx is done or a listener fails; then it
// shuts down gracefully.
func run(ctx context.Context, cfg config, ready func(addrs)) error {
	in, err := start(cfg)
	if err != nil {
		return err
	}
	if ready != nil {
		ready(in.Addrs)
	}
	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-in.errc:
	}
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	return errors.Join(serveErr, in.shutdown(sctx))
}

// start binds every configured listener (failing fast, with nothing left
// open, if any bind fails) and serves them in the background.
func start(cfg config) (*instance, error) {
	if cfg.HTTPAddr == "" && cfg.HTTPSAddr == "" && cfg.GRPCAddr == "" && cfg.GRPCSAddr == "" {
		return nil, errors.New("no listener configured (--http, --https, --grpc and --grpcs are all empty)")
	}
	out := cfg.Log
	if out == nil {
		out = io.Discard
	}
	in := &instance{
		log:  log.New(out, "echoserver: ", 0),
		ws:   newWSTracker(),
		errc: make(chan error, 4),
	}
	var tlsConf *tls.Config
	if cfg.HTTPSAddr != "" || cfg.GRPCSAddr != "" {
		cert, err := loadOrGenerateCert(cfg.TLSCert, cfg.TLSKey, cfg.Pod)
		if err != nil {
			return nil, err
		}
		tlsConf = &tls.Config{
			Certificates: []tls.Certificate{cert},
			NextProtos:   []string{"h2", "http/1.1"},
		}
		if cfg.TLSClientCA != "" {
			pool, err := loadCAs(cfg.TLSClientCA)
			if err != nil {
				return nil, err
			}
			// Optional, so tests see both a proxy that presents a
			// certificate (tls.clientCN) and one that does not.
			tlsConf.ClientCAs, tlsConf.ClientAuth = pool, tls.VerifyClientCertIfGiven
		}
	}

	var lns []net.Listener
	listen := func(kind, addr string) (net.Listener, error) {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			for _, l := range lns {
				l.Close()
			}
			return nil, fmt.Errorf("%s listener: %w", kind, err)
		}
		lns = append(lns, ln)
		return ln, nil
	}
	var httpLn, httpsLn, grpcLn, grpcsLn net.Listener
	var err error
	if cfg.HTTPAddr != "" {
		if httpLn, err = listen("http", cfg.HTTPAddr); err != nil {
			return nil, err
		}
		in.Addrs.HTTP = httpLn.Addr()
	}
	if cfg.HTTPSAddr != "" {
		if httpsLn, err = listen("https", cfg.HTTPSAddr); err != nil {
			return nil, err
		}
		in.Addrs.HTTPS = httpsLn.Addr()
	}
	if cfg.GRPCAddr != "" {
		if grpcLn, err = listen("grpc", cfg.GRPCAddr); err != nil {
			return nil, err
		}
		in.Addrs.GRPC = grpcLn.Addr()
	}
	if cfg.GRPCSAddr != "" {
		if grpcsLn, err = listen("grpcs", cfg.GRPCSAddr); err != nil {
			return nil, err
		}
		in.Addrs.GRPCS = grpcsLn.Addr()
	}

	h := &handler{pod: cfg.Pod, namespace: cfg.Namespace, service: cfg.Service, ws: in.ws}
	ident := fmt.Sprintf("(pod=%s namespace=%s service=%s)", cfg.Pod, cfg.Namespace, cfg.Service)
	if httpLn != nil {
		srv := in.newHTTPServer(h, nil)
		in.serve("http", httpLn, ident, func() error { return srv.Serve(httpLn) })
	}
	if httpsLn != nil {
		srv := in.newHTTPServer(h, tlsConf)
		in.serve("https", httpsLn, ident, func() error { return srv.ServeTLS(httpsLn, "", "") })
	}
	if grpcLn != nil {
		srv := in.newGRPCServer(cfg.Pod, cfg.Service, nil)
		in.serve("grpc", grpcLn, ident, func() error { return srv.Serve(grpcLn) })
	}
	if grpcsLn != nil {
		// gRPC requires ALPN h2, which the credentials add; HTTP/1.1 is
		// of no use here.
		conf := tlsConf.Clone()
		conf.NextProtos = []string{"h2"}
		srv := in.newGRPCServer(cfg.Pod, cfg.Service, credentials.NewTLS(conf))
		in.serve("grpcs", grpcsLn, ident, func() error { return srv.Serve(grpcsLn) })
	}
	return in, nil
}

// newHTTPServer has no write timeout on purpose: X-Echo-Delay and large
// X-Echo-Size answers legitimately take long.
func (in *instance) newHTTPServer(h http.Handler, tlsConf *tls.Config) *http.Server {
	srv := &http.Server{
		Handler:           h,
		TLSConfig:         tlsConf,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          in.log,
	}
	in.http = append(in.http, srv)
	return srv
}

// serve logs the listening line and runs fn in the background, reporting
// any failure other than a requested shutdown.
func (in *instance) serve(kind string, ln net.Listener, ident string, fn func() error) {
	in.log.Printf("%s listening on %s %s", kind, ln.Addr(), ident)
	go func() {
		err := fn()
		if err == nil || errors.Is(err, http.ErrServerClosed) || errors.Is(err, grpc.ErrServerStopped) {
			return
		}
		in.errc <- fmt.Errorf("%s server: %w", kind, err)
	}()
}

// shutdown stops accepting, lets in-flight requests finish until ctx
// expires, then closes whatever is left. Hijacked WebSocket connections
// are not tracked by http.Server, so they are closed explicitly.
func (in *instance) shutdown(ctx context.Context) error {
	var errs []error
	in.ws.closeAll()
	for _, srv := range in.http {
		if err := srv.Shutdown(ctx); err != nil {
			srv.Close()
			if !errors.Is(err, context.DeadlineExceeded) {
				errs = append(errs, err)
			}
		}
	}
	for _, stop := range in.grpcStops {
		stop()
	}
	for _, srv := range in.grpc {
		done := make(chan struct{})
		go func() { srv.GracefulStop(); close(done) }()
		select {
		case <-done:
		case <-ctx.Done():
			srv.Stop() // e.g. Health.Watch streams never end by themselves
			<-done
		}
	}
	return errors.Join(errs...)
}
