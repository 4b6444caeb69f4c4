package nginxconf

import (
	"bytes"
	"strings"
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
)

// TestPassthroughHostInjection: the hosts of an ssl-passthrough Ingress
// become keys of the stream block's SNI maps. Hosts that are not DNS names
// are refused before they get there; the valid ones are quoted; nginx -t
// accepts the result.
func TestPassthroughHostInjection(t *testing.T) {
	o := testOptions(t, goldenDir)
	o.SSLPassthrough = true
	snap, evil := injectionSnapshot(t)
	evil.Annotations[annotationPrefix+"ssl-passthrough"] = "true"
	payloads := []string{
		"x.example.com\" \"unix:/tmp/evil.sock\";\ndefault \"evil\"",
		"x.example.com;}\nserver { listen 1234; proxy_pass 10.0.0.1:22; }#",
		"~^.*$",
		"$ssl_preread_server_name",
		"*.*.example.com",
	}
	// Valid hosts that are words of map's syntax.
	keywords := []string{"default", "hostnames", "include", "volatile"}
	be := serviceBackend("evil-svc", "http", 0)
	for _, p := range payloads {
		evil.Spec.Rules = append(evil.Spec.Rules, ingressRule(p, httpPath("/", fzPtr(networkingv1.PathTypePrefix), be)))
	}
	for _, h := range append(keywords, "*.pass.example.com") {
		evil.Spec.Rules = append(evil.Spec.Rules, ingressRule(h, httpPath("/", fzPtr(networkingv1.PathTypePrefix), be)))
	}
	r := renderSnapshot(t, snap, o)
	for i := range payloads {
		if !hasProblem(r.probs, attackerNS, attackerName, "spec.rules["+itoa(i+1)+"].host") {
			t.Errorf("host %q was not refused: %v", payloads[i], r.probs)
		}
	}
	stream := r.conf[bytes.Index(r.conf, []byte("\nstream {")):]
	for _, want := range []string{`"~^[^.]+\.pass\.example\.com$" "unix:`, `upstream "tenant_evil-svc_80"`,
		`"~^default$" "unix:`, `"~^volatile$" "tenant_evil-svc_80"`} {
		if !bytes.Contains(stream, []byte(want)) {
			t.Errorf("stream block lacks %s:\n%s", want, stream)
		}
	}
	for _, bad := range []string{"evil.sock", "1234", "22;"} {
		if bytes.Contains(r.conf, []byte(bad)) {
			t.Errorf("%q reached nginx.conf", bad)
		}
	}
	if strings.Count(string(stream), "server {") != 2 {
		t.Errorf("the stream block has other servers than its two:\n%s", stream)
	}
	nginxTest(t, r.conf, r.cfg)
}
