package nginxconf

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/atrium-ingress/atrium/internal/configmap"
)

// headersSnapshot is injectionSnapshot with the attacker's Ingress setting
// custom-headers from its ConfigMap tenant/headers, which holds data.
func headersSnapshot(t *testing.T, data map[string]string) (Snapshot, Options) {
	t.Helper()
	snap, evil := injectionSnapshot(t)
	evil.Annotations[annotationPrefix+"custom-headers"] = attackerNS + "/headers"
	snap.ConfigMaps = []*corev1.ConfigMap{{ObjectMeta: metav1.ObjectMeta{Namespace: attackerNS, Name: "headers"}, Data: data}}
	o := testOptions(t, goldenDir)
	var allowed []string
	for name := range data {
		allowed = append(allowed, name)
	}
	r := configmap.Parse(map[string]string{"global-allowed-response-headers": strings.Join(allowed, ",")}, configmap.Defaults())
	o.Global = &r.Config
	return snap, o
}

// withoutGeo drops geo blocks: the '$' variable is defined only when a
// value has a '$'.
func withoutGeo(ds []Directive) []Directive {
	if ds == nil {
		return nil
	}
	out := []Directive{}
	for _, d := range ds {
		if d.Name != "geo" {
			d.Block = withoutGeo(d.Block)
			out = append(out, d)
		}
	}
	return out
}

// sameShape says whether two configs have the same directives with the same
// argument counts, in the same order.
func sameShape(a, b []Directive) error {
	if len(a) != len(b) {
		return fmt.Errorf("%d directives, want %d", len(a), len(b))
	}
	for i := range a {
		if a[i].Name != b[i].Name || len(a[i].Args) != len(b[i].Args) || a[i].IsBlock() != b[i].IsBlock() {
			return fmt.Errorf("line %d: %s %q, want %s %q", a[i].Line, a[i].Name, a[i].Args, b[i].Name, b[i].Args)
		}
		if err := sameShape(a[i].Block, b[i].Block); err != nil {
			return err
		}
	}
	return nil
}

// A custom header value may hold any printable ASCII, including what ends
// an nginx argument, a directive or a block, and '$': it must stay one
// literal argument of one add_header.
func TestCustomHeadersValueInjection(t *testing.T) {
	for i, v := range []string{
		`x"; } server { listen 8080; } #`,
		`x'; add_header X-Evil 1; #`,
		`$request_uri`,
		`${http_authorization}`,
		`\"; return 200 pwned; #\`,
		`{}{`,
		`a\nb`,
		`\`,
	} {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			snap, o := headersSnapshot(t, map[string]string{"X-Payload": v})
			r := renderSnapshot(t, snap, o)
			for _, p := range r.probs {
				if p.Object.Name == attackerName && strings.Contains(p.Field, "custom-headers") {
					t.Fatalf("value %q refused: %v", v, p)
				}
			}
			refSnap, refO := headersSnapshot(t, map[string]string{"X-Payload": "plain"})
			ref := renderSnapshot(t, refSnap, refO)
			conf, err := parseNginxConf(r.conf)
			if err != nil {
				t.Fatal(err)
			}
			refConf, err := parseNginxConf(ref.conf)
			if err != nil {
				t.Fatal(err)
			}
			if err := sameShape(withoutGeo(conf.Directives), withoutGeo(refConf.Directives)); err != nil {
				t.Fatalf("value %q changed the config's shape: %v\n%s", v, err, r.conf)
			}
			loc := findLocation(conf.Directives, attackerHost, attackerOK+"/")
			if loc == nil {
				t.Fatalf("the attacker's path is not served:\n%s", r.conf)
			}
			want := strings.ReplaceAll(v, "$", "${atrium_dollar}")
			found := 0
			for _, d := range loc.Block {
				if d.Name == "add_header" && d.Args[0] == "X-Payload" {
					found++
					if d.Args[1] != want || d.Args[2] != "always" {
						t.Errorf("add_header %q, want X-Payload %q always", d.Args, want)
					}
				}
			}
			if found != 1 {
				t.Errorf("%d add_header X-Payload, want 1", found)
			}
			if strings.Contains(v, "$") != bytes.Contains(r.conf, []byte("geo $atrium_dollar")) {
				t.Errorf("$atrium_dollar defined: %v, want %v", !strings.Contains(v, "$"), strings.Contains(v, "$"))
			}
			assertServed(t, conf, victimHost, victimPath+"/", victimUp)
			nginxTest(t, r.conf, r.cfg)
		})
	}
}

// Header names and values outside the allow-lists fail the Ingress closed
// and leave nothing of themselves in the output.
func TestCustomHeadersRefused(t *testing.T) {
	for i, data := range []map[string]string{
		{"X-A: b": "1"},
		{"X-A\r\nSet-Cookie": "1"},
		{"X A": "1"},
		{"$x": "1"},
		{"X-A;": "1"},
		{"X-A": "a\nb"},
		{"X-A": "a\r\nSet-Cookie: x"},
		{"X-A": "tab\there"},
		{"X-A": "\x7f"},
		{"X-A": "é"},
		{"X-A": ""},
		{"Server": "hidden"},
		{"content-length": "0"},
	} {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			snap, o := headersSnapshot(t, data)
			r := renderSnapshot(t, snap, o)
			refused := false
			for _, p := range r.probs {
				refused = refused || (p.Object.Name == attackerName && p.Reason == ReasonInvalidCustomHeaders)
			}
			if !refused {
				t.Fatalf("%q accepted: %v", data, r.probs)
			}
			closed, _ := injectionSnapshot(t)
			closed.Services, closed.EndpointSlices = closed.Services[:1], closed.EndpointSlices[:1]
			if ref := renderSnapshot(t, closed, o); !bytes.Equal(r.conf, ref.conf) {
				t.Fatalf("%q changed the output beyond failing closed:\n%s", data, lineDiff(string(ref.conf), string(r.conf)))
			}
		})
	}
}

// A header the controller's ConfigMap does not allow fails closed; names
// are compared exactly, as in ingress-nginx.
func TestCustomHeadersAllowList(t *testing.T) {
	snap, o := headersSnapshot(t, map[string]string{"X-A": "1"})
	r := configmap.Parse(map[string]string{"global-allowed-response-headers": "x-a"}, configmap.Defaults())
	o.Global = &r.Config
	if res := renderSnapshot(t, snap, o); !hasReason(res.probs, ReasonInvalidCustomHeaders) {
		t.Fatalf("X-A allowed by x-a: %v", res.probs)
	}
	o.Global = nil // ingress-nginx's default: none allowed
	if res := renderSnapshot(t, snap, o); !hasReason(res.probs, ReasonInvalidCustomHeaders) {
		t.Fatalf("X-A allowed by default: %v", res.probs)
	}
}

func hasReason(ps []Problem, r Reason) bool {
	for _, p := range ps {
		if p.Reason == r {
			return true
		}
	}
	return false
}
