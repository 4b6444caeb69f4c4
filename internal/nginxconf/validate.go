package nginxconf

import (
	"fmt"
	"net"
	"regexp"
	"strings"
)

// Every user-supplied string is checked against an allow-list here before it
// can reach the model; the template's quoting is a second line of defence.

var (
	dnsLabel = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)
	portName = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,13}[a-z0-9])?$`)
	// pathChars is the set a Prefix or Exact path may use: RFC 3986 path
	// characters less those that mean something to nginx's config grammar or
	// variables (quotes, ';', '{', '}', '$', '\', '#', whitespace) and '%'
	// (nginx matches the decoded URI, so an encoded path could never match).
	pathChars = regexp.MustCompile(`^/[A-Za-z0-9/._~!&()*+,=:@-]*$`)
)

// validateHost checks an Ingress host: a lower-case DNS name, optionally
// starting with "*." for a one-label wildcard. IP addresses are not allowed.
func validateHost(h string) error {
	if h == "" {
		return nil
	}
	if len(h) > 253 {
		return fmt.Errorf("host %.40q... is longer than 253 characters", h)
	}
	if net.ParseIP(h) != nil {
		return fmt.Errorf("host %q is an IP address; an Ingress host is a DNS name", h)
	}
	labels := strings.Split(h, ".")
	for i, l := range labels {
		if i == 0 && l == "*" && len(labels) > 2 {
			continue
		}
		if !dnsLabel.MatchString(l) {
			return fmt.Errorf("host %q is not a lower-case DNS name (optionally starting with \"*.\")", h)
		}
	}
	if len(labels) < 2 && labels[0] == "*" {
		return fmt.Errorf("host %q: a wildcard needs at least two more labels", h)
	}
	return nil
}

// validateTLSHost checks a spec.tls host, which must not be empty: an
// empty one would claim the catch-all server for one tenant's TLS entry.
func validateTLSHost(h string) error {
	if h == "" {
		return fmt.Errorf("a TLS host must not be empty")
	}
	return validateHost(h)
}

// validatePath checks an Exact or Prefix path.
func validatePath(p string) error {
	if p == "" || p[0] != '/' {
		return fmt.Errorf("path %q must start with /", p)
	}
	if len(p) > 2048 {
		return fmt.Errorf("path is longer than 2048 characters")
	}
	if !pathChars.MatchString(p) {
		return fmt.Errorf("path %q has characters outside A-Z a-z 0-9 / . _ ~ ! & ( ) * + , = : @ -", p)
	}
	if strings.Contains(p, "//") {
		return fmt.Errorf("path %q has an empty segment (//), which nginx merges away", p)
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == "." || seg == ".." {
			return fmt.Errorf("path %q has a dot segment, which nginx normalizes away", p)
		}
	}
	return nil
}

// validateName checks a namespace, Service or Secret name (DNS label; Secret
// names may be DNS subdomains).
func validateName(kind, n string) error {
	if len(n) > 253 {
		return fmt.Errorf("%s name is longer than 253 characters", kind)
	}
	for _, l := range strings.Split(n, ".") {
		if !dnsLabel.MatchString(l) {
			return fmt.Errorf("%s name %q is not a lower-case DNS name", kind, n)
		}
	}
	return nil
}

// validateServiceName checks a Service name, which must be a DNS label.
func validateServiceName(n string) error {
	if !dnsLabel.MatchString(n) {
		return fmt.Errorf("service name %q is not a lower-case DNS label", n)
	}
	return nil
}

// validatePortName checks a named service port (IANA service name).
func validatePortName(n string) error {
	if !portName.MatchString(n) {
		return fmt.Errorf("port name %q is not a lower-case IANA service name", n)
	}
	return nil
}

// regexPathChars is what a path may use when it is a regular expression
// (use-regex, rewrite-target): the plain path characters (less '%') and
// the regex syntax common to PCRE (nginx) and RE2 (Go) without counted
// repetition: no braces, quotes, whitespace, ';' or '#'.
var regexPathChars = regexp.MustCompile(`^/[A-Za-z0-9/._~!&(),=:@|?*+\[\]^$\\-]*$`)

// regexEscapes are the characters a backslash may precede in a path regex:
// punctuation (a literal) and the classes \d \D \w \W \s \S, which PCRE and
// RE2 read alike. Not '$': every '$' in a path regex is an anchor.
const regexEscapes = `./-_~!&(),=:@|?*+[]^\dDwWsS`

// validateRegexPath checks a path that nginx reads as a regular expression
// (`location ~* "^<path>"`, `rewrite "(?i)<path>" ...`). Besides the
// character set: a '$' may only end a branch (before ')' or '|' or at the
// end), so nothing after it can read as an nginx variable; a backslash only
// escapes regexEscapes; and the regex must compile (Go's RE2 refuses what
// the two dialects disagree on: backreferences, lookaround, possessive and
// atomic groups, PCRE verbs).
func validateRegexPath(p string) error {
	if p == "" || p[0] != '/' {
		return fmt.Errorf("path %q must start with /", p)
	}
	if len(p) > 2048 {
		return fmt.Errorf("path is longer than 2048 characters")
	}
	if !regexPathChars.MatchString(p) {
		return fmt.Errorf("regex path %q has characters outside A-Z a-z 0-9 / . _ ~ - ! & , = : @ ( ) | ? * + [ ] ^ $ \\", p)
	}
	for i := 0; i < len(p); i++ {
		switch p[i] {
		case '$':
			if i+1 < len(p) && p[i+1] != ')' && p[i+1] != '|' {
				return fmt.Errorf("regex path %q: '$' may only end the regex or a branch (before ')' or '|')", p)
			}
		case '\\':
			if i+1 >= len(p) || !strings.ContainsRune(regexEscapes, rune(p[i+1])) {
				return fmt.Errorf("regex path %q: a backslash may only precede punctuation other than '$', or one of d D w W s S", p)
			}
			i++
		}
	}
	if _, err := regexp.Compile("(?i)^" + p); err != nil {
		return fmt.Errorf("path %q is not a regular expression Atrium accepts: %v", p, err)
	}
	return nil
}
