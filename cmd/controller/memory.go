package main

import "runtime/debug"

// defaultGCPercent is the controller's GOGC unless the environment sets
// one. Its live heap is small (about 30-45 MiB with 1,000 Ingresses) but
// every rebuild allocates about as much again, and with Go's default of
// 100 the heap may grow to twice the live size before a collection: the
// process then holds ~100 MiB. 50 keeps it nearer the live size for a few
// percent more GC CPU, which a controller that rebuilds a few times a
// second at most can spare. GOMEMLIMIT is not set for it: the container's
// memory limit also covers nginx, whose share grows with the config.
const defaultGCPercent = 50

// tuneGC applies defaultGCPercent when GOGC is not set.
func tuneGC(getenv func(string) string) (applied bool) {
	if getenv("GOGC") != "" {
		return false
	}
	debug.SetGCPercent(defaultGCPercent)
	return true
}
