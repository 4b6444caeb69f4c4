package nginxconf

import (
	"crypto/sha256"
	"encoding/hex"
	"sort"

	"github.com/atrium-ingress/atrium/internal/annotations"
)

// Rate limits, as ingress-nginx has them: they belong to an Ingress as a
// whole (its zones count the requests of all its paths).

// defaultBurstMultiplier is ingress-nginx's limit-burst-multiplier default.
const defaultBurstMultiplier = 5

// ingressID names an Ingress in nginx identifiers that must be short
// (variable names count against variables_hash_bucket_size) and stable
// for as long as the Ingress exists: a hash of its validated namespace and
// name. 64 bits make a collision between two Ingresses of one cluster
// practically impossible.
func ingressID(ns, name string) string {
	sum := sha256.Sum256([]byte(ns + "/" + name))
	return hex.EncodeToString(sum[:8])
}

// limitSettings turns the limit-* annotations of Ingress ns/name into a
// location's limits; nil when there are none.
func limitSettings(ns, name string, s annotations.Set) *Limits {
	val := func(p *int) int {
		if p == nil {
			return 0
		}
		return *p
	}
	l := &Limits{Conn: val(s.LimitConnections), RPS: val(s.LimitRPS), RPM: val(s.LimitRPM),
		Rate: val(s.LimitRate), RateAfter: val(s.LimitRateAfter)}
	mult := defaultBurstMultiplier
	if s.LimitBurstMultiplier != nil {
		mult = *s.LimitBurstMultiplier
	}
	l.RPSBurst, l.RPMBurst = l.RPS*mult, l.RPM*mult
	if l.Conn+l.RPS+l.RPM > 0 {
		// Zones only with a limit that counts, as in ingress-nginx (whose
		// allow-list is likewise dropped without one).
		l.ID, l.Zone, l.Source = ingressID(ns, name), ns+"_"+name, ns+"/"+name
		for _, c := range s.LimitAllowlist {
			l.Allow = append(l.Allow, string(c))
		}
	} else if l.Rate+l.RateAfter == 0 {
		return nil
	}
	return l
}

// limitZones lists the zones the servers' proxied locations use (the
// others answer by themselves), one entry per Ingress, sorted by zone name.
func limitZones(servers []Server) []Limits {
	seen := map[string]bool{}
	var out []Limits
	for _, srv := range servers {
		for _, l := range srv.Locations {
			proxied := l.Redirect == nil && (l.Upstream != "" || l.DefaultUpstream != "")
			if !proxied || l.Limits == nil || l.Limits.ID == "" || seen[l.Limits.ID] {
				continue
			}
			seen[l.Limits.ID] = true
			out = append(out, *l.Limits)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Zone < out[j].Zone })
	return out
}
