package nginxconf

import (
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	networkingv1 "k8s.io/api/networking/v1"

	"github.com/atrium-ingress/atrium/internal/annotations"
)

// ingress-nginx's proxy-ssl-* defaults once proxy-ssl-secret is set.
var (
	proxySSLDefaultProtocols = []string{"TLSv1", "TLSv1.1", "TLSv1.2"}
)

const (
	proxySSLDefaultCiphers = "DEFAULT"
	proxySSLDefaultDepth   = 1
)

// backendTLS applies proxy-ssl-* with ingress-nginx's meaning: nothing
// without proxy-ssl-secret (the others are then ignored, with a Warning),
// the Secret in the Ingress's namespace, its tls.crt/tls.key as client
// certificate and its ca.crt as the trusted CAs. A missing or unusable
// Secret, or proxy-ssl-verify on without a CA, fails the Ingress closed:
// ingress-nginx would proxy without the check that was asked for.
func (b *builder) backendTLS(ing *networkingv1.Ingress, ref ObjectRef, prefix string, s annotations.Set, a *ingressAnnotations) {
	field := func(key string) string { return "metadata.annotations[" + prefix + "/" + key + "]" }
	verify := s.ProxySSLVerify != nil && *s.ProxySSLVerify
	if s.ProxySSLSecret == nil {
		if verify {
			a.failClosed = true
			b.ps.add(ref, field("proxy-ssl-verify"), ReasonInvalidAnnotation,
				"on needs proxy-ssl-secret with a ca.crt (ingress-nginx would not verify); the Ingress's paths answer 503 until it is fixed")
		}
		var ignored []string
		for key, set := range map[string]bool{
			"proxy-ssl-verify-depth": s.ProxySSLVerifyDepth != nil, "proxy-ssl-name": s.ProxySSLName != nil,
			"proxy-ssl-server-name": s.ProxySSLServerName != nil, "proxy-ssl-protocols": s.ProxySSLProtocols != nil,
			"proxy-ssl-ciphers": s.ProxySSLCiphers != nil, "proxy-ssl-verify": s.ProxySSLVerify != nil && !verify,
		} {
			if set {
				ignored = append(ignored, prefix+"/"+key)
			}
		}
		if len(ignored) > 0 {
			sort.Strings(ignored)
			b.ps.add(ref, "metadata.annotations", ReasonIgnoredAnnotation,
				"ignored without %s/proxy-ssl-secret, as in ingress-nginx: %s", prefix, strings.Join(ignored, ", "))
		}
		return
	}
	secretField := field("proxy-ssl-secret")
	sec, reason, msg := b.ingressSecret(ing, *s.ProxySSLSecret)
	if sec == nil {
		a.failClosed = true
		until := "is fixed"
		if reason == ReasonSecretNotFound {
			until = "exists"
		}
		b.ps.add(ref, secretField, reason, "%s; the Ingress's paths answer 503 until it %s", msg, until)
		return
	}
	n := *s.ProxySSLSecret
	client, ca, err := backendSecret(sec)
	if err != nil {
		a.failClosed = true
		b.ps.add(ref, secretField, ReasonInvalidCertificate, "%v; the Ingress's paths answer 503 until it is fixed", err)
		return
	}
	if verify && ca == nil {
		a.failClosed = true
		b.ps.add(ref, secretField, ReasonInvalidCertificate,
			"Secret %s has no ca.crt, which proxy-ssl-verify on needs; the Ingress's paths answer 503 until it is fixed", n)
		return
	}
	if p := a.proxy.Protocol; p != "HTTPS" && p != "GRPCS" {
		b.ps.add(ref, secretField, ReasonIgnoredAnnotation,
			"the proxy-ssl-* annotations have no effect: backend-protocol is not HTTPS or GRPCS")
		return
	}
	t := &BackendTLS{
		Verify:      verify,
		VerifyDepth: strconv.Itoa(proxySSLDefaultDepth),
		Protocols:   proxySSLDefaultProtocols,
		Ciphers:     proxySSLDefaultCiphers,
	}
	if client != nil {
		t.CertFile = b.certFile(client)
	}
	if ca != nil {
		b.files[ca.file] = ca.pem
		t.CAFile = filepath.Join(b.opts.Dir, ca.file)
	}
	if s.ProxySSLVerifyDepth != nil {
		t.VerifyDepth = strconv.Itoa(*s.ProxySSLVerifyDepth)
	}
	if s.ProxySSLName != nil {
		t.Name = *s.ProxySSLName
	}
	t.ServerName = s.ProxySSLServerName != nil && *s.ProxySSLServerName
	if s.ProxySSLProtocols != nil {
		t.Protocols = s.ProxySSLProtocols
	}
	if s.ProxySSLCiphers != nil {
		t.Ciphers = *s.ProxySSLCiphers
	}
	a.proxy.TLS = t
}

// withTLSName gives a location's BackendTLS its default name, the name of
// what its upstream stands for, unless proxy-ssl-name set one.
func withTLSName(l Location, name string) Location {
	if t := l.Proxy.TLS; t != nil && t.Name == "" {
		c := *t
		c.Name = name
		l.Proxy.TLS = &c
	}
	return l
}

// tlsPools gives every distinct backend TLS setting (with its protocol)
// one upstream block, named in the order of the settings, and points the
// locations at theirs.
func tlsPools(servers []Server) []string {
	key := func(l Location) string {
		t := *l.Proxy.TLS
		return strings.Join([]string{l.Proxy.Protocol, t.CertFile, t.CAFile, strconv.FormatBool(t.Verify), t.VerifyDepth,
			t.Name, strconv.FormatBool(t.ServerName), strings.Join(t.Protocols, " "), t.Ciphers}, "\x00")
	}
	set := map[string]bool{}
	for _, srv := range servers {
		for _, l := range srv.Locations {
			if l.Proxy.TLS != nil {
				set[key(l)] = true
			}
		}
	}
	keys := make([]string, 0, len(set))
	for k := range set {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	names := map[string]string{}
	pools := make([]string, 0, len(keys))
	for i, k := range keys {
		names[k] = "atrium_tls_" + strconv.Itoa(i)
		pools = append(pools, names[k])
	}
	for _, srv := range servers {
		for i := range srv.Locations {
			l := &srv.Locations[i]
			if l.Proxy.TLS != nil {
				t := *l.Proxy.TLS
				t.Pool = names[key(*l)]
				l.Proxy.TLS = &t
			}
		}
	}
	return pools
}
