package nginx

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"
)

// SetEndpoints hands nginx a new endpoint table without a reload: it saves
// the table where nginx loads it on start and reload, then, if nginx runs,
// posts it to nginx's control socket, where Lua swaps it into shared memory.
func (s *Supervisor) SetEndpoints(ctx context.Context, table []byte) error {
	if err := writeFileAtomic(s.paths.EndpointsFile, table, 0o600); err != nil {
		return fmt.Errorf("nginx: saving endpoints: %w", err)
	}
	if s.PID() == 0 {
		return nil // nginx reads the file when it starts
	}
	return s.postEndpoints(ctx, table)
}

func (s *Supervisor) postEndpoints(ctx context.Context, table []byte) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://atrium-control/atrium/endpoints", bytes.NewReader(table))
	if err != nil {
		return err
	}
	resp, err := s.controlClient().Do(req)
	if err != nil {
		return fmt.Errorf("nginx: posting endpoints: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("nginx: posting endpoints: %s: %s", resp.Status, bytes.TrimSpace(body))
	}
	return nil
}

// controlClient talks HTTP over the control socket.
func (s *Supervisor) controlClient() *http.Client {
	sock := s.paths.ControlSocket
	return &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", sock)
		},
		DisableKeepAlives: true,
	}}
}

// writeFileAtomic writes data next to path and renames it into place.
func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, mode); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
