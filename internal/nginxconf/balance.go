package nginxconf

import (
	"strconv"
	"strings"

	"github.com/atrium-ingress/atrium/internal/annotations"
)

// Load balancing (load-balance, upstream-hash-by, affinity), as
// ingress-nginx's balancer.lua picks an implementation: cookie affinity
// first, then consistent hashing, then the load-balance annotation, then
// the ConfigMap's load-balance.
//
// Where the settings live: every location names its upstream
// ($atrium_upstream) and proxies to `upstream atrium_balancer`, whose Lua
// balancer applies the ConfigMap's algorithm (given to the Lua module at
// start: a reload sets it, no per-request read). A location whose Ingress
// asks for something else sets $atrium_balance (and $atrium_hash_by or
// $atrium_affinity) with cheap `set`s and proxies to `upstream
// atrium_policy` instead, whose balancer reads them. So the common path
// pays nothing for these features. They are per location, not in the
// endpoint table per upstream: ingress-nginx kept them per upstream, where
// the oldest Ingress naming a Service decided for every path using it;
// here each Ingress's annotations apply to its own paths.

// The algorithms atrium.lua knows ($atrium_balance).
const (
	algoRoundRobin       = "round_robin"
	algoLeastConn        = "least_conn"
	algoEWMA             = "ewma"
	algoCHash            = "chash"
	algoStickyBalanced   = "sticky_balanced"
	algoStickyPersistent = "sticky_persistent"
)

// Balance is how a location's requests pick an endpoint when it is not the
// ConfigMap's default, already formatted for atrium.lua.
type Balance struct {
	// Algorithm is $atrium_balance: one of the algo* names.
	Algorithm string
	// HashBy is $atrium_hash_by for chash: space-separated "v:<variable>"
	// and "t:<text>" parts, all validated.
	HashBy string
	// Affinity is $atrium_affinity for the sticky algorithms: the cookie's
	// settings as space-separated "key=value" and flag words.
	Affinity string
}

// Tracked says the algorithm counts requests in flight or response times,
// which needs Lua in the log phase.
func (b Balance) Tracked() bool { return b.Algorithm == algoLeastConn || b.Algorithm == algoEWMA }

// Sticky says the algorithm is cookie affinity.
func (b Balance) Sticky() bool { return strings.HasPrefix(b.Algorithm, "sticky_") }

// balanceAnn are an Ingress's load-balancing annotations, validated.
type balanceAnn struct {
	// global is the ConfigMap's load-balance; lb the annotation's ("" unset).
	global, lb string
	hashBy     []annotations.HashPart
	// subset is upstream-hash-by-subset's size; 0 without it.
	subset   int
	affinity *affinityAnn
}

// affinityAnn are the affinity cookie's settings.
type affinityAnn struct {
	persistent                           bool
	name, path, domain, sameSite         string
	maxAge, expires                      *int
	conditional, secure, changeOnFailure bool
	// partitioned is session-cookie-partitioned.
	partitioned bool
}

// defaultHashSubsetSize is ingress-nginx's upstream-hash-by-subset-size
// default.
const defaultHashSubsetSize = 3

// defaultCookieName is ingress-nginx's session-cookie-name default.
const defaultCookieName = "INGRESSCOOKIE"

func readBalance(s annotations.Set, global string) balanceAnn {
	a := balanceAnn{global: global, hashBy: s.UpstreamHashBy}
	if len(a.hashBy) > 0 && s.UpstreamHashBySubset != nil && *s.UpstreamHashBySubset {
		a.subset = defaultHashSubsetSize
		if s.UpstreamHashBySubsetSize != nil {
			a.subset = *s.UpstreamHashBySubsetSize
		}
	}
	if a.global == "" {
		a.global = algoRoundRobin
	}
	if s.LoadBalance != nil {
		a.lb = *s.LoadBalance
	}
	if s.Affinity == nil || *s.Affinity != "cookie" {
		return a
	}
	c := &affinityAnn{name: defaultCookieName, maxAge: s.SessionCookieMaxAge, expires: s.SessionCookieExpires}
	c.persistent = s.AffinityMode != nil && *s.AffinityMode == "persistent"
	if s.SessionCookieName != nil {
		c.name = *s.SessionCookieName
	}
	if s.SessionCookiePath != nil {
		c.path = *s.SessionCookiePath
	}
	if s.SessionCookieDomain != nil {
		c.domain = *s.SessionCookieDomain
	}
	if s.SessionCookieSameSite != nil {
		c.sameSite = *s.SessionCookieSameSite
	}
	c.conditional = s.SessionCookieConditionalSameSiteNone != nil && *s.SessionCookieConditionalSameSiteNone
	c.secure = s.SessionCookieSecure != nil && *s.SessionCookieSecure
	c.partitioned = s.SessionCookiePartitioned != nil && *s.SessionCookiePartitioned
	c.changeOnFailure = s.SessionCookieChangeOnFailure != nil && *s.SessionCookieChangeOnFailure
	a.affinity = c
	return a
}

// algorithm is the effective algorithm, in ingress-nginx's precedence.
func (a balanceAnn) algorithm() string {
	switch {
	case a.affinity != nil && a.affinity.persistent:
		return algoStickyPersistent
	case a.affinity != nil:
		return algoStickyBalanced
	case len(a.hashBy) > 0:
		return algoCHash
	case a.lb != "":
		return a.lb
	}
	return a.global
}

// balance is the Balance of a location for the Ingress path userPath
// (the affinity cookie's default Path), or nil when the ConfigMap's
// default applies (then the location uses the common balancer). always
// returns one even then (canary locations read $atrium_balance).
func (a balanceAnn) balance(userPath string, always bool) *Balance {
	algo := a.algorithm()
	if algo == a.global && !always && (algo == algoRoundRobin || algo == algoLeastConn || algo == algoEWMA) {
		return nil
	}
	b := &Balance{Algorithm: algo}
	switch {
	case b.Sticky():
		b.Affinity = a.affinity.spec(userPath)
	case algo == algoCHash:
		b.HashBy = hashSpec(a.hashBy, a.subset)
	}
	return b
}

// hashSpec formats a validated hash key for atrium.lua; a subset size
// above 0 adds "n:<size>" (upstream-hash-by-subset).
func hashSpec(parts []annotations.HashPart, subset int) string {
	out := make([]string, 0, len(parts)+1)
	if subset > 0 {
		out = append(out, "n:"+strconv.Itoa(subset))
	}
	for _, p := range parts {
		if p.Var != "" {
			out = append(out, "v:"+p.Var)
		} else {
			out = append(out, "t:"+p.Text)
		}
	}
	return strings.Join(out, " ")
}

// spec formats the cookie settings for atrium.lua. The Path defaults to
// the Ingress path as written, as ingress-nginx's $location_path; a regex
// path that is not a plain path gets "/" (ingress-nginx wrote the regex
// into the cookie, which browsers then never send back).
func (c *affinityAnn) spec(userPath string) string {
	path := c.path
	if path == "" {
		path = userPath
		if validatePath(path) != nil {
			path = "/"
		}
	}
	parts := []string{"name=" + c.name, "path=" + path}
	if c.domain != "" {
		parts = append(parts, "domain="+c.domain)
	}
	if c.maxAge != nil {
		parts = append(parts, "max-age="+strconv.Itoa(*c.maxAge))
	}
	if c.expires != nil {
		parts = append(parts, "expires="+strconv.Itoa(*c.expires))
	}
	if c.sameSite != "" {
		parts = append(parts, "samesite="+c.sameSite)
	}
	for _, f := range []struct {
		on   bool
		word string
	}{
		{c.conditional, "conditional-samesite-none"}, {c.secure, "secure"}, {c.partitioned, "partitioned"},
		{c.changeOnFailure, "change-on-failure"},
	} {
		if f.on {
			parts = append(parts, f.word)
		}
	}
	return strings.Join(parts, " ")
}
