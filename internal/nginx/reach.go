package nginx

import (
	"fmt"
	"os"
	"path/filepath"
)

// workersCanReach checks that nginx's workers can walk down to dir. Run as
// root, nginx starts its workers as an unprivileged user (Debian's build:
// nobody); they connect to the 503 sockets in Paths.SinkDir and write
// request bodies under Paths.TempDir, so every directory above those needs
// the search bit for others. A private parent (a 0700 temp directory, say)
// would turn those requests into 502s and 500s at run time; refusing at
// start names the directory instead. As non-root (the container image)
// master and workers share one user and nothing needs checking.
func workersCanReach(dir string) error {
	if os.Geteuid() != 0 {
		return nil
	}
	for d := filepath.Clean(dir); ; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err != nil {
			return fmt.Errorf("nginx: %w", err)
		}
		if fi.Mode().Perm()&0o001 == 0 {
			return fmt.Errorf("nginx: directory %s (mode %#o) is not searchable by others, so nginx's workers cannot reach %s; use a directory whose parents all have the x bit for others (e.g. chmod o+x %s)", d, fi.Mode().Perm(), dir, d)
		}
		if d == filepath.Dir(d) {
			return nil
		}
	}
}
