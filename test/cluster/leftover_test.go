package cluster

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestLeftoversOfDeadProcessAreRemoved runs a child test process that
// creates a network and a pod and exits without cleanup, then checks that
// the next NewNetwork removes its leftovers while leaving a live network of
// this process alone.
func TestLeftoversOfDeadProcessAreRemoved(t *testing.T) {
	echo := echoServer(t)
	live := NewNetworkT(t, NetworkOptions{EchoServer: echo})
	livePod, err := live.AddPod(t.Context(), PodSpec{Name: "survivor"})
	if err != nil {
		t.Fatal(err)
	}

	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashChildEnv+"=1", EchoServerEnv+"="+echo)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("crash child: %v (want exit status 1)", err)
	}
	var left crashReport
	if err := json.Unmarshal(out, &left); err != nil {
		t.Fatalf("crash child output %q: %v", out, err)
	}
	paths := []string{filepath.Join(netnsDir, left.Netns), "/sys/class/net/" + left.Bridge, left.Dir}
	for _, p := range append(paths, left.Claim) {
		if !exists(p) {
			t.Fatalf("crash child did not leave %s behind; the test proves nothing", p)
		}
	}

	NewNetworkT(t, NetworkOptions{EchoServer: echo})
	for _, p := range paths {
		if exists(p) {
			t.Errorf("leftover %s not removed", p)
		}
	}
	// The new network may have claimed the freed /24 again.
	if readPID(left.Claim) == left.PID {
		t.Errorf("claim %s of dead pid %d not removed", left.Claim, left.PID)
	}
	ns, _ := ipOutput("netns", "list")
	if containsWord(ns, left.Netns) {
		t.Errorf("`ip netns list` still shows %s:\n%s", left.Netns, ns)
	}
	if !containsWord(ns, livePod.Netns) || !linkExists(live.Bridge) || !exists(claimPath(live.k)) {
		t.Errorf("live network damaged: netns list:\n%s", ns)
	}
	get(t, livePod)
}

func containsWord(text, word string) bool {
	return slices.Contains(strings.Fields(text), word)
}
