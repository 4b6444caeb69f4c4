package nginx

import (
	"bytes"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// defaultFileMode applies to a File whose Mode is zero.
const defaultFileMode os.FileMode = 0o644

// File is an extra file the config refers to (a certificate, a key, ...).
type File struct {
	Data []byte
	// Mode is the permission bits; zero means 0644. Keys should use 0600:
	// only the master (root) reads them, when it loads the config.
	Mode os.FileMode
	// Group, when not zero, is the file's group (a gid): a file the
	// workers read at request time (auth_basic_user_file) goes to their
	// group with mode 0640, see WorkerIdentity.
	Group int
}

func (f File) mode() os.FileMode {
	if f.Mode.Perm() == 0 {
		return defaultFileMode
	}
	return f.Mode.Perm()
}

func (f File) equal(g File) bool {
	return f.mode() == g.mode() && f.Group == g.Group && bytes.Equal(f.Data, g.Data)
}

// safeJoin resolves a Candidate.Files key below dir. Keys come from data we
// do not fully control (Secret contents shape names), so anything that could
// land outside dir or on the supervisor's own files is refused: empty,
// absolute, non-canonical ("./a", "a//b", "a/"), any ".." element, reserved
// names (nginx.conf, nginx.pid, logs/, tmp/, ...) and, as a last guard, any
// result that is not strictly inside dir after Join+Clean.
func safeJoin(dir, rel string) (string, error) {
	switch {
	case rel == "":
		return "", fmt.Errorf("file path is empty")
	case filepath.IsAbs(rel) || strings.HasPrefix(rel, "/"):
		return "", fmt.Errorf("file path %q is absolute", rel)
	case strings.ContainsRune(rel, 0) || strings.Contains(rel, `\`):
		return "", fmt.Errorf("file path %q contains a NUL or backslash", rel)
	}
	for _, elem := range strings.Split(rel, "/") {
		if elem == ".." {
			return "", fmt.Errorf("file path %q contains %q", rel, "..")
		}
		if strings.HasPrefix(elem, tempPrefix) {
			return "", fmt.Errorf("file path %q uses the reserved prefix %q", rel, tempPrefix)
		}
	}
	if path.Clean(rel) != rel {
		return "", fmt.Errorf("file path %q is not clean (want %q)", rel, path.Clean(rel))
	}
	switch first, _, _ := strings.Cut(rel, "/"); first {
	case configName, candidateName, pidName, logDirName, tempDirName, endpointsName, controlDir:
		return "", fmt.Errorf("file path %q collides with the supervisor's own %q", rel, first)
	}
	root := filepath.Clean(dir)
	full := filepath.Join(root, filepath.FromSlash(rel))
	if !strings.HasPrefix(full, root+string(filepath.Separator)) {
		return "", fmt.Errorf("file path %q escapes %s", rel, root)
	}
	return full, nil
}

// writeAtomic replaces name so that readers (nginx -t, a reloading master)
// see either the old or the new content, never a torn file: it writes a
// temporary file in the same directory and renames it into place.
// No fsync: everything here is regenerated from the cluster on restart.
func writeAtomic(name string, data []byte, mode os.FileMode, group int) error {
	f, err := os.CreateTemp(filepath.Dir(name), tempPrefix+"*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil && group != 0 {
		err = f.Chown(-1, group) // before the mode, so no other group ever reads it
	}
	if err == nil {
		err = f.Chmod(mode) // CreateTemp always uses 0600
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, name)
	}
	if err != nil {
		_ = os.Remove(tmp)
	}
	return err
}

// fileChange records what a write replaced, so a failed apply can put the
// last good content back. prev is nil for a file that did not exist before.
type fileChange struct {
	rel  string
	prev *File
}

// checkFiles validates every key before anything touches the disk.
func checkFiles(dir string, files map[string]File) error {
	for rel := range files {
		if _, err := safeJoin(dir, rel); err != nil {
			return err
		}
	}
	return nil
}

// writeFiles writes the files that differ from good (the last applied set,
// which is what is on disk) and returns what it changed, even on error.
func writeFiles(dir string, files, good map[string]File) ([]fileChange, error) {
	var changes []fileChange
	for _, rel := range sortedKeys(files) {
		f := files[rel]
		old, had := good[rel]
		if had && old.equal(f) {
			continue
		}
		full, err := safeJoin(dir, rel)
		if err != nil {
			return changes, err
		}
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return changes, err
		}
		ch := fileChange{rel: rel}
		if had {
			ch.prev = &old
		}
		if err := writeAtomic(full, f.Data, f.mode(), f.Group); err != nil {
			return changes, fmt.Errorf("writing %s: %w", rel, err)
		}
		changes = append(changes, ch)
	}
	return changes, nil
}

// undoFiles reverses writeFiles: previous content is rewritten, new files go.
func undoFiles(dir string, changes []fileChange) error {
	var first error
	for _, ch := range changes {
		full, err := safeJoin(dir, ch.rel)
		if err == nil {
			if ch.prev != nil {
				err = writeAtomic(full, ch.prev.Data, ch.prev.mode(), ch.prev.Group)
			} else if err = os.Remove(full); os.IsNotExist(err) {
				err = nil
			}
		}
		if err != nil && first == nil {
			first = err
		}
	}
	return first
}

// staleFiles lists managed files that the current set no longer holds: the
// keys of the previous set plus anything (including leftovers of an earlier
// controller run or an interrupted write) found directly in a managed
// subdirectory. Dir itself is never scanned: it holds nginx.conf and friends.
func staleFiles(dir string, managedDirs map[string]bool, prev, current map[string]File) []string {
	seen := map[string]bool{}
	var out []string
	add := func(rel string) {
		if _, keep := current[rel]; !keep && !seen[rel] {
			seen[rel] = true
			out = append(out, rel)
		}
	}
	for rel := range prev {
		add(rel)
	}
	for sub := range managedDirs {
		entries, err := os.ReadDir(filepath.Join(dir, filepath.FromSlash(sub)))
		if err != nil {
			continue
		}
		for _, e := range entries {
			if !e.IsDir() {
				add(path.Join(sub, e.Name()))
			}
		}
	}
	sort.Strings(out)
	return out
}

func sortedKeys(m map[string]File) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func cloneFiles(m map[string]File) map[string]File {
	out := make(map[string]File, len(m))
	for k, f := range m {
		out[k] = File{Data: bytes.Clone(f.Data), Mode: f.Mode, Group: f.Group}
	}
	return out
}

func equalFiles(a, b map[string]File) bool {
	if len(a) != len(b) {
		return false
	}
	for k, f := range a {
		g, ok := b[k]
		if !ok || !f.equal(g) {
			return false
		}
	}
	return true
}
