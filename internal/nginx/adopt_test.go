package nginx

import (
	"context"
	"os"
	"testing"
	"time"
)

// TestAdoptAfterControllerCrash: a supervisor that vanished without
// Shutdown (the controller crashed) leaves nginx serving; a new supervisor
// on the same Dir adopts it, reloads it onto its own config without a new
// master, and can shut it down.
func TestAdoptAfterControllerCrash(t *testing.T) {
	old := newEnv(t, nil)
	old.mustApply(old.candidate("v1"), ResultStarted)
	pid := old.s.PID()

	// The "crashed" controller's supervisor is simply abandoned: nginx
	// must keep serving without it.
	opts := old.s.opts
	s2, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	old.s = s2 // cleanup shuts down whatever s2 runs
	old.mustServe("v1")
	if s2.PID() != 0 {
		t.Fatal("a new supervisor must not claim nginx before Adopt")
	}
	if !s2.Adopt() {
		t.Fatal("Adopt did not find the running nginx")
	}
	if s2.PID() != pid {
		t.Fatalf("adopted PID %d, want %d", s2.PID(), pid)
	}
	// Even the same config is reloaded once: the adopted config is unknown.
	if s2.Ready() {
		t.Fatal("an adopted nginx is not ready before it runs our config")
	}
	old.mustApply(old.candidate("v1"), ResultReloaded)
	if !s2.Ready() {
		t.Fatal("adopted nginx not ready after the first Apply")
	}
	old.mustApply(old.candidate("v2"), ResultReloaded)
	old.mustServe("v2")
	if s2.PID() != pid {
		t.Fatalf("adoption must reload, not replace: PID %d, want %d", s2.PID(), pid)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s2.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(liveGroupMembers(pid)) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("adopted nginx still running after Shutdown: %v", liveGroupMembers(pid))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestAdoptRefusesStrangers: a pid file naming a process that is not our
// nginx master is not adopted.
func TestAdoptRefusesStrangers(t *testing.T) {
	e := newEnv(t, nil)
	if err := os.WriteFile(e.paths.PIDFile, []byte("1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if e.s.Adopt() {
		t.Fatal("adopted PID 1")
	}
	if err := os.WriteFile(e.paths.PIDFile, []byte("garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	if e.s.Adopt() {
		t.Fatal("adopted a garbage pid file")
	}
}
