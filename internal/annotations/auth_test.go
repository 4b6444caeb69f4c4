package annotations

import (
	"reflect"
	"testing"
)

func TestAuthAnnotations(t *testing.T) {
	r := Parse(map[string]string{
		p + "auth-type":                             "Basic",
		p + "auth-secret":                           "htpasswd",
		p + "auth-secret-type":                      "auth-map",
		p + "auth-realm":                            "Authentication Required - foo",
		p + "auth-url":                              "https://Auth.NS.svc.cluster.local:8443/oauth2/auth?x=1",
		p + "auth-method":                           "post",
		p + "auth-signin":                           "/oauth2/start?x=1",
		p + "auth-signin-redirect-param":            "return_to",
		p + "auth-response-headers":                 "X-Auth-User, x-auth-user,X-Auth_Email",
		p + "auth-request-redirect":                 "https://app.example.com/back",
		p + "auth-always-set-cookie":                "true",
		p + "auth-tls-secret":                       "app/client-ca",
		p + "auth-tls-verify-client":                "Optional_No_CA",
		p + "auth-tls-verify-depth":                 "0",
		p + "auth-tls-error-page":                   "http://errors.example.com/cert",
		p + "auth-tls-pass-certificate-to-upstream": "true",
		p + "auth-tls-match-cn":                     `CN=(client\.example\.com|Jane Doe)$`,
	}, DefaultPrefix)
	s := r.Set
	if len(r.Invalid) != 0 || len(r.Unsupported) != 0 {
		t.Fatalf("invalid %v unsupported %v", r.Invalid, r.Unsupported)
	}
	if *s.AuthType != "basic" || *s.AuthSecret != (ObjectName{Name: "htpasswd"}) || *s.AuthSecretType != "auth-map" ||
		*s.AuthRealm != "Authentication Required - foo" {
		t.Errorf("basic: %v %v %v %v", *s.AuthType, *s.AuthSecret, *s.AuthSecretType, *s.AuthRealm)
	}
	if *s.AuthURL != "https://Auth.NS.svc.cluster.local:8443/oauth2/auth?x=1" || s.AuthURLHost != "auth.ns.svc.cluster.local" ||
		*s.AuthMethod != "POST" || *s.AuthSignin != "/oauth2/start?x=1" || *s.AuthSigninRedirectParam != "return_to" ||
		!reflect.DeepEqual(s.AuthResponseHeaders, []string{"X-Auth-User", "X-Auth_Email"}) ||
		*s.AuthRequestRedirect != "https://app.example.com/back" || !*s.AuthAlwaysSetCookie {
		t.Errorf("external: %+v", s)
	}
	if *s.AuthTLSSecret != (ObjectName{"app", "client-ca"}) || *s.AuthTLSVerifyClient != "optional_no_ca" || *s.AuthTLSVerifyDepth != 1 ||
		*s.AuthTLSErrorPage != "http://errors.example.com/cert" || !*s.AuthTLSPassCertificate ||
		*s.AuthTLSMatchCN != `CN=(client\.example\.com|Jane Doe)$` {
		t.Errorf("tls: %+v", s)
	}
	if r := Parse(map[string]string{p + "auth-url": "http://[2001:db8::1]:80/"}, DefaultPrefix); len(r.Invalid) != 0 || r.Set.AuthURLHost != "2001:db8::1" {
		t.Errorf("IPv6 auth-url: %+v %v", r.Invalid, r.Set.AuthURLHost)
	}
	for k, vs := range map[string][]string{
		"auth-type":        {"digest", "Basic;", "", "basic digest", "ntlm"},
		"auth-secret":      {"", "a/b/c", "App/x", "x y", "../x", "a/../../etc/passwd", "x;"},
		"auth-secret-type": {"map", "auth-file;", ""},
		"auth-realm":       {`a"b`, `a\b`, "a'b", "$host", "a;b", "a{b}", "a\nb", string(make([]byte, 257))},
		"auth-url": {"", "auth.example.com/x", "ftp://x/", "http://", "http:///x", "https://$host/oauth2/auth", "http://x/$request_uri",
			"http://user:pw@x/", "http://x/#f", "http://x:0/", "http://x:65536/", "http://x:/", "http://x y/", "http://x/\";",
			"http://x/{a}", "http://under_score.example/", "http://2001:db8::1/", "HTTP://x/", "javascript:alert(1)", "http://x/\ny"},
		"auth-method":                           {"FETCH", "GET POST", "get;", ""},
		"auth-signin":                           {"https://$host/oauth2/start?rd=$escaped_request_uri", "//evil.example/", "start", "/x y", "/x#y", "/x;"},
		"auth-signin-redirect-param":            {"", "a b", "rd=", "a&b", "$rd"},
		"auth-response-headers":                 {"", " , ", "X-A;", "X A", "X-A:1", "$x", "X.A"},
		"auth-request-redirect":                 {"$request_uri", "x", "/a\"b"},
		"auth-always-set-cookie":                {"on", "1"},
		"auth-tls-secret":                       {"", "a/b/c", "../ca"},
		"auth-tls-verify-client":                {"yes", "required", "on;"},
		"auth-tls-verify-depth":                 {"-1", "101", "x"},
		"auth-tls-error-page":                   {"$scheme://x/", "x", "/a;b"},
		"auth-tls-pass-certificate-to-upstream": {"on"},
		"auth-tls-match-cn": {"client", "CN", "CN=", "CN=(a", `CN=a"b`, "CN=a;b", "CN=a{2}", "CN=$host", "CN=a$b", `CN=a\1`,
			"CN=(?=x)", "CN=a\nb", `CN=a\`, "CN=a#b", "CN=a'b"},
	} {
		for _, v := range vs {
			if r := Parse(map[string]string{p + k: v}, DefaultPrefix); len(r.Invalid) != 1 {
				t.Errorf("%s %q accepted", k, v)
			}
		}
	}
	if r := Parse(map[string]string{p + "auth-snippet": "return 200;"}, DefaultPrefix); len(r.Unsupported) != 1 {
		t.Errorf("auth-snippet: %+v", r)
	}
}

func TestAuthCacheAnnotations(t *testing.T) {
	p := DefaultPrefix + "/"
	r := Parse(map[string]string{p + "auth-cache-key": "$remote_user${HTTP_AUTHORIZATION}-x:$arg_t",
		p + "auth-cache-duration": " 200 202 5m, ,401 1h30m,any 1y,10s "}, DefaultPrefix)
	if len(r.Invalid) != 0 {
		t.Fatalf("valid auth-cache-*: %+v", r.Invalid)
	}
	want := []HashPart{{Var: "remote_user"}, {Var: "http_authorization"}, {Text: "-x:"}, {Var: "arg_t"}}
	if !reflect.DeepEqual(r.Set.AuthCacheKey, want) {
		t.Errorf("auth-cache-key %+v, want %+v", r.Set.AuthCacheKey, want)
	}
	if d := r.Set.AuthCacheDuration; !reflect.DeepEqual(d, []string{"200 202 5m", "401 1h30m", "any 1y", "10s"}) {
		t.Errorf("auth-cache-duration %q", d)
	}
	for k, vs := range map[string][]string{
		"auth-cache-key": {"", "$1", "a$9", "$upstream_addr", "$request_body", "a b", `"$host"`, "x;y", "{x}", "$", "${host",
			"$http_x\ty", "$host#", "'x'", "a\nb"},
		"auth-cache-duration": {"", ",", "200", "5", "200 5", "200 5ms", "20 5m", "600 5m", "2000 5m", "ANY 5m", "200 30m1h",
			"200 1h1h", "200 5m;", "200 5m 401", "200,5m", "200 12345m", "200 $t", "200 5m, 401"},
	} {
		for _, v := range vs {
			if r := Parse(map[string]string{p + k: v}, DefaultPrefix); len(r.Invalid) != 1 {
				t.Errorf("%s %q accepted", k, v)
			}
		}
	}
}
