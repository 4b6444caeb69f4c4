package annotations

import (
	"fmt"
	"regexp"
	"strings"
)

// DefaultAuthCacheDuration is ingress-nginx's auth-cache-duration default.
const DefaultAuthCacheDuration = "200 202 401 5m"

var (
	cacheCodeRe = regexp.MustCompile(`^(?:[1-5][0-9][0-9]|any)$`)
	// cacheTimePartRe is one part of nginx's time in seconds: parts of decreasing units,
	// each at most once (checked by validCacheTime), no milliseconds.
	cacheTimePartRe = regexp.MustCompile(`^([0-9]{1,4})([yMwdhms])`)
)

// cacheTimeUnits orders nginx's time units, largest first.
const cacheTimeUnits = "yMwdhms"

func validCacheTime(t string) bool {
	last := -1
	for t != "" {
		m := cacheTimePartRe.FindStringSubmatch(t)
		if m == nil {
			return false
		}
		u := strings.Index(cacheTimeUnits, m[2])
		if u <= last {
			return false
		}
		last = u
		t = t[len(m[0]):]
	}
	return last >= 0
}

// parseCacheDurations reads auth-cache-duration as ingress-nginx does:
// comma-separated entries, each status codes (or "any") followed by a
// time with its unit, or only the time (nginx then caches 200, 301 and 302).
func parseCacheDurations(v string) ([]string, error) {
	var out []string
	for _, e := range strings.Split(v, ",") {
		f := strings.Fields(e)
		if len(f) == 0 {
			continue
		}
		if len(f) > 16 {
			return nil, fmt.Errorf("%q: at most 15 status codes in an entry", strings.TrimSpace(e))
		}
		for _, c := range f[:len(f)-1] {
			if !cacheCodeRe.MatchString(c) {
				return nil, fmt.Errorf("%q: %q is not a status code (100-599) or any", strings.TrimSpace(e), c)
			}
		}
		if t := f[len(f)-1]; !validCacheTime(t) {
			return nil, fmt.Errorf("%q: %q is not a time with its unit (5m, 1h30m; y M w d h m s, largest first)", strings.TrimSpace(e), t)
		}
		out = append(out, strings.Join(f, " "))
		if len(out) > 16 {
			return nil, fmt.Errorf("at most 16 entries")
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no duration given")
	}
	return out, nil
}

func init() {
	register(Def{
		Key:   "auth-cache-duration",
		Scope: ScopeLocation,
		Risk:  RiskLow,
		Doc: "How long `auth-cache-key` keeps the `auth-url` answers, by status: comma-separated nginx `proxy_cache_valid` " +
			"entries, status codes (or `any`) and a time (`200 202 401 5m`, `200 5m, 401 30s`; only a time means 200, 301 and " +
			"302). Default `" + DefaultAuthCacheDuration + "`, as in ingress-nginx. Ignored without `auth-cache-key`.",
		Parse: func(value string, s *Set) error {
			d, err := parseCacheDurations(value)
			if err != nil {
				return err
			}
			s.AuthCacheDuration = d
			return nil
		},
	})
}
