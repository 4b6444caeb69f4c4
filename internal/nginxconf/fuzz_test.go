package nginxconf

import (
	"bytes"
	"flag"
	"fmt"
	"hash/fnv"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/atrium-ingress/atrium/internal/annotations"
	"github.com/atrium-ingress/atrium/internal/configmap"
)

// FuzzRender feeds every user-controlled string of one Ingress (and the
// objects it refers to) through Build and Render and checks the output with
// the nginx grammar parser in nginxparse_test.go. What "expected" means is
// learnt at run time from two baseline renders (no Ingress; one valid
// Ingress with TLS), so the checks follow template changes instead of
// pinning the template's text.
//
// Invariants (each reported with the rendered config):
//
//	(a) shape: every directive's place in the tree (the enclosing block
//	    names plus its own name) occurs in a baseline, as a block or not as in
//	    the baseline, with an argument count seen there; no directive occurs
//	    more often in one block than in any baseline block of the same kind,
//	    except the blocks that multiply with input (server, location);
//	(b) arguments: every argument equals an argument the baselines have at
//	    the same place, or the same argument with the baseline's own
//	    user-derived parts (host, wildcard regex, path, upstream name, Source
//	    comment, certificate file, config hash) replaced by this input's, or,
//	    where only annotations put arguments, one URL-safe word (or, where
//	    the examples put a rewrite target, one rewrite-target word: path
//	    characters and $1-$9, see rewriteTargetWord; where auth-cache-key
//	    goes, a scope and request variables, see cacheKeyWord);
//	    every occurrence of an accepted value lies inside one word or
//	    comment; a refused value leaves the output byte-identical to the
//	    same input with that value replaced by another refused value (so
//	    nothing of it appears);
//	(c) the output is printable ASCII plus newline and tab; no input-derived
//	    argument holds a quote, and only a regex a backslash (a server
//	    name starting with "~", the regex of a `location ~*` or of a
//	    rewrite);
//	    load_module, include, ssl_engine, lua and perl/njs directives are
//	    constants of the template, and no file-naming directive (root,
//	    *_file, *_path, *_certificate...) takes anything from an Ingress;
//	(d) `nginx -t` accepts the config: always for the seed corpus (so in
//	    every `go test`), and for one input in 64 while fuzzing;
//
// plus: Build returns no error and Render does not fail for any input;
// every value Build accepts is inert in nginx syntax (a path that Build
// made a regex may also hold a backslash and a '$' that ends a branch,
// which mean nothing to nginx in the regex arguments where it goes, see
// inertRegex); an accepted host and
// path are served, and an accepted backend is proxied to; the config hash
// Render returns appears exactly once.
func FuzzRender(f *testing.F) {
	fz := newFuzzEnv(f)
	// The seeds live in testdata/fuzz/FuzzRender (see fuzzSeeds and
	// TestFuzzSeedFiles); go test runs them as subtests.
	f.Fuzz(func(t *testing.T, host, path string, pathType byte, service, port, secret, namespace, ingress, annKey, annValue, tlsHost string) {
		in := fuzzInput{
			Host: host, Path: path, PathType: pathType, Service: service, Port: port, Secret: secret,
			Namespace: namespace, Ingress: ingress, AnnKey: annKey, AnnValue: annValue, TLSHost: tlsHost,
		}
		fz.check(t, in, !fuzzing() || in.hash()%64 == 0)
	})
}

// fuzzing says whether the test binary runs with -test.fuzz (generating
// inputs) rather than only running the seed corpus.
func fuzzing() bool {
	fl := flag.Lookup("test.fuzz")
	return fl != nil && fl.Value.String() != ""
}

// fuzzInput is one FuzzRender input.
type fuzzInput struct {
	Host      string // spec.rules[0].host
	Path      string // spec.rules[0].http.paths[0].path
	PathType  byte   // picks the pathType: see pathType
	Service   string // the backend Service name (and the Service's own name)
	Port      string // the backend port name ("" selects port number 80)
	Secret    string // spec.tls[0].secretName (and the Secret's own name)
	Namespace string // the namespace of every object
	Ingress   string // the Ingress name
	AnnKey    string // an annotation key ("" means fuzzDefaultAnnotation)
	AnnValue  string // its value
	TLSHost   string // spec.tls[0].hosts[0]; no spec.tls when it and Secret are empty
}

// fuzzDefaultAnnotation is the annotation the value goes to when the key is empty.
const fuzzDefaultAnnotation = "nginx.ingress.kubernetes.io/configuration-snippet"

// garbagePathType is a pathType no Ingress may have.
const garbagePathType = networkingv1.PathType("Regex;}")

func (in fuzzInput) pathType() *networkingv1.PathType {
	var pt networkingv1.PathType
	switch in.PathType % 5 {
	case 0:
		pt = networkingv1.PathTypeExact
	case 1:
		pt = networkingv1.PathTypePrefix
	case 2:
		pt = networkingv1.PathTypeImplementationSpecific
	case 3:
		return nil // unset, which Build treats as ImplementationSpecific
	default:
		pt = garbagePathType
	}
	return &pt
}

func (in fuzzInput) annKey() string {
	if in.AnnKey == "" {
		return fuzzDefaultAnnotation
	}
	return in.AnnKey
}

func (in fuzzInput) hasTLS() bool { return in.TLSHost != "" || in.Secret != "" }

func (in fuzzInput) values() []any {
	return []any{in.Host, in.Path, in.PathType, in.Service, in.Port, in.Secret, in.Namespace, in.Ingress, in.AnnKey, in.AnnValue, in.TLSHost}
}

func (in fuzzInput) hash() uint64 {
	h := fnv.New64a()
	for _, v := range in.values() {
		fmt.Fprintf(h, "%q|", v)
	}
	return h.Sum64()
}

// The problem fields of the fuzzed values.
const (
	fzFieldNamespace = "metadata.namespace"
	fzFieldName      = "metadata.name"
	fzFieldHost      = "spec.rules[0].host"
	fzFieldPathType  = "spec.rules[0].http.paths[0].pathType"
	fzFieldPath      = "spec.rules[0].http.paths[0].path"
	fzFieldService   = "spec.rules[0].http.paths[0].backend.service.name"
	fzFieldPort      = "spec.rules[0].http.paths[0].backend.service.port.name"
	fzFieldSecret    = "spec.tls[0].secretName"
	fzFieldTLSHost   = "spec.tls[0].hosts[0]"
)

// fzRefused is a value every validator refuses (upper case, a space).
const fzRefused = "REFUSED VALUE"

// withField returns the input with the value of one field replaced.
func (in fuzzInput) withField(field, v string) fuzzInput {
	switch field {
	case fzFieldNamespace:
		in.Namespace = v
	case fzFieldName:
		in.Ingress = v
	case fzFieldHost:
		in.Host = v
	case fzFieldPathType:
		in.PathType = 4
	case fzFieldPath:
		in.Path = v
	case fzFieldService:
		in.Service = v
	case fzFieldPort:
		in.Port = v
	case fzFieldSecret:
		in.Secret = v
	case fzFieldTLSHost:
		in.TLSHost = v
	default:
		panic("unknown field " + field)
	}
	return in
}

// --- test objects shared with cve_test.go ---

type testCert struct{ crt, key []byte }

var (
	testCertsOnce sync.Once
	testCerts     map[string]testCert
	testCertsErr  error
)

// loadTestCert returns a certificate pair from testdata/certs ("foo", "wild", "fallback").
func loadTestCert(t testing.TB, name string) testCert {
	t.Helper()
	testCertsOnce.Do(func() {
		testCerts = map[string]testCert{}
		for _, n := range []string{"foo", "wild", "fallback"} {
			crt, err := os.ReadFile(filepath.Join("testdata", "certs", n+".crt"))
			if err != nil {
				testCertsErr = err
				return
			}
			key, err := os.ReadFile(filepath.Join("testdata", "certs", n+".key"))
			if err != nil {
				testCertsErr = err
				return
			}
			testCerts[n] = testCert{crt, key}
		}
	})
	if testCertsErr != nil {
		t.Fatal(testCertsErr)
	}
	return testCerts[name]
}

func fzPtr[T any](v T) *T { return &v }

func atriumClass() *networkingv1.IngressClass {
	return &networkingv1.IngressClass{
		ObjectMeta: metav1.ObjectMeta{Name: "atrium"},
		Spec:       networkingv1.IngressClassSpec{Controller: "atrium-ingress.io/controller"},
	}
}

func tlsSecret(ns, name string, c testCert) *corev1.Secret {
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Type:       corev1.SecretTypeTLS,
		Data:       map[string][]byte{corev1.TLSCertKey: c.crt, corev1.TLSPrivateKeyKey: c.key},
	}
}

// backendObjects returns a Service with one port and a ready EndpointSlice
// for it with two 198.18.0.0/15 (benchmarking) addresses.
func backendObjects(ns, svc, portName string, port int32) (*corev1.Service, *discoveryv1.EndpointSlice) {
	s := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: svc},
		Spec: corev1.ServiceSpec{
			Type:      corev1.ServiceTypeClusterIP,
			ClusterIP: "10.96.0.10", // read only by service-upstream
			Ports:     []corev1.ServicePort{{Name: portName, Port: port}},
		},
	}
	es := &discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: ns, Name: svc + "-atrium-test",
			Labels: map[string]string{discoveryv1.LabelServiceName: svc},
		},
		AddressType: discoveryv1.AddressTypeIPv4,
		Ports:       []discoveryv1.EndpointPort{{Name: fzPtr(portName), Port: fzPtr(int32(8080))}},
		Endpoints: []discoveryv1.Endpoint{
			{Addresses: []string{"198.18.0.10"}, Conditions: discoveryv1.EndpointConditions{Ready: fzPtr(true)}},
			{Addresses: []string{"198.18.0.11"}, Conditions: discoveryv1.EndpointConditions{Ready: fzPtr(true)}},
		},
	}
	return s, es
}

func serviceBackend(name, port string, number int32) networkingv1.IngressBackend {
	p := networkingv1.ServiceBackendPort{Name: port}
	if port == "" {
		p.Number = number
	}
	return networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{Name: name, Port: p}}
}

func httpPath(path string, pt *networkingv1.PathType, be networkingv1.IngressBackend) networkingv1.HTTPIngressPath {
	return networkingv1.HTTPIngressPath{Path: path, PathType: pt, Backend: be}
}

func ingressRule(host string, paths ...networkingv1.HTTPIngressPath) networkingv1.IngressRule {
	return networkingv1.IngressRule{Host: host, IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{Paths: paths}}}
}

func newIngress(ns, name string, created int) *networkingv1.Ingress {
	return &networkingv1.Ingress{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: ns, Name: name,
			CreationTimestamp: metav1.Date(2026, 1, 1, 0, created, 0, 0, time.UTC),
		},
		Spec: networkingv1.IngressSpec{IngressClassName: fzPtr("atrium")},
	}
}

// snapshot builds the objects of one fuzz input.
func (in fuzzInput) snapshot(t testing.TB, withAnnotation bool) Snapshot {
	ing := newIngress(in.Namespace, in.Ingress, 0)
	if withAnnotation {
		ing.Annotations = map[string]string{in.annKey(): in.AnnValue}
	}
	ing.Spec.Rules = []networkingv1.IngressRule{ingressRule(in.Host, httpPath(in.Path, in.pathType(), serviceBackend(in.Service, in.Port, 80)))}
	if in.hasTLS() {
		ing.Spec.TLS = []networkingv1.IngressTLS{{Hosts: []string{in.TLSHost}, SecretName: in.Secret}}
	}
	svc, es := backendObjects(in.Namespace, in.Service, in.Port, 80)
	cert := loadTestCert(t, "foo")
	if strings.HasPrefix(in.TLSHost, "*.") {
		cert = loadTestCert(t, "wild")
	}
	return Snapshot{
		Ingresses:      []*networkingv1.Ingress{ing},
		IngressClasses: []*networkingv1.IngressClass{atriumClass()},
		Services:       []*corev1.Service{svc},
		EndpointSlices: []*discoveryv1.EndpointSlice{es},
		Secrets:        []*corev1.Secret{tlsSecret(in.Namespace, in.Secret, cert)},
	}
}

// --- the baselines and what they allow ---

// The second baseline: one valid Ingress with TLS, exact, prefix and broken
// paths and a wildcard host. Its user-derived values are distinctive so they
// can be recognised in the output and turned into placeholders.
const (
	baseNS       = "atrbns"
	baseIngress  = "atrbing"
	baseService  = "atrbsvc"
	basePort     = 8123
	baseHost     = "foo.example.com"
	baseWildHost = "*.wild.example.com"
	basePrefix   = "/atrium-baseline-prefix"
	baseExact    = "/atrium-baseline-exact"
	baseBroken   = "/atrium-baseline-broken"
)

// annotationPrefix is the annotation prefix Build reads with testOptions.
const annotationPrefix = "nginx.ingress.kubernetes.io/"

// annotationExamples are valid uses of the annotations Atrium implements
// (keys without annotationPrefix), one Ingress each, each with two values
// that render alike but for the value (one value when the value is not
// rendered). The model renders the second baseline with each example's
// Ingress added, once per value: directives and arguments the two renders
// share become part of the expected shape; an argument that differs is an
// annotation value, and that place then accepts any single word of
// URL-safe characters (annotationWord), since values are normalised
// ("60" -> "60s", CIDRs canonical) and cannot be traced verbatim. An
// example that Build refuses or does not support is skipped. When the
// fuzzer finds an accepted annotation whose output the model does not
// know, add an example here.
var annotationExamples = []map[string][]string{
	{"permanent-redirect": {"https://atrium-redirect.example/to?x=1#y", "http://b.example/"}, "permanent-redirect-code": {"308", "301"}},
	{"temporal-redirect": {"http://atrium-redirect.example:8080/tmp", "https://c.example/x"}},
	{"app-root": {"/atrium-app-root", "/other"}},
	{"force-ssl-redirect": {"true"}},
	{"force-ssl-redirect": {"true"}, "preserve-trailing-slash": {"true"}},
	{"ssl-redirect": {"false"}},
	{
		"proxy-body-size": {"7m", "0"}, "proxy-connect-timeout": {"7", "70s"}, "proxy-read-timeout": {"8s", "80"},
		"proxy-send-timeout": {"9", "90"}, "proxy-buffering": {"on", "off"}, "proxy-request-buffering": {"off", "on"},
		"proxy-http-version": {"1.0", "1.1"},
	},
	{"allowlist-source-range": {"198.18.0.0/15,2001:db8::1", "10.0.0.0/8,192.0.2.1"}, "denylist-source-range": {"198.18.1.0/24", "10.1.0.0/16"}},
	{"whitelist-source-range": {"198.18.0.1", "192.0.2.0/24"}},
	{"upstream-vhost": {"atrium-vhost.example:8080", "other.example"}, "x-forwarded-prefix": {"/atrium-prefix", "/p"}},
	{"use-regex": {"true"}},
	{"rewrite-target": {"/atrium-rewrite/$1", "/$2"}},
	{"rewrite-target": {"/atrium-rewrite/$1", "/$2"}, "enable-rewrite-log": {"true"}},
	{"enable-rewrite-log": {"true"}},
	{"backend-protocol": {"HTTPS"}},
	{"backend-protocol": {"GRPC"}, "proxy-connect-timeout": {"7", "70s"}, "proxy-read-timeout": {"8s", "80"}, "proxy-send-timeout": {"9", "90"}},
	{"backend-protocol": {"grpcs"}},
	{
		"proxy-next-upstream": {"error timeout http_502", "http_503 non_idempotent invalid_header"}, "proxy-next-upstream-tries": {"5", "0"},
		"proxy-buffer-size": {"16k", "8k"}, "client-body-buffer-size": {"1m", "64k"}, "connection-proxy-header": {"keep-alive", "close"},
		"enable-access-log": {"false"}, "proxy-next-upstream-timeout": {"30", "7s"}, "proxy-buffers-number": {"8", "200"},
		"proxy-max-temp-file-size": {"16k", "100m"},
	},
	{"proxy-next-upstream": {"off", "error"}, "backend-protocol": {"GRPC"}, "proxy-next-upstream-tries": {"2", "7"}, "proxy-next-upstream-timeout": {"5", "0"}},
	{"proxy-buffers-number": {"3", "256"}, "proxy-max-temp-file-size": {"0", "3g"}},
	{
		"proxy-cookie-domain": {"atrium-cookie.example a.example", ".b.example c.example"}, "proxy-cookie-path": {"/atrium-cookie/ /", "/a /b"},
		"proxy-redirect-from": {"http://atrium-redirect.example:8080/x", "/p/"}, "proxy-redirect-to": {"https://atrium-to.example/", "/q?x=%41"},
	},
	{"proxy-redirect-from": {"default"}, "default-backend": {baseService}},
	{"proxy-cookie-path": {"/a /b"}, "backend-protocol": {"GRPC"}, expectProblem: {string(ReasonIgnoredAnnotation)}},
	{"ssl-ciphers": {"HIGH:!aNULL:!MD5", "ECDHE+AESGCM:-SHA1:+AES256@STRENGTH@SECLEVEL=1"}, "ssl-prefer-server-ciphers": {"false", "true"}},
	{"ssl-ciphers": {"DEFAULT@SECLEVEL=0", "ECDHE-RSA-AES128-GCM-SHA256"}},
	// Smaller than the buffers: refused by the core (nginx -t would fail).
	{"proxy-max-temp-file-size": {"1k"}, expectProblem: {string(ReasonInvalidAnnotation)}},
	{"enable-cors": {"true"}},
	{
		"enable-cors": {"true"}, "cors-allow-origin": {"https://a.example.com, https://*.example.org:8443", "http://atrium-cors.example"},
		"cors-allow-methods": {"GET, POST", "PUT"}, "cors-allow-headers": {"X-A", "X-B,X-C"}, "cors-expose-headers": {"X-E", "*"},
		"cors-max-age": {"600", "0"},
	},
	{"enable-cors": {"true"}, "cors-allow-credentials": {"false"}, "cors-allow-origin": {"https://*.b.example.com", "http://c.example:80"}},
	{"enable-cors": {"true"}, "backend-protocol": {"GRPC"}},
	{"from-to-www-redirect": {"true"}},
	{"server-alias": {"atrium-alias.example, *.atrium-alias.example.org", "b.example,*.c.example"}},
	{"default-backend": {baseService}},
	{"custom-http-errors": {"404,503", "500,502"}},
	{"custom-http-errors": {"404,503", "500,502"}, "default-backend": {baseService}, "backend-protocol": {"GRPC"}},
	// With a 503 page in both values (the no-endpoint check), and without.
	{"custom-http-errors": {"404,503", "500,503"}, "disable-proxy-intercept-errors": {"true"}},
	{"custom-http-errors": {"404,503", "503,504"}, "disable-proxy-intercept-errors": {"true"}, "default-backend": {baseService}},
	{"custom-http-errors": {"404,502", "500,504"}, "disable-proxy-intercept-errors": {"true", "false"}, "default-backend": {baseService}, "backend-protocol": {"GRPC"}},
	{"service-upstream": {"true"}},
	{
		"backend-protocol": {"HTTPS"}, "proxy-ssl-secret": {baseNS + "/atrb-proxy-ssl", baseNS + "/atrb-proxy-ssl2"},
		"proxy-ssl-verify": {"on", "off"}, "proxy-ssl-verify-depth": {"2", "3"}, "proxy-ssl-name": {"atrium-ssl-name.example", "other.example"},
		"proxy-ssl-server-name": {"on", "off"}, "proxy-ssl-protocols": {"TLSv1.2 TLSv1.3", "TLSv1 TLSv1.1"}, "proxy-ssl-ciphers": {"HIGH:!aNULL", "DEFAULT"},
	},
	{"backend-protocol": {"GRPCS"}, "proxy-ssl-secret": {baseNS + "/atrb-proxy-ssl", baseNS + "/atrb-proxy-ssl2"}, "proxy-ssl-server-name": {"on", "off"}},
	{"custom-headers": {baseNS + "/atrb-headers", baseNS + "/atrb-headers2"}},
	{"custom-headers": {baseNS + "/atrb-headers", baseNS + "/atrb-headers2"}, "backend-protocol": {"GRPC"}},
	{"load-balance": {"least_conn", "ewma"}},
	{"load-balance": {"ewma", "least_connections"}, "backend-protocol": {"GRPC"}},
	{"upstream-hash-by": {"$request_uri", "${http_x_user}-v1"}},
	{"upstream-hash-by": {"$cookie_user", "$remote_addr$arg_x"}, "load-balance": {"ewma"}, "backend-protocol": {"GRPC"}},
	{"upstream-hash-by": {"$request_uri", "$arg_k"}, "upstream-hash-by-subset": {"true", "false"}, "upstream-hash-by-subset-size": {"3", "1"}},
	{
		"affinity": {"cookie"}, "affinity-mode": {"balanced", "persistent"}, "session-cookie-name": {"route", "A_B"},
		"session-cookie-path": {"/x", "/y/z"}, "session-cookie-domain": {".example.com", "b.example"},
		"session-cookie-max-age": {"60", "-1"}, "session-cookie-expires": {"3600", "0"}, "session-cookie-samesite": {"None", "lax"},
		"session-cookie-conditional-samesite-none": {"true", "false"}, "session-cookie-secure": {"true", "false"},
		"session-cookie-partitioned": {"true", "false"}, "session-cookie-change-on-failure": {"true", "false"},
	},
	{
		"affinity": {"cookie"}, "affinity-mode": {"persistent", "persistent-drainable"}, "session-cookie-name": {"x", "y"},
		"session-cookie-path": {"/a", "/b"}, "session-cookie-domain": {"a.example", "b.example"}, "session-cookie-max-age": {"1", "2"},
		"session-cookie-expires": {"1", "2"}, "session-cookie-samesite": {"Strict", "Lax"},
		"session-cookie-conditional-samesite-none": {"false", "true"}, "session-cookie-secure": {"false", "true"},
		"session-cookie-partitioned": {"false", "true"}, "session-cookie-change-on-failure": {"false", "true"}, "backend-protocol": {"GRPC"},
	},
	// Canary examples come with a main Ingress (see annotationIngresses).
	{
		"canary": {"true"}, "canary-by-header": {"X-Canary", "X-B"}, "canary-by-header-value": {"v2", "a/b:c"},
		"canary-by-cookie": {"canary", "c2"}, "canary-weight": {"20", "0"}, "canary-weight-total": {"100", "1000"},
		"load-balance": {"ewma", "least_conn"}, "affinity-canary-behavior": {"sticky", "legacy"},
	},
	{
		"canary": {"true"}, "canary-by-header": {"X-Canary", "X-B"}, "canary-by-header-pattern": {"^(v2|beta)-[0-9]{1,3}$", "x.*"},
		"canary-by-cookie": {"a", "b"}, "canary-weight": {"5", "50"}, "canary-weight-total": {"200", "1000"},
		"upstream-hash-by": {"$request_uri", "$cookie_x"}, "affinity-canary-behavior": {"legacy", "sticky"}, "backend-protocol": {"GRPC"},
	},
	{
		"limit-rps": {"5", "7"}, "limit-rpm": {"60", "90"}, "limit-connections": {"3", "4"}, "limit-burst-multiplier": {"2", "3"},
		"limit-allowlist": {"10.0.0.0/8,2001:db8::1", "192.0.2.0/24,198.18.0.1"}, "limit-rate": {"64", "32"}, "limit-rate-after": {"512", "1024"},
	},
	{"limit-rps": {"5", "7"}, "limit-whitelist": {"10.0.0.1", "192.0.2.0/24"}},
	{"limit-rate": {"64", "32"}},
	{"mirror-target": {"http://198.18.0.9:8080$request_uri", "https://atrium-mirror.example/$request_uri"}, "mirror-request-body": {"off"}},
	{"mirror-target": {"http://atrium-mirror.example/x", "https://198.18.0.9/y/"}, "mirror-host": {"atrium-mirror-host.example", "h.example:8080"}},
	{"mirror-target": {"http://198.18.0.9", "https://atrium-mirror.example:8443"}, "mirror-request-body": {"on"}},
	{"satisfy": {"any", "all"}, "allowlist-source-range": {"198.18.0.0/15", "10.0.0.0/8"}},
	{"auth-type": {"basic"}, "auth-secret": {"atrb-htpasswd", baseNS + "/atrb-htpasswd2"}, "auth-realm": {"atrium realm", "Other (x)"}},
	{"auth-type": {"basic"}, "auth-secret": {"atrb-authmap"}, "auth-secret-type": {"auth-map"}, "backend-protocol": {"GRPC"}},
	{
		"auth-url": {"http://198.18.0.20/atrium-auth", "https://198.18.0.21:8443/x?y=1"}, "auth-method": {"GET", "POST"},
		"auth-response-headers": {"X-Auth-User, X-Auth-Email"}, "auth-request-redirect": {"https://atrium-redirect.example/back", "/p"},
		"auth-always-set-cookie": {"true"}, "upstream-vhost": {"atrium-vhost.example"}, "proxy-buffer-size": {"16k", "8k"},
	},
	{
		"auth-url":    {"http://atrium-auth.atrbns.svc.cluster.local/auth", "https://other.example:8443/x"},
		"auth-signin": {"https://atrium-signin.example/start", "/oauth2/start?x=1"}, "auth-signin-redirect-param": {"rd", "return_to"},
	},
	{"auth-url": {"http://[2001:db8::20]/atrium-auth", "http://198.18.0.20/a"}, "auth-signin": {"https://a.example/start?rd=https://b.example/", "/s?rd=1"}},
	{"auth-url": {"http://198.18.0.20/atrium-auth"}, "auth-response-headers": {"X-Auth-User, X-Auth-Email"}, "backend-protocol": {"GRPC"}},
	{"auth-url": {"http://198.18.0.20/atrium-auth"}, "auth-proxy-set-headers": {baseNS + "/atrb-authhdrs", baseNS + "/atrb-authhdrs2"}},
	// Without a global-auth-url in the baseline, it changes nothing.
	{"enable-global-auth": {"false", "true"}},
	{
		"auth-url":       {"http://198.18.0.20/atrium-auth", "https://198.18.0.21:8443/x?y=1"},
		"auth-cache-key": {"$http_authorization", "${cookie_session}-$remote_user:$arg_t"}, "proxy-buffering": {"off"},
	},
	{
		"auth-url": {"http://198.18.0.20/atrium-auth"}, "auth-cache-key": {"$remote_addr$http_authorization", "$host"},
		"auth-cache-duration": {"200 1h30m, 401 403 30s, any 1m", "202 1d, 401 404 5m, 200 10s"}, "auth-method": {"POST"},
	},
	{
		"auth-tls-secret": {baseNS + "/atrb-client-ca", "atrb-client-ca2"}, "auth-tls-verify-client": {"optional", "optional_no_ca"},
		"auth-tls-verify-depth": {"2", "3"}, "auth-tls-error-page": {"https://atrium-error.example/cert", "/cert-error"},
		"auth-tls-pass-certificate-to-upstream": {"true"}, "auth-tls-match-cn": {"CN=atrium-client", "CN=other.client"},
	},
	{"auth-tls-secret": {baseNS + "/atrb-client-ca"}, "auth-tls-verify-client": {"on"}, "auth-url": {"http://198.18.0.20/atrium-auth"}},
	// An unusable auth-tls-secret: the host's server answers 403 itself.
	{"auth-tls-secret": {baseNS + "/atrb-no-such-secret"}, expectProblem: {string(ReasonSecretNotFound)}},
}

// flagOnlyAnnotations have no annotationExamples entry because they take
// effect only with a controller flag the fuzz baselines run without; the
// reason names what covers their output instead.
var flagOnlyAnnotations = map[string]string{
	"ssl-passthrough": "--enable-ssl-passthrough: the ssl-passthrough goldens and TestPassthroughHostInjection",
}

// expectProblem in an annotation example is not an annotation: it names
// the Problem reason the example is meant to raise (an Ingress whose
// annotations are valid but name something unusable), which the model then
// accepts instead of skipping the example.
const expectProblem = "<expect-problem>"

// fuzzAllowedHeaders are the custom-headers names the model's renders allow
// (global-allowed-response-headers); the ConfigMaps of baselineSnapshot
// set them.
var fuzzAllowedHeaders = []string{"X-Atrium-A"}

// canaryService backs the canary annotation examples.
const canaryService = "atrb-canary"

// proxy_next_upstream (grpc_next_upstream for gRPC) takes one argument per
// condition, so the examples need every count the annotation allows.
func init() {
	conds := []string{"error", "timeout", "invalid_header", "http_500", "http_502", "http_503", "http_504", "http_403", "http_404", "http_429", "non_idempotent"}
	rotated := append(append([]string(nil), conds[1:]...), conds[0])
	for n := 1; n <= len(conds); n++ {
		a, b := strings.Join(conds[:n], " "), strings.Join(rotated[:n], " ")
		if n == len(conds) {
			b = strings.Join(append(rotated[len(rotated)-1:], rotated[:n-1]...), " ")
		}
		annotationExamples = append(annotationExamples,
			map[string][]string{"proxy-next-upstream": {a, b}},
			map[string][]string{"proxy-next-upstream": {a, b}, "backend-protocol": {"GRPC"}})
	}
}

// annotationIngresses are the extra Ingresses of annotation example i:
// annotationIngress, and for a canary example a main Ingress for the
// canary's paths before it (the canary example's other annotations, such
// as backend-protocol, go to the main one, where a canary takes them from).
func annotationIngresses(i, variant int) []*networkingv1.Ingress {
	ing := annotationIngress(i, variant)
	if _, ok := annotationExamples[i]["canary"]; !ok {
		return []*networkingv1.Ingress{ing}
	}
	main := annotationIngress(i, variant)
	main.Name += "-main"
	main.CreationTimestamp = newIngress("", "", 0).CreationTimestamp
	main.Annotations = map[string]string{}
	for k, v := range ing.Annotations {
		if !canaryKeys[strings.TrimPrefix(k, annotationPrefix)] {
			main.Annotations[k] = v
			delete(ing.Annotations, k)
		}
	}
	be := serviceBackend(canaryService, "", basePort)
	for j := range ing.Spec.Rules[0].HTTP.Paths {
		ing.Spec.Rules[0].HTTP.Paths[j].Backend = be
	}
	ing.Spec.TLS = nil
	return []*networkingv1.Ingress{main, ing}
}

// annotationIngress is the extra Ingress of annotation example i, on its
// own TLS host with the second baseline's paths and backend.
func annotationIngress(i, variant int) *networkingv1.Ingress {
	ing := newIngress(baseNS, fmt.Sprintf("%s-ann%d", baseIngress, i), 1)
	ing.Annotations = map[string]string{}
	for k, vs := range annotationExamples[i] {
		if k != expectProblem {
			ing.Annotations[annotationPrefix+k] = vs[min(variant, len(vs)-1)]
		}
	}
	host := fmt.Sprintf("ann%d.atrium-baseline.example", i)
	ing.Spec.TLS = []networkingv1.IngressTLS{{Hosts: []string{host}}}
	be := serviceBackend(baseService, "", basePort)
	ing.Spec.Rules = []networkingv1.IngressRule{ingressRule(host,
		httpPath(basePrefix, fzPtr(networkingv1.PathTypePrefix), be),
		httpPath(baseExact, fzPtr(networkingv1.PathTypeExact), be),
		httpPath(baseBroken, fzPtr(networkingv1.PathTypeImplementationSpecific), serviceBackend("atrb-missing", "", 80)),
	)}
	return ing
}

// annotationWord is what an argument place that only annotations fill may
// hold: one non-empty word of URL-safe characters, nothing nginx's grammar
// or variables would read.
var annotationWord = regexp.MustCompile(`^[A-Za-z0-9._~:/?#\[\]@!&()*+,=%-]+$`)

// rewriteTargetWord is what the argument place of a rewrite target may
// hold: path characters and the capture groups $1-$9, the only variables
// allowed (written independently of the validator in internal/annotations).
// Places where the annotation examples differ by such a word accept any
// such word (placeholder ANNTARGET); nowhere else may a '$' come from input.
var rewriteTargetWord = regexp.MustCompile(`^(/[A-Za-z0-9._~!&()*+,=:@/-]*|\$[1-9])+$`)

// specWord is what the value of the `set`s carrying balancing and canary
// settings to Lua may hold (placeholder ANNSPEC): space-separated
// annotation words ($atrium_hash_by, $atrium_affinity, $atrium_canary).
var specWord = regexp.MustCompile(`^[A-Za-z0-9._~:/?#\[\]@!&()*+,=%-]+( [A-Za-z0-9._~:/?#\[\]@!&()*+,=%-]+)*$`)

// cacheKeyWord is what the value of the `set` carrying auth-cache-key
// may hold (placeholder ANNKEY): Atrium's hex scope, ':', then text and
// variables in braces, the one other place where a '$' may come from input
// (written independently of the validator in internal/annotations).
var cacheKeyWord = regexp.MustCompile(`^[0-9a-f]{24}:(\$\{(http|cookie|arg)_[a-z0-9_]+\}|\$\{(remote_addr|remote_user|host|request_uri|uri)\}|[A-Za-z0-9._~:/@!,+=-])+$`)

// realmWord is what the realm of auth_basic may be (placeholder ANNREALM):
// the one place where input may put spaces, inside the quoted argument
// (written independently of the validator in internal/annotations).
var realmWord = regexp.MustCompile(`^[A-Za-z0-9 ._~:/?#@!&()*+,=%-]{0,256}$`)

// mapEntry is the name under which the model keeps the entries of map
// and geo blocks: an entry's first word is its source value, which input
// may choose (CORS origins, limit-allowlist CIDRs), so the model treats it
// as argument 0 of an entry rather than as a directive name.
const mapEntry = "<map entry>"

func modelDirective(ctx []string, d Directive) Directive {
	if len(ctx) == 0 || (ctx[len(ctx)-1] != "map" && ctx[len(ctx)-1] != "geo") || d.IsBlock() {
		return d
	}
	e := d
	e.Name = mapEntry
	e.Args = append([]string{d.Name}, d.Args...)
	e.Quoted = append([]bool{false}, d.Quoted...)
	return e
}

// corsOriginPart is one origin of a CORS map regex as Build writes it:
// scheme, "://", an optional one-label wildcard, the host with escaped
// dots, an optional port (written independently of Build's code).
const corsOriginPart = `https?://(\[A-Za-z0-9-\]\+\\\.)?[a-z0-9-]+(\\\.[a-z0-9-]+)*(:[0-9]{1,5})?`

// corsOriginRegexWord is what the source value of a CORS origin map entry
// may be (placeholder ANNORIGIN): a case-insensitive, anchored alternation
// of origins and nothing else.
var corsOriginRegexWord = regexp.MustCompile(`^~\*\^\(` + corsOriginPart + `(\|` + corsOriginPart + `)*\)\$$`)

// regexArg says whether argument j of directive d is a regex nginx reads
// as such and never as variables: the pattern of `location ~*` and the
// regex of `rewrite`.
func regexArg(d Directive, j int) bool {
	return (d.Name == "location" && j == 1 && d.Args[0] == "~*") || (d.Name == "rewrite" && j == 0)
}

func baselineSnapshot(t testing.TB) Snapshot {
	ing := newIngress(baseNS, baseIngress, 0)
	ing.Spec.TLS = []networkingv1.IngressTLS{
		{Hosts: []string{baseHost}, SecretName: "atrb-foo"},
		{Hosts: []string{baseWildHost}, SecretName: "atrb-wild"},
	}
	be := serviceBackend(baseService, "", basePort)
	ing.Spec.Rules = []networkingv1.IngressRule{
		ingressRule(baseHost,
			httpPath(basePrefix, fzPtr(networkingv1.PathTypePrefix), be),
			httpPath(baseExact, fzPtr(networkingv1.PathTypeExact), be),
			httpPath(baseBroken, fzPtr(networkingv1.PathTypeImplementationSpecific), serviceBackend("atrb-missing", "", 80)),
		),
		ingressRule(baseWildHost, httpPath("/", fzPtr(networkingv1.PathTypePrefix), be)),
	}
	svc, es := backendObjects(baseNS, baseService, "http", basePort)
	return Snapshot{
		Ingresses:      []*networkingv1.Ingress{ing},
		IngressClasses: []*networkingv1.IngressClass{atriumClass()},
		Services:       []*corev1.Service{svc},
		EndpointSlices: []*discoveryv1.EndpointSlice{es},
		Secrets: []*corev1.Secret{
			tlsSecret(baseNS, "atrb-foo", loadTestCert(t, "foo")),
			tlsSecret(baseNS, "atrb-wild", loadTestCert(t, "wild")),
			// Named only by the proxy-ssl-secret examples; alike, so both
			// values name the same files.
			backendTLSSecret(t, baseNS, "atrb-proxy-ssl"),
			backendTLSSecret(t, baseNS, "atrb-proxy-ssl2"),
			// Named only by the auth examples; alike, so both values name
			// the same files.
			opaqueSecret(baseNS, "atrb-htpasswd", map[string]string{"auth": testHtpasswd}),
			opaqueSecret(baseNS, "atrb-htpasswd2", map[string]string{"auth": testHtpasswd}),
			opaqueSecret(baseNS, "atrb-authmap", map[string]string{"alice": testAPR1, "bob": testSHA}),
			clientCASecret(t, baseNS, "atrb-client-ca"),
			clientCASecret(t, baseNS, "atrb-client-ca2"),
		},
		// Named only by the custom-headers examples: the same header with
		// two values.
		ConfigMaps: []*corev1.ConfigMap{
			{ObjectMeta: metav1.ObjectMeta{Namespace: baseNS, Name: "atrb-headers"}, Data: map[string]string{"X-Atrium-A": "atrium-header-value"}},
			{ObjectMeta: metav1.ObjectMeta{Namespace: baseNS, Name: "atrb-headers2"}, Data: map[string]string{"X-Atrium-A": "other-value"}},
			// Named only by the auth-proxy-set-headers example.
			{ObjectMeta: metav1.ObjectMeta{Namespace: baseNS, Name: "atrb-authhdrs"}, Data: map[string]string{"X-Atrium-Tenant": "atrium-tenant-a"}},
			{ObjectMeta: metav1.ObjectMeta{Namespace: baseNS, Name: "atrb-authhdrs2"}, Data: map[string]string{"X-Atrium-Tenant": "atrium-tenant-b"}},
		},
	}
}

// backendTLSSecret is an Opaque proxy-ssl-secret with a client certificate
// and a CA (testdata/certs/backend-*).
func backendTLSSecret(t testing.TB, ns, name string) *corev1.Secret {
	t.Helper()
	data := map[string][]byte{}
	for key, file := range map[string]string{corev1.TLSCertKey: "backend-client.crt", corev1.TLSPrivateKeyKey: "backend-client.key", "ca.crt": "backend-ca.crt"} {
		b, err := os.ReadFile(filepath.Join("testdata", "certs", file))
		if err != nil {
			t.Fatal(err)
		}
		data[key] = b
	}
	return &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Type: corev1.SecretTypeOpaque, Data: data}
}

// Password hashes of "atrium" in every supported format.
const (
	testAPR1     = "$apr1$atrium$3YmbqTs4m2vCiylTH4yFK1"
	testSHA      = "{SHA}bZydCEMF/YsjNG+QtLRlUVD3L+k="
	testHtpasswd = "# users\napr1:" + testAPR1 + "\nsha:" + testSHA + ":a comment\r\n" +
		"ssha:{SSHA}G9gAEs9vj0EGnliKdEC08k9G9m1zYWx0\nmd5:$1$atrium$1lEwm9tY9YRNsiCUKe1yn1\n" +
		"sha256:$5$rounds=5000$atriumsalt$fkqAM9KtDnuFtDR4/wGs8I.cr4q0zTtH3TOntp/tym7\n" +
		"sha512:$6$atriumsalt$d/ULuUf1hmGAbUNVP8aq.tL.3hEbsCZwenY2irtiGXIijKUKpWtGIZqOc3W9esQLXXzDtY8U2YRVoPl1QgDh1/\n" +
		"bcrypt:$2y$05$atriumatriumatriumatreyYhFQtzqkrdXiu6tuwq20Q50ezpsXzG\n\n"
)

func opaqueSecret(ns, name string, data map[string]string) *corev1.Secret {
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Type: corev1.SecretTypeOpaque, Data: map[string][]byte{}}
	for k, v := range data {
		s.Data[k] = []byte(v)
	}
	return s
}

// clientCASecret is an auth-tls-secret with a CA and a CRL
// (testdata/certs/client-ca.*).
func clientCASecret(t testing.TB, ns, name string) *corev1.Secret {
	t.Helper()
	return clientCASecretNS(t, ns, name)
}

// clientCASecretNS is clientCASecret for any namespace.
func clientCASecretNS(t testing.TB, ns, name string) *corev1.Secret {
	t.Helper()
	data := map[string][]byte{}
	for key, file := range map[string]string{"ca.crt": "client-ca.crt", "ca.crl": "client-ca.crl"} {
		b, err := os.ReadFile(filepath.Join("testdata", "certs", file))
		if err != nil {
			t.Fatal(err)
		}
		data[key] = b
	}
	return &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Type: corev1.SecretTypeOpaque, Data: data}
}

// derivedPaths are the location paths Build may make of an Ingress path.
func derivedPaths(p string) []string {
	if p == "" {
		p = "/"
	}
	trimmed := strings.TrimRight(p, "/")
	return []string{p, trimmed, trimmed + "/", strings.TrimSuffix(p, "/"), "/"}
}

func wildcardRegexParts(hosts ...string) []string {
	var out []string
	for _, h := range hosts {
		if strings.HasPrefix(h, "*.") {
			out = append(out, regexp.QuoteMeta(h[2:]))
		}
	}
	return out
}

func configFiles(o Options, cfg *Config) []string {
	var out []string
	for _, f := range cfg.Files {
		out = append(out, filepath.Join(o.Dir, f.Path))
	}
	return out
}

// confModel is what the baselines allow. A directive's place is its path of
// names from the top ("http/server/location"); an argument's place adds "#i".
type confModel struct {
	block     map[string]bool
	argc      map[string]map[int]bool
	args      map[string]map[string]bool // place#i -> patterns
	maxCount  map[string]int
	unlimited map[string]bool
	comments  map[string]bool
	// skipped lists the annotation examples Build refused or ignored.
	skipped []string
	// constant holds, for the directives that load code or files
	// (dangerousDirective), the exact arguments the baselines render.
	constant map[string]bool
}

// Placeholders are written "\x00NAME\x00" in patterns.
func ph(name string) string { return "\x00" + name + "\x00" }

var (
	fuzzModelOnce sync.Once
	fuzzModel     *confModel
	fuzzModelErr  string
)

// renderModel renders the two baselines (once per test binary) and returns
// the model they define.
func renderModel(t testing.TB) *confModel {
	t.Helper()
	fuzzModelOnce.Do(func() { fuzzModel, fuzzModelErr = buildModel(t) })
	if fuzzModelErr != "" {
		t.Fatal(fuzzModelErr)
	}
	return fuzzModel
}

func buildModel(t testing.TB) (*confModel, string) {
	o := testOptions(t, goldenDir)
	g := configmap.Defaults()
	g.AllowedResponseHeaders = fuzzAllowedHeaders
	o.Global = &g
	m := &confModel{
		block: map[string]bool{}, argc: map[string]map[int]bool{}, args: map[string]map[string]bool{},
		maxCount: map[string]int{}, unlimited: map[string]bool{}, comments: map[string]bool{}, constant: map[string]bool{},
	}
	// The renders: the two baselines, then the second one with each
	// annotation example's Ingress added.
	type baseline struct {
		name  string
		snaps []Snapshot // one, or one per value of an annotation example
		plain bool       // the first baseline: no Ingress
		ann   int        // annotation example index, or -1
	}
	renders := []baseline{
		{"baseline 1 (no Ingress)", []Snapshot{{IngressClasses: []*networkingv1.IngressClass{atriumClass()}}}, true, -1},
		{"baseline 2 (one Ingress with TLS)", []Snapshot{baselineSnapshot(t)}, false, -1},
	}
	for i := range annotationExamples {
		bl := baseline{name: fmt.Sprintf("annotation example %v", annotationExamples[i]), ann: i}
		for v := 0; v < 2; v++ {
			snap := baselineSnapshot(t)
			snap.Ingresses = append(snap.Ingresses, annotationIngresses(i, v)...)
			svc, es := backendObjects(baseNS, canaryService, "http", basePort)
			snap.Services, snap.EndpointSlices = append(snap.Services, svc), append(snap.EndpointSlices, es)
			bl.snaps = append(bl.snaps, snap)
		}
		renders = append(renders, bl)
	}
	maxPer := []map[string]int{{}, {}}
	fromAnnotations := map[string]bool{} // places only annotation examples have
	var problems []string
	for _, bl := range renders {
		// Render each snapshot and turn its own user-derived values into
		// placeholders, longest first.
		var trees [][]Directive
		var pattern func(string) string
		skip := false
		for _, snap := range bl.snaps {
			cfg, probs, err := Build(snap, o)
			if err != nil {
				return nil, fmt.Sprintf("%s: Build: %v", bl.name, err)
			}
			expected := ""
			if bl.ann >= 0 && annotationExamples[bl.ann][expectProblem] != nil {
				expected = annotationExamples[bl.ann][expectProblem][0]
			}
			raised := false
			for _, p := range probs {
				switch {
				case expected != "" && string(p.Reason) == expected:
					raised = true
				case strings.HasPrefix(p.Field, "metadata.annotations"):
					skip = true // unsupported or refused: not an example of anything
				case p.Reason == ReasonInvalidField:
					return nil, fmt.Sprintf("%s is not valid: %v", bl.name, p)
				}
			}
			if expected != "" && !raised {
				return nil, fmt.Sprintf("%s does not raise the %s Problem it is meant to", bl.name, expected)
			}
			if skip {
				break
			}
			conf, hash, err := Render(cfg)
			if err != nil {
				return nil, fmt.Sprintf("%s: Render: %v", bl.name, err)
			}
			type sub struct{ from, to string }
			var subs []sub
			add := func(name string, vs ...string) {
				for _, v := range vs {
					subs = append(subs, sub{v, ph(name)})
				}
			}
			add("HASH", hash)
			add("FILE", configFiles(o, cfg)...)
			if !bl.plain {
				add("HOST", baseHost)
				add("WILDRE", wildcardRegexParts(baseWildHost)...)
				add("UPSTREAM", fmt.Sprintf("%s_%s_%d", baseNS, baseService, basePort))
				add("SOURCE", baseNS+"/"+baseIngress)
				for _, p := range []string{basePrefix, baseExact, baseBroken} {
					add("PATH", derivedPaths(p)[:4]...)
				}
			}
			if bl.ann >= 0 {
				for _, ing := range annotationIngresses(bl.ann, 0) {
					add("HOST", ing.Spec.Rules[0].Host)
					add("SOURCE", ing.Namespace+"/"+ing.Name)
					add("ZONE", ing.Namespace+"_"+ing.Name)
					add("ID", ingressID(ing.Namespace, ing.Name))
				}
			}
			sort.SliceStable(subs, func(a, b int) bool { return len(subs[a].from) > len(subs[b].from) })
			var pairs []string
			for _, s := range subs {
				pairs = append(pairs, s.from, s.to)
			}
			// Every render of one baseline has the same substitutions but
			// its own hash; the placeholders make them equal.
			replace := strings.NewReplacer(pairs...).Replace
			if pattern == nil {
				pattern = replace
			} else {
				prev := pattern
				pattern = func(s string) string { return replace(prev(s)) }
			}
			c, err := parseNginxConf(conf)
			if err != nil {
				return nil, fmt.Sprintf("%s does not parse: %v\n%s", bl.name, err, conf)
			}
			for _, cm := range c.Comments {
				m.comments[replace(cm.Text)] = true
			}
			trees = append(trees, c.Directives)
		}
		if skip {
			if bl.ann < 0 {
				return nil, fmt.Sprintf("%s has annotation problems", bl.name)
			}
			m.skipped = append(m.skipped, bl.name)
			continue
		}
		family := maxPer[1]
		if bl.plain {
			family = maxPer[0]
		}
		// visit walks the first render, and the second (if any) alongside:
		// an argument that differs between them is an annotation value.
		var visit func(ctx []string, ds, other []Directive)
		visit = func(ctx []string, ds, other []Directive) {
			if other != nil && len(other) != len(ds) {
				problems = append(problems, fmt.Sprintf("%s: the two values render different shapes in %q", bl.name, ctx))
				other = nil
			}
			counts := map[string]int{}
			for di, d := range ds {
				d = modelDirective(ctx, d)
				var od *Directive
				if other != nil {
					o := modelDirective(ctx, other[di])
					od = &o
					if od.Name != d.Name || len(od.Args) != len(d.Args) || od.IsBlock() != d.IsBlock() {
						problems = append(problems, fmt.Sprintf("%s: the two values render %s %q and %s %q", bl.name, d.Name, d.Args, od.Name, od.Args))
						od = nil
					}
				}
				place := strings.Join(append(ctx[:len(ctx):len(ctx)], d.Name), "/")
				counts[place]++
				if b, ok := m.block[place]; ok && b != d.IsBlock() {
					problems = append(problems, fmt.Sprintf("%s: %s is both a block and not", bl.name, place))
				} else if !ok && bl.ann >= 0 {
					fromAnnotations[place] = true
				}
				m.block[place] = d.IsBlock()
				if m.argc[place] == nil {
					m.argc[place] = map[int]bool{}
				}
				m.argc[place][len(d.Args)] = true
				for j, a := range d.Args {
					k := fmt.Sprintf("%s#%d", place, j)
					if m.args[k] == nil {
						m.args[k] = map[string]bool{}
					}
					p := pattern(a)
					if od != nil && pattern(od.Args[j]) != p {
						// An annotation value.
						switch {
						case annotationWord.MatchString(a) && annotationWord.MatchString(od.Args[j]):
							p = ph("ANN")
						case place == "http/server/location/rewrite" && j == 1 && rewriteTargetWord.MatchString(a) && rewriteTargetWord.MatchString(od.Args[j]):
							p = ph("ANNTARGET")
						case place == "http/map/"+mapEntry && j == 0 && corsOriginRegexWord.MatchString(a) && corsOriginRegexWord.MatchString(od.Args[j]):
							p = ph("ANNORIGIN")
						case place == "http/server/location/set" && j == 1 && specWord.MatchString(a) && specWord.MatchString(od.Args[j]):
							p = ph("ANNSPEC")
						case place == "http/server/location/set" && j == 1 && cacheKeyWord.MatchString(a) && cacheKeyWord.MatchString(od.Args[j]):
							p = ph("ANNKEY")
						case place == "http/server/location/auth_basic" && j == 0 && realmWord.MatchString(a) && realmWord.MatchString(od.Args[j]):
							p = ph("ANNREALM")
						default:
							problems = append(problems, fmt.Sprintf("%s: %s argument %d %q / %q is not one URL-safe word", bl.name, place, j, a, od.Args[j]))
							p = ph("ANN")
						}
					}
					m.args[k][p] = true
				}
				if dangerousDirective(d.Name) || fileDirective(d.Name) {
					joined := strings.Join(d.Args, "\x01")
					for _, name := range []string{"HOST", "WILDRE", "PATH", "UPSTREAM", "SOURCE"} {
						if strings.Contains(pattern(joined), ph(name)) {
							problems = append(problems, fmt.Sprintf("%s: %s %q names code or a file and is derived from input (%s)", bl.name, place, d.Args, name))
						}
					}
					if od != nil && strings.Join(od.Args, "\x01") != joined {
						problems = append(problems, fmt.Sprintf("%s: %s %q names code or a file and is set by an annotation", bl.name, place, d.Args))
					}
					m.constant[place+"\x01"+joined] = true
				}
				if d.IsBlock() {
					var ob []Directive
					if od != nil {
						ob = od.Block
					}
					visit(append(ctx[:len(ctx):len(ctx)], d.Name), d.Block, ob)
				}
			}
			for place, n := range counts {
				if n > family[place] {
					family[place] = n
				}
			}
		}
		var other []Directive
		if len(trees) > 1 {
			other = trees[1]
		}
		visit(nil, trees[0], other)
	}
	if len(problems) > 0 {
		return nil, strings.Join(problems, "\n")
	}
	for place, isBlock := range m.block {
		m.maxCount[place] = max(maxPer[0][place], maxPer[1][place])
		// Blocks that multiply with input: more in the second baseline than
		// in the first, and more than one; and what only annotations add
		// more than once (allow and deny take lists).
		m.unlimited[place] = (isBlock && maxPer[1][place] >= 2 && maxPer[1][place] > maxPer[0][place]) ||
			(fromAnnotations[place] && maxPer[1][place] >= 2)
	}
	return m, ""
}

// dangerousDirective names the directives that load code, modules or files
// into nginx (CVE-2025-1974 used load_module and ssl_engine).
func dangerousDirective(name string) bool {
	switch name {
	case "load_module", "ssl_engine", "include", "env", "daemon", "master_process", "user", "working_directory":
		return true
	}
	return strings.HasPrefix(name, "lua_") || strings.Contains(name, "_by_lua") ||
		strings.HasPrefix(name, "perl") || strings.HasPrefix(name, "js_")
}

// fileDirective names the directives whose arguments are files nginx reads
// or writes. None may take its path from an Ingress (CVE-2025-24513).
func fileDirective(name string) bool {
	switch name {
	case "root", "alias", "pid", "error_log", "access_log", "lock_file", "try_files":
		return true
	case "proxy_cookie_path": // a Set-Cookie attribute, not a file
		return false
	}
	for _, suffix := range []string{"_file", "_path", "_certificate", "_certificate_key", "_dhparam", "_crl", "_log"} {
		if strings.HasSuffix(name, suffix) {
			return true
		}
	}
	return false
}

// matchPattern says whether s is pat with each placeholder replaced by one
// of vals[name].
func matchPattern(pat, s string, vals map[string][]string) bool {
	i := strings.IndexByte(pat, 0)
	if i < 0 {
		return pat == s
	}
	if !strings.HasPrefix(s, pat[:i]) {
		return false
	}
	rest := pat[i+1:]
	j := strings.IndexByte(rest, 0)
	name, after := rest[:j], rest[j+1:]
	s = s[i:]
	for _, v := range vals[name] {
		if v != "" && strings.HasPrefix(s, v) && matchPattern(after, s[len(v):], vals) {
			return true
		}
	}
	return false
}

// matchAny reports whether s matches a pattern of the set, and whether only
// through a placeholder (that is, s is derived from input).
func matchAny(pats map[string]bool, s string, vals map[string][]string) (ok, derived bool) {
	if pats[s] && !strings.ContainsRune(s, 0) {
		return true, false
	}
	for p := range pats {
		if p == ph("ANN") && annotationWord.MatchString(s) {
			return true, true
		}
		if p == ph("ANNTARGET") && rewriteTargetWord.MatchString(s) {
			return true, true
		}
		if p == ph("ANNORIGIN") && corsOriginRegexWord.MatchString(s) {
			return true, true
		}
		if p == ph("ANNSPEC") && specWord.MatchString(s) {
			return true, true
		}
		if p == ph("ANNKEY") && cacheKeyWord.MatchString(s) {
			return true, true
		}
		if p == ph("ANNREALM") && realmWord.MatchString(s) {
			return true, true
		}
		if strings.IndexByte(p, 0) >= 0 && matchPattern(p, s, vals) {
			return true, true
		}
	}
	return false, false
}

// check returns the violations of invariants (a)-(c) in a rendered config,
// with vals the input-derived values by placeholder name.
func (m *confModel) check(src []byte, vals map[string][]string) (*nginxConf, []string) {
	var errs []string
	line := 1
	for i := 0; i < len(src); i++ {
		c := src[i]
		if c == '\n' {
			line++
			continue
		}
		if c != '\t' && (c < 0x20 || c > 0x7e) {
			errs = append(errs, fmt.Sprintf("line %d: byte %#02x: the config must be printable ASCII", line, c))
			break
		}
	}
	conf, err := parseNginxConf(src)
	if err != nil {
		return nil, append(errs, fmt.Sprintf("the config does not parse: %v", err))
	}
	for _, cm := range conf.Comments {
		if ok, _ := matchAny(m.comments, cm.Text, vals); !ok {
			errs = append(errs, fmt.Sprintf("line %d: unexpected comment %q", cm.Line, cm.Text))
		}
	}
	var visit func(ctx []string, ds []Directive)
	visit = func(ctx []string, ds []Directive) {
		where := "the top level"
		if len(ctx) > 0 {
			where = "a " + strings.Join(ctx, "/") + " block"
		}
		counts := map[string]int{}
		for _, d := range ds {
			d = modelDirective(ctx, d)
			place := strings.Join(append(ctx[:len(ctx):len(ctx)], d.Name), "/")
			counts[place]++
			isBlock, known := m.block[place]
			switch {
			case !known:
				errs = append(errs, fmt.Sprintf("line %d: unexpected directive %q in %s (args %q)", d.Line, d.Name, where, d.Args))
				continue
			case isBlock != d.IsBlock():
				errs = append(errs, fmt.Sprintf("line %d: %s: block=%v, the baselines have block=%v", d.Line, place, d.IsBlock(), isBlock))
				continue
			case !m.argc[place][len(d.Args)]:
				errs = append(errs, fmt.Sprintf("line %d: %s with %d arguments %q: the baselines never have that many", d.Line, place, len(d.Args), d.Args))
				continue
			}
			for j, a := range d.Args {
				ok, derived := matchAny(m.args[fmt.Sprintf("%s#%d", place, j)], a, vals)
				if !ok {
					errs = append(errs, fmt.Sprintf("line %d: %s argument %d %q is neither a constant of the template nor derived from an accepted input value", d.Line, place, j, a))
					continue
				}
				if d.Name == luaBodyDirective {
					continue
				}
				if strings.IndexFunc(a, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0 {
					errs = append(errs, fmt.Sprintf("line %d: %s argument %d %q holds a control character", d.Line, place, j, a))
				}
				if derived && (strings.ContainsAny(a, `"'`) || (strings.Contains(a, `\`) && !strings.HasPrefix(a, "~") && !regexArg(d, j))) {
					errs = append(errs, fmt.Sprintf("line %d: %s argument %d %q is derived from input and holds a quote or backslash", d.Line, place, j, a))
				}
			}
			if dangerousDirective(d.Name) && !m.constant[place+"\x01"+strings.Join(d.Args, "\x01")] {
				errs = append(errs, fmt.Sprintf("line %d: %s %q is not one of the template's constant %s directives", d.Line, place, d.Args, d.Name))
			}
			if d.IsBlock() {
				visit(append(ctx[:len(ctx):len(ctx)], d.Name), d.Block)
			}
		}
		for place, n := range counts {
			if _, known := m.block[place]; known && !m.unlimited[place] && n > m.maxCount[place] {
				errs = append(errs, fmt.Sprintf("%d %q directives in %s; the baselines never have more than %d", n, place, where, m.maxCount[place]))
			}
		}
	}
	visit(nil, conf.Directives)
	return conf, errs
}

// --- the fuzz check ---

type fuzzEnv struct {
	model *confModel
	opts  Options
}

func newFuzzEnv(t testing.TB) *fuzzEnv {
	return &fuzzEnv{model: renderModel(t), opts: testOptions(t, goldenDir)}
}

type rendered struct {
	conf  []byte
	hash  string
	cfg   *Config
	probs []Problem
}

func (fz *fuzzEnv) render(t *testing.T, snap Snapshot) rendered {
	t.Helper()
	cfg, probs, err := Build(snap, fz.opts)
	if err != nil {
		t.Fatalf("Build returned an error for an input (errors are for Options only): %v", err)
	}
	conf, hash, err := Render(cfg)
	if err != nil {
		t.Fatalf("Render failed, so a value Build did not validate reached the template: %v", err)
	}
	return rendered{conf, hash, cfg, probs}
}

func (r rendered) refused(field string) bool {
	for _, p := range r.probs {
		if p.Reason == ReasonInvalidField && p.Field == field {
			return true
		}
	}
	return false
}

// annotationRefused says whether a Problem refuses the annotation key.
func annotationRefused(ps []Problem, key string) bool {
	for _, p := range ps {
		if strings.Contains(p.Field, key) && refusal(p.Reason) {
			return true
		}
	}
	return false
}

// refusal says whether a Problem reason means a value was refused.
func refusal(r Reason) bool { return r == ReasonInvalidField || r == "InvalidAnnotation" }

// inertInNginx says whether a value can sit anywhere in nginx.conf without
// meaning anything to its grammar: printable ASCII without whitespace,
// quotes, backslash, ';', '{', '}', '#' or '$'.
func inertInNginx(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= 0x20 || c >= 0x7f || strings.IndexByte(`"'\;{}#$`, c) >= 0 {
			return false
		}
	}
	return true
}

// inertRegex says whether a path that Build made a regex is inert where it
// goes: quoted, as the regex of a `location ~*` or a rewrite, which nginx
// reads without variables. It is inertInNginx but for a backslash (which
// the template doubles, since nginx decodes "\\" in quotes) and a '$'
// that ends the regex or a branch, so that no word follows it.
func inertRegex(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\':
		case c == '$':
			if i+1 < len(s) && s[i+1] != ')' && s[i+1] != '|' {
				return false
			}
		case !inertInNginx(string(c)):
			return false
		}
	}
	return true
}

// regexPaths says whether Build made the input's path a regex: a regex
// location, or the regex of a rewrite.
func regexPaths(cfg *Config) bool {
	for _, srv := range cfg.Servers {
		for _, l := range srv.Locations {
			if l.Match == MatchRegex || l.Rewrite != nil {
				return true
			}
		}
	}
	return false
}

// accepted returns, for each fuzzed value that Build looked at and did not
// refuse, its problem field.
func (in fuzzInput) accepted(r rendered) map[string]string {
	out := map[string]string{}
	ok := func(field, v string) bool {
		if r.refused(field) {
			return false
		}
		out[field] = v
		return true
	}
	if !ok(fzFieldNamespace, in.Namespace) || !ok(fzFieldName, in.Ingress) {
		return out
	}
	if in.hasTLS() && (in.Secret == "" || ok(fzFieldSecret, in.Secret)) {
		ok(fzFieldTLSHost, in.TLSHost)
	}
	if !ok(fzFieldHost, in.Host) || r.refused(fzFieldPathType) || !ok(fzFieldPath, in.Path) {
		return out
	}
	if ok(fzFieldService, in.Service) && in.Port != "" {
		ok(fzFieldPort, in.Port)
	}
	return out
}

func (fz *fuzzEnv) check(t *testing.T, in fuzzInput, runNginx bool) {
	r := fz.render(t, in.snapshot(t, true))
	fail := func(format string, args ...any) {
		t.Helper()
		t.Fatalf("input %#v:\n%s\n--- problems:\n%v\n--- nginx.conf:\n%s", in, fmt.Sprintf(format, args...), r.probs, r.conf)
	}

	// Every value Build accepted must be inert in nginx syntax, whatever
	// the template does with it; a TLS host must name a host.
	acc := in.accepted(r)
	regex := regexPaths(r.cfg)
	for field, v := range acc {
		if field == fzFieldPath && regex {
			if !inertRegex(v) {
				fail("%s %q was accepted as a regex but holds characters that mean something to nginx there", field, v)
			}
			continue
		}
		if !inertInNginx(v) {
			fail("%s %q was accepted but holds characters that mean something to nginx", field, v)
		}
	}
	if v, ok := acc[fzFieldTLSHost]; ok && v == "" {
		fail("%s: an empty TLS host was accepted; it puts the catch-all server (every unknown host) under this Ingress's TLS settings", fzFieldTLSHost)
	}

	// (b, refused values) A refused value must leave no trace: the output
	// is the same as with another refused value in its place.
	for _, field := range []string{fzFieldNamespace, fzFieldName, fzFieldHost, fzFieldPathType, fzFieldPath, fzFieldService, fzFieldPort, fzFieldSecret, fzFieldTLSHost} {
		if !r.refused(field) {
			continue
		}
		other := fz.render(t, in.withField(field, fzRefused).snapshot(t, true))
		if !other.refused(field) {
			fail("%s: %q is not refused the way %q is", field, fzRefused, field)
		}
		if !bytes.Equal(r.conf, other.conf) {
			fail("%s was refused but the output depends on it:\n%s", field, lineDiff(string(other.conf), string(r.conf)))
		}
	}

	// Annotations: a refused one leaves no trace: the output is the same
	// as without it, as without the Ingress, or as with the Ingress failing
	// closed (its paths answer 503, as when its Service is gone). An
	// accepted one is checked by the model like everything else.
	noAnn := fz.render(t, in.snapshot(t, false))
	annEffect := !bytes.Equal(r.conf, noAnn.conf)
	if annEffect && annotationRefused(r.probs, in.annKey()) {
		none := in.snapshot(t, false)
		none.Ingresses = nil
		closed := in.snapshot(t, false)
		closed.Services, closed.EndpointSlices = nil, nil
		if !bytes.Equal(r.conf, fz.render(t, none).conf) && !bytes.Equal(r.conf, fz.render(t, closed).conf) {
			fail("annotation %q was refused but changed the output beyond failing closed:\n%s", in.annKey(), lineDiff(string(noAnn.conf), string(r.conf)))
		}
	}

	// (a)-(c) against the baselines, with this input's accepted values.
	vals := map[string][]string{
		"HASH": {r.hash},
		"FILE": configFiles(fz.opts, r.cfg),
	}
	if h, ok := acc[fzFieldHost]; ok {
		vals["HOST"] = append(vals["HOST"], h)
		// from-to-www-redirect redirects to h from its name without "www."
		// (the example learns "www." plus a host).
		if rest, www := strings.CutPrefix(h, "www."); www {
			vals["HOST"] = append(vals["HOST"], rest)
		}
	}
	if h, ok := acc[fzFieldTLSHost]; ok {
		vals["HOST"] = append(vals["HOST"], h)
	}
	vals["WILDRE"] = wildcardRegexParts(vals["HOST"]...)
	if p, ok := acc[fzFieldPath]; ok {
		vals["PATH"] = derivedPaths(p)
	}
	if _, ok := acc[fzFieldService]; ok {
		// service-upstream makes the ClusterIP upstream of the same port.
		vals["UPSTREAM"] = []string{in.Namespace + "_" + in.Service + "_80", in.Namespace + "_" + in.Service + "_80_clusterip"}
	}
	// default-backend names a Service of the Ingress's namespace: its
	// upstream is resolved (and in the endpoint table) even when no rule of
	// the Ingress is served, as when the fuzzer refused the host.
	if strings.HasSuffix(in.annKey(), "/default-backend") && !annotationRefused(r.probs, in.annKey()) {
		vals["UPSTREAM"] = append(vals["UPSTREAM"], in.Namespace+"_"+strings.TrimSpace(in.AnnValue)+"_80")
	}
	if _, ok := acc[fzFieldName]; ok {
		vals["SOURCE"] = []string{in.Namespace + "/" + in.Ingress}
		// Limit zones and mirror locations are named after the Ingress.
		vals["ZONE"] = []string{in.Namespace + "_" + in.Ingress}
		vals["ID"] = []string{ingressID(in.Namespace, in.Ingress)}
	}
	conf, errs := fz.model.check(r.conf, vals)
	if len(errs) > 0 {
		fail("%s", strings.Join(errs, "\n"))
	}

	// (b, accepted values) never span words.
	for field, v := range acc {
		if v == "" {
			continue
		}
		for off := 0; ; {
			i := bytes.Index(r.conf[off:], []byte(v))
			if i < 0 {
				break
			}
			if !conf.inOneSpan(off+i, off+i+len(v)) {
				fail("%s %q appears at byte %d across more than one word", field, v, off+i)
			}
			off += i + 1
		}
	}

	if err := checkEndpointTable(r.cfg, vals["UPSTREAM"]); err != nil {
		fail("%v", err)
	}

	if n := bytes.Count(r.conf, []byte(r.hash)); n != 1 {
		fail("the config hash %s appears %d times, want once", r.hash, n)
	}

	// Behaviour: an accepted host and path are served, an accepted
	// backend is proxied to.
	if _, ok := acc[fzFieldPath]; ok {
		loc := findLocation(conf.Directives, in.Host, servedPath(in, regex))
		if loc == nil {
			fail("host %q path %q was accepted but no server/location serves it (want location %q)", in.Host, in.Path, servedPath(in, regex))
		}
		up := in.Namespace + "_" + in.Service + "_80"
		_, svcOK := acc[fzFieldService]
		if svcOK && (in.Port == "" || acc[fzFieldPort] != "") && !annEffect && !mentions(loc.Block, up) {
			fail("the location for %q does not refer to upstream %q", servedPath(in, regex), up)
		}
	}
	if h, ok := acc[fzFieldTLSHost]; ok && findServer(conf.Directives, h) == nil {
		fail("TLS host %q was accepted but has no server", h)
	}

	// (d) nginx -t.
	if runNginx {
		nginxTest(t, r.conf, r.cfg)
	}
}

// checkEndpointTable checks the table nginx's Lua balancer reads: one
// "<upstream> <ip:port>,..." line per upstream, naming only the upstreams
// the input may create, with IP addresses only.
func checkEndpointTable(cfg *Config, upstreams []string) error {
	for _, line := range strings.Split(string(EndpointTable(cfg)), "\n") {
		if line == "" {
			continue
		}
		name, servers, ok := strings.Cut(line, " ")
		if !ok || !slices.Contains(upstreams, name) {
			return fmt.Errorf("endpoint table line %q: want one of the upstreams %q, a space, then ip:port,...", line, upstreams)
		}
		for _, s := range strings.Split(servers, ",") {
			if s == "" {
				continue
			}
			host, port, err := net.SplitHostPort(s)
			if err != nil || net.ParseIP(host) == nil || port == "" {
				return fmt.Errorf("endpoint table line %q: %q is not ip:port", line, s)
			}
		}
	}
	return nil
}

// servedPath is the location argument that serves an accepted Ingress
// path; regex says the host's paths are regexes (use-regex, rewrite-target).
func servedPath(in fuzzInput, regex bool) string {
	p := in.Path
	if p == "" {
		p = "/"
	}
	if pt := in.pathType(); pt != nil && *pt == networkingv1.PathTypeExact {
		return p
	}
	if regex {
		return "^" + p
	}
	if t := strings.TrimRight(p, "/"); t != "" {
		return t + "/"
	}
	return "/"
}

// findServer returns the http/server block whose server_name serves host
// ("" is the catch-all "_"; "*.x" a regex ending in x).
func findServer(ds []Directive, host string) *Directive {
	var found *Directive
	walkDirectives(ds, func(ctx []string, d Directive) {
		if found != nil || strings.Join(ctx, "/") != "http" || d.Name != "server" {
			return
		}
		for _, sd := range d.Block {
			if sd.Name != "server_name" {
				continue
			}
			for _, a := range sd.Args {
				switch {
				case host == "" && a == "_",
					strings.HasPrefix(host, "*.") && strings.HasPrefix(a, "~") && strings.HasSuffix(a, regexp.QuoteMeta(host[2:])+"$"),
					host != "" && a == host:
					d := d
					found = &d
				}
			}
		}
	})
	return found
}

// findLocation returns the location block for path in host's server.
func findLocation(ds []Directive, host, path string) *Directive {
	srv := findServer(ds, host)
	if srv == nil {
		return nil
	}
	for _, d := range srv.Block {
		if d.Name == "location" && d.IsBlock() && len(d.Args) > 0 && d.Args[len(d.Args)-1] == path {
			d := d
			return &d
		}
	}
	return nil
}

// mentions says whether any argument in the directives contains s.
func mentions(ds []Directive, s string) bool {
	found := false
	walkDirectives(ds, func(_ []string, d Directive) {
		for _, a := range d.Args {
			found = found || strings.Contains(a, s)
		}
	})
	return found
}

// --- seeds ---

// fuzzSeed is a named seed; the corpus files in testdata/fuzz/FuzzRender are
// written from this list (go test -run TestFuzzSeedFiles -write-fuzz-seeds).
type fuzzSeed struct {
	name string
	in   fuzzInput
}

var writeFuzzSeeds = flag.Bool("write-fuzz-seeds", false, "rewrite testdata/fuzz/FuzzRender/seed-* from fuzzSeeds")

// normalSeed is a valid input that the other seeds vary.
var normalSeed = fuzzInput{
	Host: "foo.example.com", Path: "/api", PathType: 1, Service: "web", Port: "http",
	Secret: "foo-tls", Namespace: "default", Ingress: "web", TLSHost: "foo.example.com",
}

func seedWith(f func(in *fuzzInput)) fuzzInput {
	in := normalSeed
	f(&in)
	return in
}

// longDNSName is a valid DNS name of n characters (labels of up to 63).
func longDNSName(n int) string {
	var labels []string
	for left := n; left > 0; {
		l := min(63, left)
		if left-l == 1 {
			l-- // leave room for a label after the dot
		}
		labels = append(labels, strings.Repeat("a", l-1)+"b")
		left -= l + 1
	}
	return strings.Join(labels, ".")
}

// The CVE payloads (see cve_test.go); they are seeds for every field.
const (
	payloadPathBreakout = "/x;}\nlocation /pwn {return 200 pwned;}#"
	payloadRedirect     = "https://x;}\n location /pwn { return 200 pwned; }"
	payloadMatchCN      = "CN=x\"; } location /pwn { return 200 pwned; } #"
	payloadAuthURL      = "http://x/#;\nload_module /tmp/evil.so;"
	payloadSnippet      = "more_set_headers \"X: y\";}\nlocation /pwn { content_by_lua_block { os.execute(\"id\") } }\n#"
	payloadMirror       = "http://x/;}\nlocation /pwn {return 200 pwned;}#"
	payloadTraversal    = "../../etc/passwd"
	payloadSSLEngine    = "CN=abc #(\n){}\n }}\nssl_engine /proc/self/fd/13;\n#"
)

var fuzzSeeds = []fuzzSeed{
	{"normal", normalSeed},
	{"catch-all-number-port", seedWith(func(in *fuzzInput) {
		in.Host, in.Path, in.PathType, in.Port, in.Secret, in.TLSHost = "", "/", 2, "", "", ""
	})},
	{"wildcard", seedWith(func(in *fuzzInput) {
		in.Host, in.Path, in.Secret, in.TLSHost = "*.wild.example.com", "/", "wild-tls", "*.wild.example.com"
	})},
	{"exact-trailing-slash", seedWith(func(in *fuzzInput) { in.Path, in.PathType = "/exact/", 0 })},
	{"unset-pathtype-empty-path", seedWith(func(in *fuzzInput) { in.Path, in.PathType = "", 3 })},
	{"exact-empty-path", seedWith(func(in *fuzzInput) { in.Path, in.PathType = "", 0 })},
	{"garbage-pathtype", seedWith(func(in *fuzzInput) { in.PathType = 4 })},
	{"path-chars", seedWith(func(in *fuzzInput) { in.Path = "/a-b_c.d~e!f&g(h)i*j+k,l=m:n@o/" })},
	{"tls-without-secret", seedWith(func(in *fuzzInput) { in.Secret = "" })},
	{"tls-other-host", seedWith(func(in *fuzzInput) { in.TLSHost = "bar.example.com" })},
	{"dotted-names", seedWith(func(in *fuzzInput) { in.Namespace, in.Ingress, in.Secret = "a.b", "c.d", "e.f" })},
	{"long-names", seedWith(func(in *fuzzInput) {
		in.Namespace, in.Ingress, in.Service, in.Port = longDNSName(253), longDNSName(253), strings.Repeat("s", 63), "port-name-15chr"
	})},
	{"long-path", seedWith(func(in *fuzzInput) { in.Path = "/" + strings.Repeat("p", 2047) })},
	// A valid host of 253 characters: nginx -t must still pass.
	{"long-host", seedWith(func(in *fuzzInput) { in.Host, in.TLSHost = longDNSName(253), longDNSName(253) })},
	{"long-wildcard-host", seedWith(func(in *fuzzInput) { in.Host = "*." + longDNSName(251) })},
	{"ip-host", seedWith(func(in *fuzzInput) { in.Host = "198.18.0.1" })},
	{"hash-placeholder-path", seedWith(func(in *fuzzInput) { in.Path = "/@@ATRIUM_CONFIG_HASH@@" })},
	// An empty TLS host would put the catch-all server under this Ingress's TLS.
	{"empty-tls-host", seedWith(func(in *fuzzInput) { in.TLSHost = "" })},
	{"upper-host", seedWith(func(in *fuzzInput) { in.Host = "FOO.example.com" })},
	{"trailing-dot-host", seedWith(func(in *fuzzInput) { in.Host = "foo.example.com." })},
	{"unicode-host", seedWith(func(in *fuzzInput) { in.Host = "ﬀ.example.com" })},
	{"cve-2026-24512-path", seedWith(func(in *fuzzInput) { in.Path, in.PathType = payloadPathBreakout, 2 })},
	{"cve-2026-24512-path-cr", seedWith(func(in *fuzzInput) { in.Path, in.PathType = "/x;}\rlocation /pwn {return 200 pwned;}#", 2 })},
	{"cve-2026-24512-path-nul", seedWith(func(in *fuzzInput) { in.Path, in.PathType = "/x\x00;}location /pwn {return 200 pwned;}", 2 })},
	{"cve-2026-24512-path-brace", seedWith(func(in *fuzzInput) { in.Path, in.PathType = "/x{", 1 })},
	{"cve-2026-24512-path-var", seedWith(func(in *fuzzInput) { in.Path, in.PathType = "/$host", 0 })},
	{"cve-2026-24512-path-quote", seedWith(func(in *fuzzInput) { in.Path, in.PathType = "/x\" ; return 200 pwned; #", 2 })},
	{"cve-2026-24512-path-u2028", seedWith(func(in *fuzzInput) { in.Path, in.PathType = "/x\u2028location /pwn {return 200 pwned;}", 2 })},
	{"cve-2026-24512-path-nel", seedWith(func(in *fuzzInput) { in.Path, in.PathType = "/x\u0085}", 2 })},
	{"host-quote", seedWith(func(in *fuzzInput) { in.Host = "pwn\";return 200 x;#.example.com" })},
	{"host-injection", seedWith(func(in *fuzzInput) { in.Host = "x.com;}\nserver {listen 81;}#" })},
	{"tls-host-injection", seedWith(func(in *fuzzInput) { in.TLSHost = "foo.example.com\";ssl_engine /tmp/x.so;#" })},
	{"service-injection", seedWith(func(in *fuzzInput) { in.Service = "web;}\nlocation /pwn {" })},
	{"port-injection", seedWith(func(in *fuzzInput) { in.Port = "http;}" })},
	{"namespace-injection", seedWith(func(in *fuzzInput) { in.Namespace = "default;}\n#" })},
	{"ingress-name-injection", seedWith(func(in *fuzzInput) { in.Ingress = "web\nload_module /tmp/evil.so;" })},
	{"cve-2025-24513-secret", seedWith(func(in *fuzzInput) { in.Secret = payloadTraversal })},
	{"cve-2021-25742-configuration-snippet", seedWith(func(in *fuzzInput) {
		in.AnnKey, in.AnnValue = "nginx.ingress.kubernetes.io/configuration-snippet", payloadSnippet
	})},
	{"cve-2021-25742-server-snippet", seedWith(func(in *fuzzInput) {
		in.AnnKey, in.AnnValue = "nginx.ingress.kubernetes.io/server-snippet", "include /var/run/secrets/kubernetes.io/serviceaccount/token;"
	})},
	{"cve-2023-5043-snippet", seedWith(func(in *fuzzInput) {
		in.AnnKey, in.AnnValue = "", "}\nlocation /pwn { return 200 pwned; }\nlocation /x {"
	})},
	{"cve-2023-5044-permanent-redirect", seedWith(func(in *fuzzInput) {
		in.AnnKey, in.AnnValue = "nginx.ingress.kubernetes.io/permanent-redirect", payloadRedirect
	})},
	{"cve-2025-1097-auth-tls-match-cn", seedWith(func(in *fuzzInput) {
		in.AnnKey, in.AnnValue = "nginx.ingress.kubernetes.io/auth-tls-match-cn", payloadMatchCN
	})},
	{"cve-2025-1098-mirror-target", seedWith(func(in *fuzzInput) {
		in.AnnKey, in.AnnValue = "nginx.ingress.kubernetes.io/mirror-target", payloadMirror
	})},
	{"cve-2025-1098-mirror-host", seedWith(func(in *fuzzInput) {
		in.AnnKey, in.AnnValue = "nginx.ingress.kubernetes.io/mirror-host", "x;}\nlocation /pwn {return 200 pwned;}#"
	})},
	{"cve-2025-24514-auth-url", seedWith(func(in *fuzzInput) {
		in.AnnKey, in.AnnValue = "nginx.ingress.kubernetes.io/auth-url", payloadAuthURL
	})},
	{"cve-2025-24513-auth-secret", seedWith(func(in *fuzzInput) {
		in.AnnKey, in.AnnValue = "nginx.ingress.kubernetes.io/auth-secret", payloadTraversal
	})},
	{"cve-2025-1974-ssl-engine", seedWith(func(in *fuzzInput) {
		in.AnnKey, in.AnnValue = "nginx.ingress.kubernetes.io/auth-tls-match-cn", payloadSSLEngine
	})},
	// Implemented annotations (see annotationExamples), valid and not.
	{"annotation-proxy-body-size", seedWith(func(in *fuzzInput) { in.AnnKey, in.AnnValue = annotationPrefix+"proxy-body-size", "8m" })},
	{"annotation-proxy-read-timeout", seedWith(func(in *fuzzInput) { in.AnnKey, in.AnnValue = annotationPrefix+"proxy-read-timeout", " 60s " })},
	{"annotation-allowlist", seedWith(func(in *fuzzInput) {
		in.AnnKey, in.AnnValue = annotationPrefix+"whitelist-source-range", "10.0.0.0/8, 192.0.2.1,2001:db8::/32"
	})},
	{"annotation-permanent-redirect", seedWith(func(in *fuzzInput) {
		in.AnnKey, in.AnnValue = annotationPrefix+"permanent-redirect", "https://example.com/new?a=b#c"
	})},
	{"annotation-app-root", seedWith(func(in *fuzzInput) { in.AnnKey, in.AnnValue = annotationPrefix+"app-root", "/app" })},
	{"annotation-upstream-vhost", seedWith(func(in *fuzzInput) {
		in.AnnKey, in.AnnValue = annotationPrefix+"upstream-vhost", "Internal.Example:8080"
	})},
	{"annotation-x-forwarded-prefix", seedWith(func(in *fuzzInput) { in.AnnKey, in.AnnValue = annotationPrefix+"x-forwarded-prefix", "/prefix" })},
	{"annotation-ssl-redirect", seedWith(func(in *fuzzInput) { in.AnnKey, in.AnnValue = annotationPrefix+"ssl-redirect", "false" })},
	{"annotation-force-ssl-redirect-no-tls", seedWith(func(in *fuzzInput) {
		in.AnnKey, in.AnnValue, in.Secret, in.TLSHost = annotationPrefix+"force-ssl-redirect", "true", "", ""
	})},
	{"annotation-upstream-vhost-injection", seedWith(func(in *fuzzInput) {
		in.AnnKey, in.AnnValue = annotationPrefix+"upstream-vhost", "x.example\";}\nlocation /pwn {return 200 pwned;}#"
	})},
	{"annotation-x-forwarded-prefix-variable", seedWith(func(in *fuzzInput) {
		in.AnnKey, in.AnnValue = annotationPrefix+"x-forwarded-prefix", "/p$http_authorization"
	})},
	{"annotation-app-root-injection", seedWith(func(in *fuzzInput) { in.AnnKey, in.AnnValue = annotationPrefix+"app-root", "/x;return 200 pwned" })},
	{"annotation-allowlist-injection", seedWith(func(in *fuzzInput) {
		in.AnnKey, in.AnnValue = annotationPrefix+"whitelist-source-range", "10.0.0.0/8;allow all"
	})},
	{"annotation-body-size-injection", seedWith(func(in *fuzzInput) {
		in.AnnKey, in.AnnValue = annotationPrefix+"proxy-body-size", "1m;include /etc/passwd"
	})},
	{"annotation-backend-protocol-https", seedWith(func(in *fuzzInput) { in.AnnKey, in.AnnValue = annotationPrefix+"backend-protocol", "HTTPS" })},
	{"annotation-backend-protocol-grpc", seedWith(func(in *fuzzInput) { in.AnnKey, in.AnnValue = annotationPrefix+"backend-protocol", "grpc" })},
	{"annotation-proxy-next-upstream", seedWith(func(in *fuzzInput) {
		in.AnnKey, in.AnnValue = annotationPrefix+"proxy-next-upstream", "error timeout http_502 http_503 http_504 non_idempotent"
	})},
	{"annotation-proxy-next-upstream-injection", seedWith(func(in *fuzzInput) {
		in.AnnKey, in.AnnValue = annotationPrefix+"proxy-next-upstream", "error;\nproxy_pass http://127.0.0.1:10246;"
	})},
	{"annotation-proxy-buffer-size", seedWith(func(in *fuzzInput) { in.AnnKey, in.AnnValue = annotationPrefix+"proxy-buffer-size", "128k" })},
	{"annotation-connection-proxy-header", seedWith(func(in *fuzzInput) {
		in.AnnKey, in.AnnValue = annotationPrefix+"connection-proxy-header", "keep-alive"
	})},
	{"annotation-connection-proxy-header-variable", seedWith(func(in *fuzzInput) {
		in.AnnKey, in.AnnValue = annotationPrefix+"connection-proxy-header", "$http_connection"
	})},
	{"annotation-proxy-ssl-secret", seedWith(func(in *fuzzInput) { in.AnnKey, in.AnnValue = annotationPrefix+"proxy-ssl-secret", "ns/secret" })},
	{"annotation-proxy-ssl-name-injection", seedWith(func(in *fuzzInput) {
		in.AnnKey, in.AnnValue = annotationPrefix+"proxy-ssl-name", "x.example\";\nproxy_ssl_verify off;#"
	})},
	{"annotation-proxy-ssl-ciphers-injection", seedWith(func(in *fuzzInput) {
		in.AnnKey, in.AnnValue = annotationPrefix+"proxy-ssl-ciphers", "HIGH; proxy_pass http://127.0.0.1:10246"
	})},
	{"annotation-custom-headers", seedWith(func(in *fuzzInput) { in.AnnKey, in.AnnValue = annotationPrefix+"custom-headers", "ns/headers" })},
	{"annotation-custom-headers-injection", seedWith(func(in *fuzzInput) {
		in.AnnKey, in.AnnValue = annotationPrefix+"custom-headers", "ns/h\";\nadd_header X 1;#"
	})},
	{"annotation-service-upstream", seedWith(func(in *fuzzInput) { in.AnnKey, in.AnnValue = annotationPrefix+"service-upstream", "true" })},
	{"annotation-enable-access-log", seedWith(func(in *fuzzInput) { in.AnnKey, in.AnnValue = annotationPrefix+"enable-access-log", "false" })},
	{"annotation-enable-cors", seedWith(func(in *fuzzInput) { in.AnnKey, in.AnnValue = annotationPrefix+"enable-cors", "true" })},
	{"annotation-cors-allow-origin", seedWith(func(in *fuzzInput) {
		in.AnnKey, in.AnnValue = annotationPrefix+"cors-allow-origin", "https://a.example.com,https://*.example.org:8443"
	})},
	{"annotation-cors-allow-origin-injection", seedWith(func(in *fuzzInput) {
		in.AnnKey, in.AnnValue = annotationPrefix+"cors-allow-origin", "https://x\") $http_origin;}\nmap $x $y {default 1;"
	})},
	{"annotation-backend-protocol-injection", seedWith(func(in *fuzzInput) {
		in.AnnKey, in.AnnValue = annotationPrefix+"backend-protocol", "GRPC;\ngrpc_pass grpc://127.0.0.1:10246"
	})},
	{"annotation-from-to-www-redirect", seedWith(func(in *fuzzInput) {
		in.AnnKey, in.AnnValue = annotationPrefix+"from-to-www-redirect", "true"
	})},
	{"annotation-from-to-www-redirect-www-host", seedWith(func(in *fuzzInput) {
		in.Host, in.AnnKey, in.AnnValue = "www.example.com", annotationPrefix+"from-to-www-redirect", "true"
	})},
	{"annotation-server-alias", seedWith(func(in *fuzzInput) {
		in.AnnKey, in.AnnValue = annotationPrefix+"server-alias", "a.example.org, *.b.example.org"
	})},
	{"annotation-server-alias-injection", seedWith(func(in *fuzzInput) {
		in.AnnKey, in.AnnValue = annotationPrefix+"server-alias", "a.example.org\";\nlocation /pwn {return 200 pwned;}#"
	})},
	{"annotation-default-backend", seedWith(func(in *fuzzInput) { in.AnnKey, in.AnnValue = annotationPrefix+"default-backend", in.Service })},
	// A refused host: default-backend's Service is still resolved (an
	// upstream no location names, in the endpoint table).
	{"annotation-default-backend-host-refused", seedWith(func(in *fuzzInput) {
		in.Host, in.Path, in.PathType, in.AnnKey, in.AnnValue = "bad host.example.com", "/api", 1, annotationPrefix+"default-backend", "web"
	})},
	{"annotation-default-backend-injection", seedWith(func(in *fuzzInput) {
		in.AnnKey, in.AnnValue = annotationPrefix+"default-backend", "svc\";set $atrium_upstream \"x"
	})},
	{"annotation-auth-url", seedWith(func(in *fuzzInput) {
		in.AnnKey, in.AnnValue = annotationPrefix+"auth-url", "http://198.18.0.20/auth?x=1"
	})},
	{"annotation-auth-url-dns", seedWith(func(in *fuzzInput) {
		in.AnnKey, in.AnnValue = annotationPrefix+"auth-url", "https://auth.example.com:8443/a"
	})},
	{"annotation-auth-url-variable", seedWith(func(in *fuzzInput) { in.AnnKey, in.AnnValue = annotationPrefix+"auth-url", "https://$host/oauth2/auth" })},
	{"annotation-auth-type", seedWith(func(in *fuzzInput) { in.AnnKey, in.AnnValue = annotationPrefix+"auth-type", "basic" })},
	{"annotation-auth-tls-secret-missing", seedWith(func(in *fuzzInput) { in.AnnKey, in.AnnValue = annotationPrefix+"auth-tls-secret", "no-such-ca" })},
	{"annotation-auth-tls-secret-no-ca", seedWith(func(in *fuzzInput) { in.AnnKey, in.AnnValue = annotationPrefix+"auth-tls-secret", in.Secret })},
	{"annotation-custom-http-errors", seedWith(func(in *fuzzInput) { in.AnnKey, in.AnnValue = annotationPrefix+"custom-http-errors", "404, 503" })},
	{"annotation-custom-http-errors-injection", seedWith(func(in *fuzzInput) {
		in.AnnKey, in.AnnValue = annotationPrefix+"custom-http-errors", "404 = @x;\nlocation @x {return 200 pwned;}"
	})},
	{"annotation-use-regex", seedWith(func(in *fuzzInput) {
		in.Path, in.PathType, in.AnnKey, in.AnnValue = `/api/v[0-9]+/(users|groups)\.json$`, 2, annotationPrefix+"use-regex", "true"
	})},
	{"annotation-use-regex-exact", seedWith(func(in *fuzzInput) {
		in.Path, in.PathType, in.AnnKey, in.AnnValue = "/exact", 0, annotationPrefix+"use-regex", "true"
	})},
	{"annotation-rewrite-target", seedWith(func(in *fuzzInput) {
		in.Path, in.PathType, in.AnnKey, in.AnnValue = "/something(/|$)(.*)", 2, annotationPrefix+"rewrite-target", "/$2"
	})},
	{"annotation-rewrite-target-exact", seedWith(func(in *fuzzInput) {
		in.Path, in.PathType, in.AnnKey, in.AnnValue = "/e(x)act", 0, annotationPrefix+"rewrite-target", "/$1/x"
	})},
	// A '$' in an Exact path: valid in the rewrite's regex, not in the
	// literal location (it failed the whole render once).
	{"annotation-rewrite-target-exact-dollar", seedWith(func(in *fuzzInput) {
		in.Path, in.PathType, in.AnnKey, in.AnnValue = "/($)", 0, annotationPrefix+"rewrite-target", "/$1"
	})},
	{"annotation-rewrite-target-variable", seedWith(func(in *fuzzInput) {
		in.Path, in.PathType, in.AnnKey, in.AnnValue = "/(.*)", 2, annotationPrefix+"rewrite-target", "/$host$request_uri"
	})},
	{"annotation-rewrite-target-injection", seedWith(func(in *fuzzInput) {
		in.AnnKey, in.AnnValue = annotationPrefix+"rewrite-target", "/x break;}\nlocation /pwn {return 200 pwned;}#"
	})},
	{"annotation-use-regex-path-variable", seedWith(func(in *fuzzInput) {
		in.Path, in.PathType, in.AnnKey, in.AnnValue = "/x$host", 2, annotationPrefix+"use-regex", "true"
	})},
	{"annotation-use-regex-path-braces", seedWith(func(in *fuzzInput) {
		in.Path, in.PathType, in.AnnKey, in.AnnValue = "/x${host}{1,2}", 2, annotationPrefix+"use-regex", "true"
	})},
	{"annotation-use-regex-path-escapes", seedWith(func(in *fuzzInput) {
		in.Path, in.PathType, in.AnnKey, in.AnnValue = `/x\\n\"\t`, 2, annotationPrefix+"use-regex", "true"
	})},
	{"annotation-use-regex-path-backslash", seedWith(func(in *fuzzInput) {
		in.Path, in.PathType, in.AnnKey, in.AnnValue = `/x\\n\.y\d+$`, 1, annotationPrefix+"use-regex", "true"
	})},
	{"annotation-use-regex-path-quote", seedWith(func(in *fuzzInput) {
		in.Path, in.PathType, in.AnnKey, in.AnnValue = `/x" ; return 200 pwned; #`, 2, annotationPrefix+"use-regex", "true"
	})},
	{"annotation-limit-rps", seedWith(func(in *fuzzInput) { in.AnnKey, in.AnnValue = annotationPrefix+"limit-rps", "5" })},
	{"annotation-limit-allowlist", seedWith(func(in *fuzzInput) {
		in.AnnKey, in.AnnValue = annotationPrefix+"limit-allowlist", "10.0.0.0/8, 2001:db8::/32"
	})},
	{"annotation-limit-rate-injection", seedWith(func(in *fuzzInput) {
		in.AnnKey, in.AnnValue = annotationPrefix+"limit-rate", "10k;}\nlocation /pwn {return 200 pwned;}#"
	})},
	{"annotation-mirror-target", seedWith(func(in *fuzzInput) {
		in.AnnKey, in.AnnValue = annotationPrefix+"mirror-target", "https://mirror.example:8443/$request_uri"
	})},
	{"annotation-mirror-target-injection", seedWith(func(in *fuzzInput) { in.AnnKey, in.AnnValue = annotationPrefix+"mirror-target", payloadMirror })},
	{"annotation-mirror-target-variable", seedWith(func(in *fuzzInput) {
		in.AnnKey, in.AnnValue = annotationPrefix+"mirror-target", "http://$host/$request_uri"
	})},
	{"annotation-mirror-host-injection", seedWith(func(in *fuzzInput) {
		in.AnnKey, in.AnnValue = annotationPrefix+"mirror-host", "x\";\nproxy_pass http://evil;#"
	})},
	{"annotation-satisfy", seedWith(func(in *fuzzInput) { in.AnnKey, in.AnnValue = annotationPrefix+"satisfy", "any" })},
	{"annotation-ssl-passthrough", seedWith(func(in *fuzzInput) { in.AnnKey, in.AnnValue = annotationPrefix+"ssl-passthrough", "true" })},
	{"legacy-class-annotation", seedWith(func(in *fuzzInput) { in.AnnKey, in.AnnValue = LegacyClassAnnotation, "other" })},
	{"everything-invalid", fuzzInput{
		Host: "a b", Path: "x", PathType: 4, Service: "S", Port: "P", Secret: "s/", Namespace: "n;", Ingress: "i{", AnnKey: "k", AnnValue: "v;", TLSHost: "t\n",
	}},
	{"empty", fuzzInput{}},
}

// marshalFuzzSeed writes an input in the `go test fuzz v1` corpus format.
func marshalFuzzSeed(in fuzzInput) []byte {
	var b bytes.Buffer
	b.WriteString("go test fuzz v1\n")
	for _, v := range in.values() {
		switch v := v.(type) {
		case string:
			fmt.Fprintf(&b, "string(%q)\n", v)
		case byte:
			fmt.Fprintf(&b, "byte(%q)\n", v)
		}
	}
	return b.Bytes()
}

// TestFuzzSeedFiles keeps testdata/fuzz/FuzzRender/seed-* in step with
// fuzzSeeds; `go test` runs those files through FuzzRender (with nginx -t).
func TestFuzzSeedFiles(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzRender")
	names := map[string]bool{}
	for _, s := range fuzzSeeds {
		if names[s.name] {
			t.Fatalf("duplicate seed name %q", s.name)
		}
		names[s.name] = true
		for _, v := range s.in.values() {
			if sv, ok := v.(string); ok && !utf8.ValidString(sv) {
				t.Fatalf("seed %s: invalid UTF-8 does not round-trip through the corpus format", s.name)
			}
		}
		path := filepath.Join(dir, "seed-"+s.name)
		want := marshalFuzzSeed(s.in)
		if *writeFuzzSeeds {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, want, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s is missing or stale (run go test -run TestFuzzSeedFiles -write-fuzz-seeds ./internal/nginxconf/)", path)
		}
	}
	files, _ := filepath.Glob(filepath.Join(dir, "seed-*"))
	for _, f := range files {
		if !names[strings.TrimPrefix(filepath.Base(f), "seed-")] {
			t.Errorf("%s is not in fuzzSeeds: remove it or add it there", f)
		}
	}
}

// TestAnnotationExamplesCoverAll: every annotation Atrium implements has
// an example, so that the model knows the output it may add.
func TestAnnotationExamplesCoverAll(t *testing.T) {
	have := map[string]bool{}
	for _, ex := range annotationExamples {
		for k := range ex {
			have[k] = true
		}
	}
	for _, d := range annotations.Defs() {
		if !have[d.Key] && flagOnlyAnnotations[d.Key] == "" {
			t.Errorf("annotation %s has no entry in annotationExamples", d.Key)
		}
	}
}

// TestBaselinesPassModel checks the model on its own baselines, so a
// template change that the model cannot describe shows up here first.
func TestBaselinesPassModel(t *testing.T) {
	m := renderModel(t)
	for _, name := range m.skipped {
		t.Errorf("%s is refused or not supported by Build: fix or drop it in annotationExamples", name)
	}
	o := testOptions(t, goldenDir)
	for i, snap := range []Snapshot{{IngressClasses: []*networkingv1.IngressClass{atriumClass()}}, baselineSnapshot(t)} {
		cfg, _, err := Build(snap, o)
		if err != nil {
			t.Fatal(err)
		}
		conf, hash, err := Render(cfg)
		if err != nil {
			t.Fatal(err)
		}
		vals := map[string][]string{"HASH": {hash}, "FILE": configFiles(o, cfg)}
		if i == 1 {
			vals["HOST"] = []string{baseHost, baseWildHost}
			vals["WILDRE"] = wildcardRegexParts(baseWildHost)
			vals["UPSTREAM"] = []string{fmt.Sprintf("%s_%s_%d", baseNS, baseService, basePort)}
			vals["SOURCE"] = []string{baseNS + "/" + baseIngress}
			for _, p := range []string{basePrefix, baseExact, baseBroken} {
				vals["PATH"] = append(vals["PATH"], derivedPaths(p)...)
			}
		}
		if _, errs := m.check(conf, vals); len(errs) > 0 {
			t.Errorf("baseline %d:\n%s", i+1, strings.Join(errs, "\n"))
		}
		nginxTest(t, conf, cfg)
	}
	// And the model refuses what it should.
	cfg, _, _ := Build(baselineSnapshot(t), o)
	conf, hash, _ := Render(cfg)
	vals := map[string][]string{"HASH": {hash}, "FILE": configFiles(o, cfg)}
	for _, bad := range []struct{ name, from, to string }{
		{"injected directive", "worker_rlimit_nofile", "load_module /tmp/evil.so;\nworker_rlimit_nofile"},
		{"unknown host", `"` + baseHost + `"`, `"evil.example.com"`},
		{"second proxy_pass", "proxy_pass ", "proxy_pass http://x; proxy_pass "},
		{"location spanning", `"` + basePrefix + `/"`, `"/x" "/y"`},
	} {
		if !bytes.Contains(conf, []byte(bad.from)) {
			continue // the template changed; the case no longer applies
		}
		mutated := bytes.Replace(conf, []byte(bad.from), []byte(bad.to), 1)
		if _, errs := m.check(mutated, vals); len(errs) == 0 {
			t.Errorf("the model accepts a config with a %s", bad.name)
		}
	}
}

// TestHashPlaceholderInPath: Render swaps a placeholder for the config hash.
// An Ingress path may spell that placeholder (paths allow '@', '_' and
// capitals), so the path must stay the user's and the status endpoint must
// still serve the real hash.
func TestHashPlaceholderInPath(t *testing.T) {
	fz := newFuzzEnv(t)
	in := seedWith(func(in *fuzzInput) { in.Path = "/" + hashPlaceholder })
	r := fz.render(t, in.snapshot(t, false))
	conf, err := parseNginxConf(r.conf)
	if err != nil {
		t.Fatal(err)
	}
	// The placeholder holds NUL bytes, which paths may not: such a path is
	// refused outright, and the hash is still served exactly once.
	if findLocation(conf.Directives, in.Host, in.Path+"/") != nil || bytes.Contains(r.conf, []byte(hashPlaceholder)) {
		t.Errorf("a path spelling the hash placeholder must be refused and never rendered:\n%s", r.conf)
	}
	if !mentions(conf.Directives, r.hash) {
		t.Errorf("the config hash %s is not served:\n%s", r.hash, r.conf)
	}
}
