package main

import (
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/atrium-ingress/atrium/internal/annotations"
	"github.com/atrium-ingress/atrium/internal/configmap"
	"github.com/atrium-ingress/atrium/internal/nginxconf"
	"github.com/atrium-ingress/atrium/internal/reconcile"
)

// stringList is a repeatable flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

// runRender prints what the controller would write for a folder of YAML:
// nginx.conf on stdout, then the problems (and skipped kinds) on stderr.
// It uses the controller's own flags, so class selection and defaults match.
func runRender(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("render", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var files stringList
	fs.Var(&files, "f", "YAML/JSON file or folder (recursive) of Kubernetes objects; repeatable.")
	failOnProblems := fs.Bool("fail-on-problems", false, "Exit with status 2 when any object has a problem.")
	quiet := fs.Bool("problems-only", false, "Print only the problems, not nginx.conf.")
	var o reconcile.Options
	o.RegisterFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if len(files) == 0 {
		return fmt.Errorf("render needs -f FILE_OR_DIR")
	}
	snap, notes, err := nginxconf.LoadFiles(files...)
	if err != nil {
		return err
	}
	dir, err := filepath.Abs(o.NginxDir)
	if err != nil {
		return err
	}
	core, err := reconcile.CoreOptions(o, dir, time.Now())
	if err != nil {
		return err
	}
	// --configmap, when the files hold it: its settings, as the controller
	// reads them (custom-headers needs its global-allowed-response-headers).
	for _, cm := range snap.ConfigMaps {
		if o.ConfigMap != "" && cm.Namespace+"/"+cm.Name == o.ConfigMap {
			r := configmap.Parse(cm.Data, configmap.Defaults())
			core.Global = &r.Config
			core.GlobalSource = nginxconf.ObjectRef{Kind: "ConfigMap", Namespace: cm.Namespace, Name: cm.Name}
			for _, inv := range r.Invalid {
				outcome := "the default stays"
				if inv.FailsClosed {
					outcome = inv.Outcome()
				}
				notes = append(notes, fmt.Sprintf("--configmap %s: %s: %s; %s", o.ConfigMap, inv.Key, inv.Problem, outcome))
			}
		}
	}
	cfg, probs, err := nginxconf.Build(snap, core)
	if err != nil {
		return err
	}
	conf, _, err := nginxconf.Render(cfg)
	if err != nil {
		return err
	}
	if !*quiet {
		if _, err := stdout.Write(conf); err != nil {
			return err
		}
	}
	for _, n := range notes {
		fmt.Fprintln(stderr, "note:", n)
	}
	served := nginxconf.SelectIngresses(snap, core)
	fmt.Fprintf(stderr, "%d of %d Ingresses served (class %q / controller %q); %d problems\n",
		len(served), len(snap.Ingresses), o.IngressClass, o.ControllerClass, len(probs))
	for _, p := range probs {
		fmt.Fprintf(stderr, "problem: %s\n", p)
	}
	// What a migration from ingress-nginx keeps: per Ingress, the
	// annotations read, ignored and refused.
	for _, ing := range served {
		r := annotations.Parse(ing.Annotations, o.AnnotationsPrefix)
		if len(r.Supported)+len(r.Unsupported)+len(r.Invalid) == 0 {
			continue
		}
		fmt.Fprintf(stderr, "annotations of %s/%s: supported %v; unsupported %v", ing.Namespace, ing.Name, r.Supported, r.Unsupported)
		for _, inv := range r.Invalid {
			fmt.Fprintf(stderr, "; invalid %s (%s)", inv.Key, inv.Problem)
		}
		fmt.Fprintln(stderr)
	}
	if *failOnProblems && len(probs) > 0 {
		return exitError(2)
	}
	return nil
}
