package annotations

import (
	"fmt"
	"net"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Size is an nginx size: a number with an optional k or m suffix, as
// nginx prints it ("8m"). "0" means unlimited for proxy-body-size.
type Size string

var sizeRe = regexp.MustCompile(`^[0-9]{1,9}[kKmMgG]?$`)

func parseSize(v string) (Size, error) {
	v = strings.TrimSpace(v)
	if !sizeRe.MatchString(v) {
		return "", fmt.Errorf("%q is not a size (a number with an optional k, m or g suffix)", v)
	}
	// nginx knows k and m; express g in m.
	if last := v[len(v)-1]; last == 'g' || last == 'G' {
		n, _ := strconv.Atoi(v[:len(v)-1])
		return Size(strconv.Itoa(n*1024) + "m"), nil
	}
	return Size(strings.ToLower(v)), nil
}

// Bytes is the size in bytes (0 for a size that is not valid).
func (s Size) Bytes() int64 {
	if s == "" {
		return 0
	}
	n, _ := strconv.ParseInt(strings.TrimRight(string(s), "km"), 10, 64)
	switch s[len(s)-1] {
	case 'k':
		n <<= 10
	case 'm':
		n <<= 20
	}
	return n
}

// parseBoundedSize reads a size (as parseSize) from min to max bytes.
func parseBoundedSize(v string, min, max int64) (Size, error) {
	s, err := parseSize(v)
	if err != nil {
		return "", err
	}
	if n := s.Bytes(); n < min || n > max {
		return "", fmt.Errorf("%q is not from %s to %s", v, humanSize(min), humanSize(max))
	}
	return s, nil
}

func humanSize(n int64) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return strconv.FormatInt(n>>20, 10) + "m"
	}
	if n >= 1<<10 && n%(1<<10) == 0 {
		return strconv.FormatInt(n>>10, 10) + "k"
	}
	return strconv.FormatInt(n, 10)
}

// parseSeconds reads ingress-nginx's timeout values: whole seconds
// ("60"), or a number with an s suffix.
func parseSeconds(v string) (time.Duration, error) {
	v = strings.TrimSuffix(strings.TrimSpace(v), "s")
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 86400 {
		return 0, fmt.Errorf("%q is not a number of seconds from 1 to 86400", v)
	}
	return time.Duration(n) * time.Second, nil
}

func parseBool(v string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, fmt.Errorf("%q is not true or false", v)
}

// CIDR is a validated network in canonical form ("10.0.0.0/8", "::1/128").
type CIDR string

// parseCIDRs reads a comma-separated list of CIDRs or IPs.
func parseCIDRs(v string) ([]CIDR, error) {
	var out []CIDR
	for _, f := range strings.Split(v, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if ip := net.ParseIP(f); ip != nil {
			bits := 32
			if ip.To4() == nil {
				bits = 128
			}
			f = fmt.Sprintf("%s/%d", ip, bits)
		}
		_, n, err := net.ParseCIDR(f)
		if err != nil {
			return nil, fmt.Errorf("%q is not an IP address or CIDR", f)
		}
		out = append(out, CIDR(n.String()))
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no CIDR given")
	}
	return out, nil
}

// urlChars is what a redirect URL may contain: RFC 3986 characters less
// those with a meaning to nginx's config ('"', '\”, ';', '{', '}', '$',
// '\\', whitespace) and less '%'-free control: percent-encoding is allowed.
var urlChars = regexp.MustCompile(`^[A-Za-z0-9._~:/?#\[\]@!&()*+,=%-]+$`)

// parseURL checks an absolute http(s) URL with a host.
func parseURL(v string) (string, error) {
	v = strings.TrimSpace(v)
	if !urlChars.MatchString(v) {
		return "", fmt.Errorf("%q has characters that are not allowed in a URL here (no quotes, spaces, ';', '{', '}', '$' or '\\\\')", v)
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("%q is not an absolute http or https URL", v)
	}
	return v, nil
}

// pathRe is a URL path as app-root and x-forwarded-prefix take it.
var pathRe = regexp.MustCompile(`^/[A-Za-z0-9/._~!&()*+,=:@-]*$`)

func parsePath(v string) (string, error) {
	v = strings.TrimSpace(v)
	if !pathRe.MatchString(v) || strings.Contains(v, "//") || strings.Contains(v, "/../") || strings.HasSuffix(v, "/..") {
		return "", fmt.Errorf("%q is not a plain absolute path", v)
	}
	return v, nil
}

var hostRe = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*(:[0-9]{1,5})?$`)

// parseHostHeader checks a Host header value (a DNS name, optional port).
func parseHostHeader(v string) (string, error) {
	v = strings.ToLower(strings.TrimSpace(v))
	if len(v) > 253 || !hostRe.MatchString(v) {
		return "", fmt.Errorf("%q is not a host name (with an optional port)", v)
	}
	return v, nil
}

// parseOnOff reads nginx's on/off (and true/false, which users write too).
func parseOnOff(v string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "on", "true":
		return true, nil
	case "off", "false":
		return false, nil
	}
	return false, fmt.Errorf("%q is not on or off", v)
}

// parseServerName reads one server-alias name: a DNS name, or "*." and a
// DNS name of at least two labels (nginx's wildcard, which matches any
// number of leading labels). Lower-cased: nginx matches names without case.
// Not nginx's regex names ("~..."), which ingress-nginx passes through.
func parseServerName(v string) (string, error) {
	v = strings.ToLower(strings.TrimSpace(v))
	name, wild := strings.CutPrefix(v, "*.")
	switch {
	case len(v) > 253 || strings.Contains(name, ":") || !hostRe.MatchString(name):
		return "", fmt.Errorf("%q is not a DNS name (optionally starting with \"*.\")", v)
	case net.ParseIP(name) != nil:
		return "", fmt.Errorf("%q is an IP address, not a DNS name", v)
	case wild && !strings.Contains(name, "."):
		return "", fmt.Errorf("%q: a wildcard needs at least two more labels", v)
	}
	return v, nil
}

// parseStatusCodes reads custom-http-errors: comma-separated HTTP status
// codes from 400 to 599, returned sorted without duplicates.
func parseStatusCodes(v string) ([]int, error) {
	seen := map[int]bool{}
	var out []int
	for _, f := range strings.Split(v, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil || n < 400 || n > 599 || len(f) != 3 {
			return nil, fmt.Errorf("%q is not an HTTP status code from 400 to 599", f)
		}
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no status code given")
	}
	sort.Ints(out)
	return out, nil
}

// ObjectName is a validated "namespace/name" reference to a Secret or a
// ConfigMap. The core checks that the namespace is the Ingress's own.
type ObjectName struct {
	Namespace, Name string
}

func (n ObjectName) String() string { return n.Namespace + "/" + n.Name }

var (
	dnsLabelRe     = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)
	dnsSubdomainRe = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$`)
)

// parseObjectName reads "namespace/name" as ingress-nginx's proxy-ssl-secret
// and custom-headers take it: both parts required, a namespace (DNS label)
// and an object name (DNS subdomain).
func parseObjectName(v string) (ObjectName, error) {
	v = strings.TrimSpace(v)
	ns, name, ok := strings.Cut(v, "/")
	if !ok || !dnsLabelRe.MatchString(ns) || len(name) > 253 || !dnsSubdomainRe.MatchString(name) {
		return ObjectName{}, fmt.Errorf("%q is not namespace/name", v)
	}
	return ObjectName{Namespace: ns, Name: name}, nil
}

// parseSecretName reads a Secret reference as auth-secret and
// auth-tls-secret take it in ingress-nginx: "namespace/name", or "name"
// alone (Namespace "": the core uses the Ingress's namespace).
func parseSecretName(v string) (ObjectName, error) {
	v = strings.TrimSpace(v)
	if !strings.Contains(v, "/") {
		if len(v) > 253 || !dnsSubdomainRe.MatchString(v) {
			return ObjectName{}, fmt.Errorf("%q is not a Secret name or namespace/name", v)
		}
		return ObjectName{Name: v}, nil
	}
	n, err := parseObjectName(v)
	if err != nil {
		return ObjectName{}, fmt.Errorf("%q is not a Secret name or namespace/name", v)
	}
	return n, nil
}

// parseServiceURL checks a URL nginx connects to or redirects to (auth-url,
// auth-signin): http or https, a host that is a DNS name or an IP address,
// an optional port, and a path and query of urlChars; no user information,
// fragment or nginx variable (the '$' of ingress-nginx's "$host" is not in
// urlChars). It returns the URL and its host name (without port or
// brackets).
func parseServiceURL(v string) (string, string, error) {
	v = strings.TrimSpace(v)
	if len(v) > 2048 {
		return "", "", fmt.Errorf("the URL is longer than 2048 characters")
	}
	if strings.Contains(v, "$") {
		return "", "", fmt.Errorf("%q holds an nginx variable; Atrium takes no variables from annotations: write the URL out", v)
	}
	if !urlChars.MatchString(v) || strings.Contains(v, "#") {
		return "", "", fmt.Errorf("%q has characters that are not allowed in a URL here (no quotes, spaces, '#', ';', '{', '}', '$' or '\\\\')", v)
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Opaque != "" || strings.ToLower(v[:len(u.Scheme)]) != v[:len(u.Scheme)] {
		return "", "", fmt.Errorf("%q is not an absolute http or https URL", v)
	}
	if u.User != nil {
		return "", "", fmt.Errorf("%q holds user information, which nginx cannot send", v)
	}
	host := u.Hostname()
	if net.ParseIP(host) == nil {
		if h := strings.ToLower(host); len(h) > 253 || strings.Contains(h, ":") || !hostRe.MatchString(h) {
			return "", "", fmt.Errorf("%q: the host %q is not a DNS name or an IP address", v, host)
		}
	} else if strings.Contains(host, ":") != strings.HasPrefix(u.Host, "[") {
		return "", "", fmt.Errorf("%q: an IPv6 address must be in brackets", v)
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return "", "", fmt.Errorf("%q: port %q is not from 1 to 65535", v, p)
		}
	} else if strings.HasSuffix(u.Host, ":") {
		return "", "", fmt.Errorf("%q has an empty port", v)
	}
	return v, strings.ToLower(host), nil
}

// parseURLOrPath reads an absolute http(s) URL (parseServiceURL) or an
// absolute path with an optional query, which nginx resolves against the
// request's own scheme and host (auth-signin, auth-request-redirect,
// auth-tls-error-page).
func parseURLOrPath(v string) (string, error) {
	v = strings.TrimSpace(v)
	if !strings.HasPrefix(v, "/") {
		u, _, err := parseServiceURL(v)
		return u, err
	}
	if strings.Contains(v, "$") {
		return "", fmt.Errorf("%q holds an nginx variable; Atrium takes no variables from annotations", v)
	}
	if len(v) > 2048 || !urlChars.MatchString(v) || strings.Contains(v, "#") || strings.HasPrefix(v, "//") {
		return "", fmt.Errorf("%q is neither an absolute http(s) URL nor an absolute path (no quotes, spaces, '#', ';', '{', '}', '$' or '\\\\', not starting with //)", v)
	}
	return v, nil
}

// parseVerifyDepth reads a certificate chain depth (auth-tls-verify-depth,
// proxy-ssl-verify-depth): 0 to 100, where 0 means 1 as in ingress-nginx.
func parseVerifyDepth(value string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(value))
	if err != nil || n < 0 || n > 100 {
		return 0, fmt.Errorf("%q is not a depth from 0 to 100", value)
	}
	if n == 0 {
		n = 1
	}
	return n, nil
}
