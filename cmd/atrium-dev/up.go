package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/atrium-ingress/atrium/test/cluster"
)

// up runs a control plane and a pod network until SIGINT/SIGTERM, then
// removes everything, including pods other processes added.
func up(args []string) error {
	fs := flag.NewFlagSet("up", flag.ContinueOnError)
	statePath := stateFlag(fs)
	binDir := fs.String("bin-dir", "", "directory with kube-apiserver, etcd, echoserver (default: <module>/bin or $"+cluster.BinDirEnv+")")
	echo := fs.String("echoserver", "", "echoserver binary (default: <bin-dir>/echoserver)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if st, err := readState(*statePath); err == nil {
		return fmt.Errorf("already running as pid %d; stop it with `atrium-dev down`", st.PID)
	}
	// Catch signals before starting anything, so ^C during start-up still
	// cleans up.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	n, err := cluster.NewNetwork(cluster.NetworkOptions{BinDir: *binDir, EchoServer: *echo})
	if err != nil {
		return err
	}
	defer n.Close()
	startCtx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	cp, err := cluster.Start(startCtx, cluster.Options{BinDir: *binDir})
	if err != nil {
		return err
	}
	defer cp.Stop()
	st := cluster.NewDevState(cp, n)
	if err := writeState(*statePath, st); err != nil {
		return err
	}
	defer removeStateIfOurs(*statePath)

	fmt.Printf("export KUBECONFIG=%s\n", cp.Kubeconfig)
	fmt.Fprintf(os.Stderr, "atrium-dev: apiserver %s; pods on %s (%s, host %s); ^C or `atrium-dev down` to stop\n",
		cp.Config.Host, n.Bridge, n.Subnet, n.HostIP)
	<-ctx.Done()
	fmt.Fprintln(os.Stderr, "atrium-dev: shutting down")
	return nil
}

func removeStateIfOurs(path string) { cluster.RemoveDevStateIfOurs(path) }

// down asks the `up` process to stop and waits until it has cleaned up.
func down(args []string) error {
	fs := flag.NewFlagSet("down", flag.ContinueOnError)
	statePath := stateFlag(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	st, err := readState(*statePath)
	if err != nil {
		return err
	}
	if err := syscall.Kill(st.PID, syscall.SIGTERM); err != nil {
		return err
	}
	for deadline := time.Now().Add(time.Minute); cluster.PIDAlive(st.PID); time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			return fmt.Errorf("pid %d still running a minute after SIGTERM", st.PID)
		}
	}
	return nil
}
