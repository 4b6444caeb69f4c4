// Command atrium-dev runs the test cluster in a box (package test/cluster)
// for demos and manual testing:
//
//	atrium-dev up                  # control plane + pod network, until ^C
//	atrium-dev pod add NAME --service S [--namespace default] [--port 8080]
//	atrium-dev pod del NAME
//	atrium-dev pod list
//	atrium-dev down                # stops `up` from another shell
//
// Every command takes --state (default /run/atrium-dev/state.json), the file
// through which `up` tells the other commands where its cluster is.
package main

import (
	"fmt"
	"os"
)

const usage = `usage:
  atrium-dev up [--state FILE] [--bin-dir DIR] [--echoserver PATH]
  atrium-dev pod add NAME --service SVC [--namespace NS] [--port PORT] [--state FILE]
  atrium-dev pod del NAME [--state FILE]
  atrium-dev pod list [--state FILE]
  atrium-dev down [--state FILE]
`

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "atrium-dev:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	cmd := append(args, "", "")[:2]
	switch {
	case cmd[0] == "up":
		return up(args[1:])
	case cmd[0] == "down":
		return down(args[1:])
	case cmd[0] == "pod" && cmd[1] == "add":
		return podAdd(args[2:])
	case cmd[0] == "pod" && cmd[1] == "del":
		return podDel(args[2:])
	case cmd[0] == "pod" && cmd[1] == "list":
		return podList(args[2:])
	}
	fmt.Fprint(os.Stderr, usage)
	return fmt.Errorf("unknown command %q", args)
}
