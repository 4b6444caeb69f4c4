package configmap

import (
	"flag"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/atrium-ingress/atrium/internal/annotations"
)

var update = flag.Bool("update", false, "rewrite docs/configmap.md")

func TestParse(t *testing.T) {
	r := Parse(map[string]string{
		"proxy-body-size":             "20m",
		"use-forwarded-headers":       "true",
		"proxy-real-ip-cidr":          "10.0.0.0/8, 192.168.0.1",
		"ssl-protocols":               "TLSv1.3",
		"gzip-level":                  "5",
		"block-user-agents":           "BadBot/1.0, EvilCrawler",
		"large-client-header-buffers": "8   16k",
		"custom-http-errors":          "503, 404,404",
		"load-balance":                "least_connections",
		"limit-req-status-code":       "429",
		"max-worker-connections":      "0",
		"whatever-unknown":            "1",
	}, Defaults())
	if len(r.Invalid) != 0 {
		t.Fatalf("invalid: %+v", r.Invalid)
	}
	if !reflect.DeepEqual(r.Unknown, []string{"whatever-unknown"}) {
		t.Errorf("unknown = %v", r.Unknown)
	}
	c := r.Config
	if c.ProxyBodySize != "20m" || !c.UseForwardedHeaders || c.GzipLevel != 5 || c.LargeClientHeaderBuffers != "8 16k" {
		t.Errorf("parsed %+v", c)
	}
	if !reflect.DeepEqual(c.ProxyRealIPCIDR, []string{"10.0.0.0/8", "192.168.0.1/32"}) || !reflect.DeepEqual(c.SSLProtocols, []string{"TLSv1.3"}) {
		t.Errorf("lists %v %v", c.ProxyRealIPCIDR, c.SSLProtocols)
	}
	if !reflect.DeepEqual(c.CustomHTTPErrors, []int{404, 503}) {
		t.Errorf("custom-http-errors = %v", c.CustomHTTPErrors)
	}
	if c.LoadBalance != "least_conn" {
		t.Errorf("load-balance = %q", c.LoadBalance)
	}
	if c.LimitReqStatusCode != 429 || c.LimitConnStatusCode != 503 {
		t.Errorf("limit status codes %d %d", c.LimitReqStatusCode, c.LimitConnStatusCode)
	}
	if c.MaxWorkerConnections != 0 {
		t.Errorf("max-worker-connections \"0\" (derived from the open-file limit) = %d", c.MaxWorkerConnections)
	}
	if c.ProxyReadTimeout != 60 || !c.HSTS {
		t.Error("unset keys must keep ingress-nginx's defaults")
	}
}

// TestInvalidKeepsPrevious: a refused value keeps the last good one.
func TestInvalidKeepsPrevious(t *testing.T) {
	prev := Parse(map[string]string{"proxy-body-size": "20m", "block-cidrs": "10.0.0.0/8"}, Defaults()).Config
	r := Parse(map[string]string{
		"proxy-body-size":        "20m; return 200 x",
		"block-cidrs":            "10.0.0.0/8; allow all",
		"ssl-protocols":          "SSLv3",
		"ssl-ciphers":            "HIGH;\"",
		"error-log-level":        "verbose",
		"block-user-agents":      "x\"; return 200",
		"gzip-types":             "text/html; gzip off",
		"custom-http-errors":     "404;error_page 500 /x",
		"limit-req-status-code":  "200",
		"limit-conn-status-code": "503;",
		"max-worker-connections": "10",
		"add-headers":            "ns/x; more_set_headers a",
		"proxy-set-headers":      "headers",
		"http-redirect-code":     "303",
		"global-auth-url":        "http://auth.example.com/$request_uri",
		"no-auth-locations":      "/ok, x;",
	}, prev)
	if len(r.Invalid) != 16 {
		t.Fatalf("%d refused, want 16: %+v", len(r.Invalid), r.Invalid)
	}
	if r.Config.ProxyBodySize != "20m" || !reflect.DeepEqual(r.Config.BlockCIDRs, []string{"10.0.0.0/8"}) {
		t.Errorf("previous values not kept: %q %v", r.Config.ProxyBodySize, r.Config.BlockCIDRs)
	}
	if !reflect.DeepEqual(r.Config.SSLProtocols, Defaults().SSLProtocols) {
		t.Errorf("ssl-protocols: %v", r.Config.SSLProtocols)
	}
	// ssl-ciphers takes what the annotation takes: a list OpenSSL reads
	// and that selects a cipher (else nginx would not load).
	for _, v := range []string{"FOOBAR", "!ALL", "HIGH_X", "RC4:DES", "HIGH MEDIUM"} {
		if r := Parse(map[string]string{"ssl-ciphers": v}, prev); len(r.Invalid) != 1 || r.Config.SSLCiphers != prev.SSLCiphers {
			t.Errorf("ssl-ciphers %q accepted: %q", v, r.Config.SSLCiphers)
		}
	}
	if r := Parse(map[string]string{"ssl-ciphers": " HIGH:!aNULL@SECLEVEL=2 "}, prev); len(r.Invalid) != 0 || r.Config.SSLCiphers != "HIGH:!aNULL@SECLEVEL=2" {
		t.Errorf("ssl-ciphers: %+v %q", r.Invalid, r.Config.SSLCiphers)
	}
}

func TestDocsUpToDate(t *testing.T) {
	const path = "../../docs/configmap.md"
	want := Markdown()
	if *update {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil || string(got) != want {
		t.Fatalf("docs/configmap.md is stale: run go test ./internal/configmap -update (%v)", err)
	}
}

// TestUserAgentMapKeywords: nginx's map reads these as keywords even when
// quoted, so blocking them would break nginx -t for everyone.
func TestUserAgentMapKeywords(t *testing.T) {
	for _, ua := range []string{"default", "hostnames", "include", "volatile"} {
		r := Parse(map[string]string{"block-user-agents": "BadBot, " + ua}, Defaults())
		if len(r.Invalid) != 1 {
			t.Errorf("%q accepted: %+v", ua, r.Config.BlockUserAgents)
		}
	}
}

// TestProxyAndHeaderKeys: the proxying defaults, request-header, TLS
// session and logging keys parse to their typed values.
func TestProxyAndHeaderKeys(t *testing.T) {
	d := Defaults()
	if d.ProxyBufferSize != "4k" || d.ProxyBuffersNumber != 4 || d.ClientBodyBufferSize != "8k" || !d.ProxyRequestBuffering ||
		!reflect.DeepEqual(d.ProxyNextUpstream, []string{"error", "timeout"}) || d.ProxyNextUpstreamTries != 3 || d.ProxyNextUpstreamTimeout != 0 ||
		d.EnableUnderscoresInHeaders || !d.IgnoreInvalidHeaders || d.UpstreamKeepaliveRequests != 10000 || !d.SSLSessionCache ||
		d.SSLSessionCacheSize != "10m" || d.SSLSessionTimeout != "10m" || d.SSLSessionTickets || d.HideHeaders != nil ||
		d.SkipAccessLogURLs != nil || !d.GenerateRequestID {
		t.Errorf("defaults are not ingress-nginx's: %+v", d)
	}
	r := Parse(map[string]string{
		"proxy-buffer-size":             "16K",
		"proxy-buffers-number":          "8",
		"client-body-buffer-size":       "32M",
		"proxy-request-buffering":       "off",
		"proxy-next-upstream":           "error  http_502 error",
		"proxy-next-upstream-tries":     "0",
		"proxy-next-upstream-timeout":   "30s",
		"enable-underscores-in-headers": "true",
		"ignore-invalid-headers":        "false",
		"upstream-keepalive-requests":   "1",
		"ssl-session-cache":             "false",
		"ssl-session-cache-size":        "512k",
		"ssl-session-timeout":           "2h",
		"ssl-session-tickets":           "true",
		"hide-headers":                  "X-Powered-By, Server_Timing,",
		"skip-access-log-urls":          "/healthz, /metrics?a=b&c=d, /HealthZ",
		"generate-request-id":           "false",
	}, Defaults())
	if len(r.Invalid) != 0 {
		t.Fatalf("invalid: %+v", r.Invalid)
	}
	c := r.Config
	if c.ProxyBufferSize != "16k" || c.ProxyBuffersNumber != 8 || c.ClientBodyBufferSize != "32m" || c.ProxyRequestBuffering ||
		!reflect.DeepEqual(c.ProxyNextUpstream, []string{"error", "http_502"}) || c.ProxyNextUpstreamTries != 0 || c.ProxyNextUpstreamTimeout != 30 {
		t.Errorf("proxy keys: %+v", c)
	}
	if !c.EnableUnderscoresInHeaders || c.IgnoreInvalidHeaders || c.UpstreamKeepaliveRequests != 1 || c.GenerateRequestID {
		t.Errorf("header keys: %+v", c)
	}
	if c.SSLSessionCache || c.SSLSessionCacheSize != "512k" || c.SSLSessionTimeout != "2h" || !c.SSLSessionTickets {
		t.Errorf("TLS session keys: %+v", c)
	}
	if !reflect.DeepEqual(c.HideHeaders, []string{"X-Powered-By", "Server_Timing"}) {
		t.Errorf("hide-headers = %v", c.HideHeaders)
	}
	// nginx's map compares without case and refuses a key twice.
	if !reflect.DeepEqual(c.SkipAccessLogURLs, []string{"/healthz", "/metrics?a=b&c=d"}) {
		t.Errorf("skip-access-log-urls = %v", c.SkipAccessLogURLs)
	}
}

// TestProxyAndHeaderKeysRefused: values that are not allowed, or would
// break nginx's config, keep the previous value.
func TestProxyAndHeaderKeysRefused(t *testing.T) {
	prev := Parse(map[string]string{"proxy-buffer-size": "8k", "skip-access-log-urls": "/ok", "hide-headers": "X-A"}, Defaults()).Config
	bad := map[string]string{
		"proxy-buffer-size":           "2m", // over the annotation's 1m
		"proxy-buffers-number":        "2",  // nginx -t: busy buffers do not fit
		"client-body-buffer-size":     "8k; return 200",
		"proxy-request-buffering":     "maybe",
		"proxy-next-upstream":         "error off",
		"proxy-next-upstream-tries":   "101",
		"proxy-next-upstream-timeout": "-1",
		"upstream-keepalive-requests": "0",
		"ssl-session-cache-size":      "16k", // nginx: too small
		"ssl-session-timeout":         "10m; ssl_session_tickets on",
		"ssl-session-tickets":         "on",
		"hide-headers":                "X-A, X B",
		"skip-access-log-urls":        "/ok, health",
		"generate-request-id":         "yes",
	}
	r := Parse(bad, prev)
	if len(r.Invalid) != len(bad) {
		t.Fatalf("%d refused, want %d: %+v", len(r.Invalid), len(bad), r.Invalid)
	}
	if !reflect.DeepEqual(r.Config, prev) {
		t.Errorf("previous values not kept:\n got %+v\nwant %+v", r.Config, prev)
	}
	for _, u := range []string{`/a"b`, `/a$b`, `/a;b`, `/a{b`, `/a%20b`, `/a b`, `~^/x`, `/a\b`, "/" + strings.Repeat("a", 100)} {
		if r := Parse(map[string]string{"skip-access-log-urls": u}, Defaults()); len(r.Invalid) != 1 {
			t.Errorf("skip-access-log-urls %q accepted: %v", u, r.Config.SkipAccessLogURLs)
		}
	}
	if r := Parse(map[string]string{"skip-access-log-urls": "/" + strings.Repeat("a", 99)}, Defaults()); len(r.Invalid) != 0 {
		t.Errorf("a 100-character URI refused: %+v", r.Invalid)
	}
}

// TestSameValuesAsAnnotations: a global default takes exactly what the
// annotation of the same name takes.
func TestSameValuesAsAnnotations(t *testing.T) {
	for _, key := range []string{"proxy-buffer-size", "client-body-buffer-size", "proxy-request-buffering", "proxy-next-upstream", "proxy-next-upstream-tries"} {
		for _, v := range []string{"", "0", "1", "3", "101", "-1", "512", "1k", "16K", "1m", "2m", "64m", "65m", "1g", "on", "off", "true", "yes",
			"error timeout", "http_502 non_idempotent", "off error", "bogus", "4k;", "4 k"} {
			_, annErr := annotations.ParseOne(key, v)
			r := Parse(map[string]string{key: v}, Defaults())
			if (annErr == nil) != (len(r.Invalid) == 0) {
				t.Errorf("%s %q: annotation error %v, ConfigMap refused %v", key, v, annErr, r.Invalid)
			}
		}
	}
}

// TestUserAgentsOnceWithoutCase: nginx's map compares without case and
// refuses a key twice, and keys longer than its buckets: entries are kept
// lower-case and once, and long ones refused.
func TestUserAgentsOnceWithoutCase(t *testing.T) {
	r := Parse(map[string]string{"block-user-agents": "BadBot/1.0, badbot/1.0, BADBOT/1.0, Evil"}, Defaults())
	if len(r.Invalid) != 0 || !reflect.DeepEqual(r.Config.BlockUserAgents, []string{"badbot/1.0", "evil"}) {
		t.Errorf("got %q (invalid %+v), want badbot/1.0 and evil once each", r.Config.BlockUserAgents, r.Invalid)
	}
	if r := Parse(map[string]string{"block-user-agents": strings.Repeat("a", 101)}, Defaults()); len(r.Invalid) != 1 {
		t.Errorf("a 101-character User-Agent was accepted")
	}
}
