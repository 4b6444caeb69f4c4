package nginx

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
)

const (
	tailLines   = 10
	maxLineSize = 16 << 10
)

// logWriter turns nginx's stdout/stderr into one Logger record per line and
// keeps the last lines so start failures can quote them. nginx only writes
// there until it has opened its error_log (it then redirects stderr into that
// file), so in practice this carries startup problems such as bind() errors.
type logWriter struct {
	log *slog.Logger

	mu      sync.Mutex
	partial []byte
	tail    []string
}

func newLogWriter(log *slog.Logger) *logWriter { return &logWriter{log: log} }

func (w *logWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.partial = append(w.partial, p...)
	for {
		i := bytes.IndexByte(w.partial, '\n')
		if i < 0 {
			break
		}
		w.emit(string(w.partial[:i]))
		w.partial = w.partial[i+1:]
	}
	if len(w.partial) > maxLineSize {
		w.emit(string(w.partial))
		w.partial = nil
	}
	return len(p), nil
}

// flush emits an unterminated last line; called once the process has exited.
func (w *logWriter) flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.partial) > 0 {
		w.emit(string(w.partial))
		w.partial = nil
	}
}

// lastLines returns the most recent lines, newline-separated.
func (w *logWriter) lastLines() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return strings.Join(w.tail, "\n")
}

func (w *logWriter) emit(line string) {
	line = strings.TrimRight(line, "\r")
	if strings.TrimSpace(line) == "" {
		return
	}
	if len(w.tail) == tailLines {
		w.tail = append(w.tail[:0], w.tail[1:]...)
	}
	w.tail = append(w.tail, line)
	w.log.Log(context.Background(), nginxLevel(line), line)
}

// nginxLevel maps nginx's "[emerg]"-style severity onto slog levels.
func nginxLevel(line string) slog.Level {
	for _, s := range []string{"[emerg]", "[alert]", "[crit]", "[error]"} {
		if strings.Contains(line, s) {
			return slog.LevelError
		}
	}
	if strings.Contains(line, "[warn]") {
		return slog.LevelWarn
	}
	return slog.LevelInfo
}
