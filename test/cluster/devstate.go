package cluster

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// DefaultDevStatePath is where a running dev cluster (`atrium-dev up` or
// `make run`) publishes itself for `atrium-dev pod add/del` in other shells.
const DefaultDevStatePath = "/run/atrium-dev/state.json"

// DevState is what a running dev cluster publishes.
type DevState struct {
	PID        int          `json:"pid"` // of the process that owns the cluster
	Kubeconfig string       `json:"kubeconfig"`
	Dir        string       `json:"dir"` // control plane dir
	Network    NetworkState `json:"network"`
}

// NewDevState describes a control plane and network owned by this process.
func NewDevState(cp *ControlPlane, n *Network) DevState {
	return DevState{PID: os.Getpid(), Kubeconfig: cp.Kubeconfig, Dir: cp.Dir, Network: n.State()}
}

// WriteDevState saves st atomically at path.
func WriteDevState(path string, st DevState) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// ReadDevState loads the state of a running dev cluster; a state whose
// process is gone is reported as not running rather than used.
func ReadDevState(path string) (DevState, error) {
	var st DevState
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return st, fmt.Errorf("no cluster running (no %s); start one with `atrium-dev up` or `make run`", path)
	}
	if err != nil {
		return st, err
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return st, fmt.Errorf("%s: %w", path, err)
	}
	if !PIDAlive(st.PID) {
		return st, fmt.Errorf("no cluster running (%s names pid %d, which is gone)", path, st.PID)
	}
	return st, nil
}

// RemoveDevStateIfOurs deletes the state file if this process wrote it.
func RemoveDevStateIfOurs(path string) {
	var st DevState
	if b, err := os.ReadFile(path); err == nil && json.Unmarshal(b, &st) == nil && st.PID == os.Getpid() {
		_ = os.Remove(path)
	}
}

// PIDAlive says whether a process exists (EPERM counts: it exists).
func PIDAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return pid > 0 && (err == nil || errors.Is(err, syscall.EPERM))
}
