package annotations

import (
	"strings"
	"testing"
)

func TestProxyCookieAndRedirect(t *testing.T) {
	r := Parse(map[string]string{
		p + "proxy-cookie-domain": "  Backend.SVC.cluster.local   .Example.com ",
		p + "proxy-cookie-path":   "/app/ /",
		p + "proxy-redirect-from": "http://backend.svc:8080/app/",
		p + "proxy-redirect-to":   "https://www.example.com/a%2Fb?x=1",
	}, DefaultPrefix)
	s := r.Set
	if len(r.Invalid) != 0 || *s.ProxyCookieDomain != (TextPair{"backend.svc.cluster.local", "example.com"}) ||
		*s.ProxyCookiePath != (TextPair{"/app/", "/"}) || *s.ProxyRedirectFrom != "http://backend.svc:8080/app/" ||
		*s.ProxyRedirectTo != "https://www.example.com/a%2Fb?x=1" {
		t.Fatalf("%+v %+v", r.Invalid, s)
	}
	for k, want := range map[string]string{"proxy-redirect-from": "default", "proxy-redirect-to": "off"} {
		r := Parse(map[string]string{p + "proxy-redirect-from": " Default ", p + "proxy-redirect-to": "OFF"}, DefaultPrefix)
		got := r.Set.ProxyRedirectFrom
		if k == "proxy-redirect-to" {
			got = r.Set.ProxyRedirectTo
		}
		if len(r.Invalid) != 0 || *got != want {
			t.Errorf("%s: %+v %v, want %q", k, r.Invalid, *got, want)
		}
	}
	for _, k := range []string{"proxy-cookie-domain", "proxy-cookie-path"} {
		if r := Parse(map[string]string{p + k: "Off"}, DefaultPrefix); len(r.Invalid) != 0 {
			t.Errorf("%s off: %+v", k, r.Invalid)
		} else if pair := r.Set.ProxyCookieDomain; k == "proxy-cookie-domain" && *pair != (TextPair{}) {
			t.Errorf("%s off: %+v", k, *pair)
		}
	}
	for _, v := range []string{"/", "/x", "http://a", "https://10.0.0.1:8443/p?q=1&r=2", "http://[2001:db8::1]/", "/a%20b"} {
		for _, k := range []string{"proxy-redirect-from", "proxy-redirect-to"} {
			if r := Parse(map[string]string{p + k: v}, DefaultPrefix); len(r.Invalid) != 0 {
				t.Errorf("%s %q refused: %v", k, v, r.Invalid)
			}
		}
	}
	bad := map[string][]string{
		"proxy-cookie-domain": {"", "a", "a b c", "~\\.example\\.com$ x.com", "a.com $host", "a_b.com x.com", "a.com x.com;", "a.com:80 b.com",
			"*.a.com b.com", "a.com \"b.com\""},
		"proxy-cookie-path": {"", "/a", "/a /b /c", "~^/app/(.*) /$1", "/a $uri", "a /", "/a //", "/a/../b /", "/a /b;", "/a /b%20",
			"/a /{x}", "/a\n/b"},
		"proxy-redirect-from": {"", "~^http://x/(.*)", "http://$host/", "x.example/", "ftp://x/", "http://x/ /", "/a;b", "/a\"",
			"/a%2", "/a%zz", "//evil.example/", "http://u:p@x/", "http://x/#f", "/@@ATRIUM%CONFIG%HASH@@", "/a{b}", "http:// x/"},
		"proxy-redirect-to": {"", "$scheme://x/", "/$1", "https://x/ /", "/a;", "/a\\b", "javascript:alert(1)", "/%"},
	}
	for k, vs := range bad {
		for _, v := range vs {
			r := Parse(map[string]string{p + k: v}, DefaultPrefix)
			if len(r.Invalid) != 1 {
				t.Errorf("%s %q accepted: %+v", k, v, r.Set)
				continue
			}
			if strings.HasPrefix(v, "~") && !strings.Contains(r.Invalid[0].Problem, "regular expression") {
				t.Errorf("%s %q: %q does not say regexes are not taken", k, v, r.Invalid[0].Problem)
			}
		}
	}
}
