package configmap

import (
	"flag"
	"os"
	"reflect"
	"testing"
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
