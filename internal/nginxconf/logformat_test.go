package nginxconf

import (
	"testing"

	networkingv1 "k8s.io/api/networking/v1"

	"github.com/atrium-ingress/atrium/internal/configmap"
)

// TestLogFormatStaysOneArgument: whatever text log-format-upstream holds
// (quotes, semicolons, braces), it renders as the one argument of one
// log_format directive, holds exactly the text, and nginx accepts it.
func TestLogFormatStaysOneArgument(t *testing.T) {
	formats := []string{
		`x"; } server { listen 81; } log_format y "`,
		`{"a": "$status"}; include /etc/passwd;`,
		`'$remote_addr' "$request" #comment {`,
	}
	countServers := func(conf []byte) int {
		parsed, err := parseNginxConf(conf)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		walkDirectives(parsed.Directives, func(_ []string, d Directive) {
			if d.Name == "server" {
				n++
			}
		})
		return n
	}
	base, _, err := Build(Snapshot{IngressClasses: []*networkingv1.IngressClass{atriumClass()}}, testOptions(t, goldenDir))
	if err != nil {
		t.Fatal(err)
	}
	baseConf, _, err := Render(base)
	if err != nil {
		t.Fatal(err)
	}
	baseServers := countServers(baseConf)
	for _, f := range formats {
		r := configmap.Parse(map[string]string{"log-format-upstream": f, "access-log-path": "/dev/stdout"}, configmap.Defaults())
		if len(r.Invalid) > 0 {
			t.Fatalf("%q refused: %v", f, r.Invalid)
		}
		o := testOptions(t, goldenDir)
		o.Global = &r.Config
		cfg, _, err := Build(Snapshot{IngressClasses: []*networkingv1.IngressClass{atriumClass()}}, o)
		if err != nil {
			t.Fatal(err)
		}
		conf, _, err := Render(cfg)
		if err != nil {
			t.Fatalf("%q: %v", f, err)
		}
		parsed, err := parseNginxConf(conf)
		if err != nil {
			t.Fatalf("%q: %v\n%s", f, err, conf)
		}
		var formatsSeen, servers int
		walkDirectives(parsed.Directives, func(ctx []string, d Directive) {
			switch d.Name {
			case "log_format":
				formatsSeen++
				if len(d.Args) != 2 || d.Args[0] != "atrium" || d.Args[1] != f {
					t.Errorf("%q: log_format args %q, want [atrium, the format]", f, d.Args)
				}
			case "server":
				servers++
			case "include":
				t.Errorf("%q: an include directive appeared", f)
			}
		})
		if formatsSeen != 1 {
			t.Errorf("%q: %d log_format directives, want 1", f, formatsSeen)
		}
		if servers != baseServers {
			t.Errorf("%q: %d server blocks parsed, %d without the format", f, servers, baseServers)
		}
		nginxTest(t, conf, cfg)
	}
}
