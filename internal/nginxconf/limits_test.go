package nginxconf

import (
	"testing"

	"github.com/atrium-ingress/atrium/internal/annotations"
)

// TestLimitZoneKeyStable: nginx refuses a reload that gives an existing
// zone another key ("uses the ... key while previously it used ..."), and
// nginx -t cannot see that. So a zone's key may depend only on the zone's
// name: adding an allow-list or another limit to an Ingress keeps both.
func TestLimitZoneKeyStable(t *testing.T) {
	five, zero := 5, 0
	plain := limitSettings("shop", "api", annotations.Set{LimitRPS: &five})
	allowed := limitSettings("shop", "api", annotations.Set{LimitRPS: &five, LimitConnections: &five, LimitAllowlist: []annotations.CIDR{"10.0.0.0/8"}})
	if plain.ID != allowed.ID || plain.Zone != allowed.Zone || plain.ID == "" {
		t.Errorf("zone key or name changed with the allow-list: %+v %+v", plain, allowed)
	}
	other := limitSettings("shop-api", "x", annotations.Set{LimitRPS: &five})
	if other.ID == plain.ID || other.Zone == plain.Zone {
		t.Errorf("two Ingresses share zones: %+v %+v", plain, other)
	}
	if l := limitSettings("shop", "api", annotations.Set{LimitRPS: &zero, LimitRate: &zero}); l != nil {
		t.Errorf("zero limits are no limits: %+v", l)
	}
	// limit-rate alone needs no zone; the allow-list needs one.
	if l := limitSettings("shop", "api", annotations.Set{LimitRate: &five, LimitAllowlist: []annotations.CIDR{"10.0.0.0/8"}}); l == nil || l.ID != "" || l.Allow != nil {
		t.Errorf("limit-rate alone: %+v", l)
	}
	// The burst is the limit times the multiplier (default 5), as in ingress-nginx.
	one := 1
	if l := limitSettings("a", "b", annotations.Set{LimitRPS: &five}); l.RPSBurst != 25 {
		t.Errorf("default burst %d, want 25", l.RPSBurst)
	}
	if l := limitSettings("a", "b", annotations.Set{LimitRPM: &five, LimitBurstMultiplier: &one}); l.RPMBurst != 5 || l.RPSBurst != 0 {
		t.Errorf("burst with multiplier 1: %+v", l)
	}
}
