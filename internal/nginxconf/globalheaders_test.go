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
// without a nameserver: one problem on the controller's ConfigMap) or that
// the ConfigMap refused (the ConfigMap's own problem) closes the paths it
// would cover, but not those under no-auth-locations (the ACME challenge
// path), and enable-global-auth "false" keeps an Ingress serving.
func TestGlobalAuthProblem(t *testing.T) {
	source := ObjectRef{Kind: "ConfigMap", Namespace: "ingress", Name: "atrium"}
	for _, c := range []struct {
		name, url string
		problem   string // on the ConfigMap, from Build
		refused   bool   // by configmap.Parse
	}{
		{"unresolvable", "http://auth.example.com/check", "data[global-auth-url]: host \"auth.example.com\" cannot be resolved", false},
		{"refused", "https://$host/oauth2/auth", "", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			snap, o := loadCase(t, "testdata/cases/global-auth")
			r := configmap.Parse(map[string]string{"global-auth-url": c.url}, configmap.Defaults())
			if refused := len(r.Invalid) == 1 && r.Invalid[0].FailsClosed; refused != c.refused {
				t.Fatalf("ConfigMap refused %+v, want refused %v (failing closed)", r.Invalid, c.refused)
			}
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
			if (c.problem == "" && len(found) > 0) || (c.problem != "" && (len(found) != 1 || !strings.HasPrefix(found[0], c.problem))) {
				t.Errorf("problems %q, want %q", found, c.problem)
			}
			status := map[string]int{}
			for _, srv := range cfg.Servers {
				for _, l := range srv.Locations {
					status[srv.Host+l.Path] = l.Status
				}
			}
			for path, want := range map[string]int{
				"covered.example.com/": 503, "covered.example.com/public/docs": 503,
				"covered.example.com/.well-known/acme-challenge/token-1": 0, "open.example.com/": 0,
			} {
				if got, ok := status[path]; !ok || got != want {
					t.Errorf("%s: status %d (present %v), want %d (0: proxied)", path, got, ok, want)
				}
			}
		})
	}
}

// TestProxySetHeadersYieldToLocation: a location that sets request headers
// of its own (auth-response-headers) repeats proxy-set-headers without
// the names it sets, so each is sent once, and the default backend's
// headers cannot be set.
func TestProxySetHeadersYieldToLocation(t *testing.T) {
	snap, o := loadCase(t, "testdata/cases/auth-external")
	snap.ConfigMaps = append(snap.ConfigMaps, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "ingress", Name: "h"},
		Data: map[string]string{"X-User": "global", "X-Team": "a"}})
	r := configmap.Parse(map[string]string{"proxy-set-headers": "ingress/h"}, configmap.Defaults())
	o.Global = &r.Config
	cfg, _, err := Build(snap, o)
	if err != nil {
		t.Fatal(err)
	}
	l := modelLocation(t, cfg, "grpc.example.com", "/") // auth-response-headers: X-User
	if len(l.ProxySetHeaders) != 1 || l.ProxySetHeaders[0].Name != "X-Team" || !hasRequestHeader(l.RequestHeaders, "X-User") {
		t.Errorf("location repeats %+v with its own %+v, want X-Team only", l.ProxySetHeaders, l.RequestHeaders)
	}
	conf, _, err := Render(cfg)
	if err != nil {
		t.Fatal(err)
	}
	nginxTest(t, conf, cfg)
	snap.ConfigMaps[len(snap.ConfigMaps)-1].Data = map[string]string{"X-Code": "200"}
	if cfg, probs, _ := Build(snap, o); len(cfg.ProxySetHeaders) != 0 || len(probs) == 0 {
		t.Errorf("X-Code was taken: %+v", cfg.ProxySetHeaders)
	}
}
