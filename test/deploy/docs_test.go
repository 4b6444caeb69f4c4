package deploy

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/atrium-ingress/atrium/internal/reconcile"
)

// TestInstallDocsListEveryFlag: docs/install.md's flags table has a row for
// every flag the controller registers, and no row for a flag it lacks.
func TestInstallDocsListEveryFlag(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(root(t), "docs", "install.md"))
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	var o reconcile.Options
	fs := flag.NewFlagSet("controller", flag.ContinueOnError)
	o.RegisterFlags(fs)
	want := map[string]bool{"log-level": true} // registered by cmd/controller itself
	fs.VisitAll(func(f *flag.Flag) { want[f.Name] = true })
	for name := range want {
		if !strings.Contains(doc, "\n| `--"+name+"` |") {
			t.Errorf("docs/install.md has no flags-table row for --%s", name)
		}
	}
	for _, line := range strings.Split(doc, "\n") {
		if rest, ok := strings.CutPrefix(line, "| `--"); ok {
			name, _, _ := strings.Cut(rest, "`")
			if !want[name] {
				t.Errorf("docs/install.md documents --%s, which the controller does not have", name)
			}
		}
	}
}
