package echo

import (
	"strings"
	"testing"
)

func TestDecode(t *testing.T) {
	r, err := Decode(strings.NewReader(`{"path":"/a?b=1","host":"h","method":"GET","proto":"HTTP/1.1",
		"headers":{"X-A":["1","2"]},"pod":"p","namespace":"n","service":"s","remoteAddr":"1.2.3.4:5",
		"bodyLength":7,"tls":{"version":"TLS1.3","serverName":"sni","alpn":"h2"},"future":true}`))
	if err != nil {
		t.Fatal(err)
	}
	if r.Path != "/a?b=1" || r.Headers.Values("x-a")[1] != "2" || r.BodyLength != 7 || r.TLS == nil || r.TLS.ALPN != "h2" {
		t.Errorf("decoded %+v", r)
	}
}

// TestDecodeNotEcho: an nginx error page must fail with its text quoted.
func TestDecodeNotEcho(t *testing.T) {
	for body, quote := range map[string]string{
		"<html><head><title>502 Bad Gateway</title>": "502 Bad Gateway",
		`{"error":"upstream"}`:                       "upstream",
	} {
		_, err := Decode(strings.NewReader(body))
		if err == nil || !strings.Contains(err.Error(), quote) {
			t.Errorf("Decode(%q) err = %v, want it quoting the body", body, err)
		}
	}
}

func TestFiller(t *testing.T) {
	if len(FillPattern) != 64 {
		t.Fatalf("len(FillPattern) = %d", len(FillPattern))
	}
	b := Filler(130)
	if string(b[:64]) != FillPattern || string(b[64:128]) != FillPattern || string(b[128:]) != "ab" {
		t.Errorf("Filler(130) = %q", b)
	}
}
