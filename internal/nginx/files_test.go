package nginx

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func TestSafeJoin(t *testing.T) {
	dir := t.TempDir()
	ok := map[string]string{
		"certs/ab12cd.pem": filepath.Join(dir, "certs", "ab12cd.pem"),
		"a/b/c":            filepath.Join(dir, "a", "b", "c"),
		"top.pem":          filepath.Join(dir, "top.pem"),
		"certs/a..b.pem":   filepath.Join(dir, "certs", "a..b.pem"), // ".." only matters as an element
	}
	for rel, want := range ok {
		got, err := safeJoin(dir, rel)
		if err != nil || got != want {
			t.Errorf("safeJoin(%q) = %q, %v; want %q", rel, got, err, want)
		}
	}
	for _, rel := range []string{
		"", "/etc/passwd", "..", "../x", "certs/../../x", "certs/..", "a/../b",
		"./a", "a//b", "a/", ".", "certs\\..\\x", "a\x00b",
		"nginx.conf", "nginx.conf.candidate", "nginx.pid", "logs/error.log", "tmp", "tmp/x",
		"certs/.atrium-123",
	} {
		if got, err := safeJoin(dir, rel); err == nil {
			t.Errorf("safeJoin(%q) = %q, want an error", rel, got)
		}
	}
}

func TestWriteFilesAndUndo(t *testing.T) {
	dir := t.TempDir()
	good := map[string]File{"certs/a.pem": {Data: []byte("a1"), Mode: 0o600}}
	if _, err := writeFiles(dir, good, nil); err != nil {
		t.Fatal(err)
	}
	next := map[string]File{
		"certs/a.pem": {Data: []byte("a2"), Mode: 0o600},
		"certs/b.pem": {Data: []byte("b")},
	}
	changes, err := writeFiles(dir, next, good)
	if err != nil {
		t.Fatal(err)
	}
	assertFile(t, filepath.Join(dir, "certs/a.pem"), "a2", 0o600)
	assertFile(t, filepath.Join(dir, "certs/b.pem"), "b", 0o644)
	if err := undoFiles(dir, changes); err != nil {
		t.Fatal(err)
	}
	assertFile(t, filepath.Join(dir, "certs/a.pem"), "a1", 0o600)
	if _, err := os.Stat(filepath.Join(dir, "certs/b.pem")); !os.IsNotExist(err) {
		t.Errorf("certs/b.pem should be gone after undo: %v", err)
	}
	// Nothing but the files themselves: no temp files left behind.
	entries, _ := os.ReadDir(filepath.Join(dir, "certs"))
	if len(entries) != 1 {
		t.Errorf("certs/ holds %d entries, want 1", len(entries))
	}
}

func assertFile(t *testing.T, path, data string, mode os.FileMode) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != data {
		t.Errorf("%s = %q, want %q", path, got, data)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != mode {
		t.Errorf("%s mode = %v, want %v", path, fi.Mode().Perm(), mode)
	}
}

// TestWorkerFileGroup: a file for the workers goes to their group, 0640,
// and a change of group alone rewrites it.
func TestWorkerFileGroup(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatal("needs root (chown), as the e2e suite does")
	}
	id, err := DefaultWorkerIdentity()
	if err != nil || id == nil || id.GID == 0 || id.User == "" || id.Group == "" {
		t.Fatalf("DefaultWorkerIdentity as root = %+v, %v", id, err)
	}
	dir := t.TempDir()
	files := map[string]File{"auth/a.htpasswd": WorkerFile([]byte("u:x\n"), id)}
	if _, err := writeFiles(dir, files, nil); err != nil {
		t.Fatal(err)
	}
	full := filepath.Join(dir, "auth/a.htpasswd")
	assertFile(t, full, "u:x\n", 0o640)
	fi, err := os.Stat(full)
	if err != nil {
		t.Fatal(err)
	}
	if gid := int(fi.Sys().(*syscall.Stat_t).Gid); gid != id.GID {
		t.Errorf("group %d, want %d", gid, id.GID)
	}
	if (File{Data: []byte("a"), Group: id.GID}).equal(File{Data: []byte("a")}) {
		t.Error("files differing only in group are equal: a new group would not be written")
	}
}
