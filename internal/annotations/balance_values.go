package annotations

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// The validators of the load-balancing, affinity and canary annotations.
// Each result is safe to print inside one double-quoted nginx argument
// (no quote, backslash, '$', ';', braces, space or control character),
// except canary-by-header-pattern, which the core encodes before printing.

// cookieNameRe is a cookie name: RFC 6265 token characters less those
// that mean something to nginx.conf or to a Set-Cookie line.
var cookieNameRe = regexp.MustCompile(`^[A-Za-z0-9._~!#&*+-]{1,128}$`)

func parseCookieName(v string) (string, error) {
	v = strings.TrimSpace(v)
	if !cookieNameRe.MatchString(v) {
		return "", fmt.Errorf("%q is not a cookie name (1-128 of A-Z a-z 0-9 . _ ~ ! # & * + -)", v)
	}
	return v, nil
}

// headerNameRe is a request header name as nginx maps it to a variable
// ($http_<name>, '-' read as '_').
var headerNameRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$`)

func parseHeaderName(v string) (string, error) {
	v = strings.TrimSpace(v)
	if !headerNameRe.MatchString(v) {
		return "", fmt.Errorf("%q is not a header name (letters, digits, '-' and '_', at most 64)", v)
	}
	return v, nil
}

// basicValueRe is ingress-nginx's BasicCharsRegex (letters, digits and
// - . _ ~ / :), which it applies to canary-by-header-value.
var basicValueRe = regexp.MustCompile(`^[A-Za-z0-9._~/:-]{1,256}$`)

// headerPatternRe is ingress-nginx's IsValidRegex character set (no
// backslash, so no escapes, backreferences or lookaround).
var headerPatternRe = regexp.MustCompile(`^[A-Za-z0-9._~/:^$\[\](){}*+?|,-]{1,256}$`)

// parseHeaderPattern checks a canary-by-header-pattern: ingress-nginx's
// characters, and a regex Go's RE2 compiles (with those characters, PCRE,
// which nginx uses, reads it the same way).
func parseHeaderPattern(v string) (string, error) {
	if !headerPatternRe.MatchString(v) {
		return "", fmt.Errorf("%q: a pattern may use letters, digits and - . _ ~ / : ^ $ [ ] ( ) { } * + ? | , (1-256 characters)", v)
	}
	if _, err := regexp.Compile(v); err != nil {
		return "", fmt.Errorf("%q is not a regular expression: %v", v, err)
	}
	return v, nil
}

// cookieDomainRe is a cookie Domain: a DNS name, optionally with the
// leading dot older browsers expect.
var cookieDomainRe = regexp.MustCompile(`^\.?[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$`)

func parseCookieDomain(v string) (string, error) {
	v = strings.ToLower(strings.TrimSpace(v))
	if len(v) > 253 || !cookieDomainRe.MatchString(v) {
		return "", fmt.Errorf("%q is not a domain name", v)
	}
	return v, nil
}

// parseCookieSeconds reads session-cookie-max-age and -expires as
// ingress-nginx does (`^0|-?[1-9]\d*$`): whole seconds, possibly negative.
func parseCookieSeconds(v string) (int, error) {
	v = strings.TrimSpace(v)
	n, err := strconv.Atoi(v)
	if err != nil || strconv.Itoa(n) != v || n < -(1<<31) || n >= 1<<31 {
		return 0, fmt.Errorf("%q is not a whole number of seconds", v)
	}
	return n, nil
}

// parseBoundedInt reads a whole number from lo to hi.
func parseBoundedInt(v string, lo, hi int) (int, error) {
	v = strings.TrimSpace(v)
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, fmt.Errorf("%q is not a whole number from %d to %d", v, lo, hi)
	}
	return n, nil
}
