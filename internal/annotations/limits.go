package annotations

import (
	"fmt"
	"strconv"
	"strings"
)

// The rate-limit annotations, as ingress-nginx has them: limits per client
// address and per Ingress (one set of nginx zones for all its paths), in
// each nginx replica on its own.

// Bounds of the limit values: large enough for any real limit, small
// enough that limit times burst multiplier (nginx's burst) stays far from
// overflowing nginx's integers.
const (
	maxLimit           = 1000000
	maxConnections     = 65535 // nginx's limit_conn maximum
	maxBurstMultiplier = 1000
	maxRateKiB         = 1 << 20 // limit-rate: 1 GiB/s
	maxRateAfterKiB    = 1 << 30 // limit-rate-after: 1 TiB
)

// parseCount reads a whole number from 0 to max, digits only.
func parseCount(v string, max int, what string) (int, error) {
	v = strings.TrimSpace(v)
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || n > max || strings.TrimLeft(v, "0123456789") != "" {
		return 0, fmt.Errorf("%q is not %s from 0 to %d", v, what, max)
	}
	return n, nil
}

// limitDef registers one of the whole-number limit annotations.
func limitDef(key, doc string, max int, what string, field func(*Set) **int) {
	register(Def{
		Key:   key,
		Scope: ScopeLocation,
		Risk:  RiskLow,
		Doc:   doc,
		Parse: func(value string, s *Set) error {
			n, err := parseCount(value, max, what)
			if err != nil {
				return err
			}
			*field(s) = &n
			return nil
		},
	})
}

func init() {
	const perIngress = " Counted per client address for the whole Ingress (all its paths share the count), in each nginx replica separately."
	limitDef("limit-rps", "Requests per second accepted from one client address, with a burst of this times `limit-burst-multiplier` "+
		"served at once; more are refused with the ConfigMap's `limit-req-status-code` (503). 0: no limit."+perIngress,
		maxLimit, "a number of requests", func(s *Set) **int { return &s.LimitRPS })
	limitDef("limit-rpm", "Requests per minute accepted from one client address, with a burst of this times `limit-burst-multiplier`; "+
		"more are refused with `limit-req-status-code` (503). 0: no limit."+perIngress,
		maxLimit, "a number of requests", func(s *Set) **int { return &s.LimitRPM })
	limitDef("limit-connections", "Requests in progress at once from one client address; more are refused with the ConfigMap's "+
		"`limit-conn-status-code` (503). 0: no limit; at most 65535 (nginx's maximum)."+perIngress,
		maxConnections, "a number of connections", func(s *Set) **int { return &s.LimitConnections })
	limitDef("limit-burst-multiplier", "Burst of `limit-rps` and `limit-rpm` as a multiple of the limit; default 5; 0: no burst "+
		"(ingress-nginx then writes `burst=0`, which nginx refuses, failing every reload).",
		maxBurstMultiplier, "a multiplier", func(s *Set) **int { return &s.LimitBurstMultiplier })
	limitDef("limit-rate", "KiB per second sent to the client per request (nginx `limit_rate`); 0: no limit. Turns `proxy-buffering` on for the paths unless that is set (nginx limits only buffered answers; ingress-nginx, whose default is off, limited nothing without it).",
		maxRateKiB, "a number of KiB per second", func(s *Set) **int { return &s.LimitRate })
	limitDef("limit-rate-after", "KiB of each response sent at full speed before `limit-rate` applies.",
		maxRateAfterKiB, "a number of KiB", func(s *Set) **int { return &s.LimitRateAfter })

	allow := func(key, doc string, field func(*Set) *[]CIDR) {
		register(Def{
			Key:   key,
			Scope: ScopeLocation,
			Risk:  RiskLow,
			Doc:   doc,
			Parse: func(value string, s *Set) error {
				c, err := parseCIDRs(value)
				if err != nil {
					return err
				}
				*field(s) = c
				return nil
			},
		})
	}
	allow("limit-allowlist", "Comma-separated client CIDRs that `limit-rps`, `limit-rpm` and `limit-connections` do not count "+
		"(`limit-rate` still applies).", func(s *Set) *[]CIDR { return &s.LimitAllowlist })
	allow("limit-whitelist", "Older name of `limit-allowlist`, used when `limit-allowlist` is absent.",
		func(s *Set) *[]CIDR { return &s.limitWhitelist })
}
