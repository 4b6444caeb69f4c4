package nginxconf

import (
	"bytes"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
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

// caBundle is a validated ca.crt, re-encoded as plain PEM certificates.
type caBundle struct {
	pem  []byte
	file string // path relative to Options.Dir, named by content
}

// parseCABundle checks that data holds one or more PEM certificates and
// nothing else, as nginx's proxy_ssl_trusted_certificate needs.
func parseCABundle(data []byte) (*caBundle, error) {
	out, err := pemOnly(data, "CERTIFICATE", "certificate", func(der []byte) error {
		_, err := x509.ParseCertificate(der)
		return err
	})
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(out)
	return &caBundle{pem: out, file: path.Join("certs", hex.EncodeToString(sum[:12])+".pem")}, nil
}

// pemOnly checks that data holds one or more PEM blocks of type typ that
// parse, and nothing else; it returns them re-encoded (no headers or
// stray text reach the file nginx reads). what names them in errors.
func pemOnly(data []byte, typ, what string, parse func(der []byte) error) ([]byte, error) {
	var out []byte
	rest := data
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != typ {
			return nil, fmt.Errorf("holds a %q PEM block, not only %ss", block.Type, what)
		}
		if err := parse(block.Bytes); err != nil {
			return nil, err
		}
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: block.Bytes})...)
	}
	if len(bytes.TrimSpace(rest)) > 0 {
		return nil, fmt.Errorf("holds data that is not PEM")
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("holds no PEM %s", what)
	}
	return out, nil
}

// backendSecret reads a proxy-ssl-secret as ingress-nginx does, whatever
// the Secret's type: a client certificate when it has both tls.crt and
// tls.key, trusted CAs when it has ca.crt; at least one of the two.
func backendSecret(s *corev1.Secret) (*certificate, *caBundle, error) {
	crt, okCrt := s.Data[corev1.TLSCertKey]
	key, okKey := s.Data[corev1.TLSPrivateKeyKey]
	caData, okCA := s.Data["ca.crt"]
	var client *certificate
	var ca *caBundle
	var err error
	if okCrt && okKey {
		if client, err = parseCertificate(crt, key); err != nil {
			return nil, nil, fmt.Errorf("Secret %s/%s: tls.crt and tls.key are not a usable certificate and key: %v", s.Namespace, s.Name, err)
		}
	}
	if okCA {
		if ca, err = parseCABundle(caData); err != nil {
			return nil, nil, fmt.Errorf("Secret %s/%s: ca.crt %v", s.Namespace, s.Name, err)
		}
	}
	if client == nil && ca == nil {
		return nil, nil, fmt.Errorf("Secret %s/%s holds neither tls.crt and tls.key nor ca.crt", s.Namespace, s.Name)
	}
	return client, ca, nil
}

// contentFile names a file by its content: a new content is a new file, so
// the running config's files are never overwritten before nginx -t passes.
func contentFile(dir, ext string, data []byte) string {
	sum := sha256.Sum256(data)
	return path.Join(dir, hex.EncodeToString(sum[:12])+ext)
}
