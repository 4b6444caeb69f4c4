package deploy

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// dockerfile is the Dockerfile split into stages of instructions, with
// comments dropped and continuation lines joined.
type dockerfile struct {
	text   string
	stages []stage
}

type stage struct {
	name, base string
	instrs     []instr
}

type instr struct {
	op   string // upper case: RUN, COPY, ...
	args string
}

func readDockerfile(t testing.TB) dockerfile {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root(t), "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	df := dockerfile{text: string(b)}
	var cur strings.Builder
	flush := func() {
		line := strings.TrimSpace(cur.String())
		cur.Reset()
		if line == "" {
			return
		}
		op, args, _ := strings.Cut(line, " ")
		in := instr{op: strings.ToUpper(op), args: strings.TrimSpace(args)}
		if in.op == "FROM" {
			f := strings.Fields(in.args)
			s := stage{base: f[0]}
			if len(f) == 3 && strings.EqualFold(f[1], "AS") {
				s.name = f[2]
			}
			df.stages = append(df.stages, s)
			return
		}
		if len(df.stages) == 0 {
			if in.op != "ARG" {
				t.Fatalf("Dockerfile: %s before the first FROM", in.op)
			}
			return
		}
		s := &df.stages[len(df.stages)-1]
		s.instrs = append(s.instrs, in)
	}
	for _, line := range strings.Split(string(b), "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "#") {
			continue // comments, also inside continued instructions
		}
		if body, ok := strings.CutSuffix(strings.TrimRight(line, " \t"), "\\"); ok {
			cur.WriteString(body + " ")
			continue
		}
		cur.WriteString(line)
		flush()
	}
	flush()
	return df
}

func (df dockerfile) stage(t testing.TB, name string) stage {
	t.Helper()
	for _, s := range df.stages {
		if s.name == name {
			return s
		}
	}
	t.Fatalf("Dockerfile: no stage %q", name)
	return stage{}
}

func (s stage) all(op string) []string {
	var out []string
	for _, in := range s.instrs {
		if in.op == op {
			out = append(out, in.args)
		}
	}
	return out
}

// packagesTxt is hack/packages.txt as a list, read the obvious way.
func packagesTxt(t testing.TB) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root(t), "hack", "packages.txt"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		l = strings.TrimSpace(l)
		if l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, strings.Fields(l)...)
		}
	}
	if len(out) == 0 {
		t.Fatal("hack/packages.txt lists no package")
	}
	return out
}

// runPipeline runs a shell pipeline that prints package names and returns
// them.
func runPipeline(t testing.TB, dir, script string) []string {
	t.Helper()
	cmd := exec.Command("bash", "-o", "pipefail", "-c", script)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v", script, err)
	}
	return strings.Fields(string(out))
}

// TestDockerfileInstallsExactlyPackagesTxt: the runtime image gets the
// packages of hack/packages.txt and no others (libcap2-bin only to set file
// capabilities, then purged), and hack/setup.sh reads the same file, so
// local runs and the image use the same nginx and modules.
func TestDockerfileInstallsExactlyPackagesTxt(t *testing.T) {
	df := readDockerfile(t)
	want := packagesTxt(t)

	last := df.stages[len(df.stages)-1]
	if last.name != "controller" || last.base != "debian:bookworm-slim" {
		t.Errorf("the last stage (docker build's default target) is %q FROM %s, want controller FROM debian:bookworm-slim", last.name, last.base)
	}
	if b := df.stage(t, "build").base; !strings.HasPrefix(b, "golang:1.26-bookworm") {
		t.Errorf("build stage FROM %s, want golang:1.26-bookworm", b)
	}
	if e := df.stage(t, "echo"); e.base != "debian:bookworm-slim" || len(e.all("RUN")) > 0 {
		t.Errorf("echo stage FROM %s with RUN %v: want debian:bookworm-slim installing nothing", e.base, e.all("RUN"))
	}

	// COPY hack/packages.txt <dst>, then one RUN feeding <dst> to apt-get.
	var dst string
	for _, c := range last.all("COPY") {
		if f := strings.Fields(c); len(f) == 2 && f[0] == "hack/packages.txt" {
			dst = f[1]
		}
	}
	if dst == "" {
		t.Fatal("the controller stage does not COPY hack/packages.txt")
	}
	listRE := regexp.MustCompile(`^xargs apt-get install -y --no-install-recommends < <\((.*` + regexp.QuoteMeta(dst) + `.*)\)$`)
	fromList := 0
	for _, run := range last.all("RUN") {
		for _, cmd := range strings.Split(run, "&&") {
			cmd = strings.TrimSpace(cmd)
			_, after, ok := strings.Cut(cmd, "apt-get install ")
			if !ok {
				continue
			}
			if lm := listRE.FindStringSubmatch(cmd); lm != nil {
				fromList++
				// Run the Dockerfile's own pipeline on the real file.
				script := strings.ReplaceAll(lm[1], dst, "hack/packages.txt")
				if got := runPipeline(t, root(t), script); !slices.Equal(got, want) {
					t.Errorf("the Dockerfile's pipeline %q yields %v, want %v", lm[1], got, want)
				}
				continue
			}
			var pkgs []string
			for _, f := range strings.Fields(after) {
				if !strings.HasPrefix(f, "-") {
					pkgs = append(pkgs, f)
				}
			}
			if !slices.Equal(pkgs, []string{"libcap2-bin"}) {
				t.Errorf("the controller stage installs %v beyond hack/packages.txt (%s)", pkgs, cmd)
				continue
			}
			if !strings.Contains(run, "apt-mark auto libcap2-bin") || !strings.Contains(run, "apt-get autoremove -y --purge") {
				t.Error("libcap2-bin is installed for setcap but not marked auto and autoremoved in the same RUN")
			}
		}
	}
	// Removing a package by name also removes what depends on it: nginx
	// depends on libcap2-bin (through iproute2), so purging it took nginx
	// out of the image. Only autoremove, which keeps what is needed.
	for _, run := range last.all("RUN") {
		if regexp.MustCompile(`apt-get (-\S+ )*(purge|remove)\b`).MatchString(run) {
			t.Errorf("the controller stage removes packages by name, which also removes their dependents: %s", run)
		}
	}
	if fromList != 1 {
		t.Errorf("%d commands install the list in %s, want 1", fromList, dst)
	}

	// The capabilities that let uid 101 bind :80 under no_new_privs.
	for _, want := range []string{"setcap cap_net_bind_service=+ep /usr/sbin/nginx", "setcap cap_net_bind_service=+p /usr/local/bin/controller"} {
		if !strings.Contains(strings.Join(last.all("RUN"), "\n"), want) {
			t.Errorf("the controller stage does not run %q", want)
		}
	}
	if u := last.all("USER"); len(u) == 0 || u[len(u)-1] != "101:101" {
		t.Errorf("USER %v, want 101:101 last", u)
	}
	if e := last.all("ENTRYPOINT"); len(e) != 1 || e[0] != `["/usr/local/bin/controller"]` {
		t.Errorf("ENTRYPOINT %v", e)
	}

	// hack/setup.sh computes its list from the same file, the same way.
	setup, err := os.ReadFile(filepath.Join(root(t), "hack", "setup.sh"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`mapfile -t pkgs < <\((.*hack/packages\.txt.*)\)\n`).FindStringSubmatch(string(setup))
	if m == nil {
		t.Fatal("hack/setup.sh does not read hack/packages.txt with mapfile")
	}
	script := strings.ReplaceAll(m[1], `"$root/hack/packages.txt"`, "hack/packages.txt")
	if got := runPipeline(t, root(t), script); !slices.Equal(got, want) {
		t.Errorf("hack/setup.sh's pipeline %q yields %v, want %v", m[1], got, want)
	}
}
