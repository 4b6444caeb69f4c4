package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/atrium-ingress/atrium/test/echoserver/echo"
)

// Password hashes of "atrium" in every format Atrium accepts (made with
// openssl passwd and Python's crypt), and of "changed" for the update.
var atriumHashes = map[string]string{
	"apr1":   "$apr1$atrium$3YmbqTs4m2vCiylTH4yFK1",
	"md5":    "$1$atrium$1lEwm9tY9YRNsiCUKe1yn1",
	"sha256": "$5$rounds=5000$atriumsalt$fkqAM9KtDnuFtDR4/wGs8I.cr4q0zTtH3TOntp/tym7",
	"sha512": "$6$atriumsalt$d/ULuUf1hmGAbUNVP8aq.tL.3hEbsCZwenY2irtiGXIijKUKpWtGIZqOc3W9esQLXXzDtY8U2YRVoPl1QgDh1/",
	"bcrypt": "$2y$05$atriumatriumatriumatreyYhFQtzqkrdXiu6tuwq20Q50ezpsXzG",
	"sha":    "{SHA}bZydCEMF/YsjNG+QtLRlUVD3L+k=",
	"ssha":   "{SSHA}G9gAEs9vj0EGnliKdEC08k9G9m1zYWx0",
}

const changedAPR1 = "$apr1$changed$Ff/ysnIPF2APCtwcsYU3A1" // "changed"

func basicHeader(user, password string) http.Header {
	return http.Header{"Authorization": {"Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+password))}}
}

// TestAnnotationsBasicAuth: auth-type basic through the real nginx, whose
// workers read the password file at each request: every hash format, the
// realm, wrong and missing credentials, an auth-map Secret, the
// Authorization header kept from the endpoints, a password change, and
// the combination with allowlist-source-range (nginx's satisfy all). A
// missing or unusable Secret fails closed with an Event.
func TestAnnotationsBasicAuth(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	deploy(t, ns, "web", 1)
	var file strings.Builder
	file.WriteString("# one user per format\n")
	for user, hash := range atriumHashes {
		file.WriteString(user + ":" + hash + "\n")
	}
	createSecret(t, ns, "htpasswd", map[string][]byte{"auth": []byte(file.String())})
	createSecret(t, ns, "users", map[string][]byte{"alice": []byte(atriumHashes["apr1"]), "bob": []byte(atriumHashes["bcrypt"])})
	createSecret(t, ns, "plain", map[string][]byte{"auth": []byte("alice:atrium\n")})

	hosts := map[string]string{}
	add := func(name string, ann map[string]string) {
		hosts[name] = hostFor(ns, name)
		createIngress(t, annotated(ns, name, hosts[name], "web", ann))
	}
	add("file", map[string]string{"auth-type": "basic", "auth-secret": "htpasswd", "auth-realm": "Atrium Test"})
	add("map", map[string]string{"auth-type": "basic", "auth-secret": ns + "/users", "auth-secret-type": "auth-map"})
	add("allowed", map[string]string{"auth-type": "basic", "auth-secret": "htpasswd", "allowlist-source-range": "0.0.0.0/0,::/0"})
	add("denied", map[string]string{"auth-type": "basic", "auth-secret": "htpasswd", "allowlist-source-range": "192.0.2.1/32"})
	add("missing", map[string]string{"auth-type": "basic", "auth-secret": "later"})
	add("plain", map[string]string{"auth-type": "basic", "auth-secret": "plain"})
	add("digest", map[string]string{"auth-type": "digest", "auth-secret": "htpasswd"})

	// No credentials: 401 with the realm; the endpoints are not asked.
	eventually(t, settle, "401 without credentials", func() error {
		r, err := get(hosts["file"], "/x")
		if err != nil {
			return err
		}
		if r.status != 401 || r.header.Get("WWW-Authenticate") != `Basic realm="Atrium Test"` || r.echo != nil {
			return errorf("%s, WWW-Authenticate %q: want 401 from nginx with the realm", r, r.header.Get("WWW-Authenticate"))
		}
		return nil
	})
	// Every format authenticates with the right password only, and the
	// password never reaches the endpoints.
	for user := range atriumHashes {
		r, err := do(request{host: hosts["file"], path: "/x", header: basicHeader(user, "atrium")})
		if err != nil || r.status != 200 || r.echo == nil {
			t.Errorf("user %s with the right password: %v %v, want 200 from web", user, r, err)
			continue
		}
		if got := r.echo.Headers.Get("Authorization"); got != "" {
			t.Errorf("user %s: the endpoint saw Authorization %q", user, got)
		}
		if err := expect(request{host: hosts["file"], path: "/x", header: basicHeader(user, "wrong")}, 401, "")(); err != nil {
			t.Errorf("user %s with a wrong password: %v", user, err)
		}
	}
	if err := expect(request{host: hosts["file"], path: "/x", header: basicHeader("nobody", "atrium")}, 401, "")(); err != nil {
		t.Errorf("unknown user: %v", err)
	}
	// The auth-map form: one key per user.
	eventually(t, settle, "auth-map user", expect(request{host: hosts["map"], path: "/", header: basicHeader("bob", "atrium")}, 200, "web-"))
	if err := expect(request{host: hosts["map"], path: "/", header: basicHeader("alice", "wrong")}, 401, "")(); err != nil {
		t.Error(err)
	}
	// satisfy all: the allowlist and the password must both pass.
	eventually(t, settle, "allowlisted, no password", expect(request{host: hosts["allowed"], path: "/"}, 401, ""))
	if err := expect(request{host: hosts["allowed"], path: "/", header: basicHeader("sha", "atrium")}, 200, "web-")(); err != nil {
		t.Error(err)
	}
	eventually(t, settle, "not allowlisted, right password", expect(request{host: hosts["denied"], path: "/", header: basicHeader("sha", "atrium")}, 403, ""))

	// Fail closed, with Events.
	eventually(t, settle, "missing Secret", expect(request{host: hosts["missing"], path: "/", header: basicHeader("apr1", "atrium")}, 503, ""))
	waitEvent(t, ns, "missing", corev1.EventTypeWarning, "SecretNotFound", annPrefix+"auth-secret")
	eventually(t, settle, "plain-text password", expect(request{host: hosts["plain"], path: "/", header: basicHeader("alice", "atrium")}, 503, ""))
	waitEvent(t, ns, "plain", corev1.EventTypeWarning, "InvalidAuthSecret", "line 1")
	eventually(t, settle, "digest refused", expect(request{host: hosts["digest"], path: "/"}, 503, ""))
	waitEvent(t, ns, "digest", corev1.EventTypeWarning, "InvalidAnnotation", "digest")

	// The Secret created later is picked up (auth-secret is a reference).
	createSecret(t, ns, "later", map[string][]byte{"auth": []byte("apr1:" + atriumHashes["apr1"] + "\n")})
	eventually(t, settle, "Secret created later", expect(request{host: hosts["missing"], path: "/", header: basicHeader("apr1", "atrium")}, 200, "web-"))
	// A new password replaces the old one.
	sec, err := env.client.CoreV1().Secrets(ns).Get(context.Background(), "later", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sec.Data["auth"] = []byte("apr1:" + changedAPR1 + "\n")
	if _, err := env.client.CoreV1().Secrets(ns).Update(context.Background(), sec, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, settle, "old password refused", expect(request{host: hosts["missing"], path: "/", header: basicHeader("apr1", "atrium")}, 401, ""))
	if err := expect(request{host: hosts["missing"], path: "/", header: basicHeader("apr1", "changed")}, 200, "web-")(); err != nil {
		t.Error(err)
	}
}

// authService deploys an echoserver Service to act as the auth-url
// service (echo.AuthPath) and returns its base URL: the ClusterIP, which
// kube-proxy routes on a real cluster and a pod of its own answers
// locally, so the URL is one a user would write.
func authService(t *testing.T, ns, svc string) string {
	t.Helper()
	deploy(t, ns, svc, 1)
	s, err := env.client.CoreV1().Services(ns).Get(context.Background(), svc, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if r, ok := env.backends.(clusterIPRouter); ok {
		if _, err := r.routeClusterIP(context.Background(), ns, svc, s.Spec.ClusterIP, int(s.Spec.Ports[0].Port)); err != nil {
			t.Fatal(err)
		}
	}
	return "http://" + s.Spec.ClusterIP
}

// authSeen decodes what the auth service saw, passed to the endpoints
// through auth-response-headers.
func authSeen(r *result) (*echo.AuthRequest, error) {
	if r.echo == nil {
		return nil, errorf("%s: not answered by an endpoint", r)
	}
	v := r.echo.Headers.Get(echo.AuthHeaderRequest)
	if v == "" {
		return nil, errorf("%s: the endpoint got no %s", r, echo.AuthHeaderRequest)
	}
	return echo.DecodeAuthRequest(v)
}

// TestAnnotationsExternalAuth: auth-url through the real nginx, with an
// echoserver as the auth service: its 401 (with its challenge) and 403
// are the answer, other codes 500; a 2xx lets the request through with
// auth-response-headers (replacing what the client sent) and the auth
// cookie; the service gets ingress-nginx's headers and no body; the
// location's own settings survive the subrequest; auth-signin redirects a
// 401 with the original URL; auth-method and auth-request-redirect are
// sent, and auth-proxy-set-headers' headers with their variables; an
// allowlist still applies; an unreachable service is a 500.
func TestAnnotationsExternalAuth(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	deploy(t, ns, "web", 1)
	base := authService(t, ns, "auth")
	authURL := base + echo.AuthPath
	hosts := map[string]string{}
	add := func(name string, ann map[string]string) {
		hosts[name] = hostFor(ns, name)
		createIngress(t, annotated(ns, name, hosts[name], "web", ann))
	}
	headers := echo.AuthHeaderUser + "," + echo.AuthHeaderRequest
	add("plain", map[string]string{"auth-url": authURL + "?from=plain", "auth-response-headers": headers,
		"upstream-vhost": "internal.example", "x-forwarded-prefix": "/shop"})
	add("signin", map[string]string{"auth-url": authURL, "auth-signin": "https://login.example.com/start?app=1"})
	createConfigMap(t, ns, "auth-headers", map[string]string{"X-Auth-Tenant": "acme", "X-Via-Method": "m=${request_method}"})
	add("method", map[string]string{"auth-url": authURL, "auth-method": "POST", "auth-request-redirect": "https://back.example.com/x",
		"auth-response-headers": headers, "auth-always-set-cookie": "true", "auth-proxy-set-headers": ns + "/auth-headers"})
	add("denied", map[string]string{"auth-url": authURL, "allowlist-source-range": "192.0.2.1/32"})
	add("down", map[string]string{"auth-url": base + ":81" + echo.AuthPath})
	bearer := func(user string) http.Header { return http.Header{"Authorization": {"Bearer " + user}} }

	// No credentials: the service's 401 and challenge; the endpoint is not asked.
	eventually(t, settle, "401 from the auth service", func() error {
		r, err := get(hosts["plain"], "/x")
		if err != nil {
			return err
		}
		if r.status != 401 || r.header.Get("WWW-Authenticate") != `Bearer realm="echo"` || r.echo != nil {
			return errorf("%s, WWW-Authenticate %q: want 401 with the service's challenge", r, r.header.Get("WWW-Authenticate"))
		}
		return nil
	})
	// Authenticated: through to the endpoint, which gets the user (not the
	// client's forgery), the vhost and prefix of the location; the client
	// gets the cookie.
	hdr := bearer("alice")
	hdr.Set(echo.AuthHeaderUser, "mallory")
	r, err := do(request{method: "PUT", host: hosts["plain"], path: "/some/path?q=1", header: hdr, body: "a body"})
	if err != nil || r.status != 200 || r.echo == nil {
		t.Fatalf("authenticated request: %v %v", r, err)
	}
	if got := r.echo.Headers.Values(echo.AuthHeaderUser); len(got) != 1 || got[0] != "alice" {
		t.Errorf("endpoint saw %s %q, want only alice (from the auth service)", echo.AuthHeaderUser, got)
	}
	if r.echo.Host != "internal.example" || r.echo.Headers.Get("X-Forwarded-Prefix") != "/shop" || r.echo.BodyLength != 6 {
		t.Errorf("the subrequest changed the location's settings: Host %q, X-Forwarded-Prefix %q, body %d",
			r.echo.Host, r.echo.Headers.Get("X-Forwarded-Prefix"), r.echo.BodyLength)
	}
	if c := r.header.Get("Set-Cookie"); !strings.HasPrefix(c, "echo-auth=alice") {
		t.Errorf("Set-Cookie %q, want the auth service's", c)
	}
	seen, err := authSeen(r)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"X-Original-URL": "http://" + hosts["plain"] + "/some/path?q=1", "X-Original-Method": "PUT",
		"X-Sent-From": "nginx-ingress-controller", "X-Auth-Request-Redirect": "/some/path?q=1", "Authorization": "Bearer alice",
		"X-Forwarded-Proto": "", "X-Original-URI": "",
	}
	for k, v := range want {
		if got := seen.Headers.Get(k); got != v {
			t.Errorf("the auth service saw %s %q, want %q", k, got, v)
		}
	}
	// nginx's subrequests are GETs (X-Original-Method has the client's).
	if seen.Method != "GET" || seen.Path != echo.AuthPath+"?from=plain" || seen.BodyLength != 0 || seen.Host != strings.TrimPrefix(base, "http://") ||
		seen.Headers.Get("X-Real-IP") == "" || seen.Headers.Get("X-Request-ID") == "" {
		t.Errorf("the auth service saw %s %s (Host %q, %d body bytes, headers %v)", seen.Method, seen.Path, seen.Host, seen.BodyLength, seen.Headers)
	}
	// A 2xx without the header removes the client's.
	r, err = do(request{host: hosts["plain"], path: "/", header: http.Header{echo.AuthHeaderStatus: {"204"}, echo.AuthHeaderUser: {"mallory"}}})
	if err != nil || r.status != 200 || r.echo == nil || r.echo.Headers.Get(echo.AuthHeaderUser) != "" {
		t.Errorf("forged %s without one from the service: %v %v", echo.AuthHeaderUser, r, err)
	}
	// 403 is the answer; anything else but 2xx and 401 is a 500.
	for status, want := range map[string]int{"403": 403, "500": 500, "302": 500, "404": 500} {
		if err := expect(request{host: hosts["plain"], path: "/", header: http.Header{echo.AuthHeaderStatus: {status}}}, want, "")(); err != nil {
			t.Errorf("auth service answering %s: %v", status, err)
		}
	}

	// auth-signin: a 401 becomes a redirect carrying the original URL.
	eventually(t, settle, "signin redirect", func() error {
		r, err := get(hosts["signin"], "/a b?x=1&y=2")
		if err != nil {
			return err
		}
		// The request URI as sent ("/a%20b?..."), escaped again, as
		// ingress-nginx's $escaped_request_uri.
		want := "https://login.example.com/start?app=1&rd=http://" + hosts["signin"] + "%2Fa%2520b%3Fx%3D1%26y%3D2"
		if r.status != 302 || r.header.Get("Location") != want {
			return errorf("%s Location %q, want 302 to %q", r, r.header.Get("Location"), want)
		}
		return nil
	})
	if err := expect(request{host: hosts["signin"], path: "/", header: bearer("bob")}, 200, "web-")(); err != nil {
		t.Error(err)
	}
	// auth-method and auth-request-redirect; the cookie on every answer.
	eventually(t, settle, "auth-method", func() error {
		r, err := do(request{host: hosts["method"], path: "/m", header: bearer("carol")})
		if err != nil {
			return err
		}
		seen, err := authSeen(r)
		if err != nil {
			return err
		}
		if seen.Method != "POST" || seen.Headers.Get("X-Original-Method") != "GET" || seen.Headers.Get("X-Original-URI") != "/m" ||
			seen.Headers.Get("X-Scheme") != "http" || seen.Headers.Get("X-Auth-Request-Redirect") != "https://back.example.com/x" ||
			seen.Headers.Get("X-Auth-Tenant") != "acme" || seen.Headers.Get("X-Via-Method") != "m=GET" {
			return errorf("the auth service saw %s and %v", seen.Method, seen.Headers)
		}
		return nil
	})
	r, err = do(request{host: hosts["method"], path: "/", header: http.Header{"Authorization": {"Bearer dave"}, echo.HeaderStatus: {"500"}}})
	if err != nil || r.status != 500 || !strings.HasPrefix(r.header.Get("Set-Cookie"), "echo-auth=dave") {
		t.Errorf("auth-always-set-cookie on an endpoint's 500: %v %v, Set-Cookie %q", r, err, r.header.Get("Set-Cookie"))
	}
	// satisfy all: the allowlist refuses before the service is asked.
	eventually(t, settle, "not allowlisted", expect(request{host: hosts["denied"], path: "/", header: bearer("alice")}, 403, ""))
	// An unreachable service fails closed.
	eventually(t, settle, "auth service unreachable", expect(request{host: hosts["down"], path: "/", header: bearer("alice")}, 500, ""))
}

// clientCert returns a function making a tls.Certificate of a PEM pair
// (so that it takes testPKI.issue's two results).
func clientCert(t *testing.T) func(crt, key []byte) (*tls.Certificate, *x509.Certificate) {
	return func(crt, key []byte) (*tls.Certificate, *x509.Certificate) {
		t.Helper()
		c, err := tls.X509KeyPair(crt, key)
		if err != nil {
			t.Fatal(err)
		}
		leaf, err := x509.ParseCertificate(c.Certificate[0])
		if err != nil {
			t.Fatal(err)
		}
		return &c, leaf
	}
}

// crl is a PEM CRL of the PKI revoking the given certificates.
func (p *testPKI) crl(t *testing.T, revoked ...*x509.Certificate) []byte {
	t.Helper()
	tmpl := &x509.RevocationList{Number: big.NewInt(1), ThisUpdate: time.Now().Add(-time.Hour), NextUpdate: time.Now().Add(24 * time.Hour)}
	for _, c := range revoked {
		tmpl.RevokedCertificateEntries = append(tmpl.RevokedCertificateEntries,
			x509.RevocationListEntry{SerialNumber: c.SerialNumber, RevocationTime: time.Now().Add(-time.Minute)})
	}
	der, err := x509.CreateRevocationList(rand.Reader, tmpl, p.cert, p.key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "X509 CRL", Bytes: der})
}

// TestAnnotationsClientCertificates: auth-tls-* through the real nginx
// with a CA, a CRL and client certificates made here. The settings are
// the host's (nginx asks for certificates in the handshake): a host
// without a certificate of its own gets the default one so that nginx
// asks at all; a newer Ingress on the host cannot change them; plain
// HTTP is refused; an unusable Secret makes the host answer 403; other
// hosts never ask for a certificate.
func TestAnnotationsClientCertificates(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	deploy(t, ns, "web", 1)
	ca, other := newPKI(t, "atrium e2e client CA"), newPKI(t, "atrium e2e other CA")
	good, goodLeaf := clientCert(t)(ca.issue(t, "client.example.com"))
	revoked, revokedLeaf := clientCert(t)(ca.issue(t, "revoked.example.com"))
	wrong, _ := clientCert(t)(other.issue(t, "client.example.com"))
	createSecret(t, ns, "client-ca", map[string][]byte{"ca.crt": ca.pem, "ca.crl": ca.crl(t, revokedLeaf)})
	createSecret(t, ns, "other-ca", map[string][]byte{"ca.crt": other.pem})

	hosts := map[string]string{}
	add := func(name, host string, paths []path, ann map[string]string) {
		hosts[name] = hostFor(ns, host)
		createIngress(t, withAnnotations(ingress(ns, name, rule(hosts[name], paths...)), ann))
	}
	root := []path{prefix("/", "web")}
	add("required", "required", root, map[string]string{"auth-tls-secret": ns + "/client-ca", "auth-tls-pass-certificate-to-upstream": "true"})
	add("required-newer", "required", []path{prefix("/newer", "web")}, map[string]string{"auth-tls-secret": "other-ca"})
	add("required-acme", "required", []path{exact("/.well-known/acme-challenge/t", "web")}, nil)
	add("optional", "optional", root, map[string]string{"auth-tls-secret": "client-ca", "auth-tls-verify-client": "optional"})
	add("cn", "cn", root, map[string]string{"auth-tls-secret": "client-ca", "auth-tls-match-cn": `CN=other\.example\.com`})
	add("errpage", "errpage", root, map[string]string{"auth-tls-secret": "client-ca", "auth-tls-error-page": "https://errors.example.com/cert"})
	add("missing", "missing", root, map[string]string{"auth-tls-secret": "nope"})
	add("open", "open", root, nil)
	tlsGet := func(name string, cert *tls.Certificate, hdr http.Header) (*result, error) {
		return do(request{https: true, host: hosts[name], path: "/", clientCert: cert, header: hdr})
	}

	// The right certificate: through, with the certificate's headers
	// (never the client's own of those names).
	eventually(t, settle, "a valid client certificate", func() error {
		r, err := tlsGet("required", good, http.Header{"Ssl-Client-Verify": {"FORGED"}})
		if err != nil {
			return err
		}
		if r.status != 200 || r.echo == nil {
			return errorf("%s, want 200 from web", r)
		}
		h := r.echo.Headers
		if h.Get("Ssl-Client-Verify") != "SUCCESS" || h.Get("Ssl-Client-Subject-Dn") != "CN=client.example.com" ||
			h.Get("Ssl-Client-Issuer-Dn") != "CN=atrium e2e client CA" || len(h.Values("Ssl-Client-Verify")) != 1 {
			return errorf("endpoint saw verify %q subject %q issuer %q", h.Values("Ssl-Client-Verify"), h.Get("Ssl-Client-Subject-Dn"), h.Get("Ssl-Client-Issuer-Dn"))
		}
		pemText, err := url.QueryUnescape(h.Get("Ssl-Client-Cert"))
		if err != nil {
			return err
		}
		if b, _ := pem.Decode([]byte(pemText)); b == nil || !bytes.Equal(b.Bytes, goodLeaf.Raw) {
			return errorf("ssl-client-cert %.60q is not the client's certificate", h.Get("Ssl-Client-Cert"))
		}
		return nil
	})
	// No certificate, another CA's, a revoked one: nginx's 400.
	for what, cert := range map[string]*tls.Certificate{"none": nil, "another CA's": wrong, "revoked": revoked} {
		if r, err := tlsGet("required", cert, nil); err != nil || r.status != 400 || r.echo != nil {
			t.Errorf("%s certificate: %v %v, want 400 from nginx", what, r, err)
		}
	}
	// Plain HTTP carries no certificate: refused, but only on the paths of
	// the Ingress that requires one (an ACME solver's path still serves).
	if err := expect(request{host: hosts["required"], path: "/"}, 403, "")(); err != nil {
		t.Errorf("plain HTTP to a host that requires certificates: %v", err)
	}
	eventually(t, settle, "plain HTTP to another Ingress's path", expect(request{host: hosts["required"], path: "/.well-known/acme-challenge/t"}, 200, "web-"))
	// A newer Ingress's paths on the host get the host's settings; its own
	// are refused with an Event.
	eventually(t, settle, "newer Ingress, host's CA", expect(request{https: true, host: hosts["required"], path: "/newer", clientCert: good}, 200, "web-"))
	if r, err := do(request{https: true, host: hosts["required"], path: "/newer", clientCert: wrong}); err != nil || r.status != 400 {
		t.Errorf("newer Ingress, its own CA's certificate: %v %v, want 400", r, err)
	}
	waitEvent(t, ns, "required-newer", corev1.EventTypeWarning, "HostConflict", "client-certificate settings")

	// optional: asked for, not required; verified when sent.
	eventually(t, settle, "optional, none sent", func() error {
		r, err := tlsGet("optional", nil, nil)
		if err != nil {
			return err
		}
		if r.status != 200 || r.echo == nil || r.echo.Headers.Get("Ssl-Client-Verify") != "NONE" {
			return errorf("%s, want 200 with ssl-client-verify NONE", r)
		}
		return nil
	})
	if r, err := tlsGet("optional", good, nil); err != nil || r.echo == nil || r.echo.Headers.Get("Ssl-Client-Verify") != "SUCCESS" {
		t.Errorf("optional with a valid certificate: %v %v", r, err)
	}
	if r, err := tlsGet("optional", nil, nil); err != nil || r.echo == nil || r.echo.Headers.Get("Ssl-Client-Cert") != "" {
		t.Errorf("ssl-client-cert sent without auth-tls-pass-certificate-to-upstream: %v %v", r, err)
	}
	// match-cn: a valid certificate with another subject is refused.
	eventually(t, settle, "match-cn", expect(request{https: true, host: hosts["cn"], path: "/", clientCert: good}, 403, ""))
	// error page: a redirect instead of the 400.
	eventually(t, settle, "error page", func() error {
		r, err := tlsGet("errpage", nil, nil)
		if err != nil {
			return err
		}
		if r.status != 302 || r.header.Get("Location") != "https://errors.example.com/cert" {
			return errorf("%s Location %q, want 302 to the error page", r, r.header.Get("Location"))
		}
		return nil
	})
	if err := expect(request{https: true, host: hosts["errpage"], path: "/", clientCert: good}, 200, "web-")(); err != nil {
		t.Error(err)
	}
	// An unusable Secret: the whole host answers 403, with an Event.
	eventually(t, settle, "missing Secret", expect(request{https: true, host: hosts["missing"], path: "/", clientCert: good}, 403, ""))
	waitEvent(t, ns, "missing", corev1.EventTypeWarning, "SecretNotFound", annPrefix+"auth-tls-secret")
	// Other hosts do not ask for certificates.
	eventually(t, settle, "a host without auth-tls", expect(request{https: true, host: hosts["open"], path: "/"}, 200, "web-"))
}

// TestAnnotationsSatisfyWithAuth: satisfy decides how source ranges and
// basic auth combine, as nginx's satisfy does for ingress-nginx: "all"
// (the default) needs both, "any" either. The ranges exclude (allowlist of
// a TEST-NET address) or include (denylist of everything) every client,
// so the test runs unchanged on a real cluster.
func TestAnnotationsSatisfyWithAuth(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	deploy(t, ns, "web", 1)
	var file strings.Builder
	for user, hash := range atriumHashes {
		file.WriteString(user + ":" + hash + "\n")
	}
	createSecret(t, ns, "htpasswd", map[string][]byte{"auth": []byte(file.String())})
	var user string
	for u := range atriumHashes {
		user = u
		break
	}
	cases := []struct {
		name          string
		ann           map[string]string
		anon, withPwd int
	}{
		{"allow-all", map[string]string{"allowlist-source-range": "192.0.2.1/32"}, 403, 403},
		{"allow-any", map[string]string{"allowlist-source-range": "192.0.2.1/32", "satisfy": "any"}, 401, 200},
		{"deny-all", map[string]string{"denylist-source-range": "0.0.0.0/0,::/0"}, 403, 403},
		{"deny-any", map[string]string{"denylist-source-range": "0.0.0.0/0,::/0", "satisfy": "any"}, 401, 200},
	}
	for _, c := range cases {
		ann := map[string]string{"auth-type": "basic", "auth-secret": "htpasswd"}
		for k, v := range c.ann {
			ann[k] = v
		}
		createIngress(t, annotated(ns, c.name, hostFor(ns, c.name), "web", ann))
	}
	for _, c := range cases {
		host := hostFor(ns, c.name)
		eventually(t, settle, c.name+" without credentials", expect(request{host: host, path: "/"}, c.anon, ""))
		pod := ""
		if c.withPwd == 200 {
			pod = "web-"
		}
		eventually(t, settle, c.name+" with credentials", expect(request{host: host, path: "/", header: basicHeader(user, "atrium")}, c.withPwd, pod))
	}
}

// TestAnnotationsExternalAuthCache: auth-cache-key keeps the auth-url
// answers in nginx's cache: requests with the same key (here the
// Authorization header) reach the auth service once, another key or
// another Ingress asks again, and without auth-cache-key every request
// asks. An answer with Set-Cookie is never kept (nginx's rule), so no
// client gets another's cookie. The auth service's request log counts.
func TestAnnotationsExternalAuthCache(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	deploy(t, ns, "web", 1)
	// The pod's address, so that the log read through an Ingress is the
	// log of the pod that answers (the local cluster IP has its own).
	deploy(t, ns, "auth", 1)
	authURL := "http://" + podAddress(t, ns, "auth") + echo.AuthPath
	hosts := map[string]string{}
	add := func(name, svc string, ann map[string]string) {
		hosts[name] = hostFor(ns, name)
		createIngress(t, annotated(ns, name, hosts[name], svc, ann))
	}
	cached := map[string]string{"auth-url": authURL, "auth-cache-key": "$http_authorization", "auth-response-headers": echo.AuthHeaderUser}
	add("cached", "web", cached)
	add("other", "web", cached)
	add("args", "web", map[string]string{"auth-url": authURL, "auth-cache-key": "$arg_token"})
	add("plain", "web", map[string]string{"auth-url": authURL, "auth-cache-duration": "200 5m"})
	add("log", "auth", nil) // the auth pod's request log, read through an Ingress

	// asked counts the requests the auth service got with this Authorization.
	asked := func(authz string) int {
		t.Helper()
		r, err := do(request{host: hosts["log"], path: "/", header: http.Header{echo.HeaderRequests: {"1"}}})
		if err != nil {
			t.Fatal(err)
		}
		l, err := echo.DecodeRequests(bytes.NewReader(r.body))
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, q := range l.Requests {
			if strings.HasPrefix(q.Path, echo.AuthPath) && q.Headers.Get("Authorization") == authz {
				n++
			}
		}
		return n
	}
	send := func(host, user string, cookie bool) *result {
		t.Helper()
		h := http.Header{"Authorization": {"Bearer " + user}}
		if !cookie {
			h.Set(echo.AuthHeaderNoCookie, "1")
		}
		r, err := do(request{host: host, path: "/", header: h})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	for _, name := range []string{"cached", "other", "args", "plain", "log"} {
		eventually(t, settle, name+" served", func() error {
			r, err := do(request{host: hosts[name], path: "/", header: http.Header{echo.HeaderRequests: {"1"}}})
			if err != nil {
				return err
			}
			if r.status == 404 || r.status == 503 {
				return errorf("%s: not served yet", r)
			}
			return nil
		})
	}

	// The same Authorization: asked once; the cached answer still passes
	// the user to the endpoint.
	for i := 0; i < 5; i++ {
		r := send(hosts["cached"], "alice", false)
		if r.status != 200 || r.echo == nil || r.echo.Headers.Get(echo.AuthHeaderUser) != "alice" {
			t.Fatalf("cached request %d: %v, want 200 from the endpoint with %s alice", i, r, echo.AuthHeaderUser)
		}
	}
	if n := asked("Bearer alice"); n != 1 {
		t.Errorf("5 requests as alice: the auth service was asked %d times, want 1", n)
	}
	// Another Authorization asks again, once.
	for i := 0; i < 3; i++ {
		if r := send(hosts["cached"], "bob", false); r.status != 200 || r.echo == nil || r.echo.Headers.Get(echo.AuthHeaderUser) != "bob" {
			t.Fatalf("bob: %v", r)
		}
	}
	if n := asked("Bearer bob"); n != 1 {
		t.Errorf("3 requests as bob: the auth service was asked %d times, want 1", n)
	}
	// Another Ingress with the same key does not share alice's answer.
	send(hosts["other"], "alice", false)
	send(hosts["other"], "alice", false)
	if n := asked("Bearer alice"); n != 2 {
		t.Errorf("alice on a second Ingress: the auth service was asked %d times in all, want 2", n)
	}
	// A 401 is kept too (the default durations: 200 202 401).
	for i := 0; i < 3; i++ {
		r, err := do(request{host: hosts["cached"], path: "/", header: http.Header{"Authorization": {"Basic eA=="}}})
		if err != nil || r.status != 401 {
			t.Fatalf("401: %v %v", r, err)
		}
	}
	if n := asked("Basic eA=="); n != 1 {
		t.Errorf("3 refused requests: the auth service was asked %d times, want 1", n)
	}
	// An answer with Set-Cookie is not kept: each client gets its own cookie.
	for _, user := range []string{"carol", "carol", "dave"} {
		r := send(hosts["cached"], user, true)
		if c := r.header.Get("Set-Cookie"); r.status != 200 || c != "echo-auth="+user {
			t.Errorf("%s with a cookie: %v, Set-Cookie %q", user, r, c)
		}
	}
	if n := asked("Bearer carol"); n != 2 {
		t.Errorf("2 requests as carol, answered with Set-Cookie: the auth service was asked %d times, want 2", n)
	}
	// The key is read from the client's request, not from the auth
	// subrequest (whose query is the auth URL's): another token asks again.
	for _, token := range []string{"a", "a", "b", "b"} {
		r, err := do(request{host: hosts["args"], path: "/?token=" + token,
			header: http.Header{"Authorization": {"Bearer frank"}, echo.AuthHeaderNoCookie: {"1"}}})
		if err != nil || r.status != 200 {
			t.Fatalf("token %s: %v %v", token, r, err)
		}
	}
	if n := asked("Bearer frank"); n != 2 {
		t.Errorf("tokens a, a, b, b in $arg_token: the auth service was asked %d times, want 2", n)
	}
	// Without auth-cache-key (auth-cache-duration alone is ignored) every request asks.
	for i := 0; i < 3; i++ {
		if r := send(hosts["plain"], "erin", false); r.status != 200 {
			t.Fatalf("plain: %v", r)
		}
	}
	if n := asked("Bearer erin"); n != 3 {
		t.Errorf("3 requests without auth-cache-key: the auth service was asked %d times, want 3", n)
	}
}
