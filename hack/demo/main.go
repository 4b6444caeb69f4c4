// Command demo is `make run`: a local control plane, three emulated pods
// behind two Services, the sample Ingresses of deploy/examples, and the
// controller with nginx on 127.0.0.1:8080/8443 (/healthz and /metrics on
// 127.0.0.1:10254). It checks every curl line it prints, then runs until
// Ctrl-C and removes everything it made.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/atrium-ingress/atrium/test/cluster"
	"github.com/atrium-ingress/atrium/test/harness"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

func run() error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	root, err := cluster.ModuleRoot()
	if err != nil {
		return err
	}
	bin := filepath.Join(root, "bin")
	step("starting etcd and kube-apiserver")
	cp, err := cluster.Start(ctx, cluster.Options{})
	if err != nil {
		return err
	}
	defer cp.Stop()
	net, err := cluster.NewNetwork(cluster.NetworkOptions{EchoServer: filepath.Join(bin, "echoserver")})
	if err != nil {
		return err
	}
	defer net.Close()
	// Publish the cluster so `atrium-dev pod add/del` works from another shell.
	if err := cluster.WriteDevState(cluster.DefaultDevStatePath, cluster.NewDevState(cp, net)); err != nil {
		return err
	}
	defer cluster.RemoveDevStateIfOurs(cluster.DefaultDevStatePath)

	step("starting 3 emulated pods behind Services web and api")
	d := &harness.Demo{Config: cp.Config, Net: net}
	if err := d.Backends(ctx, map[string]int{"web": 2, "api": 1}); err != nil {
		return err
	}
	step("applying deploy/examples/")
	if err := d.Apply(ctx, filepath.Join(root, "deploy", "examples")); err != nil {
		return err
	}
	step("starting the controller (nginx on 127.0.0.1:8080 and :8443)")
	ctrl, err := harness.StartController(ctx, harness.ControllerOptions{
		Binary: filepath.Join(bin, "controller"), Kubeconfig: cp.Kubeconfig,
		Dir:      filepath.Join(cp.Dir, "atrium"),
		HTTPPort: 8080, HTTPSPort: 8443, HealthzPort: 10254, StatusPort: 10246,
		ExtraArgs: []string{"--access-log", "/dev/stdout"},
		Env:       []string{"POD_NAMESPACE=default", "POD_NAME=atrium-demo"},
	})
	if err != nil {
		return err
	}
	defer ctrl.Stop()
	lines := harness.DemoCurls(ctrl)
	step("checking every curl line")
	checkCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := harness.CheckCurls(checkCtx, lines); err != nil {
		return fmt.Errorf("%w\ncontroller log:\n%s", err, harness.Tail(ctrl.LogPath, 30))
	}
	fmt.Printf(`
Atrium is running.

  export KUBECONFIG=%s

Try:
`, cp.Kubeconfig)
	for _, l := range lines {
		fmt.Printf("  %-70s # %s\n", l.Command, l.Expect)
	}
	fmt.Printf(`
Add and remove pods from another shell (the proxy follows, no reload):
  bin/atrium-dev pod add web-3 --service web
  bin/atrium-dev pod del web-3

Controller log: %s
Press Ctrl-C to stop; everything is removed.
`, ctrl.LogPath)
	<-ctx.Done()
	step("stopping")
	return nil
}

func step(s string) { fmt.Fprintf(os.Stderr, "==> %s\n", s) }
