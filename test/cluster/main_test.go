package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// crashChildEnv makes the test binary act as a test process that dies
// without cleaning up (see TestLeftoversOfDeadProcessAreRemoved).
const crashChildEnv = "ATRIUM_CLUSTER_CRASH_CHILD"

var buildDir string

func TestMain(m *testing.M) {
	if os.Getenv(crashChildEnv) == "1" {
		crashChild()
	}
	var err error
	if buildDir, err = os.MkdirTemp("", "atrium-cluster-test-"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	code := m.Run()
	os.RemoveAll(buildDir)
	os.Exit(code)
}

// crashReport is what the crash child tells its parent it left behind.
type crashReport struct {
	Bridge, Netns, Dir, Claim string
	PID                       int
}

// crashChild creates a network and a pod, reports their names on stdout
// and exits with status 1 without any cleanup, like a test binary killed
// by a panic in another goroutine or by -timeout.
func crashChild() {
	n, err := NewNetwork(NetworkOptions{}) // echoserver from $ATRIUM_ECHOSERVER
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	ctx, cancel := contextWithTimeout(30 * time.Second)
	defer cancel()
	p, err := n.AddPod(ctx, PodSpec{Name: "doomed", Service: "doomed"})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	_ = json.NewEncoder(os.Stdout).Encode(crashReport{n.Bridge, p.Netns, n.Dir, claimPath(n.k), os.Getpid()})
	os.Exit(1)
}

var (
	echoOnce sync.Once
	echoPath string
	echoErr  error
)

// echoServer returns the echoserver binary the tests run: $ATRIUM_ECHOSERVER,
// or ./test/echoserver freshly built, so the tests exercise the current
// source rather than a stale bin/echoserver.
func echoServer(t testing.TB) string {
	t.Helper()
	echoOnce.Do(func() {
		if p := os.Getenv(EchoServerEnv); p != "" {
			echoPath = p
			return
		}
		echoPath, echoErr = buildEchoServer()
	})
	if echoErr != nil {
		t.Fatal(echoErr)
	}
	return echoPath
}

func buildEchoServer() (string, error) {
	root, err := ModuleRoot()
	if err != nil {
		return "", err
	}
	// The echoserver is written in parallel with this package; give a
	// checkout that is mid-way a moment rather than failing at once.
	src := filepath.Join(root, "test", "echoserver")
	for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(2 * time.Second) {
		if m, _ := filepath.Glob(filepath.Join(src, "*.go")); len(m) > 0 {
			break
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("no Go files in %s: the echoserver package is missing (or set %s)", src, EchoServerEnv)
		}
	}
	out := filepath.Join(buildDir, "echoserver")
	cmd := exec.Command("go", "build", "-o", out, "./test/echoserver")
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./test/echoserver: %v\n%s", err, b)
	}
	return out, nil
}

func contextWithTimeout(d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), d)
}
