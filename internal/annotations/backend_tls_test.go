package annotations

import (
	"reflect"
	"testing"
)

func TestProxySSL(t *testing.T) {
	r := Parse(map[string]string{
		p + "proxy-ssl-secret":       " app/backend-ca ",
		p + "proxy-ssl-verify":       "on",
		p + "proxy-ssl-verify-depth": "0",
		p + "proxy-ssl-name":         "Backend.App.SVC.",
		p + "proxy-ssl-server-name":  "off",
		p + "proxy-ssl-protocols":    "TLSv1.3  TLSv1.2 TLSv1.3",
		p + "proxy-ssl-ciphers":      "HIGH:!aNULL:!MD5",
		p + "service-upstream":       "true",
		p + "custom-headers":         "app/headers",
	}, DefaultPrefix)
	s := r.Set
	if len(r.Invalid) != 0 || *s.ProxySSLSecret != (ObjectName{"app", "backend-ca"}) || !*s.ProxySSLVerify ||
		*s.ProxySSLVerifyDepth != 1 || *s.ProxySSLName != "backend.app.svc" || *s.ProxySSLServerName ||
		!reflect.DeepEqual(s.ProxySSLProtocols, []string{"TLSv1.2", "TLSv1.3"}) || *s.ProxySSLCiphers != "HIGH:!aNULL:!MD5" ||
		!*s.ServiceUpstream || *s.CustomHeaders != (ObjectName{"app", "headers"}) {
		t.Fatalf("%+v %+v", r.Invalid, s)
	}
	for k, vs := range map[string][]string{
		"proxy-ssl-secret":       {"backend-ca", "/x", "app/", "App/x", "a/b/c", "app/x y", "app/x;"},
		"custom-headers":         {"headers", "app/$x", "app/x\"", "../x"},
		"proxy-ssl-verify":       {"yes", "optional", ""},
		"proxy-ssl-verify-depth": {"-1", "101", "1;", "one"},
		"proxy-ssl-name":         {"", "a b", "x.example:443", "$host", "10.0.0.1", "x\";", "*.example.com"},
		"proxy-ssl-server-name":  {"maybe"},
		"proxy-ssl-protocols":    {"", "TLSv1.4", "tlsv1.2", "TLSv1.2;", "TLSv1.2,TLSv1.3"},
		"proxy-ssl-ciphers":      {"", "HIGH MEDIUM", "HIGH;", "FOOBAR", "HIGH_X", "$x"},
		"service-upstream":       {"on", "1"},
	} {
		for _, v := range vs {
			if r := Parse(map[string]string{p + k: v}, DefaultPrefix); len(r.Invalid) != 1 {
				t.Errorf("%s %q accepted", k, v)
			}
		}
	}
}
