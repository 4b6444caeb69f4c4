package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// memory is a process tree's resident memory in bytes. RSS counts pages
// shared between nginx's master and workers (the forked config, shared
// memory zones) once per process, so a sum of RSS overstates what the
// tree really costs; PSS divides each shared page among its users and
// sums to the true figure. Both are reported: the goal is stated in RSS.
type memory struct {
	RSS, PSS, HWM int64 // HWM: peak RSS (VmHWM), single processes only
	Procs         int
}

// procMemory reads VmRSS and VmHWM from /proc/PID/status and Pss from
// /proc/PID/smaps_rollup.
func procMemory(pid int) (memory, error) {
	st, err := procFields(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return memory{}, err
	}
	m := memory{RSS: st["VmRSS"], HWM: st["VmHWM"], Procs: 1}
	if sr, err := procFields(fmt.Sprintf("/proc/%d/smaps_rollup", pid)); err == nil {
		m.PSS = sr["Pss"]
	}
	return m, nil
}

// treeMemory sums procMemory over pid and its direct children (nginx's
// master and its workers, including ones still shutting down after a reload).
func treeMemory(pid int) (memory, error) {
	total, err := procMemory(pid)
	if err != nil {
		return memory{}, err
	}
	total.HWM = 0
	for _, c := range children(pid) {
		m, err := procMemory(c)
		if err != nil {
			continue // exited meanwhile
		}
		total.RSS += m.RSS
		total.PSS += m.PSS
		total.Procs++
	}
	return total, nil
}

// procFields parses "Key:   123 kB" lines into bytes.
func procFields(path string) (map[string]int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]int64{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		fs := strings.Fields(v)
		if !ok || len(fs) != 2 || fs[1] != "kB" {
			continue
		}
		if n, err := strconv.ParseInt(fs[0], 10, 64); err == nil {
			out[k] = n << 10
		}
	}
	return out, sc.Err()
}

// children lists the PIDs whose parent (field 4 of /proc/PID/stat) is pid.
func children(pid int) []int {
	entries, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range entries {
		c, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// "pid (comm) state ppid ...": comm may contain spaces and ')'.
		i := bytes.LastIndexByte(stat, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(stat[i+1:]))
		if len(f) >= 2 && f[1] == strconv.Itoa(pid) {
			out = append(out, c)
		}
	}
	return out
}

// pidAlive reports whether pid exists and is not a zombie.
func pidAlive(pid int) bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	i := bytes.LastIndexByte(stat, ')')
	return i >= 0 && i+2 < len(stat) && stat[i+2] != 'Z' && stat[i+2] != 'X'
}
