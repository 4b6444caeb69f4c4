package reconcile

import "syscall"

// openFileLimit is the hard limit on open files this process has, which
// nginx inherits (unlimited counts as unknown; Go raises its own soft limit but restores it for
// children; workers set theirs from worker_rlimit_nofile, within the hard
// limit). 0 if unknown.
func openFileLimit() int {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil || l.Max > 1<<30 {
		return 0
	}
	return int(l.Max)
}
