// Command echoserver is the backend that end-to-end tests of the Atrium
// ingress controller put behind nginx. It runs as an "emulated pod" in a
// network namespace and answers every request with what it saw plus its
// own pod/namespace/service identity, so tests can observe routing. One
// path is special: echo.AuthPath answers as an external authentication
// service (auth-url tests; see package echo).
//
// Usage:
//
//	echoserver [--http :8080] [--https ADDR] [--grpc ADDR] [--grpcs ADDR]
//	           [--tls-cert FILE --tls-key FILE] [--tls-client-ca FILE]
//	           --pod NAME --namespace NS --service SVC
//
// An empty address disables that listener. --https and --grpcs serve the
// same certificate (the --tls-* files, or one self-signed in memory). The identity flags fall back
// to $POD_NAME, $POD_NAMESPACE and $SERVICE_NAME (and the pod name to the
// hostname). Each listener logs "echoserver: <kind> listening on <addr>"
// to stderr once bound. SIGTERM or SIGINT shuts down gracefully.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	cfg, err := parseFlags(os.Args[1:], os.Getenv, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		os.Exit(2) // flag package already printed the problem and usage
	}
	cfg.Log = os.Stderr

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	if err := run(ctx, cfg, nil); err != nil {
		fmt.Fprintf(os.Stderr, "echoserver: %v\n", err)
		os.Exit(1)
	}
}

// parseFlags turns the command line into a config. getenv is injected so
// tests can check the environment fallbacks without touching the process.
func parseFlags(args []string, getenv func(string) string, out io.Writer) (config, error) {
	var cfg config
	fs := flag.NewFlagSet("echoserver", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&cfg.HTTPAddr, "http", ":8080", "plain HTTP listen address (empty disables)")
	fs.StringVar(&cfg.HTTPSAddr, "https", "", "HTTPS listen address (empty disables)")
	fs.StringVar(&cfg.GRPCAddr, "grpc", "", "plaintext gRPC listen address (empty disables)")
	fs.StringVar(&cfg.GRPCSAddr, "grpcs", "", "gRPC over TLS listen address (empty disables)")
	fs.StringVar(&cfg.TLSCert, "tls-cert", "", "PEM certificate for --https and --grpcs (default: in-memory self-signed)")
	fs.StringVar(&cfg.TLSKey, "tls-key", "", "PEM private key for --https and --grpcs")
	fs.StringVar(&cfg.TLSClientCA, "tls-client-ca", "", "PEM CAs for --https and --grpcs to verify client certificates with, when a client sends one (reported as tls.clientCN)")
	fs.StringVar(&cfg.Pod, "pod", getenv("POD_NAME"), "pod name reported in responses (env POD_NAME)")
	fs.StringVar(&cfg.Namespace, "namespace", getenv("POD_NAMESPACE"), "namespace reported in responses (env POD_NAMESPACE)")
	fs.StringVar(&cfg.Service, "service", getenv("SERVICE_NAME"), "service reported in responses (env SERVICE_NAME)")
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	if fs.NArg() > 0 {
		err := fmt.Errorf("unexpected arguments: %q", fs.Args())
		fmt.Fprintln(out, err)
		return config{}, err
	}
	if (cfg.TLSCert == "") != (cfg.TLSKey == "") {
		err := errors.New("--tls-cert and --tls-key must be given together")
		fmt.Fprintln(out, err)
		return config{}, err
	}
	if cfg.Pod == "" {
		// An anonymous pod would make routing unobservable.
		cfg.Pod, _ = os.Hostname()
	}
	return cfg, nil
}
