package nginx

import (
	"os"
	"testing"
	"time"
)

func TestReloadTimeoutGrowsWithConfig(t *testing.T) {
	dir := t.TempDir()
	s := &Supervisor{opts: Options{ReloadTimeout: 10 * time.Second}, paths: Options{Dir: dir}.Paths()}
	if got := s.reloadTimeout(); got != 10*time.Second {
		t.Errorf("no config yet: %s, want 10s", got)
	}
	if err := os.WriteFile(s.paths.Config, make([]byte, 1<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := s.reloadTimeout(); got != 14*time.Second {
		t.Errorf("1 MiB config: %s, want 14s", got)
	}
}
