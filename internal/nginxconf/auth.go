package nginxconf

import (
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/atrium-ingress/atrium/internal/annotations"
	"github.com/atrium-ingress/atrium/internal/configmap"
)

// Authentication per location, as ingress-nginx has it: auth-type basic
// (auth_basic with a password file from a Secret) and auth-url (nginx's
// auth_request to an internal location that proxies to the URL). Both
// combine with the source-range allow and deny lists under nginx's default
// `satisfy all`: a request must pass every one. A Secret or value that
// cannot be used fails the Ingress closed (its paths answer 503), which is
// also what ingress-nginx answers for a missing auth Secret.

// ignoredWithout reports the annotations of set (key: set?) that mean
// nothing without the annotation named by without; nothing when that
// annotation was given and refused (its own Problem says enough).
func (b *builder) ignoredWithout(ref ObjectRef, r annotations.Result, without string, set map[string]bool) {
	for _, inv := range r.Invalid {
		if inv.Key == b.annPrefix()+"/"+without {
			return
		}
	}
	var ignored []string
	for key, isSet := range set {
		if isSet {
			ignored = append(ignored, b.annPrefix()+"/"+key)
		}
	}
	if len(ignored) > 0 {
		sort.Strings(ignored)
		b.ps.add(ref, "metadata.annotations", ReasonIgnoredAnnotation,
			"ignored without %s/%s, as in ingress-nginx: %s", b.annPrefix(), without, strings.Join(ignored, ", "))
	}
}

// basicAuth applies auth-type, auth-secret, auth-secret-type and auth-realm.
func (b *builder) basicAuth(ing *networkingv1.Ingress, ref ObjectRef, r annotations.Result, a *ingressAnnotations) {
	s := r.Set
	if s.AuthType == nil {
		b.ignoredWithout(ref, r, "auth-type", map[string]bool{"auth-secret": s.AuthSecret != nil,
			"auth-secret-type": s.AuthSecretType != nil, "auth-realm": s.AuthRealm != nil})
		return
	}
	field := b.annField("auth-secret")
	fail := func(reason Reason, format string, args ...any) {
		a.failClosed = true
		b.ps.add(ref, field, reason, "%s; the Ingress's paths answer 503 until it is fixed", fmt.Sprintf(format, args...))
	}
	if s.AuthSecret == nil {
		a.failClosed = true
		b.ps.add(ref, b.annField("auth-type"), ReasonInvalidAnnotation,
			"basic needs %s/auth-secret naming the Secret with the users; the Ingress's paths answer 503 until it is fixed", b.annPrefix())
		return
	}
	sec, reason, msg := b.ingressSecret(ing, *s.AuthSecret)
	if sec == nil {
		fail(reason, "%s", msg)
		return
	}
	n := annotations.ObjectName{Namespace: sec.Namespace, Name: sec.Name}
	var data []byte
	var err error
	why := sec.Annotations[DroppedAuthAnnotation]
	if s.AuthSecretType != nil && *s.AuthSecretType == "auth-map" {
		if data, err = HtpasswdFromMap(authMapData(sec)); err != nil && why != "" {
			fail(ReasonInvalidAuthSecret, "Secret %s (auth-map): %s", n, why)
			return
		}
		if err != nil {
			fail(ReasonInvalidAuthSecret, "Secret %s (auth-map): %v", n, err)
			return
		}
	} else {
		raw, ok := sec.Data["auth"]
		switch {
		case !ok && why != "":
			fail(ReasonInvalidAuthSecret, "Secret %s: %s", n, why)
			return
		case !ok:
			fail(ReasonInvalidAuthSecret, "Secret %s has no key auth (an htpasswd file)", n)
			return
		}
		if err := ValidHtpasswd(raw); err != nil {
			fail(ReasonInvalidAuthSecret, "Secret %s: key auth: %v", n, err)
			return
		}
		data = raw
	}
	realm := ""
	if s.AuthRealm != nil {
		realm = *s.AuthRealm
	}
	a.basicAuth = &BasicAuth{Realm: realm, File: b.workerFile("auth", ".htpasswd", data)}
}

// authMapData is the data of an auth-map Secret: every key is a user (a
// Secret the controller trimmed keeps only these; one read from files
// keeps the certificate keys too, which cannot be users).
func authMapData(sec *corev1.Secret) map[string][]byte {
	out := make(map[string][]byte, len(sec.Data))
	for k, v := range sec.Data {
		out[k] = v
	}
	return out
}

// workerFile records a file the workers read per request, named by its
// content in dir, and returns its absolute path.
func (b *builder) workerFile(dir, ext string, data []byte) string {
	rel := contentFile(dir, ext, data)
	b.files[rel] = data
	b.workerFiles[rel] = true
	return filepath.Join(b.opts.Dir, rel)
}

// reservedRequestHeaders are the request headers Atrium sets itself (or
// nginx drops as hop-by-hop): auth-response-headers may not name them.
var reservedRequestHeaders = map[string]bool{
	"host": true, "x-forwarded-for": true, "x-forwarded-host": true, "x-forwarded-port": true, "x-forwarded-proto": true,
	"x-forwarded-prefix": true, "x-forwarded-scheme": true, "x-original-forwarded-for": true, "x-scheme": true, "x-real-ip": true, "x-request-id": true, "upgrade": true, "connection": true,
	"proxy": true, "keep-alive": true, "te": true, "trailer": true, "transfer-encoding": true, "content-length": true, "expect": true,
	"ssl-client-cert": true, "ssl-client-verify": true, "ssl-client-subject-dn": true, "ssl-client-issuer-dn": true,
}

// externalAuth applies auth-url and its companions, or without auth-url
// the ConfigMap's global-auth-url unless enable-global-auth is "false".
func (b *builder) externalAuth(ref ObjectRef, r annotations.Result, a *ingressAnnotations) {
	s := r.Set
	if s.AuthURL == nil {
		b.ignoredWithout(ref, r, "auth-url", map[string]bool{"auth-method": s.AuthMethod != nil, "auth-signin": s.AuthSignin != nil,
			"auth-signin-redirect-param": s.AuthSigninRedirectParam != nil, "auth-response-headers": s.AuthResponseHeaders != nil,
			"auth-request-redirect": s.AuthRequestRedirect != nil, "auth-always-set-cookie": s.AuthAlwaysSetCookie != nil,
			"auth-cache-key": s.AuthCacheKey != nil, "auth-cache-duration": s.AuthCacheDuration != nil,
			"auth-proxy-set-headers": s.AuthProxySetHeaders != nil})
		if s.EnableGlobalAuth == nil || *s.EnableGlobalAuth {
			b.applyGlobalAuth(a)
		}
		return
	}
	fail := func(key, format string, args ...any) {
		a.failClosed = true
		b.ps.add(ref, b.annField(key), ReasonInvalidAnnotation, "%s; the Ingress's paths answer 503 until it is fixed", fmt.Sprintf(format, args...))
	}
	e := b.newExternalAuth(s, fail)
	if e == nil {
		return
	}
	if s.AuthCacheKey == nil {
		b.ignoredWithout(ref, r, "auth-cache-key", map[string]bool{"auth-cache-duration": s.AuthCacheDuration != nil})
	}
	if n := s.AuthProxySetHeaders; n != nil {
		hs, err := b.authProxySetHeaders(ref.Namespace, *n)
		if err != nil {
			fail("auth-proxy-set-headers", "%v", err)
			return
		}
		e.ProxySetHeaders = hs
	}
	a.extAuth = e
}

// newExternalAuth builds auth-url's settings from validated values, or
// calls fail (with the annotation key without prefix) and returns nil.
func (b *builder) newExternalAuth(s annotations.Set, fail func(key, format string, args ...any)) *ExternalAuth {
	if net.ParseIP(s.AuthURLHost) == nil && len(b.opts.Resolvers) == 0 {
		fail("auth-url", "host %q cannot be resolved: the controller has no nameserver (/etc/resolv.conf); use an IP address", s.AuthURLHost)
		return nil
	}
	e := &ExternalAuth{URL: *s.AuthURL, Host: s.AuthURLHost, AlwaysSetCookie: s.AuthAlwaysSetCookie != nil && *s.AuthAlwaysSetCookie}
	if s.AuthMethod != nil {
		e.Method = *s.AuthMethod
	}
	if s.AuthRequestRedirect != nil {
		e.RequestRedirect = *s.AuthRequestRedirect
	}
	for i, h := range s.AuthResponseHeaders {
		if reservedRequestHeaders[strings.ToLower(h)] {
			fail("auth-response-headers", "header %q is set by Atrium itself and cannot come from the auth service", h)
			return nil
		}
		e.ResponseHeaders = append(e.ResponseHeaders, AuthResponseHeader{Name: h,
			Upstream: "upstream_http_" + strings.ToLower(strings.ReplaceAll(h, "-", "_")), Var: "atrium_auth_h" + strconv.Itoa(i)})
	}
	if s.AuthSignin != nil {
		param := "rd"
		if s.AuthSigninRedirectParam != nil {
			param = *s.AuthSigninRedirectParam
		}
		e.Signin = signin(*s.AuthSignin, param)
	}
	if s.AuthCacheKey != nil {
		valid := s.AuthCacheDuration
		if valid == nil {
			valid = []string{annotations.DefaultAuthCacheDuration}
		}
		e.Cache = &AuthCache{Key: s.AuthCacheKey}
		for _, v := range valid {
			e.Cache.Valid = append(e.Cache.Valid, strings.Fields(v))
		}
	}
	return e
}

// signin is ingress-nginx's buildAuthSignURL: the redirect parameter
// with the original URL is added unless the query already has it.
func signin(u, param string) *Signin {
	_, query, hasQuery := strings.Cut(u, "?")
	switch {
	case !hasQuery:
		return &Signin{URL: u + "?" + param + "=", AddRedirect: true}
	case query == "":
		return &Signin{URL: u + param + "=", AddRedirect: true}
	}
	if q, err := url.ParseQuery(query); err == nil && q.Get(param) != "" {
		return &Signin{URL: u}
	}
	return &Signin{URL: u + "&" + param + "=", AddRedirect: true}
}

// authRequestHeaders are the headers the auth location sends the service
// itself, beyond reservedRequestHeaders: auth-proxy-set-headers may not
// name them.
var authRequestHeaders = map[string]bool{
	"x-original-url": true, "x-original-method": true, "x-original-uri": true, "x-sent-from": true, "x-auth-request-redirect": true,
}

// authProxySetHeaders reads auth-proxy-set-headers' ConfigMap: in the
// Ingress's namespace, names as custom-headers', values with allow-listed
// variables (configmap.ParseVarText), none of the headers Atrium sets.
func (b *builder) authProxySetHeaders(ns string, n annotations.ObjectName) ([]Header, error) {
	if n.Namespace != ns {
		return nil, fmt.Errorf("ConfigMap %s is not in the Ingress's namespace %s", n, ns)
	}
	cm, ok := b.configMaps[n.String()]
	if !ok {
		return nil, fmt.Errorf("ConfigMap %s not found", n)
	}
	if why := cm.Annotations[DroppedDataAnnotation]; why != "" {
		return nil, fmt.Errorf("ConfigMap %s: %s", n, why)
	}
	hs, err := CustomHeaders(cm.Data)
	if err != nil {
		return nil, fmt.Errorf("ConfigMap %s: %v", n, err)
	}
	for i, h := range hs {
		if name := strings.ToLower(h.Name); reservedRequestHeaders[name] || authRequestHeaders[name] {
			return nil, fmt.Errorf("ConfigMap %s: header %q is sent to the auth service by Atrium itself", n, h.Name)
		}
		v, err := configmap.ParseVarText(h.Value)
		if err != nil {
			return nil, fmt.Errorf("ConfigMap %s: header %s: %v", n, h.Name, err)
		}
		hs[i].Value = v
	}
	return hs, nil
}

// applyGlobalAuth gives an Ingress without auth-url the ConfigMap's
// global-auth-url, as ingress-nginx: its paths under no-auth-locations
// are left out (locationEntry.finish). A global auth that cannot be built
// or was refused fails the other paths closed: no request goes through
// unauthenticated.
func (b *builder) applyGlobalAuth(a *ingressAnnotations) {
	g := b.global()
	if g.GlobalAuth.URL == "" && !g.GlobalAuth.Refused {
		return
	}
	if !b.globalAuthDone {
		b.globalAuthDone = true
		r := annotations.Parse(g.GlobalAuth.Annotations(annotations.DefaultPrefix), annotations.DefaultPrefix)
		for _, inv := range r.Invalid { // checked by package configmap already
			b.globalProblem("global-"+strings.TrimPrefix(inv.Key, annotations.DefaultPrefix+"/"), ReasonInvalidAnnotation, "%s; the paths it covers answer 503", inv.Problem)
		}
		// A refused global-auth-* value (reported on the ConfigMap
		// already) leaves globalAuth nil: the covered paths answer 503.
		if len(r.Invalid) == 0 && !g.GlobalAuth.Refused {
			b.globalAuth = b.newExternalAuth(r.Set, func(key, format string, args ...any) {
				b.globalProblem("global-"+key, ReasonInvalidAnnotation, "%s; the paths it covers answer 503", fmt.Sprintf(format, args...))
			})
		}
	}
	// Shared: authLocations copies it for each location. nil (a global
	// auth that cannot be used) makes locationEntry.finish close the
	// covered paths, but not those under no-auth-locations.
	a.extAuth, a.globalAuth = b.globalAuth, true
}
