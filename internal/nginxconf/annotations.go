package nginxconf

import (
	"regexp"
	"strconv"
	"strings"
	"time"

	networkingv1 "k8s.io/api/networking/v1"

	"github.com/atrium-ingress/atrium/internal/annotations"
)

// ingressAnnotations is what one Ingress's annotations mean for its
// locations: already validated and formatted for the model.
type ingressAnnotations struct {
	// failClosed is set when a value was refused: every path of the
	// Ingress answers 503 rather than run without what was asked for.
	failClosed  bool
	sslRedirect *bool
	forceSSL    bool
	keepSlash   bool // preserve-trailing-slash
	redirect    *Redirect
	appRoot     string
	allow, deny []string
	proxy       ProxySettings
	// useRegex and rewriteTarget: use-regex and rewrite-target.
	useRegex      bool
	rewriteTarget string
	cors          *CORS
	// wwwRedirect, aliases: from-to-www-redirect and server-alias.
	wwwRedirect bool
	aliases     []string
	// customErrors are custom-http-errors (nil: not set); defaultUpstream
	// is default-backend's upstream ("" when unset or unusable), logged
	// as defaultUpstreamName.
	customErrors        []int
	defaultUpstream     string
	defaultUpstreamName string
	// passErrors is disable-proxy-intercept-errors.
	passErrors bool
	// serviceUpstream is service-upstream: the ClusterIP, not the endpoints.
	serviceUpstream bool
	// headers are custom-headers' response headers.
	headers []Header
	// bal are load-balance, upstream-hash-by and affinity; canary is set
	// on a canary Ingress (see canary.go).
	bal    balanceAnn
	canary *canaryAnn
	// limits, mirror and satisfy: the limit-*, mirror-* and satisfy
	// annotations; passthrough is ssl-passthrough (with the flag).
	limits      *Limits
	mirror      *Mirror
	satisfy     string
	passthrough bool
	// basicAuth and extAuth are auth-type basic and auth-url.
	basicAuth *BasicAuth
	extAuth   *ExternalAuth
	// globalAuth: extAuth is the ConfigMap's global-auth-url, which
	// no-auth-locations leaves out.
	globalAuth bool
	// clientAuth is auth-tls for the Ingress's hosts; clientAuthError says
	// its Secret cannot be used (the hosts then answer 403).
	clientAuth      *ClientAuth
	clientAuthError bool
	// sslCiphers and sslPrefer ("on", "off"; "": unset) are ssl-ciphers
	// and ssl-prefer-server-ciphers for the Ingress's hosts.
	sslCiphers string
	sslPrefer  string
}

// ingress-nginx's CORS defaults.
const (
	corsDefaultMethods = "GET,PUT,POST,DELETE,PATCH,OPTIONS"
	corsDefaultHeaders = "DNT,Keep-Alive,User-Agent,X-Requested-With,If-Modified-Since,Cache-Control,Content-Type,Range,Authorization"
	corsDefaultMaxAge  = 1728000
)

// corsSettings turns the validated cors-* annotations into a location's
// CORS settings, with ingress-nginx's defaults; nil unless enable-cors.
func corsSettings(s annotations.Set) *CORS {
	if s.EnableCORS == nil || !*s.EnableCORS {
		return nil
	}
	c := &CORS{Methods: corsDefaultMethods, Headers: corsDefaultHeaders, Credentials: true, MaxAge: strconv.Itoa(corsDefaultMaxAge)}
	if s.CORSAllowMethods != nil {
		c.Methods = *s.CORSAllowMethods
	}
	if s.CORSAllowHeaders != nil {
		c.Headers = *s.CORSAllowHeaders
	}
	if s.CORSExposeHeaders != nil {
		c.Expose = *s.CORSExposeHeaders
	}
	if s.CORSAllowCredentials != nil {
		c.Credentials = *s.CORSAllowCredentials
	}
	if s.CORSMaxAge != nil {
		c.MaxAge = strconv.Itoa(*s.CORSMaxAge)
	}
	if len(s.CORSAllowOrigin) > 0 && s.CORSAllowOrigin[0] != "*" {
		c.OriginRegex = corsOriginRegex(s.CORSAllowOrigin)
	}
	return c
}

// corsOriginRegex builds the case-insensitive regex matching exactly the
// given origins (validated: scheme://host[:port], host maybe "*."), each
// quoted literally but for the wildcard label, which matches one label as
// in ingress-nginx.
func corsOriginRegex(origins []string) string {
	parts := make([]string, 0, len(origins))
	for _, o := range origins {
		scheme, rest, _ := strings.Cut(o, "://")
		wild := ""
		if r, ok := strings.CutPrefix(rest, "*."); ok {
			wild, rest = `[A-Za-z0-9-]+\.`, r
		}
		parts = append(parts, scheme+"://"+wild+regexp.QuoteMeta(rest))
	}
	return "~*^(" + strings.Join(parts, "|") + ")$"
}

// regexFor says whether this Ingress makes a host's paths regexes through
// its path p: use-regex, or a rewrite-target that changes p (as
// ingress-nginx's enforceRegexModifier: a target equal to the path is no
// rewrite).
func (a ingressAnnotations) regexFor(p string) bool {
	return a.useRegex || (a.rewriteTarget != "" && a.rewriteTarget != p)
}

// rewrite returns the rewrite of a location for the Ingress path p, or nil.
func (a ingressAnnotations) rewrite(p string) *Rewrite {
	if a.failClosed || a.rewriteTarget == "" || a.rewriteTarget == p {
		return nil
	}
	return &Rewrite{Regex: "(?i)" + p, Target: a.rewriteTarget}
}

// readAnnotations parses an Ingress's annotations and records problems:
// one per refused value (naming the annotation), one listing the
// unsupported ones.
func (b *builder) readAnnotations(ing *networkingv1.Ingress, ref ObjectRef) ingressAnnotations {
	r := annotations.Parse(ing.Annotations, b.annPrefix())
	var a ingressAnnotations
	a.canary = b.readCanary(r, ref)
	consequence := "the Ingress's paths answer 503 until it is fixed"
	if a.canary != nil {
		consequence = "the canary is not used until it is fixed"
	}
	for _, inv := range r.Invalid {
		a.failClosed = true
		b.ps.add(ref, "metadata.annotations["+inv.Key+"]", ReasonInvalidAnnotation, "%s; %s", inv.Problem, consequence)
	}
	if len(r.Unsupported) > 0 {
		b.ps.add(ref, "metadata.annotations", ReasonUnsupportedAnnotation,
			"not supported by Atrium, ignored: %s", strings.Join(r.Unsupported, ", "))
	}
	s := r.Set
	a.sslRedirect = s.SSLRedirect
	a.forceSSL = s.ForceSSLRedirect != nil && *s.ForceSSLRedirect
	a.keepSlash = s.PreserveTrailingSlash != nil && *s.PreserveTrailingSlash
	switch {
	case s.PermanentRedirect != nil:
		code := 301
		if s.PermanentRedirectCode != nil {
			code = *s.PermanentRedirectCode
		}
		a.redirect = &Redirect{Code: code, URL: *s.PermanentRedirect}
	case s.TemporalRedirect != nil:
		a.redirect = &Redirect{Code: 302, URL: *s.TemporalRedirect}
	}
	if s.AppRoot != nil {
		a.appRoot = *s.AppRoot
	}
	for _, c := range s.AllowSourceRange {
		a.allow = append(a.allow, string(c))
	}
	for _, c := range s.DenySourceRange {
		a.deny = append(a.deny, string(c))
	}
	p := &a.proxy
	if s.ProxyBodySize != nil {
		p.ClientMaxBodySize = string(*s.ProxyBodySize)
	}
	p.ConnectTimeout = seconds(s.ProxyConnectTimeout)
	p.ReadTimeout = seconds(s.ProxyReadTimeout)
	p.SendTimeout = seconds(s.ProxySendTimeout)
	p.Buffering = onOff(s.ProxyBuffering)
	grpc := s.BackendProtocol != nil && strings.HasPrefix(*s.BackendProtocol, "GRPC")
	if p.Buffering == "" && !grpc && s.LimitRate != nil && *s.LimitRate > 0 {
		// nginx's limit_rate holds back only buffered answers: ingress-nginx
		// documents that limit-rate needs proxy-buffering on, and without it
		// did not limit at all. Here limit-rate turns buffering on for its
		// paths unless proxy-buffering says otherwise.
		p.Buffering = "on"
	}
	p.RequestBuffering = onOff(s.ProxyRequestBuffering)
	if s.ProxyHTTPVersion != nil {
		p.HTTPVersion = *s.ProxyHTTPVersion
	}
	if s.UpstreamVhost != nil {
		p.UpstreamVhost = *s.UpstreamVhost
	}
	if s.XForwardedPrefix != nil {
		p.XForwardedPrefix = *s.XForwardedPrefix
	}
	if s.BackendProtocol != nil && *s.BackendProtocol != "HTTP" {
		p.Protocol = *s.BackendProtocol
	}
	p.NextUpstream = s.ProxyNextUpstream
	if s.ProxyNextUpstreamTries != nil {
		p.NextUpstreamTries = strconv.Itoa(*s.ProxyNextUpstreamTries)
	}
	if s.ProxyNextUpstreamTimeout != nil {
		p.NextUpstreamTimeout = strconv.Itoa(*s.ProxyNextUpstreamTimeout) + "s"
	}
	if s.ProxyBufferSize != nil || s.ProxyBuffersNumber != nil {
		// As ingress-nginx: proxy_buffers <number> <size>, each from its
		// annotation or else the ConfigMap; proxy_buffer_size is the same
		// size, so nginx's busy buffers (two of them) fit from 3 buffers.
		p.BufferSize, p.BuffersNumber = b.global().ProxyBufferSize, b.global().ProxyBuffersNumber
		if s.ProxyBufferSize != nil {
			p.BufferSize = string(*s.ProxyBufferSize)
		}
		if s.ProxyBuffersNumber != nil {
			p.BuffersNumber = *s.ProxyBuffersNumber
		}
	}
	if m := s.ProxyMaxTempFileSize; m != nil {
		// nginx refuses a temporary file smaller than a buffer (nginx -t
		// fails): checked here, where the buffer size is known.
		size := annotations.Size(b.global().ProxyBufferSize)
		if p.BufferSize != "" {
			size = annotations.Size(p.BufferSize)
		}
		if n := m.Bytes(); n != 0 && n < size.Bytes() {
			a.failClosed = true
			b.ps.add(ref, b.annField("proxy-max-temp-file-size"), ReasonInvalidAnnotation,
				"%q is smaller than the proxy buffers (%s): nginx takes 0 (no temporary file) or at least the buffer size; the Ingress's paths answer 503 until it is fixed",
				string(*m), size)
		} else {
			p.MaxTempFileSize = string(*m)
		}
	}
	if s.ClientBodyBufferSize != nil {
		p.ClientBodyBuffer = string(*s.ClientBodyBufferSize)
	}
	if s.ConnectionProxyHeader != nil {
		p.Connection = *s.ConnectionProxyHeader
	}
	p.AccessLogOff = s.EnableAccessLog != nil && !*s.EnableAccessLog
	p.RewriteLog = s.EnableRewriteLog != nil && *s.EnableRewriteLog
	b.proxyRewrites(ref, r, grpc, p)
	b.backendTLS(ing, ref, b.annPrefix(), s, &a)
	b.customHeaders(ing, ref, b.annPrefix(), s, &a)
	b.basicAuth(ing, ref, r, &a)
	b.externalAuth(ref, r, &a)
	b.clientAuth(ing, ref, r, &a)
	a.cors = corsSettings(s)
	a.useRegex = s.UseRegex != nil && *s.UseRegex
	if s.RewriteTarget != nil {
		a.rewriteTarget = *s.RewriteTarget
	}
	a.wwwRedirect = s.FromToWWWRedirect != nil && *s.FromToWWWRedirect
	a.aliases = s.ServerAlias
	a.customErrors = s.CustomHTTPErrors
	a.passErrors = s.DisableProxyInterceptErrors != nil && *s.DisableProxyInterceptErrors
	a.bal = readBalance(s, b.globalLoadBalance())
	if len(s.UpstreamHashBy) == 0 {
		b.ignoredWithout(ref, r, "upstream-hash-by", map[string]bool{"upstream-hash-by-subset": s.UpstreamHashBySubset != nil,
			"upstream-hash-by-subset-size": s.UpstreamHashBySubsetSize != nil})
	}
	if a.canary != nil {
		a.bal.affinity = nil // a canary takes the main Ingress's affinity (canary.go)
	}
	a.limits = limitSettings(ing.Namespace, ing.Name, s)
	a.mirror = mirrorSettings(ing.Namespace, ing.Name, s)
	if s.Satisfy != nil {
		a.satisfy = *s.Satisfy
	}
	if s.SSLPassthrough != nil && *s.SSLPassthrough && !a.failClosed {
		if b.opts.SSLPassthrough {
			a.passthrough = true
			// As ingress-nginx: plain HTTP to a passthrough backend goes
			// over TLS, since its port speaks TLS.
			if p.GRPC() {
				p.Protocol = "GRPCS"
			} else {
				p.Protocol = "HTTPS"
			}
		} else {
			b.ps.add(ref, b.annField("ssl-passthrough"), ReasonIgnoredAnnotation,
				"ignored: the controller runs without --enable-ssl-passthrough, so nginx terminates TLS for the Ingress's hosts")
		}
	}
	if s.DefaultBackend != nil && !a.failClosed {
		// A Service that is missing now may come: a warning, and the
		// default backends after it answer meanwhile.
		a.defaultUpstream = b.firstPortBackend(ing.Namespace, *s.DefaultBackend, ref, b.annField("default-backend")).upstream
		if a.defaultUpstream != "" {
			// The names are valid: the upstream exists.
			a.defaultUpstreamName = customDefaultBackendPrefix + ing.Namespace + "-" + *s.DefaultBackend
		}
	}
	a.serviceUpstream = s.ServiceUpstream != nil && *s.ServiceUpstream
	if s.SSLCiphers != nil {
		a.sslCiphers = *s.SSLCiphers
	}
	a.sslPrefer = onOff(s.SSLPreferServerCiphers)
	return a
}

// globalLoadBalance is the ConfigMap's load-balance.
func (b *builder) globalLoadBalance() string {
	if b.opts.Global != nil && b.opts.Global.LoadBalance != "" {
		return b.opts.Global.LoadBalance
	}
	return algoRoundRobin
}

// annPrefix is the annotation prefix in use.
func (b *builder) annPrefix() string {
	if b.opts.AnnotationsPrefix == "" {
		return annotations.DefaultPrefix
	}
	return b.opts.AnnotationsPrefix
}

// annField is the Problem field of one annotation (key without prefix).
func (b *builder) annField(key string) string {
	return "metadata.annotations[" + b.annPrefix() + "/" + key + "]"
}

// apply decorates a location of this Ingress whose backend resolved to
// res.
func (a ingressAnnotations) apply(l Location, res backendResult) Location {
	if a.failClosed {
		return closedLocation(l)
	}
	if a.redirect != nil {
		r := *a.redirect
		l.Redirect, l.Upstream, l.Status = &r, "", 0
	}
	l.Allow, l.Deny, l.Proxy, l.Headers, l.Satisfy = a.allow, a.deny, a.proxy, a.headers, a.satisfy
	if l.Redirect == nil { // a redirect answers before nginx's access phase
		l.BasicAuth, l.ExternalAuth = a.basicAuth, a.extAuth
	}
	// Only this Ingress's paths: another Ingress on the host may serve
	// plain HTTP on purpose (an ACME HTTP-01 challenge), as ingress-nginx
	// lets every path of such a host do.
	l.RequireTLS = a.clientAuth != nil && a.clientAuth.Verify == "on"
	l = withTLSName(l, res.tlsName)
	if l.Redirect == nil && l.Identity != nil {
		l.Balance = a.bal.balance(l.Identity.Path, false)
	}
	if l.Redirect == nil {
		l.Limits, l.Mirror = a.limits, a.mirror
	}
	if a.cors != nil && l.Redirect == nil {
		c := *a.cors
		l.CORS = &c
	}
	return l
}

// redirectHTTPS decides the HTTP-to-HTTPS redirect of a location of this
// Ingress on a host with or without TLS.
func (a ingressAnnotations) redirectHTTPS(hostTLS, globalDefault bool) bool {
	if a.forceSSL {
		return true
	}
	if a.sslRedirect != nil {
		return hostTLS && *a.sslRedirect
	}
	return hostTLS && globalDefault
}

// appRootLocation is app-root's "= /" redirect.
func (a ingressAnnotations) appRootLocation(source string) Location {
	return Location{Match: MatchExact, Path: "/", Redirect: &Redirect{Code: 302, URL: a.appRoot, PathOnly: true}, Source: source}
}

func seconds(d *time.Duration) string {
	if d == nil {
		return ""
	}
	return strconv.Itoa(int(d.Seconds())) + "s"
}

func onOff(b *bool) string {
	switch {
	case b == nil:
		return ""
	case *b:
		return "on"
	default:
		return "off"
	}
}

// identity is a location's Identity: errorInfo's validated names and the
// path as the user wrote it (logIdentities drops what cannot be quoted).
func identity(ing *networkingv1.Ingress, b *networkingv1.IngressBackend, path string) *Identity {
	return &Identity{ErrorInfo: errorInfo(ing.Namespace, ing.Name, b), Path: path}
}

// closedLocation is l failed closed: as a path whose Service is missing,
// 503, logged under its backend's name.
func closedLocation(l Location) Location {
	return Location{Match: l.Match, Path: l.Path, Status: 503, Source: l.Source, UpstreamName: l.UpstreamName}
}
