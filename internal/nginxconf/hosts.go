package nginxconf

import (
	"sort"
	"strconv"
	"strings"
)

// Further names of a host: from-to-www-redirect and server-alias, as
// ingress-nginx gives them. A host of an Ingress rule (or spec.tls) is
// never taken by either; a redirect name beats an alias (ingress-nginx
// writes the redirect servers first, and nginx keeps the first of two
// servers with one name); between aliases the oldest Ingress wins.

// hostAnnotations records what from-to-www-redirect and server-alias of an
// Ingress ask for one of its rule hosts (hasPaths: the rule has paths).
func (b *builder) hostAnnotations(sb *serverBuild, in ingressInput, hasPaths bool) {
	a := in.ann
	if sb.host == "" || a.failClosed {
		return
	}
	// ingress-nginx marks a server for the redirect when it adds a path
	// of an Ingress with the annotation.
	if a.wwwRedirect && hasPaths && sb.wwwBy == nil {
		ref := in.ref
		sb.wwwBy = &ref
	}
	switch {
	case len(a.aliases) == 0:
	case sb.aliases == nil:
		sb.aliases, sb.aliasBy, sb.aliasOrder = a.aliases, in.ref, b.order
	case sb.aliasBy != in.ref:
		b.ps.add(in.ref, b.annField("server-alias"), ReasonHostConflict,
			"host %q already has the aliases of the older Ingress %s; these are ignored", sb.host, refName(sb.aliasBy))
	}
}

func refName(r ObjectRef) string { return r.Namespace + "/" + r.Name }

// wwwRedirects decides the from-to-www-redirect servers: for each host
// that asks, "www." plus the host, or the host without its "www.",
// redirects to the host. It returns them by the name redirected from.
func (b *builder) wwwRedirects() map[string]string {
	out := map[string]string{}
	for _, h := range b.sortedHosts() {
		sb := b.servers[h]
		if sb.wwwBy == nil {
			continue
		}
		field := b.annField("from-to-www-redirect")
		if strings.HasPrefix(h, "*.") {
			b.ps.add(*sb.wwwBy, field, ReasonHostConflict, "host %q is a wildcard, which has no www name; no redirect", h)
			continue
		}
		from, ok := strings.CutPrefix(h, "www.")
		if !ok {
			from = "www." + h
		}
		if err := validateHost(from); err != nil {
			b.ps.add(*sb.wwwBy, field, ReasonHostConflict, "no redirect for host %q: %v", h, err)
			continue
		}
		if other, taken := b.servers[from]; taken {
			b.ps.add(*sb.wwwBy, field, ReasonHostConflict, "%q is a host of an Ingress rule%s, so it is not redirected to %q", from, ownerOf(other), h)
			continue
		}
		if to, taken := out[from]; taken {
			b.ps.add(*sb.wwwBy, field, ReasonHostConflict, "%q already redirects to %q; not to %q", from, to, h)
			continue
		}
		out[from] = h
	}
	return out
}

// ownerOf names, for a message, the oldest Ingress with the host.
func ownerOf(sb *serverBuild) string {
	if sb.definedBy == nil {
		return ""
	}
	return " (Ingress " + refName(*sb.definedBy) + ")"
}

// aliases decides the server-alias names of each host: an alias may not
// be a host, a redirect name, another host's alias (the older Ingress's
// stays), nor a wildcard covering a wildcard host (nginx matches "*.x"
// before the regex Atrium writes for an Ingress wildcard, which would take
// the host's names away; in ingress-nginx the longer wildcard wins).
func (b *builder) aliases(redirects map[string]string) map[string][]string {
	var hosts []string
	for h, sb := range b.servers {
		if len(sb.aliases) > 0 {
			hosts = append(hosts, h)
		}
	}
	sort.Slice(hosts, func(i, j int) bool {
		a, c := b.servers[hosts[i]], b.servers[hosts[j]]
		if a.aliasOrder != c.aliasOrder {
			return a.aliasOrder < c.aliasOrder
		}
		return hosts[i] < hosts[j]
	})
	out := map[string][]string{}
	claimed := map[string]string{} // alias -> host
	for _, h := range hosts {
		sb := b.servers[h]
		refuse := func(alias, format string, args ...any) {
			b.ps.add(sb.aliasBy, b.annField("server-alias"), ReasonHostConflict,
				"alias %q of host %q is ignored: "+format, append([]any{alias, h}, args...)...)
		}
		for _, a := range sb.aliases {
			switch other, isHost := b.servers[a]; {
			case a == h:
			case isHost:
				refuse(a, "it is a host of an Ingress rule%s", ownerOf(other))
			case redirects[a] != "":
				refuse(a, "from-to-www-redirect redirects it to %q", redirects[a])
			case claimed[a] != "":
				refuse(a, "it is an alias of host %q (Ingress %s)", claimed[a], refName(b.servers[claimed[a]].aliasBy))
			case b.coversWildcardHost(a) != "":
				refuse(a, "it would take the names of the wildcard host %q", b.coversWildcardHost(a))
			default:
				claimed[a] = h
				out[h] = append(out[h], a)
			}
		}
	}
	return out
}

// coversWildcardHost returns a wildcard host that the wildcard alias a
// ("*.x") matches names of, or "".
func (b *builder) coversWildcardHost(a string) string {
	suffix, ok := strings.CutPrefix(a, "*.")
	if !ok {
		return ""
	}
	for _, h := range b.sortedHosts() {
		if rest, wild := strings.CutPrefix(h, "*."); wild && (rest == suffix || strings.HasSuffix(rest, "."+suffix)) {
			return h
		}
	}
	return ""
}

func (b *builder) sortedHosts() []string {
	hosts := make([]string, 0, len(b.servers))
	for h := range b.servers {
		hosts = append(hosts, h)
	}
	sort.Strings(hosts)
	return hosts
}

// hostRedirects turns the redirects (by name redirected from) into
// servers, sorted by that name. Over HTTPS a redirect shows the host's own
// certificate when it also covers the name (as ingress-nginx does), else
// the catch-all's.
func (b *builder) hostRedirects(redirects map[string]string, certs map[string]*certificate) []HostRedirect {
	out := make([]HostRedirect, 0, len(redirects))
	for from, to := range redirects {
		r := HostRedirect{From: from, To: to}
		if c := certs[to]; c != nil && c.covers(from) {
			r.CertFile = b.certFile(c)
		}
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].From < out[j].From })
	return out
}

// portSuffix is what a redirect puts after the host for a listener port:
// nothing for the scheme's default port.
func portSuffix(port, dflt int) string {
	if port == dflt {
		return ""
	}
	return ":" + strconv.Itoa(port)
}
