// Command controller is Atrium, a Kubernetes Ingress controller driving
// nginx. Subcommands: (none) runs the controller; `render` prints the
// nginx.conf and problems for a folder of YAML without a cluster;
// `default-backend` serves the 404 default backend.
package main

import (
	"fmt"
	"os"
)

func main() {
	args := os.Args[1:]
	cmd := ""
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	var err error
	switch cmd {
	case "":
		err = runController(args)
	case "render":
		err = runRender(args, os.Stdout, os.Stderr)
	case "default-backend":
		err = runDefaultBackend(args)
	default:
		err = fmt.Errorf("unknown command %q (commands: render, default-backend; none runs the controller)", cmd)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "atrium:", err)
		if e, ok := err.(exitError); ok {
			os.Exit(int(e))
		}
		os.Exit(1)
	}
}

// exitError is an exit status a subcommand asks for without a message.
type exitError int

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", int(e)) }
