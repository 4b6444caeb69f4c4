package nginxconf

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/types"
)

// One test per ingress-nginx injection CVE, each replaying the payload's
// shape against Atrium. Every case checks that the payload is refused (a
// ReasonInvalidField Problem naming the field; for an annotation, an
// InvalidField or InvalidAnnotation Problem, or no Problem when Atrium does
// not implement it and never reads it); that nothing of it reaches nginx.conf
// (the output equals the output with the value replaced by a plainly
// invalid one, or without the annotation); that the victim Ingress in the
// same snapshot is still served; that the config keeps the shape the
// baselines define (fuzz_test.go); and that nginx -t accepts it.
//
// The annotation cases hold whether or not Atrium implements the
// annotation: a Problem naming it must be a refusal, and the output must
// equal the output without the annotation, without the offending Ingress,
// or with that Ingress failing closed (its paths answer 503).

const (
	victimHost   = "good.example.com"
	victimPath   = "/good"
	victimUp     = "default_good-svc_80"
	attackerNS   = "tenant"
	attackerName = "evil"
	attackerHost = "evil.example.com"
	attackerUp   = "tenant_evil-svc_80"
	// attackerOK is a valid path of the attacker's Ingress, which must keep
	// being served when only another path of it is refused.
	attackerOK = "/still-ok"
)

// injectionSnapshot is a victim Ingress (default/good) and an attacker
// Ingress (tenant/evil: TLS for evil.example.com, paths[0] "/evil"
// ImplementationSpecific and paths[1] "/still-ok" Prefix), with their
// Services, EndpointSlices and Secrets.
func injectionSnapshot(t testing.TB) (Snapshot, *networkingv1.Ingress) {
	victim := newIngress("default", "good", 0)
	victim.Spec.Rules = []networkingv1.IngressRule{ingressRule(victimHost,
		httpPath(victimPath, fzPtr(networkingv1.PathTypePrefix), serviceBackend("good-svc", "", 80)))}
	evil := newIngress(attackerNS, attackerName, 1)
	evil.Annotations = map[string]string{}
	evil.Spec.TLS = []networkingv1.IngressTLS{{Hosts: []string{attackerHost}, SecretName: "evil-tls"}}
	evil.Spec.Rules = []networkingv1.IngressRule{ingressRule(attackerHost,
		httpPath("/evil", fzPtr(networkingv1.PathTypeImplementationSpecific), serviceBackend("evil-svc", "http", 0)),
		httpPath(attackerOK, fzPtr(networkingv1.PathTypePrefix), serviceBackend("evil-svc", "http", 0)),
	)}
	gsvc, ges := backendObjects("default", "good-svc", "", 80)
	esvc, ees := backendObjects(attackerNS, "evil-svc", "http", 80)
	return Snapshot{
		Ingresses:      []*networkingv1.Ingress{victim, evil},
		IngressClasses: []*networkingv1.IngressClass{atriumClass()},
		Services:       []*corev1.Service{gsvc, esvc},
		EndpointSlices: []*discoveryv1.EndpointSlice{ges, ees},
		Secrets:        []*corev1.Secret{tlsSecret(attackerNS, "evil-tls", loadTestCert(t, "foo"))},
	}, evil
}

// injectionVals are the input-derived values of injectionSnapshot.
func injectionVals(o Options, r rendered, extraPaths ...string) map[string][]string {
	vals := map[string][]string{
		"HASH":     {r.hash},
		"FILE":     configFiles(o, r.cfg),
		"HOST":     {victimHost, attackerHost},
		"UPSTREAM": {victimUp, attackerUp},
		"SOURCE":   {"default/good", attackerNS + "/" + attackerName},
	}
	for _, p := range append([]string{victimPath, "/evil", attackerOK}, extraPaths...) {
		vals["PATH"] = append(vals["PATH"], derivedPaths(p)...)
	}
	return vals
}

func renderSnapshot(t *testing.T, snap Snapshot, o Options) rendered {
	t.Helper()
	cfg, probs, err := Build(snap, o)
	if err != nil {
		t.Fatalf("Build returned an error for an input (errors are for Options only): %v", err)
	}
	conf, hash, err := Render(cfg)
	if err != nil {
		t.Fatalf("Render failed, so a value Build did not validate reached the template: %v", err)
	}
	return rendered{conf, hash, cfg, probs}
}

// injectionCase puts a payload into one place of the attacker's Ingress.
type injectionCase struct {
	// field is the Problem field that must refuse the payload; empty for
	// an annotation.
	field      string
	annotation string
	payload    string
	apply      func(ing *networkingv1.Ingress, v string)
	// keepsRest says the attacker's other valid path must still be served.
	keepsRest bool
	// regex says the attacker's host has regex paths (use-regex), so its
	// other path is served by `location ~* "^/still-ok"`.
	regex bool
	// companions are valid annotations (full keys) set on the attacker's
	// Ingress in every render, with the Secrets they name, so that a
	// payload meets the code that would render it (auth-tls-match-cn
	// means nothing without auth-tls-secret). The payload's output must
	// then equal a reference with or without them.
	companions map[string]string
	secrets    []*corev1.Secret
}

// prepare adds the case's companion annotations and Secrets.
func (c injectionCase) prepare(snap *Snapshot, evil *networkingv1.Ingress, with bool) {
	if !with {
		return
	}
	for k, v := range c.companions {
		evil.Annotations[k] = v
	}
	snap.Secrets = append(snap.Secrets, c.secrets...)
}

// plainlyInvalid is refused by every validator, and has nothing in common
// with the payloads.
const plainlyInvalid = "INVALID"

func atPath(i int, pt *networkingv1.PathType) func(*networkingv1.Ingress, string) {
	return func(ing *networkingv1.Ingress, v string) {
		p := &ing.Spec.Rules[0].HTTP.Paths[i]
		p.Path, p.PathType = v, pt
	}
}

func atSecretName(ing *networkingv1.Ingress, v string) { ing.Spec.TLS[0].SecretName = v }

func annotationCase(key, payload string) injectionCase {
	return injectionCase{
		annotation: key, payload: payload, keepsRest: true,
		apply: func(ing *networkingv1.Ingress, v string) { ing.Annotations[key] = v },
	}
}

func runInjection(t *testing.T, c injectionCase) {
	t.Helper()
	m := renderModel(t)
	o := testOptions(t, goldenDir)
	snap, evil := injectionSnapshot(t)
	c.prepare(&snap, evil, true)
	c.apply(evil, c.payload)
	r := renderSnapshot(t, snap, o)
	fail := func(format string, args ...any) {
		t.Helper()
		t.Fatalf("payload %q:\n%s\n--- problems:\n%v\n--- nginx.conf:\n%s", c.payload, fmt.Sprintf(format, args...), r.probs, r.conf)
	}

	// Refused, and without a trace: the same output as a plainly invalid
	// value (or, for an annotation, as no annotation or no such Ingress).
	var refs []rendered
	if c.field != "" {
		if !r.refused(c.field) || !hasProblem(r.probs, attackerNS, attackerName, c.field) {
			fail("no %s Problem for Ingress %s/%s field %s", ReasonInvalidField, attackerNS, attackerName, c.field)
		}
		refSnap, refEvil := injectionSnapshot(t)
		c.prepare(&refSnap, refEvil, true)
		c.apply(refEvil, plainlyInvalid)
		ref := renderSnapshot(t, refSnap, o)
		if !ref.refused(c.field) {
			t.Fatalf("test bug: %q is not refused at %s", plainlyInvalid, c.field)
		}
		refs = append(refs, ref)
	} else {
		for _, p := range r.probs {
			if c.annotation != "" && strings.Contains(p.Field, c.annotation) && !refusal(p.Reason) {
				fail("annotation %s: Problem %v, want a refusal (%s or InvalidAnnotation)", c.annotation, p, ReasonInvalidField)
			}
		}
		// As without the annotation, as without the Ingress, or as with
		// the Ingress failing closed (its paths answer 503); with the
		// companions, or without them (a refused value can make them
		// void too).
		for _, with := range []bool{true, false} {
			if !with && c.companions == nil {
				continue
			}
			refSnap, refEvil := injectionSnapshot(t)
			c.prepare(&refSnap, refEvil, with)
			refs = append(refs, renderSnapshot(t, refSnap, o))
			refSnap.Ingresses = refSnap.Ingresses[:1]
			refs = append(refs, renderSnapshot(t, refSnap, o))
			closed, closedEvil := injectionSnapshot(t)
			c.prepare(&closed, closedEvil, with)
			closed.Services, closed.EndpointSlices = closed.Services[:1], closed.EndpointSlices[:1]
			refs = append(refs, renderSnapshot(t, closed, o))
		}
	}
	same := false
	for _, ref := range refs {
		same = same || bytes.Equal(r.conf, ref.conf)
	}
	if !same {
		fail("the payload changed the output:\n%s", lineDiff(string(refs[0].conf), string(r.conf)))
	}
	if c.payload != "" && bytes.Contains(r.conf, []byte(c.payload)) && !bytes.Contains(refs[0].conf, []byte(c.payload)) {
		fail("the payload appears in the output")
	}
	for _, frag := range payloadFragments(c.payload) {
		if bytes.Contains(r.conf, []byte(frag)) && !bytes.Contains(refs[0].conf, []byte(frag)) {
			fail("%q of the payload appears in the output", frag)
		}
	}

	vals := injectionVals(o, r)
	conf, errs := m.check(r.conf, vals)
	if len(errs) > 0 {
		fail("%s", strings.Join(errs, "\n"))
	}
	if err := checkEndpointTable(r.cfg, vals["UPSTREAM"]); err != nil {
		fail("%v", err)
	}
	assertServed(t, conf, victimHost, victimPath+"/", victimUp)
	if c.keepsRest && bytes.Equal(r.conf, refs[0].conf) {
		if c.regex {
			assertServed(t, conf, attackerHost, "^"+attackerOK, attackerUp)
		} else {
			assertServed(t, conf, attackerHost, attackerOK+"/", attackerUp)
		}
	}
	nginxTest(t, r.conf, r.cfg)
}

func hasProblem(ps []Problem, ns, name, field string) bool {
	for _, p := range ps {
		if p.Object.Namespace == ns && p.Object.Name == name && p.Field == field && p.Reason == ReasonInvalidField {
			return true
		}
	}
	return false
}

var fragmentSep = regexp.MustCompile(`[^A-Za-z0-9_./-]+`)

// payloadFragments are the words of a payload worth looking for.
func payloadFragments(p string) []string {
	var out []string
	for _, f := range fragmentSep.Split(p, -1) {
		if len(f) >= 3 {
			out = append(out, f)
		}
	}
	return out
}

// assertServed checks that host's server has a location for path that
// refers to the upstream.
func assertServed(t *testing.T, conf *nginxConf, host, path, upstream string) {
	t.Helper()
	loc := findLocation(conf.Directives, host, path)
	if loc == nil {
		t.Fatalf("host %s has no location %s any more", host, path)
	}
	if !mentions(loc.Block, upstream) {
		t.Fatalf("host %s location %s does not refer to %s", host, path, upstream)
	}
}

// annotationPrefixes are the prefixes an Atrium annotation may come to use.
var annotationPrefixes = []string{"nginx.ingress.kubernetes.io/", "atrium-ingress.io/"}

func runAnnotationCases(t *testing.T, names []string, payloads []string) {
	runAnnotationCasesWith(t, names, payloads, nil, nil)
}

// runAnnotationCasesWith runs the payloads with valid companion annotations
// (keys without prefix, which each prefix gets) and the Secrets they name.
func runAnnotationCasesWith(t *testing.T, names []string, payloads []string, companions map[string]string, secrets []*corev1.Secret) {
	for _, prefix := range annotationPrefixes {
		for _, name := range names {
			for i, p := range payloads {
				t.Run(fmt.Sprintf("%s%s/%d", prefix, name, i), func(t *testing.T) {
					c := annotationCase(prefix+name, p)
					if companions != nil {
						c.companions = map[string]string{}
						for k, v := range companions {
							c.companions[prefix+k] = v
						}
						c.secrets = secrets
					}
					runInjection(t, c)
				})
			}
		}
	}
}

// CVE-2021-25742: snippet annotations let any Ingress author write raw
// nginx configuration (and Lua), reading the controller's credentials.
// Atrium never honours snippets: not even a harmless one may reach the
// output.
func TestCVE_2021_25742_SnippetAnnotations(t *testing.T) {
	runAnnotationCases(t, []string{"configuration-snippet", "server-snippet"}, []string{
		payloadSnippet,
		"include /var/run/secrets/kubernetes.io/serviceaccount/token;",
		"}\nlua_package_path \"/tmp/?.lua;;\";\nserver {",
		"content_by_lua_block { ngx.say(io.open('/var/run/secrets/kubernetes.io/serviceaccount/token'):read('*a')) }",
		"add_header X-Atrium-Snippet honoured;",
	})
}

// CVE-2023-5043: annotation injection through configuration-snippet (and
// the other snippet annotations) gave arbitrary command execution.
func TestCVE_2023_5043_AnnotationInjection(t *testing.T) {
	runAnnotationCases(t, []string{"configuration-snippet", "auth-snippet", "modsecurity-snippet", "stream-snippet"}, []string{
		"}\nlocation /pwn { return 200 pwned; }\nlocation /x {",
		"access_by_lua_block { os.execute('id > /tmp/pwned') }",
		"proxy_pass http://127.0.0.1:10246/;",
	})
}

// CVE-2023-5044: the permanent-redirect value was pasted into a return
// directive unchecked.
func TestCVE_2023_5044_PermanentRedirect(t *testing.T) {
	runAnnotationCases(t, []string{"permanent-redirect", "temporal-redirect"}, []string{
		payloadRedirect,
		"https://x/\";}\nlocation /pwn { return 200 pwned; } #",
		"https://x/ 200 pwned",
	})
}

// service-upstream is a boolean: anything else is refused and never reaches
// the endpoint table.
func TestServiceUpstreamInjection(t *testing.T) {
	runAnnotationCases(t, []string{"service-upstream"}, []string{
		"true;\nproxy_pass http://127.0.0.1:10246;",
		"true 10.0.0.1:80",
		"$http_host",
	})
}

// The proxy-ssl-* values go into proxy_ssl_* / grpc_ssl_* arguments and the
// Secret name picks files: none may end an argument, name a variable or
// reach a path (CVE-2025-24513's traversal).
func TestProxySSLInjection(t *testing.T) {
	runAnnotationCases(t, []string{"proxy-ssl-secret", "proxy-ssl-verify", "proxy-ssl-verify-depth", "proxy-ssl-name",
		"proxy-ssl-server-name", "proxy-ssl-protocols", "proxy-ssl-ciphers"}, []string{
		"x.example\";\nproxy_ssl_verify off;#",
		"tenant/../../var/run/secrets/kubernetes.io/serviceaccount/token",
		"/etc/passwd",
		"HIGH;}\nlocation /pwn {return 200 pwned;}#",
		"$http_host",
		"TLSv1.2 $ssl_protocol",
		payloadSSLEngine,
	})
}

// custom-headers names a ConfigMap: anything but namespace/name is refused
// (the header values themselves: headers_test.go).
func TestCustomHeadersAnnotationInjection(t *testing.T) {
	runAnnotationCases(t, []string{"custom-headers"}, []string{
		"tenant/h\";\nadd_header X-Evil 1;#",
		"tenant/../../etc/passwd",
		"tenant/$http_host",
		"X-Evil: 1",
	})
}

// matchCNPayloads break out of the `if ($ssl_client_s_dn !~ ...)` condition
// ingress-nginx pasted auth-tls-match-cn into, or out of its quotes.
var matchCNPayloads = []string{
	payloadMatchCN,
	payloadSSLEngine,
	"CN=x) { return 200; } if ($host ~ x",
	"CN=x\\\"; return 200 pwned; #",
	"CN=$host",
	"CN=x{1}\n}\nssl_engine /tmp/e.so;",
	"CN=a\x00b",
	"CN=a\rb",
	"CN=a'b",
	"CN=a;b",
	"CN=(?P<x>a)",
	"CN=a\\",
}

// CVE-2025-1097: auth-tls-match-cn was pasted into an if condition. Run
// with and without a valid auth-tls-secret (and the CA Secret it names),
// so the payload meets the code that renders the condition; the other
// auth-tls values go into the same server block.
func TestCVE_2025_1097_AuthTLSMatchCN(t *testing.T) {
	runAnnotationCases(t, []string{"auth-tls-match-cn"}, matchCNPayloads)
	runAnnotationCasesWith(t, []string{"auth-tls-match-cn", "auth-tls-error-page", "auth-tls-verify-client", "auth-tls-verify-depth"},
		append(matchCNPayloads, payloadAuthURL, "https://x/$request_uri", "on;", "1; ssl_verify_client off"),
		map[string]string{"auth-tls-secret": attackerNS + "/client-ca"},
		[]*corev1.Secret{clientCASecretNS(t, attackerNS, "client-ca")})
}

// TestMatchCNRendered: an accepted auth-tls-match-cn, spaces, backslashes
// and '$' included, is one quoted regex argument of the condition.
func TestMatchCNRendered(t *testing.T) {
	snap, evil := injectionSnapshot(t)
	snap.Secrets = append(snap.Secrets, clientCASecretNS(t, attackerNS, "client-ca"))
	evil.Annotations[annotationPrefix+"auth-tls-secret"] = attackerNS + "/client-ca"
	evil.Annotations[annotationPrefix+"auth-tls-match-cn"] = `CN=(Jane Doe|a\.b)$`
	r := renderSnapshot(t, snap, testOptions(t, goldenDir))
	conf, err := parseNginxConf(r.conf)
	if err != nil {
		t.Fatal(err)
	}
	srv := findServer(conf.Directives, attackerHost)
	if srv == nil {
		t.Fatal("no server for the attacker's host")
	}
	var cond []string
	for _, d := range srv.Block {
		if d.Name == "if" {
			cond = d.Args
		}
	}
	if want := []string{"($ssl_client_s_dn", "!~", `CN=(Jane\x20Doe|a\.b)$`, ")"}; !reflect.DeepEqual(cond, want) {
		t.Errorf("condition %q, want %q", cond, want)
	}
	nginxTest(t, r.conf, r.cfg)
}

// CVE-2025-1098: mirror-target and mirror-host (with the Ingress UID) were
// pasted into mirror locations.
func TestCVE_2025_1098_Mirror(t *testing.T) {
	runAnnotationCases(t, []string{"mirror-target", "mirror-host"}, []string{
		payloadMirror,
		"x;}\nlocation /pwn {return 200 pwned;}#",
		"http://x/$request_uri\";}\nssl_engine /tmp/evil.so;#",
		"http://x$request_uri;\nproxy_pass http://evil",
		"http://x/$host$request_uri",
		"http://x/\"$request_uri",
		"http://x/\r\nHost: evil",
		"http://x/ $request_uri",
	})
	// mirror-host is rendered only with a valid mirror-target: refused
	// values must fail the Ingress closed rather than reach the mirror
	// location.
	for i, p := range []string{"x\";}\nlocation /pwn {return 200 pwned;}#", "$host", "x y", "evil.example.com;\nproxy_pass http://evil", "x\\"} {
		t.Run(fmt.Sprintf("host-with-target/%d", i), func(t *testing.T) {
			c := annotationCase(annotationPrefix+"mirror-host", p)
			c.apply = func(ing *networkingv1.Ingress, v string) {
				ing.Annotations[annotationPrefix+"mirror-host"] = v
				ing.Annotations[annotationPrefix+"mirror-target"] = "http://198.18.0.9:8080$request_uri"
			}
			runInjection(t, c)
		})
	}
	// The UID half of the CVE: Atrium must not render object UIDs, which
	// `controller render -f` reads from files as they are.
	t.Run("uid", func(t *testing.T) {
		runInjection(t, injectionCase{
			payload: "0000\";}\nlocation /pwn {return 200 pwned;}#", keepsRest: true,
			apply: func(ing *networkingv1.Ingress, v string) { ing.UID = types.UID(v) },
		})
	})
}

// authURLPayloads break out of the unquoted `set $target <auth-url>;`
// of ingress-nginx, or read variables into it.
var authURLPayloads = []string{
	payloadAuthURL,
	"http://x/#;\n}\nlocation /pwn {return 200 pwned;}\nlocation /y {",
	"http://x/$http_authorization",
	"http://x/\";\nproxy_pass http://127.0.0.1:10246;#",
	"http://x/a b",
	"http://x/{a}",
	"http://x/\\",
	"http://user:pw@x/",
	"https://$host/oauth2/auth",
	"http://127.0.0.1:10246/atrium/config-hash;",
	"unix:/tmp/x.sock",
}

// CVE-2025-24514: auth-url was pasted into an unquoted set directive; a
// '#' and a newline broke out of it. The companions make each annotation
// one that renders: auth-url next to auth-signin, auth-response-headers
// and auth-method, those next to a valid auth-url.
func TestCVE_2025_24514_AuthURL(t *testing.T) {
	runAnnotationCases(t, []string{"auth-url", "auth-signin"}, authURLPayloads)
	runAnnotationCasesWith(t, []string{"auth-url"}, authURLPayloads,
		map[string]string{"auth-signin": "/login", "auth-response-headers": "X-User", "auth-method": "GET"}, nil)
	runAnnotationCasesWith(t, []string{"auth-signin", "auth-request-redirect", "auth-response-headers", "auth-method", "auth-signin-redirect-param"},
		append(authURLPayloads, "X-User;", "X-User: x", "rd=$request_uri"),
		map[string]string{"auth-url": "http://198.18.0.9/auth"}, nil)
}

// auth-cache-key goes into a quoted `set` value that nginx reads as a
// complex value (variables interpolated), auth-cache-duration into
// proxy_cache_valid: neither may end the argument or the directive, nor
// read a variable off the allow-list (a capture, an upstream's answer).
func TestAuthCacheAnnotationInjection(t *testing.T) {
	runAnnotationCasesWith(t, []string{"auth-cache-key", "auth-cache-duration"}, []string{
		"$http_authorization\"; return 200 pwned; #",
		"$http_authorization;}\nlocation /pwn { return 200 pwned; }",
		"$http_x\\",
		"${upstream_http_x_user}",
		"$1",
		"$request_body",
		"x#y",
		"200 5m; proxy_cache_valid any 1y",
		"200 5m\n}\nlocation /pwn { return 200 pwned; }",
		"200 $arg_t",
		"200 1ms",
	}, map[string]string{"auth-url": "http://198.18.0.9/auth", "auth-cache-key": "$http_authorization"}, nil)
}

// Basic authentication: the realm goes into a quoted auth_basic argument
// (and from there, unescaped, into WWW-Authenticate); the Secret picks a
// file by content only.
func TestBasicAuthInjection(t *testing.T) {
	companions := map[string]string{"auth-type": "basic", "auth-secret": "htpasswd"}
	secrets := []*corev1.Secret{opaqueSecret(attackerNS, "htpasswd", map[string]string{"auth": testHtpasswd})}
	payloads := []string{
		"x\";}\nlocation /pwn {return 200 pwned;}#",
		"$http_authorization",
		"x' y",
		"a\\\"b",
		"a\nb",
		"a{b}",
	}
	runAnnotationCasesWith(t, []string{"auth-realm", "auth-secret", "auth-secret-type", "auth-type"}, payloads, companions, secrets)
	runAnnotationCasesWith(t, []string{"auth-secret"}, []string{payloadTraversal, "tenant/../../etc/passwd", "/etc/passwd"}, companions, secrets)
}

// CVE-2025-24513: auth-secret paths were joined to a directory without a
// check, reading files outside it. Secret names are DNS names in Atrium,
// so no traversal can be spelled.
func TestCVE_2025_24513_SecretPathTraversal(t *testing.T) {
	for i, p := range []string{payloadTraversal, "..", "tenant/../../etc/passwd", "a/b", "evil-tls/../../x", "/etc/passwd", "evil-tls\x00"} {
		t.Run(fmt.Sprintf("tls-secretName/%d", i), func(t *testing.T) {
			runInjection(t, injectionCase{field: "spec.tls[0].secretName", payload: p, apply: atSecretName, keepsRest: true})
		})
	}
	runAnnotationCases(t, []string{"auth-secret", "auth-tls-secret", "proxy-ssl-secret"}, []string{
		payloadTraversal,
		"tenant/../../etc/passwd",
	})
}

// CVE-2026-24512: spec.rules[].http.paths[].path (ImplementationSpecific)
// was pasted into a location, breaking out of it.
func TestCVE_2026_24512_PathInjection(t *testing.T) {
	payloads := []string{
		payloadPathBreakout,
		"/x;}\rlocation /pwn {return 200 pwned;}#",
		"/x\r\n}location /pwn {return 200 pwned;}#",
		"/x\x00;}location /pwn {return 200 pwned;}#",
		"/x{",
		"/x}",
		"/x;",
		"/$host",
		"/${host}",
		"/x\"; return 200 pwned; #",
		"/x'; return 200 pwned; #",
		"/x\\\"",
		"/x #y",
		"/x\ty",
		"/x\u2028location /pwn {return 200 pwned;}",
		"/x\u2029}",
		"/x\u0085}",
		"/x\u00a0y",
		"~ ^/pwn",
		"= /pwn",
		"@pwn",
		"/x/../../etc/passwd",
		"/%2e%2e/pwn",
	}
	pathTypes := map[string]*networkingv1.PathType{
		"ImplementationSpecific": fzPtr(networkingv1.PathTypeImplementationSpecific),
		"Prefix":                 fzPtr(networkingv1.PathTypePrefix),
		"Exact":                  fzPtr(networkingv1.PathTypeExact),
		"unset":                  nil,
	}
	for ptName, pt := range pathTypes {
		for i, p := range payloads {
			t.Run(fmt.Sprintf("%s/%d", ptName, i), func(t *testing.T) {
				runInjection(t, injectionCase{field: "spec.rules[0].http.paths[0].path", payload: p, apply: atPath(0, pt), keepsRest: true})
			})
		}
	}
}

// The same with use-regex, where a path is a regex rendered by qpath: '$'
// and '\' are allowed there, and must still never start a variable, end
// the argument or decode into something else.
func TestCVE_2026_24512_RegexPathInjection(t *testing.T) {
	payloads := []string{
		payloadPathBreakout,
		"/x;}\rlocation /pwn {return 200 pwned;}#",
		"/x{",
		"/x{1,2}",
		"/$host",
		"/x$host",
		"/x${host}",
		"/x$1",
		"/x\"; return 200 pwned; #",
		"/x\\\"; return 200 pwned; #",
		"/x\\",
		"/x\\n",
		"/x\\t",
		"/x\\$",
		"/x #y",
		"/x\ty",
		"/x\u2028}",
		"/(?{system('id')})",
		"/(?=x)",
		"/(a)\\1",
		"~ ^/pwn",
		"/%2e%2e/pwn",
	}
	for _, ptName := range []string{"ImplementationSpecific", "Prefix", "Exact"} {
		pt := fzPtr(networkingv1.PathType(ptName))
		for i, p := range payloads {
			t.Run(fmt.Sprintf("%s/%d", ptName, i), func(t *testing.T) {
				at := atPath(0, pt)
				runInjection(t, injectionCase{field: "spec.rules[0].http.paths[0].path", payload: p, keepsRest: true, regex: true,
					apply: func(ing *networkingv1.Ingress, v string) {
						ing.Annotations[annotationPrefix+"use-regex"] = "true"
						at(ing, v)
					}})
			})
		}
	}
	// rewrite-target: only $1-$9 may name a variable.
	runAnnotationCases(t, []string{"rewrite-target"}, []string{
		"/$host",
		"/${host}",
		"/$request_uri",
		"/$0",
		"/x\"; return 200 pwned; #",
		"/x break;}\nlocation /pwn {return 200 pwned;}#",
		"/x?$args",
		"https://evil.example/$1",
		"/x\\",
		"$1 permanent",
	})
}

// CORS values go into a map regex and set directives: none may end the
// argument, name a variable or widen the origin regex.
func TestCORSInjection(t *testing.T) {
	payloads := []string{
		"https://x\") $http_origin;}\nmap $x $y {default 1;",
		"https://x.example.com/$request_uri",
		"https://x.example.com|.*",
		"https://(.*)",
		"https://x.example.com\\",
		"https://*.*.example.com",
		"https://x.example.com:99999",
		"*, https://x.example.com",
		"https://x.example.com; add_header X 1",
	}
	runAnnotationCases(t, []string{"cors-allow-origin", "cors-allow-methods", "cors-allow-headers", "cors-expose-headers", "cors-max-age"}, payloads)
	runAnnotationCases(t, []string{"cors-allow-origin"}, []string{"null", "https://x.example.com.", "https://*"})
	// With enable-cors on, so the values are read.
	for i, p := range payloads {
		for _, key := range []string{"cors-allow-origin", "cors-allow-methods", "cors-allow-headers", "cors-expose-headers", "cors-max-age", "cors-allow-credentials"} {
			t.Run(fmt.Sprintf("enabled/%s/%d", key, i), func(t *testing.T) {
				c := annotationCase(annotationPrefix+key, p)
				apply := c.apply
				c.apply = func(ing *networkingv1.Ingress, v string) {
					ing.Annotations[annotationPrefix+"enable-cors"] = "true"
					apply(ing, v)
				}
				runCORSInjection(t, c)
			})
		}
	}
}

// runCORSInjection is runInjection for a payload next to enable-cors: the
// output must equal the Ingress failing closed (enable-cors alone is fine,
// but a refused cors-* value fails the Ingress closed).
func runCORSInjection(t *testing.T, c injectionCase) {
	t.Helper()
	o := testOptions(t, goldenDir)
	snap, evil := injectionSnapshot(t)
	c.apply(evil, c.payload)
	r := renderSnapshot(t, snap, o)
	if !annotationRefused(r.probs, c.annotation) {
		t.Fatalf("payload %q in %s was not refused: %v", c.payload, c.annotation, r.probs)
	}
	closed, _ := injectionSnapshot(t)
	closed.Services, closed.EndpointSlices = closed.Services[:1], closed.EndpointSlices[:1]
	if ref := renderSnapshot(t, closed, o); !bytes.Equal(r.conf, ref.conf) {
		t.Fatalf("payload %q in %s changed the output beyond failing closed:\n%s", c.payload, c.annotation, lineDiff(string(ref.conf), string(r.conf)))
	}
}

// CVE-2025-1974 ("IngressNightmare"): the admission webhook ran nginx -t on
// configuration built from any Ingress, and injected load_module or
// ssl_engine directives loaded attacker files during the test. Atrium's
// core must never emit load_module, ssl_engine, include or Lua directives
// with anything derived from input: every one is a constant of the
// template. All payloads go into every field at once here.
func TestCVE_2025_1974_IngressNightmare(t *testing.T) {
	m := renderModel(t)
	o := testOptions(t, goldenDir)
	payloads := []string{
		payloadPathBreakout, payloadRedirect, payloadMatchCN, payloadAuthURL, payloadSnippet,
		payloadMirror, payloadTraversal, payloadSSLEngine,
		"/x;\nload_module /proc/self/fd/13;#",
		"x\nssl_engine ../../../../proc/1/fd/13;\n#",
		"x;}\ninclude /proc/self/environ;#",
		"x;}\nlua_package_path \"/tmp/?.lua\";#",
	}
	snap, evil := injectionSnapshot(t)
	var wantRefused, extraPaths []string
	for i, p := range payloads {
		ing := evil.DeepCopy()
		ing.Name = fmt.Sprintf("evil-%d", i)
		for _, prefix := range annotationPrefixes {
			for _, a := range []string{"configuration-snippet", "server-snippet", "permanent-redirect", "auth-tls-match-cn", "mirror-target", "mirror-host", "auth-url", "auth-secret"} {
				ing.Annotations[prefix+a] = p
			}
		}
		ing.Spec.TLS = []networkingv1.IngressTLS{{Hosts: []string{p}, SecretName: p}, {Hosts: []string{p}}}
		pathP := p
		if !strings.HasPrefix(pathP, "/") {
			pathP = "/" + pathP
		}
		ing.Spec.Rules = append(ing.Spec.Rules,
			ingressRule(p, httpPath("/", nil, serviceBackend("evil-svc", "", 80))),
			ingressRule("", httpPath(pathP, nil, serviceBackend(p, "", 80)), httpPath("/svc-port-"+fmt.Sprint(i), nil, serviceBackend("evil-svc", p, 0))),
		)
		snap.Ingresses = append(snap.Ingresses, ing)
		extraPaths = append(extraPaths, "/svc-port-"+fmt.Sprint(i))
		for _, nsOrName := range []bool{true, false} {
			bad := newIngress(attackerNS, fmt.Sprintf("evil-meta-%d", i), 2)
			if nsOrName {
				bad.Namespace = p
			} else {
				bad.Name = p
			}
			bad.Spec.Rules = []networkingv1.IngressRule{ingressRule("meta.example.com", httpPath("/", nil, serviceBackend("evil-svc", "", 80)))}
			snap.Ingresses = append(snap.Ingresses, bad)
		}
		wantRefused = append(wantRefused, "spec.tls[0].secretName", "spec.rules[1].host", "spec.rules[2].http.paths[0].path",
			"spec.rules[2].http.paths[1].backend.service.port.name")
	}
	r := renderSnapshot(t, snap, o)
	for _, f := range wantRefused {
		if !r.refused(f) {
			t.Errorf("no %s Problem for field %s", ReasonInvalidField, f)
		}
	}
	for _, f := range []string{"metadata.namespace", "metadata.name"} {
		if !r.refused(f) {
			t.Errorf("no %s Problem for field %s", ReasonInvalidField, f)
		}
	}
	vals := injectionVals(o, r, extraPaths...)
	for i := range payloads {
		vals["SOURCE"] = append(vals["SOURCE"], fmt.Sprintf("%s/evil-%d", attackerNS, i))
	}
	conf, errs := m.check(r.conf, vals)
	if len(errs) > 0 {
		t.Fatalf("%s\n--- nginx.conf:\n%s", strings.Join(errs, "\n"), r.conf)
	}
	// The explicit form of the rule: load_module, ssl_engine, include, env
	// and lua_* are exactly those of a config without any Ingress, and each
	// distinct *_by_lua* block is one the baselines have.
	base := renderSnapshot(t, Snapshot{IngressClasses: []*networkingv1.IngressClass{atriumClass()}}, o)
	baseConf, err := parseNginxConf(base.conf)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := loaderDirectives(conf, false), loaderDirectives(baseConf, false); got != want {
		t.Errorf("module and file loading directives differ from a config without Ingresses:\n got:\n%s\n want:\n%s", got, want)
	}
	known := loaderDirectives(baseConf, true)
	if cfg, _, err := Build(baselineSnapshot(t), o); err == nil {
		if b2, _, err := Render(cfg); err == nil {
			if c2, err := parseNginxConf(b2); err == nil {
				known += loaderDirectives(c2, true)
			}
		}
	}
	for _, l := range strings.SplitAfter(loaderDirectives(conf, true), "\n") {
		if !strings.Contains(known, l) {
			t.Errorf("Lua block not in the baselines: %s", l)
		}
	}
	plainSnap, _ := injectionSnapshot(t)
	plain := renderSnapshot(t, plainSnap, o)
	for _, p := range payloads {
		for _, frag := range payloadFragments(p) {
			if bytes.Contains(r.conf, []byte(frag)) && !bytes.Contains(plain.conf, []byte(frag)) {
				t.Errorf("%q of payload %q appears in the output", frag, p)
			}
		}
	}
	assertServed(t, conf, victimHost, victimPath+"/", victimUp)
	assertServed(t, conf, attackerHost, attackerOK+"/", attackerUp)
	nginxTest(t, r.conf, r.cfg)
}

// loaderDirectives lists, in order, the load_module, ssl_engine, include,
// env and lua_* directives of a config with their arguments; with lua, it
// lists the *_by_lua* blocks with their code instead, once each.
func loaderDirectives(c *nginxConf, lua bool) string {
	var b strings.Builder
	seen := map[string]bool{}
	walkDirectives(c.Directives, func(ctx []string, d Directive) {
		if !dangerousDirective(d.Name) || strings.Contains(d.Name, "_by_lua") != lua {
			return
		}
		line := fmt.Sprintf("%s %q", strings.Join(append(ctx[:len(ctx):len(ctx)], d.Name), "/"), d.Args)
		if lua {
			var body []string
			for _, in := range d.Block {
				body = append(body, in.Args...)
			}
			line += fmt.Sprintf(" %q", body)
			if seen[line] {
				return
			}
			seen[line] = true
		}
		b.WriteString(line + "\n")
	})
	return b.String()
}

// --- holes found while writing the tests above ---

// An Ingress may list "" as a TLS host (the API server refuses it, but
// `controller render -f` and the core do not rely on that). validateHost
// allows "" because a rule's host may be empty, so the catch-all server
// (every unknown host) gets this tenant's TLS entry: plain HTTP to any
// unknown host is redirected to HTTPS. It must be refused like any other
// invalid host and change nothing.
func TestTLSEmptyHostRefused(t *testing.T) {
	runInjection(t, injectionCase{
		field: "spec.tls[0].hosts[0]", payload: "", keepsRest: true,
		apply: func(ing *networkingv1.Ingress, v string) { ing.Spec.TLS[0].Hosts[0] = v },
	})
}

// Any valid host (up to 253 characters) must keep nginx -t passing: a host
// that nginx refuses fails the whole configuration, so one tenant would
// block every other tenant's changes.
func TestLongValidHostPassesNginx(t *testing.T) {
	for _, n := range []int{100, 111, 128, 200, 253} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			o := testOptions(t, goldenDir)
			snap, evil := injectionSnapshot(t)
			host := longDNSName(n)
			evil.Spec.Rules[0].Host = host
			evil.Spec.TLS[0].Hosts[0] = host
			r := renderSnapshot(t, snap, o)
			if r.refused("spec.rules[0].host") {
				t.Fatalf("a valid host of %d characters was refused: %v", n, r.probs)
			}
			nginxTest(t, r.conf, r.cfg)
		})
	}
}

// --default-backend-service comes from the controller's flags, not from
// tenants, but the Source comment of the catch-all location prints it
// unvalidated and unquoted: a newline in it writes directives. Build must
// either refuse such Options (an error) or keep the name out of the output,
// and Render must not be the one to catch it.
func TestDefaultBackendFlagInjection(t *testing.T) {
	m := renderModel(t)
	for _, name := range []string{"x\nload_module /tmp/evil.so;\n#", "x;}\nserver { listen 81; }\n#", "X Y"} {
		t.Run(fmt.Sprintf("%q", name), func(t *testing.T) {
			o := testOptions(t, goldenDir)
			o.DefaultBackend = types.NamespacedName{Namespace: "default", Name: name}
			cfg, _, err := Build(Snapshot{IngressClasses: []*networkingv1.IngressClass{atriumClass()}}, o)
			if err != nil {
				return // refusing the Options is a correct answer
			}
			conf, hash, err := Render(cfg)
			if err != nil {
				t.Fatalf("Render failed: the unvalidated name reached the template: %v", err)
			}
			if bytes.Contains(conf, []byte(name)) {
				t.Errorf("the unvalidated --default-backend-service name %q is in the output:\n%s", name, conf)
			}
			// The Source comment of a configured default backend is not in
			// the baselines; only the directives are compared here.
			_, errs := m.check(conf, map[string][]string{"HASH": {hash}, "FILE": configFiles(o, cfg)})
			var bad []string
			for _, e := range errs {
				if !strings.Contains(e, "unexpected comment") {
					bad = append(bad, e)
				}
			}
			if len(bad) > 0 {
				t.Errorf("%s\n--- nginx.conf:\n%s", strings.Join(bad, "\n"), conf)
			}
		})
	}
}

// validateHost says IP addresses are not allowed (the API server refuses
// them as hosts too), but "198.18.0.1" passes: each of its labels is a DNS
// label. Not an injection, but the validator does not do what it says.
func TestIPHostRefused(t *testing.T) {
	for _, h := range []string{"198.18.0.1", "10.0.0.1"} {
		t.Run(h, func(t *testing.T) {
			runInjection(t, injectionCase{
				field: "spec.rules[0].host", payload: h,
				apply: func(ing *networkingv1.Ingress, v string) { ing.Spec.Rules[0].Host = v },
			})
		})
	}
}

// server-alias goes into server_name, default-backend into an upstream
// name, custom-http-errors into error_page and the names of named
// locations: none may end the argument, start a directive or a variable,
// or name an nginx regex server name.
func TestHostAndErrorAnnotationInjection(t *testing.T) {
	runAnnotationCases(t, []string{"server-alias"}, []string{
		"a.example.com;\nserver_name evil.example.com",
		"a.example.com\"; return 200 pwned; #",
		"a.example.com }\nserver { listen 81; return 200 pwned; }",
		"${host}.example.com",
		"~^(?<x>.+)\\.example\\.com$",
		"a.example.com:80",
		"*.*.example.com",
	})
	runAnnotationCases(t, []string{"default-backend"}, []string{
		"evil-svc;}\nlocation /pwn { return 200 pwned; }",
		"evil-svc\"; set $atrium_upstream \"default_good-svc_80",
		"$atrium_upstream",
		"../default/good-svc",
		"default/good-svc",
	})
	runAnnotationCases(t, []string{"custom-http-errors"}, []string{
		"404 = @pwn;\nlocation @pwn { return 200 pwned; }",
		"404;error_page 500 /x",
		"$status",
		"404 418",
		"200",
	})
	runAnnotationCases(t, []string{"from-to-www-redirect"}, []string{"true;", "true\nserver_name evil"})
}

// The balancing and canary annotations go into `set` values that Lua
// parses: none may end the argument, start a variable or a directive, or
// add a word or an attribute to what Lua reads (a cookie attribute, a
// hash variable off the allow-list).
func TestBalancingAnnotationInjection(t *testing.T) {
	runAnnotationCases(t, []string{"upstream-hash-by"}, []string{
		"$request_uri\"; return 200 pwned; #",
		"$request_uri;}\nlocation /pwn { return 200 pwned; }",
		"$request_body",
		"${upstream_addr}",
		"$uri v:remote_addr",
		"$uri\\",
	})
	runAnnotationCases(t, []string{"session-cookie-name", "session-cookie-path", "session-cookie-domain", "session-cookie-samesite",
		"session-cookie-max-age", "session-cookie-expires", "load-balance", "affinity", "affinity-mode"}, []string{
		"x\"; set $atrium_upstream \"default_good-svc_80",
		"x; Domain=evil.example",
		"x path=/evil",
		"$cookie_x",
		"x}\nlocation /pwn { return 200 pwned; }",
	})
	runAnnotationCases(t, []string{"canary", "canary-by-header", "canary-by-header-value", "canary-by-header-pattern",
		"canary-by-cookie", "canary-weight", "canary-weight-total"}, []string{
		"x\"; set $atrium_upstream \"default_good-svc_80",
		"a upstream=default_good-svc_80",
		"a\\d",
		"x}\nlocation /pwn { return 200 pwned; }",
	})
}

// A canary-by-header-pattern may hold '$' and braces ("^${x}$" is a valid
// regex): it reaches nginx.conf only in base64, never as a variable.
func TestCanaryPatternNeverRaw(t *testing.T) {
	o := testOptions(t, goldenDir)
	for _, pattern := range []string{"^${host}$", "^(a|b){1,3}$", "x$"} {
		snap, evil := injectionSnapshot(t)
		evil.Annotations[annotationPrefix+"canary"] = "true"
		evil.Annotations[annotationPrefix+"canary-by-header"] = "X-Canary"
		evil.Annotations[annotationPrefix+"canary-by-header-pattern"] = pattern
		evil.Spec.Rules = []networkingv1.IngressRule{ingressRule(victimHost,
			httpPath(victimPath, fzPtr(networkingv1.PathTypePrefix), serviceBackend("evil-svc", "http", 0)))}
		r := renderSnapshot(t, snap, o)
		if bytes.Contains(r.conf, []byte(pattern)) {
			t.Fatalf("pattern %q is in nginx.conf as written", pattern)
		}
		if !strings.Contains(string(r.conf), "pattern="+base64.StdEncoding.EncodeToString([]byte(pattern))) {
			t.Fatalf("pattern %q: the canary is not in nginx.conf: %v", pattern, r.probs)
		}
		nginxTest(t, r.conf, r.cfg)
	}
}

// The rate-limit and satisfy values go into http-level zones and location
// directives: numbers, CIDRs and two words only.
func TestLimitAnnotationInjection(t *testing.T) {
	runAnnotationCases(t, []string{"limit-rps", "limit-rpm", "limit-connections", "limit-burst-multiplier", "limit-rate", "limit-rate-after"}, []string{
		"5;}\nlimit_req_zone $x zone=pwn:1m rate=1r/s;#",
		"5 nodelay",
		"-5",
		"$binary_remote_addr",
		"5r/s",
	})
	runAnnotationCases(t, []string{"limit-allowlist", "limit-whitelist"}, []string{
		"10.0.0.0/8 1;\ndefault 1;",
		"0.0.0.0/0\";}\nlocation /pwn {return 200 pwned;}#",
		"$remote_addr",
	})
	runAnnotationCases(t, []string{"satisfy", "ssl-passthrough"}, []string{"any;\nallow all", "all\"", "true;"})
}

// The proxy tuning annotations go into proxy_* arguments: numbers, sizes,
// DNS names, paths and URLs only, no variable, regex or second argument.
func TestProxyTuningAnnotationInjection(t *testing.T) {
	runAnnotationCases(t, []string{"proxy-buffers-number", "proxy-next-upstream-timeout", "proxy-max-temp-file-size", "enable-rewrite-log"}, []string{
		"8;}\nlocation /pwn { return 200 pwned; }",
		"8 1m",
		"$arg_x",
		"true;\nerror_log /tmp/pwn debug;",
	})
	runAnnotationCases(t, []string{"proxy-cookie-domain", "proxy-cookie-path", "proxy-redirect-from", "proxy-redirect-to"}, []string{
		"/a /b;}\nlocation /pwn { return 200 pwned; }",
		"a.example b.example\"; add_header X-Pwn 1; #",
		"/a/ /b/ /c/",
		"~^/(.*) /pwn/$1",
		"http://a.example/ http://$host/",
		"/a /b\nproxy_pass http://127.0.0.1:10246;",
		"http://x/@@ATRIUM%CONFIG%HASH@@",
		"/x{",
	})
	runAnnotationCases(t, []string{"ssl-ciphers", "ssl-prefer-server-ciphers"}, []string{
		"HIGH;}\nserver { listen 81; return 200 pwned; }",
		"HIGH\"; ssl_protocols SSLv3; #",
		"$ssl_cipher",
		"HIGH MEDIUM",
		"true;\nssl_prefer_server_ciphers off",
		"!ALL",
	})
}

// Render swaps a placeholder for the config hash and fails when it appears
// more than once. The placeholder once was "@@ATRIUM%CONFIG%HASH@@", which
// URL-valued annotations take in a path or query (they allow '@' and '%'):
// one Ingress could make every render fail and hold back every change. Such
// values are valid and must render as written, the hash served once.
func TestHashPlaceholderInAnnotations(t *testing.T) {
	const old = "@@ATRIUM%CONFIG%HASH@@"
	o := testOptions(t, goldenDir)
	for _, c := range []struct{ key, value string }{
		{"permanent-redirect", "https://x.example/?" + old}, {"temporal-redirect", "https://x.example/p?a=" + old},
		{"auth-signin", "/" + old}, {"auth-request-redirect", "https://x.example/?" + old},
	} {
		snap, evil := injectionSnapshot(t)
		evil.Annotations[annotationPrefix+"auth-url"] = "http://198.18.0.20/auth"
		evil.Annotations[annotationPrefix+c.key] = c.value
		r := renderSnapshot(t, snap, o)
		if !bytes.Contains(r.conf, []byte(c.value)) || !bytes.Contains(r.conf, []byte(`return 200 "`+r.hash+`"`)) {
			t.Errorf("%s %q: not rendered as written, or the hash not served:\n%s", c.key, c.value, r.conf)
		}
		nginxTest(t, r.conf, r.cfg)
	}
}
