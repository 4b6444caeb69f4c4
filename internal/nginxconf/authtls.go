package nginxconf

import (
	"crypto/x509"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/atrium-ingress/atrium/internal/annotations"
)

// Client certificates (auth-tls-*), as ingress-nginx has them. nginx asks
// for and verifies client certificates during the TLS handshake, so the
// settings belong to a server, not a location: an Ingress's auth-tls
// applies to the servers of its rule hosts (the catch-all for a rule
// without host), the oldest Ingress's settings win and a newer Ingress
// asking for other settings gets a HostConflict Event (ingress-nginx
// only logged it). A Secret that cannot be used makes the whole server
// answer 403 (ingress-nginx's AuthTLSError): the host was meant to require
// certificates, so serving it without them is not an option. A refused
// annotation value fails only the Ingress's own paths (503), like every
// refused value.

// clientAuth reads auth-tls-* into a.clientAuth, or records why the
// Secret cannot be used in a.clientAuthError.
func (b *builder) clientAuth(ing *networkingv1.Ingress, ref ObjectRef, r annotations.Result, a *ingressAnnotations) {
	s := r.Set
	for _, inv := range r.Invalid {
		if strings.HasPrefix(inv.Key, b.annPrefix()+"/auth-tls-") {
			return // refused: the Ingress fails closed, nothing reaches its hosts
		}
	}
	if s.AuthTLSSecret == nil {
		b.ignoredWithout(ref, r, "auth-tls-secret", map[string]bool{"auth-tls-verify-client": s.AuthTLSVerifyClient != nil,
			"auth-tls-verify-depth": s.AuthTLSVerifyDepth != nil, "auth-tls-error-page": s.AuthTLSErrorPage != nil,
			"auth-tls-pass-certificate-to-upstream": s.AuthTLSPassCertificate != nil, "auth-tls-match-cn": s.AuthTLSMatchCN != nil})
		return
	}
	field := b.annField("auth-tls-secret")
	fail := func(reason Reason, format string, args ...any) {
		a.clientAuthError = true
		b.ps.add(ref, field, reason, "%s; its hosts answer 403 until it is fixed", fmt.Sprintf(format, args...))
	}
	sec, reason, msg := b.ingressSecret(ing, *s.AuthTLSSecret)
	if sec == nil {
		fail(reason, "%s", msg)
		return
	}
	n := annotations.ObjectName{Namespace: sec.Namespace, Name: sec.Name}
	caData, ok := sec.Data["ca.crt"]
	if !ok {
		fail(ReasonInvalidCertificate, "Secret %s has no ca.crt", n)
		return
	}
	ca, err := parseCABundle(caData)
	if err != nil {
		fail(ReasonInvalidCertificate, "Secret %s: ca.crt %v", n, err)
		return
	}
	c := &ClientAuth{Verify: "on", Depth: "1", Owner: ing.Namespace + "/" + ing.Name}
	b.files[ca.file] = ca.pem
	c.CAFile = filepath.Join(b.opts.Dir, ca.file)
	if crl, ok := sec.Data["ca.crl"]; ok {
		file, data, err := parseCRL(crl)
		if err != nil {
			fail(ReasonInvalidCertificate, "Secret %s: ca.crl %v", n, err)
			return
		}
		b.files[file] = data
		c.CRLFile = filepath.Join(b.opts.Dir, file)
	}
	if s.AuthTLSVerifyClient != nil {
		c.Verify = *s.AuthTLSVerifyClient
	}
	if s.AuthTLSVerifyDepth != nil {
		c.Depth = strconv.Itoa(*s.AuthTLSVerifyDepth)
	}
	if s.AuthTLSErrorPage != nil {
		c.ErrorPage = *s.AuthTLSErrorPage
	}
	c.PassCertificate = s.AuthTLSPassCertificate != nil && *s.AuthTLSPassCertificate
	if s.AuthTLSMatchCN != nil {
		// nginx reads the regex from a quoted string: a space is written
		// \x20 so the value is one word to every reader of the config.
		c.MatchCN = strings.ReplaceAll(*s.AuthTLSMatchCN, " ", `\x20`)
	}
	a.clientAuth = c
}

// parseCRL checks that data holds PEM X509 CRLs and nothing else, and
// returns the file to write (named by content) and its data.
func parseCRL(data []byte) (string, []byte, error) {
	out, err := pemOnly(data, "X509 CRL", "CRL", func(der []byte) error {
		_, err := x509.ParseRevocationList(der)
		return err
	})
	if err != nil {
		return "", nil, err
	}
	return contentFile("certs", ".crl", out), out, nil
}

// hostClientAuth records what an Ingress's auth-tls asks of one of its
// rule hosts.
func (b *builder) hostClientAuth(sb *serverBuild, in ingressInput) {
	a := in.ann
	if a.clientAuthError {
		sb.clientAuthError = true
	}
	if a.clientAuth == nil {
		return
	}
	switch {
	case sb.clientAuth == nil:
		sb.clientAuth = a.clientAuth
	case !sameClientAuth(sb.clientAuth, a.clientAuth):
		host := sb.host
		if host == "" {
			host = "*"
		}
		b.ps.add(in.ref, b.annField("auth-tls-secret"), ReasonHostConflict,
			"host %q already has the client-certificate settings of the older Ingress %s; these are ignored", host, sb.clientAuth.Owner)
	}
}

func sameClientAuth(x, y *ClientAuth) bool {
	a, c := *x, *y
	a.Owner, c.Owner = "", ""
	return a == c
}

// ingressSecret finds the Secret an annotation names (namespace/name, or a
// bare name meaning the Ingress's namespace). Like ingress-nginx without
// allow-cross-namespace-resources, only the Ingress's own namespace is
// allowed. Without a Secret it returns the problem's reason and message.
func (b *builder) ingressSecret(ing *networkingv1.Ingress, n annotations.ObjectName) (*corev1.Secret, Reason, string) {
	if n.Namespace == "" {
		n.Namespace = ing.Namespace
	}
	if n.Namespace != ing.Namespace {
		return nil, ReasonInvalidAnnotation, fmt.Sprintf("Secret %s is not in the Ingress's namespace %s", n, ing.Namespace)
	}
	sec, ok := b.secrets[n.String()]
	if !ok {
		return nil, ReasonSecretNotFound, fmt.Sprintf("Secret %s not found", n)
	}
	return sec, "", ""
}
