package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRenderCommand: `controller render -f` prints nginx.conf for a folder
// of YAML on stdout and the problems and annotation report on stderr, with
// no cluster; --fail-on-problems turns problems into exit status 2.
func TestRenderCommand(t *testing.T) {
	var out, errOut bytes.Buffer
	err := runRender([]string{"-f", "../../internal/nginxconf/testdata/cases/annotations/input.yaml", "--nginx-dir", "/tmp/atrium-render-test"}, &out, &errOut)
	if err != nil {
		t.Fatalf("render: %v\n%s", err, errOut.String())
	}
	conf, report := out.String(), errOut.String()
	for _, want := range []string{`server_name "tuned.example.com";`, `client_max_body_size "8m";`, `return 308 "https://new.example.com/place?x=1";`} {
		if !strings.Contains(conf, want) {
			t.Errorf("nginx.conf lacks %s", want)
		}
	}
	for _, want := range []string{"3 of 3 Ingresses served", "InvalidAnnotation", "unsupported [nginx.ingress.kubernetes.io/auth-keepalive nginx.ingress.kubernetes.io/configuration-snippet]"} {
		if !strings.Contains(report, want) {
			t.Errorf("report lacks %q:\n%s", want, report)
		}
	}
	if strings.Contains(conf, "pwned") {
		t.Error("a refused annotation value reached nginx.conf")
	}
	err = runRender([]string{"-f", "../../internal/nginxconf/testdata/cases/annotations/input.yaml", "--problems-only", "--fail-on-problems"}, &out, &errOut)
	var code exitError
	if !errors.As(err, &code) || code != 2 {
		t.Errorf("--fail-on-problems with problems: %v, want exit status 2", err)
	}
	if err := runRender([]string{"-f", "../../internal/nginxconf/testdata/cases/basic/input.yaml", "--problems-only", "--fail-on-problems"}, &out, &errOut); err != nil {
		t.Errorf("--fail-on-problems without problems: %v", err)
	}
}

// TestRenderConfigMap: render reads --configmap from the files, so
// custom-headers is checked against its global-allowed-response-headers.
func TestRenderConfigMap(t *testing.T) {
	dir := t.TempDir()
	in, err := os.ReadFile("../../internal/nginxconf/testdata/cases/custom-headers/input.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cm := "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: atrium-config, namespace: atrium-system}\ndata:\n  global-allowed-response-headers: X-Frame-Options,Content-Security-Policy,X-Dollar\n"
	if err := os.WriteFile(filepath.Join(dir, "in.yaml"), append(in, cm...), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		want bool
	}{{nil, false}, {[]string{"--configmap", "atrium-system/atrium-config"}, true}} {
		var out, errOut bytes.Buffer
		args := append([]string{"-f", dir, "--nginx-dir", "/tmp/atrium-render-test"}, c.args...)
		if err := runRender(args, &out, &errOut); err != nil {
			t.Fatalf("render %v: %v\n%s", args, err, errOut.String())
		}
		if got := strings.Contains(out.String(), `add_header "X-Frame-Options" "DENY" always;`); got != c.want {
			t.Errorf("render %v: custom header rendered %v, want %v\n%s", c.args, got, c.want, errOut.String())
		}
	}
}
