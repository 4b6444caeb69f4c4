package nginxconf

import (
	"sort"
	"strings"

	"github.com/atrium-ingress/atrium/internal/annotations"
)

// TextRewrite is proxy_cookie_domain or proxy_cookie_path: the Set-Cookie
// attribute value From (a prefix for paths) written To, both validated
// literals.
type TextRewrite struct {
	From, To string
}

// RedirectRewrite is proxy_redirect: `default`, or the Location and Refresh
// headers' start From written To (validated literal URLs or paths). The
// http level has `proxy_redirect off`, so nil writes nothing.
type RedirectRewrite struct {
	Default  bool
	From, To string
}

// proxyRewrites applies proxy-cookie-domain, proxy-cookie-path and
// proxy-redirect-from/-to as ingress-nginx does: "off" is nginx's default
// (nothing written); proxy-redirect-from "default" or "off" ignores
// proxy-redirect-to, and a URL or path needs it. nginx's gRPC proxy has no
// such directives, so with backend-protocol GRPC(S) all are ignored.
func (b *builder) proxyRewrites(ref ObjectRef, r annotations.Result, grpc bool, p *ProxySettings) {
	s := r.Set
	if grpc {
		var ignored []string
		for key, set := range map[string]bool{"proxy-cookie-domain": s.ProxyCookieDomain != nil, "proxy-cookie-path": s.ProxyCookiePath != nil,
			"proxy-redirect-from": s.ProxyRedirectFrom != nil, "proxy-redirect-to": s.ProxyRedirectTo != nil} {
			if set {
				ignored = append(ignored, b.annPrefix()+"/"+key)
			}
		}
		if len(ignored) > 0 {
			sort.Strings(ignored)
			b.ps.add(ref, "metadata.annotations", ReasonIgnoredAnnotation,
				"ignored with backend-protocol GRPC or GRPCS (nginx's gRPC proxy rewrites no response header): %s", strings.Join(ignored, ", "))
		}
		return
	}
	if c := s.ProxyCookieDomain; c != nil && c.From != "" {
		p.CookieDomain = &TextRewrite{From: c.From, To: c.To}
	}
	if c := s.ProxyCookiePath; c != nil && c.From != "" {
		p.CookiePath = &TextRewrite{From: c.From, To: c.To}
	}
	from, to := s.ProxyRedirectFrom, s.ProxyRedirectTo
	toSet := to != nil && *to != "off"
	switch {
	case from == nil:
		b.ignoredWithout(ref, r, "proxy-redirect-from", map[string]bool{"proxy-redirect-to": toSet})
	case *from == "off" || *from == "default":
		if *from == "default" {
			p.RedirectRewrite = &RedirectRewrite{Default: true}
		}
		if toSet {
			b.ps.add(ref, b.annField("proxy-redirect-to"), ReasonIgnoredAnnotation,
				"ignored with proxy-redirect-from %q, as in ingress-nginx", *from)
		}
	case !toSet:
		b.ps.add(ref, b.annField("proxy-redirect-from"), ReasonIgnoredAnnotation,
			"ignored without proxy-redirect-to (a URL or path), as in ingress-nginx: Location headers are not rewritten")
	default:
		p.RedirectRewrite = &RedirectRewrite{From: *from, To: *to}
	}
}
