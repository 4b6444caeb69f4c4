package nginx

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWorkersCanReach(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the check applies to root only")
	}
	parent := t.TempDir() // 0700, as is its parent
	dir := filepath.Join(parent, "run", "sink")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	err := workersCanReach(dir)
	if err == nil || !strings.Contains(err.Error(), parent) {
		t.Fatalf("private parent: err = %v, want one naming %s", err, parent)
	}
	for _, d := range []string{filepath.Dir(parent), parent} {
		if err := os.Chmod(d, 0o711); err != nil {
			t.Fatal(err)
		}
	}
	if err := workersCanReach(dir); err != nil {
		t.Fatalf("searchable parents: %v", err)
	}
}

// searchableTempDir is t.TempDir with its private parents opened for
// search, as nginx's workers need (see workersCanReach).
func searchableTempDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, d := range []string{filepath.Dir(dir), dir} {
		if err := os.Chmod(d, 0o711); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}
