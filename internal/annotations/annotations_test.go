package annotations

import (
	"flag"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite docs/annotations.md")

const p = DefaultPrefix + "/"

func TestParseValid(t *testing.T) {
	r := Parse(map[string]string{
		p + "proxy-body-size":         "8M",
		p + "proxy-read-timeout":      "120",
		p + "proxy-connect-timeout":   "10s",
		p + "ssl-redirect":            "false",
		p + "whitelist-source-range":  "10.0.0.0/8, 192.168.1.1",
		p + "allowlist-source-range":  "::1",
		p + "permanent-redirect":      "https://example.com/new?x=1",
		p + "permanent-redirect-code": "308",
		p + "upstream-vhost":          "Internal.Example:8080",
		"other.io/annotation":         "ignored",
	}, DefaultPrefix)
	if len(r.Invalid) != 0 || len(r.Unsupported) != 0 {
		t.Fatalf("invalid %v unsupported %v", r.Invalid, r.Unsupported)
	}
	s := r.Set
	if *s.ProxyBodySize != "8m" || *s.ProxyReadTimeout != 120*time.Second || *s.ProxyConnectTimeout != 10*time.Second {
		t.Errorf("sizes/timeouts: %v %v %v", *s.ProxyBodySize, *s.ProxyReadTimeout, *s.ProxyConnectTimeout)
	}
	if *s.SSLRedirect != false || *s.PermanentRedirect != "https://example.com/new?x=1" || *s.PermanentRedirectCode != 308 {
		t.Errorf("redirects: %v %v %v", *s.SSLRedirect, *s.PermanentRedirect, *s.PermanentRedirectCode)
	}
	if want := []CIDR{"::1/128", "10.0.0.0/8", "192.168.1.1/32"}; !reflect.DeepEqual(s.AllowSourceRange, want) {
		t.Errorf("allow = %v, want %v (allowlist-source-range sorts before whitelist-source-range)", s.AllowSourceRange, want)
	}
	if *s.UpstreamVhost != "internal.example:8080" {
		t.Errorf("vhost %q", *s.UpstreamVhost)
	}
	if len(r.Supported) != 9 {
		t.Errorf("supported = %v", r.Supported)
	}
}

// TestParseRefusesInjection: values that could end an nginx argument,
// start a variable or a new directive are refused, each naming its key.
func TestParseRefusesInjection(t *testing.T) {
	bad := map[string]string{
		"proxy-body-size":           "1m; return 200 pwned",
		"proxy-read-timeout":        "60;",
		"permanent-redirect":        "https://x;}\n location /pwn { return 200 pwned; }",
		"temporal-redirect":         "https://example.com/$request_uri",
		"whitelist-source-range":    "10.0.0.0/8; allow all",
		"upstream-vhost":            "a\"b",
		"x-forwarded-prefix":        "/p {",
		"app-root":                  "/x\r\nadd_header X y",
		"ssl-redirect":              "yes",
		"permanent-redirect-code":   "200",
		"proxy-http-version":        "2",
		"use-regex":                 "yes",
		"rewrite-target":            "/$request_uri",
		"backend-protocol":          "FCGI",
		"proxy-next-upstream":       "error;",
		"proxy-next-upstream-tries": "3;",
		"proxy-buffer-size":         "4k;",
		"client-body-buffer-size":   "1m;",
		"connection-proxy-header":   "$http_connection",
		"enable-access-log":         "false;",
		"enable-cors":               "1",
		"cors-allow-origin":         "https://x/$request_uri",
		"cors-allow-methods":        "GET; POST",
		"cors-allow-headers":        "X-A\"",
		"cors-expose-headers":       "X-{",
		"cors-allow-credentials":    "yes",
		"cors-max-age":              "-1",
		"from-to-www-redirect":      "on",
		"server-alias":              "a.example.com;server_name evil",
		"default-backend":           "svc;",
		"custom-http-errors":        "404;",
		"load-balance":              "ip_hash",
		"upstream-hash-by":          "$request_uri;",
		"affinity":                  "ip",
		"affinity-mode":             "sticky",
		"affinity-canary-behavior":  "always",
		"session-cookie-name":       "a=b",
		"session-cookie-path":       "/x; Domain=evil",
		"session-cookie-domain":     "x.com; Secure",
		"session-cookie-max-age":    "1d",
		"session-cookie-expires":    "1 0",
		"session-cookie-samesite":   "None; x",
		"session-cookie-secure":     "1",
		"canary":                    "yes",
		"canary-by-header":          "X-A: b",
		"canary-by-header-value":    "a\"b",
		"canary-by-header-pattern":  "a\\d",
		"canary-by-cookie":          "c;d",
		"canary-weight":             "-1",
		"canary-weight-total":       "0",
		"limit-rps":                 "5;",
		"limit-rpm":                 "-1",
		"limit-connections":         "1 2",
		"limit-burst-multiplier":    "$x",
		"limit-rate":                "10k",
		"limit-rate-after":          "0x10",
		"limit-allowlist":           "10.0.0.0/8;",
		"limit-whitelist":           "all",
		"mirror-target":             "http://m.example/$host",
		"mirror-host":               "m.example\";",
		"mirror-request-body":       "yes",
		"ssl-passthrough":           "on",
		"satisfy":                   "any;",

		"proxy-buffers-number":        "4 8k",
		"proxy-next-upstream-timeout": "5; proxy_pass http://x",
		"proxy-max-temp-file-size":    "0 1m",
		"enable-rewrite-log":          "on",
		"proxy-cookie-domain":         "a.com b.com; proxy_pass http://x",
		"proxy-cookie-path":           "/a /b\";",
		"proxy-redirect-from":         "http://x/ http://y/; add_header A b",
		"proxy-redirect-to":           "https://x/$request_uri",
		"ssl-ciphers":                 "HIGH; ssl_protocols SSLv3",
		"ssl-prefer-server-ciphers":   "on",
	}
	ann := map[string]string{}
	for k, v := range bad {
		ann[p+k] = v
	}
	r := Parse(ann, DefaultPrefix)
	if len(r.Invalid) != len(bad) {
		t.Fatalf("%d of %d refused: %+v", len(r.Invalid), len(bad), r.Invalid)
	}
	for _, inv := range r.Invalid {
		if !strings.HasPrefix(inv.Key, p) || inv.Problem == "" {
			t.Errorf("refusal without key or reason: %+v", inv)
		}
	}
}

func TestUnsupportedAndSnippets(t *testing.T) {
	r := Parse(map[string]string{
		p + "configuration-snippet": "more_set_headers x;",
		p + "server-snippet":        "location /x {}",
		p + "auth-keepalive":        "10",
		"custom.io/prefix":          "x",
	}, DefaultPrefix)
	want := []string{p + "auth-keepalive", p + "configuration-snippet", p + "server-snippet"}
	if !reflect.DeepEqual(r.Unsupported, want) {
		t.Errorf("unsupported = %v, want %v", r.Unsupported, want)
	}
	// Another prefix reads the same annotations under its own name.
	r = Parse(map[string]string{"example.com/proxy-body-size": "2m", p + "proxy-body-size": "9m"}, "example.com")
	if r.Set.ProxyBodySize == nil || *r.Set.ProxyBodySize != "2m" {
		t.Errorf("--annotations-prefix not honoured: %+v", r.Set.ProxyBodySize)
	}
}

// TestDocsUpToDate fails when docs/annotations.md is not what the registry says.
func TestDocsUpToDate(t *testing.T) {
	const path = "../../docs/annotations.md"
	want := Markdown(DefaultPrefix)
	if *update {
		if err := os.MkdirAll("../../docs", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil || string(got) != want {
		t.Fatalf("docs/annotations.md is stale: run go test ./internal/annotations -update (%v)", err)
	}
	for _, d := range Defs() {
		if d.Doc == "" || d.Scope == "" || d.Risk == "" || d.Parse == nil {
			t.Errorf("annotation %s lacks metadata", d.Key)
		}
	}
}

func TestRewriteTarget(t *testing.T) {
	for _, v := range []string{"/", "/$1", "/$2", "$1", "/api/$1/x$9", " /new ", "/a-b_c.d~e!f&g(h)i*j+k,l=m:n@o/"} {
		r := Parse(map[string]string{p + "rewrite-target": v}, DefaultPrefix)
		if len(r.Invalid) != 0 || r.Set.RewriteTarget == nil || *r.Set.RewriteTarget != strings.TrimSpace(v) {
			t.Errorf("%q: %+v %v", v, r.Invalid, r.Set.RewriteTarget)
		}
	}
	for _, v := range []string{"", "x", "/$0", "/$10", "/$host", "/${1}", "/$1$", "/x?a=1", "https://x/", "/x y", "/x;", "/x\\1", "/%41", "/x#"} {
		if r := Parse(map[string]string{p + "rewrite-target": v}, DefaultPrefix); len(r.Invalid) != 1 {
			t.Errorf("%q accepted", v)
		}
	}
}

func TestProxyTuning(t *testing.T) {
	r := Parse(map[string]string{
		p + "proxy-next-upstream":       " error  TIMEOUT http_429 error ",
		p + "proxy-next-upstream-tries": "0",
		p + "proxy-buffer-size":         "1m",
		p + "client-body-buffer-size":   "64M",
		p + "connection-proxy-header":   "Keep-Alive",
		p + "enable-access-log":         "false",

		p + "proxy-next-upstream-timeout": " 30s",
		p + "proxy-buffers-number":        "256",
		p + "proxy-max-temp-file-size":    "2G",
		p + "enable-rewrite-log":          "TRUE",
	}, DefaultPrefix)
	s := r.Set
	if len(r.Invalid) != 0 || !reflect.DeepEqual(s.ProxyNextUpstream, []string{"error", "timeout", "http_429"}) ||
		*s.ProxyNextUpstreamTries != 0 || *s.ProxyBufferSize != "1m" || *s.ClientBodyBufferSize != "64m" ||
		*s.ConnectionProxyHeader != "keep-alive" || *s.EnableAccessLog || *s.ProxyNextUpstreamTimeout != 30 || *s.ProxyBuffersNumber != 256 ||
		*s.ProxyMaxTempFileSize != "2048m" || s.ProxyMaxTempFileSize.Bytes() != 2<<30 || !*s.EnableRewriteLog {
		t.Fatalf("%+v %+v", r.Invalid, s)
	}
	if r := Parse(map[string]string{p + "proxy-next-upstream-timeout": "0", p + "proxy-buffers-number": "3"}, DefaultPrefix); len(r.Invalid) != 0 ||
		*r.Set.ProxyNextUpstreamTimeout != 0 || *r.Set.ProxyBuffersNumber != 3 {
		t.Errorf("%+v %+v", r.Invalid, r.Set)
	}
	for k, v := range map[string]string{
		"proxy-next-upstream": "off error", "proxy-next-upstream-tries": "101", "proxy-buffer-size": "1025k",
		"client-body-buffer-size": "512", "connection-proxy-header": "upgrade, close",
		"proxy-next-upstream-timeout": "86401", "proxy-buffers-number": "2", "proxy-max-temp-file-size": "1b",
	} {
		if r := Parse(map[string]string{p + k: v}, DefaultPrefix); len(r.Invalid) != 1 {
			t.Errorf("%s %q accepted", k, v)
		}
	}
}

func TestCORS(t *testing.T) {
	r := Parse(map[string]string{
		p + "enable-cors":         "true",
		p + "cors-allow-origin":   " https://App.example.com , http://*.example.org:8080,https://app.example.com",
		p + "cors-allow-methods":  "GET, post",
		p + "cors-allow-headers":  "X-A,  Content-Type",
		p + "cors-expose-headers": "*",
		p + "cors-max-age":        "0",
	}, DefaultPrefix)
	s := r.Set
	if len(r.Invalid) != 0 || !*s.EnableCORS || !reflect.DeepEqual(s.CORSAllowOrigin, []string{"https://app.example.com", "http://*.example.org:8080"}) ||
		*s.CORSAllowMethods != "GET,post" || *s.CORSAllowHeaders != "X-A,Content-Type" || *s.CORSExposeHeaders != "*" || *s.CORSMaxAge != 0 {
		t.Fatalf("%+v %+v", r.Invalid, s)
	}
	for _, v := range []string{"*", "https://a.example.com", "http://a.b:1"} {
		if r := Parse(map[string]string{p + "cors-allow-origin": v}, DefaultPrefix); len(r.Invalid) != 0 {
			t.Errorf("%q refused: %v", v, r.Invalid)
		}
	}
	for _, v := range []string{"", "a.example.com", "ftp://a.example.com", "https://a.example.com/", "https://*.*.x.com", "https://a*.x.com",
		"https://x.com:0", "https://x.com:65536", "*,https://x.com", "null", "https://x.com|.*", "https://[::1]"} {
		if r := Parse(map[string]string{p + "cors-allow-origin": v}, DefaultPrefix); len(r.Invalid) != 1 {
			t.Errorf("%q accepted", v)
		}
	}
}

func TestHostsAndErrors(t *testing.T) {
	r := Parse(map[string]string{
		p + "from-to-www-redirect": "True",
		p + "server-alias":         " B.example.com, *.wild.example.org,,b.example.com ,a.example.com",
		p + "default-backend":      " errors-svc ",
		p + "custom-http-errors":   "503, 404,404,599,400",
	}, DefaultPrefix)
	s := r.Set
	if len(r.Invalid) != 0 || !*s.FromToWWWRedirect || *s.DefaultBackend != "errors-svc" ||
		!reflect.DeepEqual(s.ServerAlias, []string{"*.wild.example.org", "a.example.com", "b.example.com"}) ||
		!reflect.DeepEqual(s.CustomHTTPErrors, []int{400, 404, 503, 599}) {
		t.Fatalf("%+v %+v", r.Invalid, s)
	}
	for k, vs := range map[string][]string{
		"server-alias": {"", " , ", "~^www\\d+\\.example\\.com$", "*.com", "a.*", "x.example.com:80", "10.0.0.1", "a..b", "-a.b", "a b.c",
			"www.example.*", ".example.com", "a.example.com\nb", "$host", strings.Repeat("a.", 127) + "com"},
		"default-backend":    {"", "Svc", "svc.other", "ns/svc", "svc:80", "-svc", strings.Repeat("s", 64)},
		"custom-http-errors": {"", "399", "600", "200", "404,abc", "+404", "0404", "404 503", "4e2"},
	} {
		for _, v := range vs {
			if r := Parse(map[string]string{p + k: v}, DefaultPrefix); len(r.Invalid) != 1 {
				t.Errorf("%s %q accepted", k, v)
			}
		}
	}
}

func TestBalancing(t *testing.T) {
	r := Parse(map[string]string{
		p + "load-balance":                             "least_connections",
		p + "upstream-hash-by":                         " ${http_x_user}-v1$request_uri ",
		p + "affinity":                                 "cookie",
		p + "affinity-mode":                            "persistent-drainable",
		p + "affinity-canary-behavior":                 "legacy",
		p + "session-cookie-name":                      "route_1",
		p + "session-cookie-path":                      "/app",
		p + "session-cookie-domain":                    ".Example.com",
		p + "session-cookie-max-age":                   "-1",
		p + "session-cookie-expires":                   "3600",
		p + "session-cookie-samesite":                  "none",
		p + "session-cookie-conditional-samesite-none": "true",
		p + "session-cookie-secure":                    "true",
		p + "session-cookie-change-on-failure":         "false",
	}, DefaultPrefix)
	s := r.Set
	want := []HashPart{{Var: "http_x_user"}, {Text: "-v1"}, {Var: "request_uri"}}
	if len(r.Invalid) != 0 || *s.LoadBalance != "least_conn" || !reflect.DeepEqual(s.UpstreamHashBy, want) || *s.Affinity != "cookie" ||
		*s.AffinityMode != "persistent" || *s.AffinityCanaryBehavior != "legacy" || *s.SessionCookieName != "route_1" ||
		*s.SessionCookiePath != "/app" || *s.SessionCookieDomain != ".example.com" || *s.SessionCookieMaxAge != -1 ||
		*s.SessionCookieExpires != 3600 || *s.SessionCookieSameSite != "None" || !*s.SessionCookieConditionalSameSiteNone ||
		!*s.SessionCookieSecure || *s.SessionCookieChangeOnFailure {
		t.Fatalf("%+v %+v", r.Invalid, s)
	}
	for k, vs := range map[string][]string{
		"upstream-hash-by":         {"", "$", "${uri", "$request_body", "$upstream_addr", "$0", "$10", "a b", "$host$", "${}", "x\\y", "$uri;"},
		"load-balance":             {"", "LEAST_CONN", "random", "chash"},
		"session-cookie-name":      {"", "a b", "a/b", "a:b", "a$b", strings.Repeat("c", 129)},
		"session-cookie-domain":    {"", "..x.com", "x.com.", "-x.com", "x_y.com", "x.com:80"},
		"session-cookie-max-age":   {"", "1.5", "01", "+1", "99999999999"},
		"canary-by-header":         {"", "-x", "X.Y", "X Y"},
		"canary-by-header-pattern": {"", "(", "a{1001}", "a\\d", "(?=x)", "(?!x)", "x<y"},
		"canary-weight":            {"", "1.5", "1000001"},
	} {
		for _, v := range vs {
			if r := Parse(map[string]string{p + k: v}, DefaultPrefix); len(r.Invalid) != 1 {
				t.Errorf("%s %q accepted", k, v)
			}
		}
	}
	r = Parse(map[string]string{
		p + "canary": "TRUE", p + "canary-by-header": "X-Canary", p + "canary-by-header-value": "v2/beta:1",
		p + "canary-by-header-pattern": "^(v2|beta)-[0-9]{1,3}$", p + "canary-by-cookie": "canary", p + "canary-weight": "20",
		p + "canary-weight-total": "1000",
	}, DefaultPrefix)
	s = r.Set
	if len(r.Invalid) != 0 || !*s.Canary || *s.CanaryByHeader != "X-Canary" || *s.CanaryByHeaderValue != "v2/beta:1" ||
		*s.CanaryByHeaderPattern != "^(v2|beta)-[0-9]{1,3}$" || *s.CanaryByCookie != "canary" || *s.CanaryWeight != 20 ||
		*s.CanaryWeightTotal != 1000 || !s.CanaryConfigured() {
		t.Fatalf("%+v %+v", r.Invalid, s)
	}
}

func TestRateLimits(t *testing.T) {
	r := Parse(map[string]string{
		p + "limit-rps":              " 5",
		p + "limit-rpm":              "0",
		p + "limit-connections":      "2",
		p + "limit-burst-multiplier": "1",
		p + "limit-rate":             "100",
		p + "limit-rate-after":       "1024",
		p + "limit-whitelist":        "10.0.0.0/8",
		p + "limit-allowlist":        "127.0.0.1, 192.168.0.0/16",
	}, DefaultPrefix)
	s := r.Set
	if len(r.Invalid) != 0 || *s.LimitRPS != 5 || *s.LimitRPM != 0 || *s.LimitConnections != 2 || *s.LimitBurstMultiplier != 1 ||
		*s.LimitRate != 100 || *s.LimitRateAfter != 1024 {
		t.Fatalf("%+v %+v", r.Invalid, s)
	}
	// ingress-nginx: limit-allowlist wins over its alias limit-whitelist.
	if want := []CIDR{"127.0.0.1/32", "192.168.0.0/16"}; !reflect.DeepEqual(s.LimitAllowlist, want) {
		t.Errorf("allowlist %v, want %v", s.LimitAllowlist, want)
	}
	r = Parse(map[string]string{p + "limit-whitelist": "10.0.0.0/8"}, DefaultPrefix)
	if want := []CIDR{"10.0.0.0/8"}; !reflect.DeepEqual(r.Set.LimitAllowlist, want) {
		t.Errorf("limit-whitelist alone: %v, want %v", r.Set.LimitAllowlist, want)
	}
	for k, vs := range map[string][]string{
		"limit-rps":              {"", "-1", "+5", "1.5", "1000001", "5r/s"},
		"limit-rpm":              {"x", "1e3"},
		"limit-connections":      {"1,2", "65536"},
		"limit-burst-multiplier": {"1001", "-5"},
		"limit-rate":             {"1048577", "1m"},
		"limit-rate-after":       {"1073741825", " "},
		"limit-allowlist":        {"", "10.0.0.300"},
	} {
		for _, v := range vs {
			if r := Parse(map[string]string{p + k: v}, DefaultPrefix); len(r.Invalid) != 1 {
				t.Errorf("%s %q accepted", k, v)
			}
		}
	}
}

func TestMirror(t *testing.T) {
	for v, want := range map[string]MirrorTarget{
		"http://10.0.0.1:8080$request_uri":     {URL: "http://10.0.0.1:8080", RequestURI: true, Host: "10.0.0.1"},
		" https://Test.Env.com/$request_uri ":  {URL: "https://Test.Env.com/", RequestURI: true, Host: "test.env.com", HasPath: true},
		"http://mirror.ns.svc.cluster.local/x": {URL: "http://mirror.ns.svc.cluster.local/x", Host: "mirror.ns.svc.cluster.local", HasPath: true},
		"http://[2001:db8::1]:80":              {URL: "http://[2001:db8::1]:80", Host: "2001:db8::1"},
	} {
		r := Parse(map[string]string{p + "mirror-target": v}, DefaultPrefix)
		if len(r.Invalid) != 0 || *r.Set.MirrorTarget != want {
			t.Errorf("%q: %+v %+v, want %+v", v, r.Invalid, r.Set.MirrorTarget, want)
		}
	}
	for _, v := range []string{"", "m.example", "ftp://m.example/", "http://", "http://m.example/$uri", "http://m.example$request_uri$request_uri",
		"http://$host/", "http://m.example/?a=1$request_uri", "http://m.example/#x", "http://u:p@m.example/", "http://m.example:0/",
		"http://m.example:65536/", "http://m_example/", "http://m.example/a b", "http://m.example/\"", "http://m.example/;", "http://m.example/{",
		"http://m.example/\nx", "http://m.example/%0a$request_uri x"} {
		if r := Parse(map[string]string{p + "mirror-target": v}, DefaultPrefix); len(r.Invalid) != 1 {
			t.Errorf("mirror-target %q accepted", v)
		}
	}
	r := Parse(map[string]string{p + "mirror-host": " Mirror.Example:8080 ", p + "mirror-request-body": "off"}, DefaultPrefix)
	if len(r.Invalid) != 0 || *r.Set.MirrorHost != "mirror.example:8080" || *r.Set.MirrorRequestBody {
		t.Fatalf("%+v %+v", r.Invalid, r.Set)
	}
	for _, v := range []string{"", "a b", "a;b", "$host", "a\"b", "*.example.com"} {
		if r := Parse(map[string]string{p + "mirror-host": v}, DefaultPrefix); len(r.Invalid) != 1 {
			t.Errorf("mirror-host %q accepted", v)
		}
	}
}

func TestPassthroughAndSatisfy(t *testing.T) {
	r := Parse(map[string]string{p + "ssl-passthrough": "true", p + "satisfy": " ANY "}, DefaultPrefix)
	if len(r.Invalid) != 0 || !*r.Set.SSLPassthrough || *r.Set.Satisfy != "any" {
		t.Fatalf("%+v %+v", r.Invalid, r.Set)
	}
	for k, vs := range map[string][]string{"ssl-passthrough": {"", "yes", "1"}, "satisfy": {"", "some", "any all"}} {
		for _, v := range vs {
			if r := Parse(map[string]string{p + k: v}, DefaultPrefix); len(r.Invalid) != 1 {
				t.Errorf("%s %q accepted", k, v)
			}
		}
	}
}
