package nginxconf

import (
	"encoding/base64"
	"fmt"
	"sort"
	"strconv"
	"strings"

	networkingv1 "k8s.io/api/networking/v1"

	"github.com/atrium-ingress/atrium/internal/annotations"
)

// Canaries, as ingress-nginx's mergeAlternativeBackends: a canary Ingress
// serves nothing itself; each of its paths becomes the alternative backend
// of the non-canary location with the same host, path (as written) and
// pathType. Which backend a request gets is decided per request in Lua
// (atrium.lua canary(), an access handler rendered only in those
// locations), by header, then cookie, then weight. Two differences from
// ingress-nginx, both deliberate: the alternative belongs to the matched
// location only (ingress-nginx attached it to the main Service's upstream,
// so every path using that Service got the canary), and a canary is used
// even when the main backend has no ready endpoint (ingress-nginx answered
// 503 before looking at the canary).

// ReasonCanaryNotApplied is a canary Ingress (or canary-* annotations)
// that changes nothing: no main path to attach to, or not enabled.
const ReasonCanaryNotApplied Reason = "CanaryNotApplied"

// Canary is a location's alternative backend and the rules choosing it.
type Canary struct {
	// Upstream is the canary's upstream.
	Upstream string
	// UpstreamName is ingress-nginx's name for the canary's backend, which
	// $proxy_alternative_upstream_name logs when the canary takes a
	// request ($proxy_upstream_name keeps the main backend's, as in
	// ingress-nginx).
	UpstreamName string
	// Rules is $atrium_canary: space-separated key=value words (upstream,
	// name: UpstreamName, header, value, pattern in base64, cookie,
	// weight, total).
	Rules string
	// Balance is how the canary's endpoints are picked: its own
	// load-balance or upstream-hash-by, or the main location's affinity
	// (affinity-canary-behavior sticky).
	Balance Balance
	// Source is the canary Ingress (namespace/name), rendered as a comment.
	Source string
}

// Tracked says the location needs the log phase (least_conn, ewma).
func (c *Canary) Tracked() bool { return c != nil && c.Balance.Tracked() }

// canaryAnn are a canary Ingress's rules.
type canaryAnn struct {
	// refused is set when a canary annotation was refused: the canary is
	// then not applied (the main paths keep serving alone).
	refused                        bool
	header, value, pattern, cookie string
	weight, total                  int
	legacy                         bool
}

// canaryKeys are the annotations a canary Ingress reads for itself (as
// ingress-nginx, which takes everything else from the main Ingress).
var canaryKeys = map[string]bool{
	"canary": true, "canary-by-header": true, "canary-by-header-value": true, "canary-by-header-pattern": true,
	"canary-by-cookie": true, "canary-weight": true, "canary-weight-total": true,
	"load-balance": true, "upstream-hash-by": true, "affinity-canary-behavior": true,
}

// readCanary reads the canary annotations of an Ingress: nil unless it is
// a canary (canary "true", or a canary value refused).
func (b *builder) readCanary(r annotations.Result, ref ObjectRef) *canaryAnn {
	s := r.Set
	refusedKey := false
	for _, inv := range r.Invalid {
		if strings.HasPrefix(inv.Key, b.annPrefix()+"/canary") {
			refusedKey = true
		}
	}
	if (s.Canary == nil || !*s.Canary) && !refusedKey {
		if s.CanaryConfigured() {
			b.ps.add(ref, "metadata.annotations", ReasonCanaryNotApplied,
				"canary-* annotations are ignored: %s/canary is not \"true\"", b.annPrefix())
		}
		return nil
	}
	c := &canaryAnn{refused: len(r.Invalid) > 0, total: 100}
	if s.CanaryByHeader != nil {
		c.header = *s.CanaryByHeader
	}
	if s.CanaryByHeaderValue != nil {
		c.value = *s.CanaryByHeaderValue
	}
	if s.CanaryByHeaderPattern != nil {
		c.pattern = *s.CanaryByHeaderPattern
	}
	if s.CanaryByCookie != nil {
		c.cookie = *s.CanaryByCookie
	}
	if s.CanaryWeight != nil {
		c.weight = *s.CanaryWeight
	}
	// ingress-nginx's balancer: a total at or below 100 is 100.
	if s.CanaryWeightTotal != nil && *s.CanaryWeightTotal > 100 {
		c.total = *s.CanaryWeightTotal
	}
	c.legacy = s.AffinityCanaryBehavior != nil && *s.AffinityCanaryBehavior == "legacy"
	var ignored []string
	for _, k := range r.Supported {
		if !canaryKeys[strings.TrimPrefix(k, b.annPrefix()+"/")] {
			ignored = append(ignored, k)
		}
	}
	if len(ignored) > 0 {
		b.ps.add(ref, "metadata.annotations", ReasonUnsupportedAnnotation,
			"ignored on a canary Ingress (the main Ingress's apply to its requests): %s", strings.Join(ignored, ", "))
	}
	return c
}

// rules formats the canary's rules for atrium.lua; every value is
// validated, the header pattern (a regex, with '$' and braces) goes in
// base64 so nginx.conf never holds it.
func (c *canaryAnn) rules(upstream, name string) string {
	parts := []string{"upstream=" + upstream, "name=" + name}
	if c.header != "" {
		parts = append(parts, "header="+c.header)
		switch {
		case c.value != "":
			parts = append(parts, "value="+c.value)
		case c.pattern != "":
			parts = append(parts, "pattern="+base64.StdEncoding.EncodeToString([]byte(c.pattern)))
		}
	}
	if c.cookie != "" {
		parts = append(parts, "cookie="+c.cookie)
	}
	parts = append(parts, "weight="+strconv.Itoa(c.weight), "total="+strconv.Itoa(c.total))
	return strings.Join(parts, " ")
}

// applyCanaries attaches the canary Ingresses (oldest first) to the main
// locations they match; a second canary for a location is refused.
func (b *builder) applyCanaries(canaries []ingressInput) {
	for _, in := range canaries {
		if in.ann.canary.refused {
			continue // the InvalidAnnotation problem says why
		}
		if in.ing.Spec.DefaultBackend != nil {
			b.ps.add(in.ref, "spec.defaultBackend", ReasonCanaryNotApplied, "a canary Ingress's default backend is not supported; ignored")
		}
		for i, r := range in.ing.Spec.Rules {
			if r.HTTP == nil {
				continue
			}
			for j := range r.HTTP.Paths {
				b.canaryPath(in, r.Host, fmt.Sprintf("spec.rules[%d].http.paths[%d]", i, j), &r.HTTP.Paths[j])
			}
		}
	}
}

// canaryPath attaches one canary path to the main locations of the same
// host, path and pathType.
func (b *builder) canaryPath(in ingressInput, host, field string, p *networkingv1.HTTPIngressPath) {
	pt := networkingv1.PathTypeImplementationSpecific
	if p.PathType != nil {
		pt = *p.PathType
	}
	userPath := p.Path
	if userPath == "" && pt != networkingv1.PathTypeExact {
		userPath = "/"
	}
	sb, ok := b.servers[host]
	var entries []*locationEntry
	if ok {
		keys := make([]locationKey, 0, len(sb.locations))
		for k, e := range sb.locations {
			if e.userPath == userPath && e.pathType == string(pt) && e.ann.canary == nil {
				keys = append(keys, k)
			}
		}
		sort.Slice(keys, func(i, j int) bool {
			return keys[i].path < keys[j].path || keys[i].path == keys[j].path && keys[i].match < keys[j].match
		})
		for _, k := range keys {
			entries = append(entries, sb.locations[k])
		}
	}
	if len(entries) == 0 {
		b.ps.add(in.ref, field+".path", ReasonCanaryNotApplied, "no non-canary Ingress serves path %q (%s) on host %q; the canary is not used", userPath, pt, hostOrStar(host))
		return
	}
	for _, e := range entries {
		if e.loc.Canary != nil {
			b.ps.add(in.ref, field+".path", ReasonPathConflict, "path %q (%s) on host %q already has a canary, from the older Ingress %s; this one is ignored",
				userPath, pt, hostOrStar(host), e.loc.Canary.Source)
			return
		}
		if e.loc.Upstream == "" || e.loc.Redirect != nil {
			b.ps.add(in.ref, field+".path", ReasonCanaryNotApplied, "path %q (%s) on host %q does not proxy (its backend is unusable, or it redirects); the canary is not used", userPath, pt, hostOrStar(host))
			return
		}
	}
	// A canary takes the main path's settings, so not its own service-upstream.
	res := b.backend(in.ing.Namespace, &p.Backend, in.ref, field+".backend", ingressAnnotations{})
	if res.upstream == "" {
		return // the backend's problem says why
	}
	if res.upstream == entries[0].loc.Upstream {
		b.ps.add(in.ref, field+".backend", ReasonCanaryNotApplied, "the canary's backend is the main path's own; the canary is not used")
		return
	}
	for _, e := range entries {
		main := e.ann.bal.balance(userPath, true)
		cb := in.ann.bal.balance(userPath, true)
		if main.Sticky() && !in.ann.canary.legacy {
			cb = &Balance{Algorithm: main.Algorithm, Affinity: main.Affinity}
		}
		e.loc.Balance = main
		e.loc.Canary = &Canary{Upstream: res.upstream, UpstreamName: res.upstreamName, Rules: in.ann.canary.rules(res.upstream, res.upstreamName),
			Balance: *cb, Source: in.ing.Namespace + "/" + in.ing.Name}
	}
}

func hostOrStar(h string) string {
	if h == "" {
		return "*"
	}
	return h
}
