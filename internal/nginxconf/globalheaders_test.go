package nginxconf

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/atrium-ingress/atrium/internal/configmap"
)

// TestGlobalHeadersProblems: an add-headers or proxy-set-headers value that
// cannot be used leaves that set out with a problem on the controller's
// ConfigMap naming the key, and everything else is rendered (and passes
// nginx -t); a valid set is rendered.
func TestGlobalHeadersProblems(t *testing.T) {
	source := ObjectRef{Kind: "ConfigMap", Namespace: "ingress", Name: "atrium"}
	for _, c := range []struct {
		name, key string
		data      map[string]string
		problem   string // "" for none
		rendered  string // with no problem: a line of the output
	}{
		{"missing", "add-headers", nil, "ConfigMap ingress/h not found", ""},
		{"nginx's own header", "add-headers", map[string]string{"Content-Type": "x"}, "written by nginx itself", ""},
		{"HSTS while hsts is on", "add-headers", map[string]string{"Strict-Transport-Security": "max-age=1"}, "sent by the hsts keys", ""},
		{"literal dollar", "add-headers", map[string]string{"X-A": "$remote_addr"}, "", `more_set_headers "X-A: ${atrium_dollar}remote_addr";`},
		{"Atrium's own request header", "proxy-set-headers", map[string]string{"X-Forwarded-Proto": "https"}, "set by Atrium itself", ""},
		{"variable not allowed", "proxy-set-headers", map[string]string{"X-A": "$request_body"}, "not one of the allowed variables", ""},
		{"per-location log variable", "proxy-set-headers", map[string]string{"X-A": "$namespace"}, "for log formats only", ""},
		{"unclosed brace", "proxy-set-headers", map[string]string{"X-A": "${msec"}, "does not start a variable", ""},
		{"backslash", "proxy-set-headers", map[string]string{"X-A": `a\b`}, "is not allowed", ""},
		{"variables", "proxy-set-headers", map[string]string{"X-A": "t=${msec} $req_id $ssl_client_s_dn"}, "", `proxy_set_header "X-A" "t=${msec} $atrium_request_id $ssl_client_s_dn";`},
		// nginx reads "$remote_addrX" as the unknown $remote_addrx.
		{"letter after a variable", "proxy-set-headers", map[string]string{"X-A": "$remote_addrX"}, "not one of the allowed variables", ""},
		{"upper-case variable", "proxy-set-headers", map[string]string{"X-A": "$Remote_Addr"}, "", `proxy_set_header "X-A" "$remote_addr";`},
		// nginx refuses an argument of 4096 bytes or more.
		{"too long", "proxy-set-headers", map[string]string{"X-A": strings.Repeat("a", 3999)}, "once written into nginx.conf", ""},
		{"longest", "proxy-set-headers", map[string]string{"X-A": strings.Repeat(`a"`, 1330)}, "", `proxy_set_header "X-A" "a\"`},
		{"too long with dollars", "add-headers", map[string]string{"X-A": strings.Repeat("$", 300)}, "once written into nginx.conf", ""},
		{"longest literal", "add-headers", map[string]string{"X-A": strings.Repeat("a", 3991)}, "", `more_set_headers "X-A: aaaa`},
		// The config hash's placeholder cannot be spelled by any value.
		{"hash placeholder", "add-headers", map[string]string{"X-A": "@@ATRIUM%CONFIG%HASH@@"}, "", `more_set_headers "X-A: @@ATRIUM%CONFIG%HASH@@";`},
	} {
		t.Run(c.name, func(t *testing.T) {
			snap, o := loadCase(t, "testdata/cases/basic")
			if c.data != nil {
				snap.ConfigMaps = append(snap.ConfigMaps, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "ingress", Name: "h"}, Data: c.data})
			}
			r := configmap.Parse(map[string]string{c.key: "ingress/h"}, configmap.Defaults())
			if len(r.Invalid) > 0 {
				t.Fatal(r.Invalid)
			}
			o.Global, o.GlobalSource = &r.Config, source
			cfg, probs, err := Build(snap, o)
			if err != nil {
				t.Fatal(err)
			}
			conf, _, err := Render(cfg)
			if err != nil {
				t.Fatal(err)
			}
			var found []string
			for _, p := range probs {
				if p.Object == source {
					found = append(found, p.Field+": "+p.Message)
				}
			}
			switch {
			case c.problem == "" && len(found) > 0:
				t.Errorf("problems %q, want none", found)
			case c.problem != "" && (len(found) != 1 || !strings.Contains(found[0], "data["+c.key+"]: ") || !strings.Contains(found[0], c.problem)):
				t.Errorf("problems %q, want one on data[%s] saying %q", found, c.key, c.problem)
			case c.problem != "" && (len(cfg.ResponseHeaders) > 0 || len(cfg.ProxySetHeaders) > 0):
				t.Errorf("the refused set is rendered: %+v %+v", cfg.ResponseHeaders, cfg.ProxySetHeaders)
			case c.rendered != "" && !strings.Contains(string(conf), c.rendered):
				t.Errorf("output lacks %s", c.rendered)
			}
			nginxTest(t, conf, cfg)
		})
	}
}

// TestGlobalAuthProblem: a global-auth-url Atrium cannot use (a host name
// without a nameserver) fails the Ingresses it covers closed, with one
// problem on the controller's ConfigMap; enable-global-auth "false" keeps
// an Ingress serving.
func TestGlobalAuthProblem(t *testing.T) {
	source := ObjectRef{Kind: "ConfigMap", Namespace: "ingress", Name: "atrium"}
	snap, o := loadCase(t, "testdata/cases/global-auth")
	r := configmap.Parse(map[string]string{"global-auth-url": "http://auth.example.com/check"}, configmap.Defaults())
	o.Global, o.GlobalSource, o.Resolvers = &r.Config, source, nil
	cfg, probs, err := Build(snap, o)
	if err != nil {
		t.Fatal(err)
	}
	var found []string
	for _, p := range probs {
		if p.Object == source {
			found = append(found, p.Field+": "+p.Message)
		}
	}
	if len(found) != 1 || !strings.HasPrefix(found[0], "data[global-auth-url]: ") || !strings.Contains(found[0], "cannot be resolved") {
		t.Errorf("problems %q, want one on data[global-auth-url]", found)
	}
	status := map[string]int{}
	for _, srv := range cfg.Servers {
		for _, l := range srv.Locations {
			if l.Path == "/" {
				status[srv.Host] = l.Status
			}
		}
	}
	if status["covered.example.com"] != 503 || status["open.example.com"] != 0 {
		t.Errorf("statuses %v: want covered 503 (fail closed), open proxied (0)", status)
	}
}
