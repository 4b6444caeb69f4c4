package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
)

// benchLine matches `go test -bench` output such as
// "BenchmarkBuild/ingresses=10000-2   12   88522745 ns/op   ...".
var benchLine = regexp.MustCompile(`^Benchmark(Build|Render)/ingresses=(\d+)-\d+\s+\d+\s+([0-9.]+) ns/op(.*)$`)

var allocsRe = regexp.MustCompile(`([0-9.]+) B/op\s+([0-9.]+) allocs/op`)

// core runs the Go benchmarks of the pure core (internal/nginxconf's
// BenchmarkBuild and BenchmarkRender) as a child `go test`, -count=runs,
// before the cluster starts so nothing competes for the CPU. It reports
// Build+Render per size and the 10k/1k ratio (10 would be linear).
func core(ctx context.Context, root string, runs int, quick bool, rep *Report, log func(string, ...any)) error {
	args := []string{"test", "-run", "^$", "-bench", "^Benchmark(Build|Render)$", "-benchmem", "-count", strconv.Itoa(runs)}
	// 500 ms per benchmark (not the default 1 s): with -count 3 that is
	// still thousands of iterations at 100 and tens at 10,000, in ~12 s.
	benchtime := "500ms"
	if quick {
		benchtime = "200ms"
	}
	args = append(args, "-benchtime", benchtime)
	args = append(args, "./internal/nginxconf/")
	log("go %v", args)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("go test -bench: %v\n%s", err, out)
	}
	// ns/op per function and size, one value per -count repetition.
	ns := map[string]map[int][]float64{"Build": {}, "Render": {}}
	mem := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		m := benchLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		n, _ := strconv.Atoi(m[2])
		v, _ := strconv.ParseFloat(m[3], 64)
		ns[m[1]][n] = append(ns[m[1]][n], v)
		if a := allocsRe.FindStringSubmatch(m[4]); a != nil {
			mem[fmt.Sprintf("%s/%d", m[1], n)] = a[1] + " B/op, " + a[2] + " allocs/op"
		}
	}
	sum := map[int][]float64{}
	for _, n := range []int{100, 1000, 10000} {
		b, r := ns["Build"][n], ns["Render"][n]
		if len(b) == 0 || len(b) != len(r) {
			return fmt.Errorf("no benchmark results for %d Ingresses in:\n%s", n, out)
		}
		for i := range b {
			sum[n] = append(sum[n], (b[i]+r[i])/1e6)
		}
		var goal *Goal
		if n == 10000 {
			goal = le(500)
		}
		rep.add("core", fmt.Sprintf("Build+Render, %s Ingresses", thousands(n)), "ms", "median", sum[n], goal, "")
	}
	for _, fn := range []string{"Build", "Render"} {
		rep.add("core", fn+", 10,000 Ingresses", "ms", "median", scale(ns[fn][10000], 1e-6), nil, mem[fn+"/10000"])
	}
	var ratio []float64
	for i := range sum[10000] {
		ratio = append(ratio, sum[10000][i]/sum[1000][i])
	}
	rep.add("core", "Build+Render 10k/1k ratio (10 = linear)", "ratio", "median", ratio, nil, "")
	rep.Raw["core"] = map[string]any{"nsPerOp": ns, "mem": mem}
	return nil
}

func scale(v []float64, f float64) []float64 {
	out := make([]float64, len(v))
	for i := range v {
		out[i] = v[i] * f
	}
	return out
}
