package main

import (
	"context"
	"flag"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/atrium-ingress/atrium/internal/reconcile"
)

func runController(args []string) error {
	tuneGC(os.Getenv)
	fs := flag.NewFlagSet("controller", flag.ContinueOnError)
	var o reconcile.Options
	o.RegisterFlags(fs)
	logLevel := fs.String("log-level", "info", "Log level: debug, info, warn, error.")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(*logLevel)); err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: lvl}))
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	return reconcile.Run(ctx, o, log)
}
