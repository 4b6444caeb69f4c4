package nginx

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

const pollInterval = 20 * time.Millisecond

// newStatusClient returns the client for StatusURL. Keep-alives are off so
// every poll opens a new connection: a kept-alive connection would stay with
// an old worker, which keeps answering the old hash while it drains.
func newStatusClient() *http.Client {
	return &http.Client{
		Timeout:   time.Second,
		Transport: &http.Transport{DisableKeepAlives: true, Proxy: nil},
	}
}

// fetchHash returns StatusURL's body, trimmed.
func (s *Supervisor) fetchHash(ctx context.Context) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.opts.StatusURL, nil)
	if err != nil {
		return "", err
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("status %s", resp.Status)
	}
	return strings.TrimSpace(string(body)), nil
}

// awaitServing polls until nginx demonstrably runs the config with hash.
// After a start (retired == nil) that means StatusURL answers hash or,
// without a StatusURL, the pid file names this master (nginx writes it only
// after binding its listeners). After a reload it additionally means that
// the workers in retired no longer accept connections (see workers.go).
// It fails early if the master exits, and after ReloadTimeout.
func (s *Supervisor) awaitServing(ctx context.Context, p *process, hash string, retired []int) error {
	parent := ctx
	timeout := s.reloadTimeout()
	ctx, cancel := context.WithTimeout(parent, timeout)
	defer cancel()
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	last := "no answer yet"
	for {
		if p.exited() {
			return fmt.Errorf("nginx exited (%s): %s", exitStatus(p.err), p.out.lastLines())
		}
		if ok, seen := s.serving(ctx, p, hash, retired); ok {
			return nil
		} else if seen != "" {
			last = seen
		}
		select {
		case <-p.done:
		case <-tick.C:
		case <-ctx.Done():
			if p.exited() {
				continue
			}
			what := fmt.Sprintf("%s to serve config %q", s.opts.StatusURL, hash)
			switch {
			case s.opts.StatusURL != "":
			case retired != nil:
				what = fmt.Sprintf("nginx to retire its old workers %v", retired)
			default:
				what = fmt.Sprintf("%s to hold PID %d", s.paths.PIDFile, p.pid)
			}
			if err := parent.Err(); err != nil {
				return fmt.Errorf("waiting for %s: %w", what, err)
			}
			return fmt.Errorf("timed out after %s waiting for %s (last: %s)", timeout, what, last)
		}
	}
}

// reloadTimeout is ReloadTimeout plus a second per 256 KiB of the config
// being loaded: nginx parses the whole file (and the Lua module builds an
// SSL context per server and location) before new workers serve, so a
// 5,000-Ingress config can take longer than a fixed bound on a busy node.
func (s *Supervisor) reloadTimeout() time.Duration {
	t := s.opts.ReloadTimeout
	if fi, err := os.Stat(s.paths.Config); err == nil {
		t += time.Duration(fi.Size()/(256<<10)) * time.Second
	}
	return t
}

// serving makes one check; seen describes what it found, for error messages.
func (s *Supervisor) serving(ctx context.Context, p *process, hash string, retired []int) (ok bool, seen string) {
	switch {
	case s.opts.StatusURL != "":
		got, err := s.fetchHash(ctx)
		if err != nil {
			return false, err.Error()
		}
		if got != hash {
			return false, "served " + strconv.Quote(got)
		}
	case retired == nil:
		data, err := os.ReadFile(s.paths.PIDFile)
		if err != nil {
			return false, err.Error()
		}
		if got := strings.TrimSpace(string(data)); got != strconv.Itoa(p.pid) {
			return false, "pid file holds " + strconv.Quote(got)
		}
	}
	if retired != nil && !workersRetired(p.pid, retired) {
		return false, fmt.Sprintf("old workers %v still accept connections", retired)
	}
	return true, ""
}

// errorLogSize is where the error log ends now, so that after a reload only
// the lines nginx wrote since can be quoted.
func (s *Supervisor) errorLogSize() int64 {
	fi, err := os.Stat(s.paths.ErrorLog)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// errorLogProblems returns the [emerg]/[alert]/[crit] lines the error log
// gained since offset: a reload nginx rejects (a listen address that cannot
// be bound, say) is only reported there.
func (s *Supervisor) errorLogProblems(offset int64) string {
	f, err := os.Open(s.paths.ErrorLog)
	if err != nil {
		return ""
	}
	defer f.Close()
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return ""
	}
	var lines []string
	sc := bufio.NewScanner(io.LimitReader(f, 1<<20))
	for sc.Scan() {
		line := sc.Text()
		if strings.Contains(line, "[emerg]") || strings.Contains(line, "[alert]") || strings.Contains(line, "[crit]") {
			if len(lines) == 5 {
				lines = lines[1:]
			}
			lines = append(lines, line)
		}
	}
	return strings.Join(lines, "\n")
}
