package main

import (
	"runtime/debug"
	"testing"
)

func TestTuneGC(t *testing.T) {
	prev := debug.SetGCPercent(100)
	defer debug.SetGCPercent(prev)
	if tuneGC(func(string) string { return "200" }) {
		t.Error("GOGC set in the environment must win")
	}
	if !tuneGC(func(string) string { return "" }) {
		t.Fatal("not applied without GOGC")
	}
	if got := debug.SetGCPercent(100); got != defaultGCPercent {
		t.Errorf("GC percent %d, want %d", got, defaultGCPercent)
	}
}
