package main

import (
	"flag"

	"github.com/atrium-ingress/atrium/test/cluster"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

const defaultStatePath = cluster.DefaultDevStatePath

// state is what `up` publishes for the other commands, which run as
// separate processes.
type state = cluster.DevState

func stateFlag(fs *flag.FlagSet) *string {
	return fs.String("state", defaultStatePath, "state file written by `atrium-dev up` or `make run`")
}

func writeState(path string, st state) error { return cluster.WriteDevState(path, st) }

func readState(path string) (state, error) { return cluster.ReadDevState(path) }

func clientset(st state) (kubernetes.Interface, error) {
	cfg, err := clientcmd.BuildConfigFromFlags("", st.Kubeconfig)
	if err != nil {
		return nil, err
	}
	return kubernetes.NewForConfig(cfg)
}

// parseInterspersed parses flags that may come before or after positional
// arguments ("pod add NAME --service S"), which flag.Parse alone does not.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}
