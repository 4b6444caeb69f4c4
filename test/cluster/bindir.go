package cluster

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// ModulePath is the module whose root holds bin/ with the test binaries.
const ModulePath = "github.com/atrium-ingress/atrium"

// BinDirEnv overrides where the kube-apiserver, etcd and echoserver binaries
// are looked up, for runs outside the source tree (e.g. a compiled test
// binary copied elsewhere).
const BinDirEnv = "ATRIUM_BIN_DIR"

// BinDir resolves the directory holding the test binaries: explicit if not
// empty, else $ATRIUM_BIN_DIR, else bin/ at the module root found by walking
// up from the working directory. go test runs each package in its own
// directory, so walking up is what makes the default work from any package.
func BinDir(explicit string) (string, error) {
	if explicit != "" {
		return filepath.Abs(explicit)
	}
	if env := os.Getenv(BinDirEnv); env != "" {
		return filepath.Abs(env)
	}
	root, err := ModuleRoot()
	if err != nil {
		return "", err
	}
	return filepath.Join(root, "bin"), nil
}

// ModuleRoot walks up from the working directory to the directory whose
// go.mod declares ModulePath.
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if modulePathOf(filepath.Join(dir, "go.mod")) == ModulePath {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("cluster: no go.mod for module " + ModulePath +
				" above the working directory; set " + BinDirEnv)
		}
		dir = parent
	}
}

func modulePathOf(gomod string) string {
	f, err := os.Open(gomod)
	if err != nil {
		return ""
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(s.Text()), "module "); ok {
			return strings.Trim(strings.TrimSpace(rest), `"`)
		}
	}
	return ""
}

// binary returns dir/name after checking it is an executable file, so a
// missing binary fails with a hint instead of an opaque exec error.
func binary(dir, name string) (string, error) {
	p := filepath.Join(dir, name)
	fi, err := os.Stat(p)
	if err != nil {
		return "", fmt.Errorf("cluster: %s not found in %s (run `bash hack/build-tools.sh`, or set %s): %w",
			name, dir, BinDirEnv, err)
	}
	if fi.IsDir() || fi.Mode()&0o111 == 0 {
		return "", fmt.Errorf("cluster: %s is not an executable file", p)
	}
	return p, nil
}
