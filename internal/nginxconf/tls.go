package nginxconf

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"path"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// certificate is a parsed, usable TLS pair ready to be written for nginx.
type certificate struct {
	leaf *x509.Certificate
	pem  []byte // certificate chain then key, as nginx reads from one file
	file string // path relative to Options.Dir, named by content
}

// parseCertificate checks that a Secret holds a usable certificate and key.
func parseCertificate(certPEM, keyPEM []byte) (*certificate, error) {
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, err
	}
	leaf, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		return nil, err
	}
	data := make([]byte, 0, len(certPEM)+len(keyPEM)+1)
	data = append(data, certPEM...)
	if len(data) > 0 && data[len(data)-1] != '\n' {
		data = append(data, '\n')
	}
	data = append(data, keyPEM...)
	sum := sha256.Sum256(data)
	// Named by content, so a new certificate is a new file and the running
	// config's files are never overwritten before nginx -t passes.
	return &certificate{leaf: leaf, pem: data, file: path.Join("certs", hex.EncodeToString(sum[:12])+".pem")}, nil
}

// certificateFromSecret reads a kubernetes.io/tls Secret.
func certificateFromSecret(s *corev1.Secret) (*certificate, error) {
	if s.Type != corev1.SecretTypeTLS {
		return nil, fmt.Errorf("Secret %s/%s is of type %q, not %q", s.Namespace, s.Name, s.Type, corev1.SecretTypeTLS)
	}
	c, err := parseCertificate(s.Data[corev1.TLSCertKey], s.Data[corev1.TLSPrivateKeyKey])
	if err != nil {
		return nil, fmt.Errorf("Secret %s/%s does not hold a usable certificate and key: %v", s.Namespace, s.Name, err)
	}
	return c, nil
}

// covers says whether the certificate is valid for an Ingress host. A
// wildcard host needs the same wildcard name in the certificate.
func (c *certificate) covers(host string) bool {
	if strings.HasPrefix(host, "*.") {
		for _, n := range c.leaf.DNSNames {
			if strings.EqualFold(n, host) {
				return true
			}
		}
		return false
	}
	return c.leaf.VerifyHostname(host) == nil
}
