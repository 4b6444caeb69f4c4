package annotations

import (
	"math/bits"
	"os/exec"
	"strings"
	"testing"
)

func (s cipherSet) count() int {
	return bits.OnesCount64(s[0]) + bits.OnesCount64(s[1]) + bits.OnesCount64(s[2])
}

// cipherLists are lists OpenSSL takes or refuses, ingress-nginx's examples
// among them.
var cipherLists = []string{
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305",
	"ALL:!aNULL:!EXPORT56:RC4+RSA:+HIGH:+MEDIUM:+LOW:+SSLv2:+EXP",
	"ALL:!aNULL:!EXPORT56@SECLEVEL=2:RC4+RSA:+HIGH:+MEDIUM:+LOW:+SSLv2:+EXP",
	"ALL:!aNULL:!EXPORT56:RC4+RSA:+HIGH:+MEDIUM:+LOW:+SSLv2:+EXP@STRENGTH@SECLEVEL=3",
	"HIGH:!aNULL:!MD5", "DEFAULT", "DEFAULT@SECLEVEL=0", "DEFAULT:!ECDHE", "DEFAULT:eNULL", "DEFAULT:!ALL:eNULL", "DEFAULTX",
	"DEFAULT:+AES", "ECDHE+AESGCM", "kRSA+TLSv1.2", "AES128-SHA+AES", "AES128-SHA+CHACHA20", "AESGCM+ECDHE-RSA-AES128-GCM-SHA256",
	"ECDHE-RSA-AES128-GCM-SHA256+ECDHE-RSA-AES256-GCM-SHA384", "!ALL:AES128-SHA", "ALL:-ALL:AES128-SHA", "ALL:!ALL", "FOO",
	"FOO:AES128-SHA", "eNULL", "COMPLEMENTOFALL", "aNULL:!ADH", "ECDHE:!ECDHE-RSA-AES128-GCM-SHA256", "!eNULL:eNULL:HIGH",
	"ECDHE-ECDSA-AES256-GCM-SHA384", "PSK", "SRP", "CAMELLIA:ARIA", "RC4:DES:3DES", "TLSv1.0:!SHA1", "SSLv3:!TLSv1", "HIGH@STRENGTH",
	"HIGH:DEFAULT", "SUITEB128", "HIGH:SUITEB192", "HIGH_X", "HIGH!aNULL", "HIGH-aNULL", "HIGH@FOO", "HIGH@SECLEVEL=9",
	"HIGH MEDIUM", "HIGH,MEDIUM", "HIGH;MEDIUM", "TLS_AES_128_GCM_SHA256", "", ":", "HIGH::", "+HIGH", "-HIGH", "HIGH+", "+",
	"kECDHE+aRSA+AESGCM:kECDHE+aRSA+CHACHA20:!SHA1", "ECDH:!AECDH", "DH:!ADH", "CBC:!SHA1:!SHA256:!SHA384",
}

// TestCipherListsAsOpenSSL: every list parseCipherList takes, OpenSSL
// (`openssl ciphers`, the library nginx uses) takes too, selecting as many
// TLS 1.2 suites as cipherListSet says.
func TestCipherListsAsOpenSSL(t *testing.T) {
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("no openssl command")
	}
	accepted := 0
	for _, l := range cipherLists {
		out, err := exec.Command("openssl", "ciphers", "--", l).Output()
		n := 0
		for _, c := range strings.Split(strings.TrimSpace(string(out)), ":") {
			if c != "" && !strings.HasPrefix(c, "TLS_") {
				n++
			}
		}
		_, perr := parseCipherList(l)
		set, _ := cipherListSet(strings.TrimSpace(l))
		switch {
		case perr == nil && err != nil:
			t.Errorf("%q accepted, but OpenSSL refuses it", l)
		case perr == nil && set.count() != n:
			t.Errorf("%q selects %d suites, OpenSSL %d", l, set.count(), n)
		case perr == nil:
			accepted++
		}
	}
	if accepted < 30 {
		t.Errorf("only %d lists accepted", accepted)
	}
}

func TestCipherListRefusals(t *testing.T) {
	for _, l := range []string{"FOO", "!ALL:AES128-SHA", "ALL:!ALL", "HIGH_X", "RC4:DES", "DEFAULT:!ALL:eNULL", "SUITEB128", "HIGH;", "HIGH\"",
		"$ssl_cipher", "HIGH MEDIUM", "TLS_AES_128_GCM_SHA256", "HIGH@SECLEVEL=6", "x" + strings.Repeat(":HIGH", 500)} {
		if _, err := parseCipherList(l); err == nil {
			t.Errorf("%q accepted", l)
		}
	}
	for _, l := range []string{"HIGH:!aNULL:!MD5", "DEFAULT@SECLEVEL=0", " ECDHE+AESGCM ", "ALL:!aNULL:!EXPORT56:RC4+RSA:+HIGH:+MEDIUM:+LOW:+SSLv2:+EXP"} {
		if v, err := parseCipherList(l); err != nil || v != strings.TrimSpace(l) {
			t.Errorf("%q: %q %v", l, v, err)
		}
	}
}

// TestProxySSLCiphersChecked: proxy-ssl-ciphers takes what ssl-ciphers
// takes, so a list selecting no cipher (proxy_ssl_ciphers would fail
// nginx -t) fails only its Ingress.
func TestProxySSLCiphersChecked(t *testing.T) {
	for value, ok := range map[string]bool{"FOOBAR": false, "HIGH_X": false, "HIGH:!aNULL": true, "DEFAULT": true} {
		if _, err := ParseOne("proxy-ssl-ciphers", value); (err == nil) != ok {
			t.Errorf("proxy-ssl-ciphers %q: %v, want accepted %v", value, err, ok)
		}
	}
}
