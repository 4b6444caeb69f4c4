package nginxconf

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
	"text/template"

	"github.com/atrium-ingress/atrium/internal/configmap"
	"github.com/atrium-ingress/atrium/templates"
)

// hashPlaceholder stands in for the config hash while the hash is computed.
// It contains control bytes, which every quoting function refuses (header
// values, URLs, paths and queries may hold '%', '@' and the rest of
// printable ASCII), so no input can spell it; Render checks it appears
// exactly once.
const hashPlaceholder = "\x01ATRIUM-CONFIG-HASH\x01"

var confTemplate = template.Must(template.New("nginx.conf").
	Option("missingkey=error").
	Funcs(template.FuncMap{"q": quote, "qre": quoteRegex, "qpath": quotePath, "qlog": quoteLogFormat, "qval": quoteValue, "qkey": quoteCacheKey}).
	Parse(templates.NginxConf))

// renderData is the template's input: the model plus its hash.
type renderData struct {
	*Config
	Hash string
}

// Render prints the model as nginx.conf and returns the bytes and their
// hash. nginx serves the hash on the status port so the controller can tell
// when a reload has taken effect.
func Render(cfg *Config) ([]byte, string, error) {
	var buf bytes.Buffer
	if err := confTemplate.Execute(&buf, renderData{Config: cfg, Hash: hashPlaceholder}); err != nil {
		return nil, "", fmt.Errorf("render nginx.conf: %w", err)
	}
	if n := bytes.Count(buf.Bytes(), []byte(hashPlaceholder)); n != 1 {
		return nil, "", fmt.Errorf("render nginx.conf: the hash placeholder appears %d times, want 1", n)
	}
	sum := sha256.Sum256(buf.Bytes())
	hash := hex.EncodeToString(sum[:8])
	return bytes.Replace(buf.Bytes(), []byte(hashPlaceholder), []byte(hash), 1), hash, nil
}

// quote renders a value as one double-quoted nginx argument. Build has
// validated every value already; quote refuses (failing the render) anything
// that could still end the argument or start a variable, as a second line
// of defence.
func quote(s string) (string, error) {
	if err := notTooLong(s); err != nil {
		return "", err
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r > 0x7e || r == '"' || r == '\\' || r == '$' || r == ';' || r == '{' || r == '}' {
			return "", fmt.Errorf("refusing to render %q: character %q is not allowed in nginx.conf", s, r)
		}
	}
	return `"` + s + `"`, nil
}

// regexChars are the characters of the regexes Build writes (one-label
// wildcard server names, CORS origin maps): no quote, whitespace, ';', '{'
// or '}'.
var regexChars = regexp.MustCompile(`^~\*?[A-Za-z0-9.^$\\\[\]+()|:/-]+$`)

// quoteRegex renders a regex built by Build as one double-quoted argument.
// nginx keeps a backslash that does not precede a quote, a backslash or
// one of t, r, n; Build's regexes only escape dots (regexp.QuoteMeta of a
// host name), so any other backslash is refused.
func quoteRegex(s string) (string, error) {
	if !regexChars.MatchString(s) {
		return "", fmt.Errorf("refusing to render regex %q: only Build's own server-name and origin regexes are allowed", s)
	}
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && (i+1 == len(s) || s[i+1] != '.') {
			return "", fmt.Errorf("refusing to render regex %q: a backslash may only escape a dot", s)
		}
	}
	return `"` + s + `"`, nil
}

// EndpointTable is what nginx's Lua balancer reads: one line per upstream,
// "<name> <ip:port>,<ip:port>...", sorted. It changes when pods come and go;
// nginx.conf does not, so those changes need no reload.
func EndpointTable(cfg *Config) []byte {
	var b bytes.Buffer
	for _, u := range cfg.Upstreams {
		b.WriteString(u.Name)
		b.WriteByte(' ')
		b.WriteString(strings.Join(u.Servers, ","))
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// pathRegexChars are the characters of path regexes (use-regex) and rewrite
// targets as Build validates them, with the "^" and "(?i)" Build adds.
var pathRegexChars = regexp.MustCompile(`^[A-Za-z0-9/._~!&(),=:@|?*+\[\]^$\\-]+$`)

// quotePath renders a path regex or a rewrite target as one double-quoted
// argument, which nginx reads as a regex (location, rewrite) or as a
// rewrite's replacement. Neither reads variables but the replacement, so
// a '$' may only be a capture group ($1-$9) or end a regex branch (before
// ')' or '|' or at the end): never the start of a variable name. nginx
// decodes "\\" in quotes to one backslash (and "\n", "\t", "\r" to control
// characters), so every backslash is doubled.
func quotePath(s string) (string, error) {
	if !pathRegexChars.MatchString(s) {
		return "", fmt.Errorf("refusing to render path regex %q: only validated path regexes and rewrite targets are allowed", s)
	}
	for i := 0; i < len(s); i++ {
		if s[i] != '$' || i+1 == len(s) {
			continue
		}
		if c := s[i+1]; c != ')' && c != '|' && (c < '1' || c > '9') {
			return "", fmt.Errorf("refusing to render path regex %q: '$' before %q could start an nginx variable", s, c)
		}
	}
	return `"` + strings.ReplaceAll(s, `\`, `\\`) + `"`, nil
}

// quoteValue renders a custom header value (printable ASCII, validated by
// Build) as one double-quoted argument in which every character is
// literal: '"' and the backslash are escaped, and '$', which nginx has no escape
// for, becomes ${atrium_dollar}, a variable holding "$" (Config.LiteralDollar).
func quoteValue(s string) (string, error) {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < 0x20 || c > 0x7e:
			return "", fmt.Errorf("refusing to render header value %q: byte %q is not printable ASCII", s, c)
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c == '$':
			b.WriteString("${atrium_dollar}")
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String(), notTooLong(b.String())
}

// notTooLong refuses an argument nginx would refuse (configmap.MaxArgument),
// as a second line of defence behind Build's own limits.
func notTooLong(s string) error {
	if len(s) > configmap.MaxArgument {
		return fmt.Errorf("refusing to render an argument of %d bytes (nginx's limit is 4095)", len(s))
	}
	return nil
}

var (
	cacheScopeRe = regexp.MustCompile(`^[0-9a-f]+$`)
	cacheVarRe   = regexp.MustCompile(`^[a-z0-9_]+$`)
	cacheTextRe  = regexp.MustCompile(`^[A-Za-z0-9._~:/@!,+=-]+$`)
)

// quoteCacheKey renders an auth cache key as one double-quoted argument:
// the scope (hex), ':', then the key's text and variables (as ${name}, so
// that text after one cannot lengthen its name), each as validated by
// annotations.parseHashKey.
func quoteCacheKey(c *AuthCache) (string, error) {
	if !cacheScopeRe.MatchString(c.Scope) || len(c.Key) == 0 {
		return "", fmt.Errorf("refusing to render auth cache key: scope %q, %d parts", c.Scope, len(c.Key))
	}
	var b strings.Builder
	b.WriteString(`"` + c.Scope + ":")
	for _, p := range c.Key {
		switch {
		case p.Var != "" && p.Text == "" && cacheVarRe.MatchString(p.Var):
			b.WriteString("${" + p.Var + "}")
		case p.Var == "" && cacheTextRe.MatchString(p.Text):
			b.WriteString(p.Text)
		default:
			return "", fmt.Errorf("refusing to render auth cache key part %+v", p)
		}
	}
	b.WriteByte('"')
	return b.String(), nil
}

// logVarRe reads a variable name as far as nginx does; a name Build did
// not lower-case is not on the allow-list, so it is refused.
var logVarRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*`)

// quoteLogFormat renders a validated log-format-upstream (or a
// proxy-set-headers value, configmap.ParseVarText) as one double-quoted
// argument: quotes escaped, every '$' starting a variable of the
// allow-list ($name or ${name}), no backslash, control character or '%'.
func quoteLogFormat(s string) (string, error) {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c < 0x20 || c > 0x7e || c == '\\' || c == '%':
			return "", fmt.Errorf("refusing to render log format %q: character %q", s, c)
		case c == '"':
			b.WriteString(`\"`)
		case c == '$' && strings.HasPrefix(s[i+1:], "{"):
			name := logVarRe.FindString(s[i+2:])
			if !configmap.LogVarAllowed(name) || !strings.HasPrefix(s[i+2+len(name):], "}") {
				return "", fmt.Errorf("refusing to render log format %q: variable %q", s, name)
			}
			b.WriteString("${" + name + "}")
			i += len(name) + 2
		case c == '$':
			name := logVarRe.FindString(s[i+1:])
			if !configmap.LogVarAllowed(name) {
				return "", fmt.Errorf("refusing to render log format %q: variable %q", s, name)
			}
			b.WriteString("$" + name)
			i += len(name)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String(), notTooLong(b.String())
}
