package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"
)

// Figure is one row of the results table. Value summarises Runs: the
// median for measurements (robust to one noisy run), the total for
// failure counts (a failure in any run must show).
type Figure struct {
	Workload string    `json:"workload"`
	Name     string    `json:"name"`
	Unit     string    `json:"unit"`
	Value    float64   `json:"value"`
	Agg      string    `json:"aggregate"` // median, total
	Runs     []float64 `json:"runs"`
	Goal     *Goal     `json:"goal,omitempty"`
	Met      *bool     `json:"met,omitempty"`
	Note     string    `json:"note,omitempty"`
}

// Goal is a bound Value must meet.
type Goal struct {
	Op    string  `json:"op"` // "<=" or ">="
	Limit float64 `json:"limit"`
}

func le(x float64) *Goal { return &Goal{"<=", x} }
func ge(x float64) *Goal { return &Goal{">=", x} }

// Report is everything one `go run ./bench` measured.
type Report struct {
	Date     time.Time         `json:"date"`
	Runs     int               `json:"runs"`
	Quick    bool              `json:"quick"`
	Only     []string          `json:"only,omitempty"`
	Machine  map[string]any    `json:"machine"`
	Versions map[string]string `json:"versions"`
	Settings map[string]any    `json:"settings"`
	Figures  []*Figure         `json:"figures"`
	Errors   []string          `json:"errors,omitempty"`
	// Raw holds per-workload details (every sample, load results).
	Raw      map[string]any `json:"raw"`
	Duration string         `json:"duration"`
}

// add records a figure; agg is "median" or "total".
func (r *Report) add(workload, name, unit, agg string, runs []float64, goal *Goal, note string) *Figure {
	f := &Figure{Workload: workload, Name: name, Unit: unit, Agg: agg, Runs: runs, Goal: goal, Note: note}
	if agg == "total" {
		for _, v := range runs {
			f.Value += v
		}
	} else {
		f.Value = median(runs)
	}
	if goal != nil && len(runs) > 0 {
		met := (goal.Op == "<=" && f.Value <= goal.Limit) || (goal.Op == ">=" && f.Value >= goal.Limit)
		f.Met = &met
	}
	r.Figures = append(r.Figures, f)
	return f
}

func (r *Report) fail(workload string, err error) {
	r.Errors = append(r.Errors, fmt.Sprintf("%s: %v", workload, err))
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// percentile of unsorted samples (nearest rank).
func percentile(v []float64, p float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	i := int(float64(len(s))*p/100+0.5) - 1
	return s[min(max(i, 0), len(s)-1)]
}

func format(v float64, unit string) string {
	switch unit {
	case "ms":
		if v >= 100 {
			return fmt.Sprintf("%.0f ms", v)
		}
		return fmt.Sprintf("%.1f ms", v)
	case "s":
		if v == float64(int64(v)) {
			return fmt.Sprintf("%.0f s", v)
		}
		return fmt.Sprintf("%.2f s", v)
	case "rps":
		return fmt.Sprintf("%.0f req/s", v)
	case "MiB":
		if v == float64(int64(v)) {
			return fmt.Sprintf("%.0f MiB", v)
		}
		return fmt.Sprintf("%.1f MiB", v)
	case "B":
		if v >= 10*1024 {
			return fmt.Sprintf("%.0f KiB", v/1024)
		}
		return fmt.Sprintf("%.0f B", v)
	case "ratio":
		return fmt.Sprintf("%.3f", v)
	case "":
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.3g %s", v, unit)
}

func (g *Goal) String(unit string) string {
	if g == nil {
		return ""
	}
	op := map[string]string{"<=": "≤", ">=": "≥"}[g.Op]
	return op + " " + format(g.Limit, unit)
}

// Markdown prints the results table with the machine and versions.
func (r *Report) Markdown(w io.Writer) {
	fmt.Fprintf(w, "Atrium %s benchmarks, %s: %v × %s, kernel %s (load average at start %v); %s, %s, Kubernetes %s; runs=%d%s; took %s.\n\n",
		r.Versions["atrium"], r.Date.Format("2006-01-02 15:04 MST"), r.Machine["nproc"], r.Machine["cpu"], r.Machine["kernel"], r.Machine["loadavgAtStart"],
		r.Versions["go"], r.Versions["nginx"], r.Versions["kubernetes"], r.Runs, map[bool]string{true: " (-quick)"}[r.Quick], r.Duration)
	fmt.Fprintln(w, "| Workload | Figure | Result | Goal | Met | Per run |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|")
	// Grouped by workload (they run interleaved); stable, so a workload's
	// backgrounds and sizes stay in the order they ran.
	order := []string{"core", "W1", "W2", "W3", "W4", "Recovery"}
	rank := func(f *Figure) int {
		return slices.IndexFunc(order, func(p string) bool { return strings.HasPrefix(f.Workload, p) })
	}
	figs := slices.Clone(r.Figures)
	slices.SortStableFunc(figs, func(a, b *Figure) int { return rank(a) - rank(b) })
	for _, f := range figs {
		met := ""
		if f.Met != nil {
			met = map[bool]string{true: "yes", false: "**no**"}[*f.Met]
		}
		var runs []string
		for _, v := range f.Runs {
			runs = append(runs, strings.TrimSuffix(strings.TrimSuffix(format(v, f.Unit), " req/s"), " "+f.Unit))
		}
		name := f.Name
		if f.Agg == "total" && len(f.Runs) > 1 {
			name += " (total)"
		}
		if f.Note != "" {
			name += " — " + f.Note
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s |\n", f.Workload, name, format(f.Value, f.Unit), f.Goal.String(f.Unit), met, strings.Join(runs, ", "))
	}
	for _, e := range r.Errors {
		fmt.Fprintf(w, "\nERROR %s\n", e)
	}
}

// Write saves the report as indented JSON.
func (r *Report) Write(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// machine describes the box: results only compare on the same one.
func machine() map[string]any {
	m := map[string]any{"nproc": runtime.NumCPU(), "cpu": "unknown", "kernel": "unknown", "arch": runtime.GOARCH}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				m["cpu"] = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m["kernel"] = strings.TrimSpace(string(b))
	}
	// Other processes competing for the CPU skew every figure: say so.
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		m["loadavgAtStart"] = strings.Join(strings.Fields(string(b))[:3], " ")
	}
	if st, err := procFields("/proc/meminfo"); err == nil {
		m["memTotalMiB"] = st["MemTotal"] >> 20
	}
	return m
}

// checkout names the code measured: the commit, and whether the working
// tree differed from it (then the figures belong to uncommitted code).
func checkout(root string) string {
	out, err := exec.Command("git", "-C", root, "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return "unknown"
	}
	rev := strings.TrimSpace(string(out))
	if st, err := exec.Command("git", "-C", root, "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(st) > 0 {
		rev += "+uncommitted changes"
	}
	return rev
}

// nginxVersion is `nginx -v` ("nginx version: nginx/1.22.1" on stderr).
func nginxVersion() string {
	out, err := exec.Command("/usr/sbin/nginx", "-v").CombinedOutput()
	if err != nil {
		return "unknown: " + err.Error()
	}
	return strings.TrimPrefix(strings.TrimSpace(string(out)), "nginx version: ")
}
