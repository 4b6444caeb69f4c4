package annotations

import (
	"fmt"
	"regexp"
	"strings"
)

// TextPair is what proxy-cookie-domain and proxy-cookie-path take: the
// attribute value From (a prefix for paths) written To; the zero value is
// "off".
type TextPair struct {
	From, To string
}

// parseTextPair reads "off" or two words, each checked by one.
func parseTextPair(value, what string, one func(string) (string, error)) (TextPair, error) {
	v := strings.TrimSpace(value)
	if strings.EqualFold(v, "off") {
		return TextPair{}, nil
	}
	if strings.ContainsFunc(v, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return TextPair{}, fmt.Errorf("%q has a control character (a line break, a tab, ...)", value)
	}
	f := strings.Fields(v)
	if len(f) != 2 {
		return TextPair{}, fmt.Errorf("%q is not \"off\" or \"<%s> <replacement>\"", value, what)
	}
	from, err := one(f[0])
	if err != nil {
		return TextPair{}, err
	}
	to, err := one(f[1])
	if err != nil {
		return TextPair{}, err
	}
	return TextPair{From: from, To: to}, nil
}

// notLiteral explains why a word of proxy-cookie-* or proxy-redirect-* is
// refused when it is an nginx regex or holds a variable, which nginx would
// evaluate there; "" otherwise.
func notLiteral(w string) string {
	switch {
	case strings.HasPrefix(w, "~"):
		return fmt.Sprintf("%q is a regular expression (\"~\"): Atrium takes only literal values here", w)
	case strings.Contains(w, "$"):
		return fmt.Sprintf("%q holds an nginx variable; Atrium takes no variables from annotations", w)
	}
	return ""
}

// cookieDomainWord reads a word of proxy-cookie-domain as session-cookie-
// domain takes a domain, naming regexes and variables in its refusal; a
// leading "." is dropped, as nginx drops it (and compares without case).
func cookieDomainWord(w string) (string, error) {
	if msg := notLiteral(w); msg != "" {
		return "", fmt.Errorf("%s", msg)
	}
	d, err := parseCookieDomain(w)
	return strings.TrimPrefix(d, "."), err
}

// cookiePathWord reads a cookie's Path attribute (a prefix for the first
// word): an absolute path of the characters parsePath allows.
func cookiePathWord(w string) (string, error) {
	if msg := notLiteral(w); msg != "" {
		return "", fmt.Errorf("%s", msg)
	}
	p, err := parsePath(w)
	if err != nil || len(p) > 1024 {
		return "", fmt.Errorf("%q is not a plain absolute path (/ then letters, digits and /._~!&()*+,=:@-)", w)
	}
	return p, nil
}

// badPercentRe is a '%' not followed by two hex digits.
var badPercentRe = regexp.MustCompile(`%([^0-9A-Fa-f]|.[^0-9A-Fa-f]|.?$)`)

// parseRedirectText reads a word of proxy-redirect-from or -to: an
// absolute http(s) URL (parseServiceURL: a DNS name or IP address as
// host, no user information, fragment or variable) or an absolute path,
// both of urlChars with percent-encoding intact; nginx compares the start
// of the endpoint's Location (and Refresh) header with it.
func parseRedirectText(value string) (string, error) {
	v := strings.TrimSpace(value)
	if msg := notLiteral(v); msg != "" {
		return "", fmt.Errorf("%s", msg)
	}
	if strings.ContainsAny(v, " \t") {
		return "", fmt.Errorf("%q has a space: proxy-redirect-from and proxy-redirect-to take one URL or path each", value)
	}
	if badPercentRe.MatchString(v) {
		return "", fmt.Errorf("%q has a %% that is not followed by two hex digits", value)
	}
	u, err := parseURLOrPath(v)
	if err != nil {
		return "", err
	}
	return u, nil
}
