package nginxconf

import (
	"regexp"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/atrium-ingress/atrium/internal/configmap"
)

// nginxVarRe is how far nginx reads a variable name after '$' (or inside
// "${...}"): letters, digits and '_', compared without case.
var nginxVarRe = regexp.MustCompile(`\$(\{[A-Za-z0-9_]*\}?|[A-Za-z0-9_]*)`)

// FuzzHeaderValues: a header name and value from a ConfigMap (add-headers,
// proxy-set-headers, custom-headers and auth-proxy-set-headers all read
// one) never fail Build or Render, and what is accepted is written as one
// directive with one argument nginx takes: shorter than its limit, and
// every variable nginx would read in it one of the allow-list's (a '$' of
// add-headers and custom-headers values is literal). FuzzRender keeps the
// referenced ConfigMaps fixed; this varies their data.
func FuzzHeaderValues(f *testing.F) {
	for _, s := range [][2]string{
		{"X-A", "plain"}, {"X-A", "t=${msec}"}, {"X-A", "$remote_addrX"}, {"X-A", "$Remote_Addr"},
		{"X-A", strings.Repeat("a", 3999)}, {"X-A", strings.Repeat("$", 300)}, {"X-A", "\x01ATRIUM-CONFIG-HASH\x01"},
		{"X-A", `a"b\c;d{e}f`}, {"X-A", "${msec"}, {"X-A", "$$"}, {"Bad Name", "v"}, {"X-A", "@@ATRIUM%CONFIG%HASH@@"},
		{"", "$x"}, // no header name: nothing to find (a test bug the fuzzer found)
	} {
		f.Add(s[0], s[1])
	}
	snap, o := loadCase(f, "testdata/cases/auth-external")
	f.Fuzz(func(t *testing.T, name, value string) {
		snap := snap
		// Later ConfigMaps of a name win: these replace the case's own
		// auth-proxy-set-headers ConfigMap and add add-headers' and
		// proxy-set-headers'.
		snap.ConfigMaps = append(append([]*corev1.ConfigMap(nil), snap.ConfigMaps...),
			&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "app", Name: "auth-headers"}, Data: map[string]string{name: value}},
			&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "ingress", Name: "h"}, Data: map[string]string{name: value}})
		r := configmap.Parse(map[string]string{"add-headers": "ingress/h", "proxy-set-headers": "ingress/h"}, configmap.Defaults())
		o := o
		o.Global = &r.Config
		cfg, _, err := Build(snap, o)
		if err != nil {
			t.Fatal(err)
		}
		conf, _, err := Render(cfg)
		if err != nil {
			t.Fatalf("Render failed, so a value Build did not validate reached the template: %v", err)
		}
		parsed, err := parseNginxConf(conf)
		if err != nil {
			t.Fatalf("the output does not parse: %v", err)
		}
		walkDirectives(parsed.Directives, func(_ []string, d Directive) {
			header := ""
			switch {
			case d.Name == "more_set_headers" && len(d.Args) == 1:
				header, _, _ = strings.Cut(d.Args[0], ":")
			case (d.Name == "proxy_set_header" || d.Name == "grpc_set_header") && len(d.Args) == 2:
				header = d.Args[0]
			}
			if header == "" || !strings.EqualFold(header, name) {
				return
			}
			literal := d.Name == "more_set_headers"
			for _, a := range d.Args {
				if len(a)+2 >= 4096 {
					t.Errorf("%s: an argument of %d bytes, which nginx refuses", d.Name, len(a))
				}
				for _, m := range nginxVarRe.FindAllString(a, -1) {
					v := strings.ToLower(strings.Trim(m[1:], "{}"))
					if literal && v != "atrium_dollar" || !literal && !configmap.LogVarAllowed(v) {
						t.Errorf("%s %q: nginx would read the variable %q", d.Name, d.Args, m)
					}
				}
			}
		})
	})
}
