package nginxconf

import (
	"bytes"
	"flag"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/types"

	"github.com/atrium-ingress/atrium/internal/configmap"
	"sigs.k8s.io/yaml"
)

// Golden cases: testdata/<case>/input.yaml (+ optional options.yaml) ->
// nginx.conf and problems.yaml. Regenerate with `go test ./internal/nginxconf -update`.
var update = flag.Bool("update", false, "rewrite the golden files")

// goldenDir is the runtime dir baked into golden files; the nginx -t check
// swaps it for a temporary directory.
const goldenDir = "/atrium-golden"

// caseOptions are the knobs a golden case may set in options.yaml.
type caseOptions struct {
	DefaultBackend     string `json:"defaultBackend"`
	DefaultCertificate string `json:"defaultCertificate"`
	WatchWithoutClass  bool   `json:"watchWithoutClass"`
	HTTPSPort          int    `json:"httpsPort"`
	// ExternalNames are resolved ExternalName Services (allowing them).
	ExternalNames map[string][]string `json:"externalNames"`
	// ConfigMap is the data of the --configmap ConfigMap.
	ConfigMap map[string]string `json:"configMap"`
	// Resolvers are the DNS servers for mirror-target host names.
	Resolvers []string `json:"resolvers"`
	// SSLPassthrough is --enable-ssl-passthrough.
	SSLPassthrough bool `json:"sslPassthrough"`
}

func testOptions(t testing.TB, dir string) Options {
	t.Helper()
	crt, err := os.ReadFile("testdata/certs/fallback.crt")
	if err != nil {
		t.Fatal(err)
	}
	key, err := os.ReadFile("testdata/certs/fallback.key")
	if err != nil {
		t.Fatal(err)
	}
	return Options{
		IngressClass:        "atrium",
		ControllerClass:     "atrium-ingress.io/controller",
		FallbackCertificate: crt,
		FallbackKey:         key,
		HTTPPort:            80,
		HTTPSPort:           443,
		StatusPort:          10246,
		Dir:                 dir,
		PIDFile:             dir + "/nginx.pid",
		ErrorLog:            dir + "/logs/error.log",
		TempDir:             dir + "/tmp",
		EndpointsFile:       dir + "/endpoints.txt",
		ControlSocket:       dir + "/control/atrium.sock",
		Resolvers:           []string{"10.96.0.10"},
	}
}

func nsName(s string) types.NamespacedName {
	if s == "" {
		return types.NamespacedName{}
	}
	ns, name, _ := strings.Cut(s, "/")
	return types.NamespacedName{Namespace: ns, Name: name}
}

func loadCase(t testing.TB, dir string) (Snapshot, Options) {
	snap, o, co := loadCaseOptions(t, dir)
	snap.ExternalNames = co.ExternalNames
	return snap, o
}

func loadCaseOptions(t testing.TB, dir string) (Snapshot, Options, caseOptions) {
	t.Helper()
	snap, _, err := LoadFiles(filepath.Join(dir, "input.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	o := testOptions(t, goldenDir)
	var co caseOptions
	if data, err := os.ReadFile(filepath.Join(dir, "options.yaml")); err == nil {
		if err := yaml.UnmarshalStrict(data, &co); err != nil {
			t.Fatal(err)
		}
		o.DefaultBackend = nsName(co.DefaultBackend)
		o.DefaultCertificate = nsName(co.DefaultCertificate)
		o.WatchWithoutClass = co.WatchWithoutClass
		if co.HTTPSPort != 0 {
			o.HTTPSPort = co.HTTPSPort
		}
		o.Resolvers = co.Resolvers
		o.SSLPassthrough = co.SSLPassthrough
		if co.ConfigMap != nil {
			r := configmap.Parse(co.ConfigMap, configmap.Defaults())
			if len(r.Invalid)+len(r.Unknown) > 0 {
				t.Fatalf("options.yaml configMap: invalid %v unknown %v", r.Invalid, r.Unknown)
			}
			o.Global = &r.Config
		}
	}
	return snap, o, co
}

func buildAndRender(t *testing.T, snap Snapshot, o Options) ([]byte, []byte, *Config) {
	t.Helper()
	cfg, probs, err := Build(snap, o)
	if err != nil {
		t.Fatal(err)
	}
	conf, _, err := Render(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if probs == nil {
		probs = []Problem{}
	}
	py, err := yaml.Marshal(probs)
	if err != nil {
		t.Fatal(err)
	}
	return conf, py, cfg
}

func caseDirs(t *testing.T) []string {
	dirs, err := filepath.Glob("testdata/cases/*")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no golden cases found: %v", err)
	}
	return dirs
}

func TestGolden(t *testing.T) {
	for _, dir := range caseDirs(t) {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			snap, o := loadCase(t, dir)
			conf, probs, cfg := buildAndRender(t, snap, o)
			compareGolden(t, filepath.Join(dir, "nginx.conf"), conf)
			compareGolden(t, filepath.Join(dir, "problems.yaml"), probs)
			compareGolden(t, filepath.Join(dir, "endpoints.txt"), EndpointTable(cfg))
			nginxTest(t, conf, cfg)
		})
	}
}

// TestShuffle proves input order changes no byte of the output.
func TestShuffle(t *testing.T) {
	for _, dir := range caseDirs(t) {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			snap, o := loadCase(t, dir)
			want, wantProbs, _ := buildAndRender(t, snap, o)
			rng := rand.New(rand.NewSource(1))
			for i := 0; i < 20; i++ {
				rng.Shuffle(len(snap.Ingresses), func(a, b int) { snap.Ingresses[a], snap.Ingresses[b] = snap.Ingresses[b], snap.Ingresses[a] })
				rng.Shuffle(len(snap.Services), func(a, b int) { snap.Services[a], snap.Services[b] = snap.Services[b], snap.Services[a] })
				rng.Shuffle(len(snap.EndpointSlices), func(a, b int) {
					snap.EndpointSlices[a], snap.EndpointSlices[b] = snap.EndpointSlices[b], snap.EndpointSlices[a]
				})
				rng.Shuffle(len(snap.Secrets), func(a, b int) { snap.Secrets[a], snap.Secrets[b] = snap.Secrets[b], snap.Secrets[a] })
				for _, es := range snap.EndpointSlices {
					rng.Shuffle(len(es.Endpoints), func(a, b int) { es.Endpoints[a], es.Endpoints[b] = es.Endpoints[b], es.Endpoints[a] })
				}
				got, gotProbs, _ := buildAndRender(t, snap, o)
				if !bytes.Equal(got, want) || !bytes.Equal(gotProbs, wantProbs) {
					t.Fatalf("shuffle %d changed the output", i)
				}
			}
		})
	}
}

func compareGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (run with -update if intended):\n%s", path, lineDiff(string(want), string(got)))
	}
}

// lineDiff shows the first differing lines, enough to see what changed.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(w) || i < len(g); i++ {
		var a, b string
		if i < len(w) {
			a = w[i]
		}
		if i < len(g) {
			b = g[i]
		}
		if a != b {
			return "line " + itoa(i+1) + ":\n- " + a + "\n+ " + b
		}
	}
	return ""
}

func itoa(i int) string { return strconv.Itoa(i) }

// nginxTest runs the real `nginx -t` on a rendered config, with the golden
// runtime dir swapped for a temporary one holding the certificate files.
func nginxTest(t *testing.T, conf []byte, cfg *Config) {
	t.Helper()
	bin, err := exec.LookPath("nginx")
	if err != nil {
		bin = "/usr/sbin/nginx"
		if _, err := os.Stat(bin); err != nil {
			t.Fatalf("nginx is not installed (run hack/setup.sh): the golden configs must pass nginx -t")
		}
	}
	dir := t.TempDir()
	conf = bytes.ReplaceAll(conf, []byte(goldenDir), []byte(dir))
	for _, sub := range []string{"logs", "tmp", "certs", "lua", "control", "sink"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range cfg.Files {
		if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(f.Path)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f.Path), f.Data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(path, conf, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "-t", "-q", "-p", dir+"/", "-c", path, "-g", "daemon off;").CombinedOutput()
	if err != nil {
		t.Fatalf("nginx -t failed: %v\n%s", err, out)
	}
}
