package nginxconf

import (
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
	redirect    *Redirect
	appRoot     string
	allow, deny []string
	proxy       ProxySettings
}

// readAnnotations parses an Ingress's annotations and records problems:
// one per refused value (naming the annotation), one listing the
// unsupported ones.
func (b *builder) readAnnotations(ing *networkingv1.Ingress, ref ObjectRef) ingressAnnotations {
	prefix := b.opts.AnnotationsPrefix
	if prefix == "" {
		prefix = annotations.DefaultPrefix
	}
	r := annotations.Parse(ing.Annotations, prefix)
	var a ingressAnnotations
	for _, inv := range r.Invalid {
		a.failClosed = true
		b.ps.add(ref, "metadata.annotations["+inv.Key+"]", ReasonInvalidAnnotation,
			"%s; the Ingress's paths answer 503 until it is fixed", inv.Problem)
	}
	if len(r.Unsupported) > 0 {
		b.ps.add(ref, "metadata.annotations", ReasonUnsupportedAnnotation,
			"not supported by Atrium, ignored: %s", strings.Join(r.Unsupported, ", "))
	}
	s := r.Set
	a.sslRedirect = s.SSLRedirect
	a.forceSSL = s.ForceSSLRedirect != nil && *s.ForceSSLRedirect
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
	return a
}

// apply decorates a location of this Ingress.
func (a ingressAnnotations) apply(l Location) Location {
	if a.failClosed {
		return Location{Match: l.Match, Path: l.Path, Status: 503, Source: l.Source}
	}
	if a.redirect != nil {
		r := *a.redirect
		l.Redirect, l.Upstream, l.Status = &r, "", 0
	}
	l.Allow, l.Deny, l.Proxy = a.allow, a.deny, a.proxy
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
