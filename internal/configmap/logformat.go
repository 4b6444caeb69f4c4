package configmap

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
)

// LogFormat is a validated log-format-upstream: Text is the format with
// ingress-nginx's own variables already renamed to Atrium's, every
// variable in it on the allow-list below.
type LogFormat struct {
	Text string
	// Identity says the format uses $namespace, $ingress_name,
	// $service_name, $service_port or $location_path, which every
	// location then sets (only then: they cost a little per request).
	Identity bool
	// Alternative says the format uses $proxy_alternative_upstream_name,
	// which every server then declares (canary locations set it).
	Alternative bool
}

// DefaultLogFormat is ingress-nginx's default log-format-upstream (its
// "upstreaminfo" line), so that log parsers and dashboards written for it
// keep working.
const DefaultLogFormat = `$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $request_length $request_time [$proxy_upstream_name] [$proxy_alternative_upstream_name] $upstream_addr $upstream_response_length $upstream_response_time $upstream_status $req_id`

// defaultLogFormat is DefaultLogFormat parsed.
func defaultLogFormat() LogFormat {
	f, err := parseLogFormat(DefaultLogFormat)
	if err != nil {
		panic("configmap: DefaultLogFormat: " + err.Error())
	}
	return f
}

// logVars are the nginx variables a log format may use, beyond the
// prefixes in logVarPrefixes. Nothing here reads request bodies or
// cookies (which carry sessions).
var logVars = map[string]bool{
	"remote_addr": true, "remote_port": true, "remote_user": true, "realip_remote_addr": true,
	"time_local": true, "time_iso8601": true, "msec": true,
	"request": true, "request_method": true, "request_uri": true, "uri": true, "args": true, "query_string": true,
	"server_protocol": true, "scheme": true, "host": true, "server_name": true, "server_addr": true, "server_port": true,
	"status": true, "body_bytes_sent": true, "bytes_sent": true, "request_length": true, "request_time": true,
	"upstream_addr": true, "upstream_status": true, "upstream_response_time": true, "upstream_response_length": true,
	"upstream_connect_time": true, "upstream_header_time": true, "upstream_bytes_received": true, "upstream_bytes_sent": true,
	"upstream_cache_status": true,
	"ssl_protocol":          true, "ssl_cipher": true, "ssl_server_name": true, "ssl_session_reused": true,
	"ssl_client_s_dn": true, "ssl_client_i_dn": true, "ssl_client_verify": true, "ssl_client_serial": true,
	"ssl_client_fingerprint": true, "ssl_client_escaped_cert": true,
	"connection": true, "connection_requests": true, "pid": true, "hostname": true, "request_id": true,
	"proxy_add_x_forwarded_for": true, "proxy_protocol_addr": true, "pipe": true, "gzip_ratio": true,
}

// logVarPrefixes admit request and response headers and query arguments.
var logVarPrefixes = []string{"http_", "sent_http_", "upstream_http_", "arg_"}

// logAliases are ingress-nginx's variables, by what Atrium calls them. A
// "" alias is a variable Atrium has no value for yet: it logs as empty.
var logAliases = map[string]string{
	"req_id":                          "atrium_request_id",
	"proxy_upstream_name":             "atrium_upstream_name",
	"proxy_alternative_upstream_name": "atrium_alternative_upstream",
	"namespace":                       "atrium_namespace",
	"ingress_name":                    "atrium_ingress_name",
	"service_name":                    "atrium_service_name",
	"service_port":                    "atrium_service_port",
	"location_path":                   "atrium_location_path",
}

// identityVars are the aliases every location must set.
var identityVars = map[string]bool{"atrium_namespace": true, "atrium_ingress_name": true, "atrium_service_name": true,
	"atrium_service_port": true, "atrium_location_path": true}

// logVarName is how far nginx reads a variable name after '$' (it then
// ignores case): "$remote_addrX" is the unknown $remote_addrx, not
// $remote_addr and a letter. Names are kept lower-case.
var logVarName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*`)

// parseLogFormat validates a format: printable ASCII without backslashes
// (nginx would read escapes), and every "$" starting an allowed variable;
// "${name}" is not accepted, so a literal "{" can follow a variable.
func parseLogFormat(v string) (LogFormat, error) {
	v = strings.TrimSpace(v)
	if v == "" || len(v) > 4096 {
		return LogFormat{}, fmt.Errorf("the format must have 1 to 4096 characters")
	}
	var out strings.Builder
	var f LogFormat
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c < 0x20 || c > 0x7e:
			return LogFormat{}, fmt.Errorf("character %q at %d is not printable ASCII", c, i)
		case c == '\\':
			return LogFormat{}, fmt.Errorf("a backslash (at %d) is not allowed", i)
		case c == '%':
			// Refused since the first release (the config-hash placeholder
			// once held one); nginx gives it no meaning in log_format.
			return LogFormat{}, fmt.Errorf("'%%' (at %d) is not allowed", i)
		case c != '$':
			out.WriteByte(c)
			continue
		}
		name := logVarName.FindString(v[i+1:])
		if name == "" {
			return LogFormat{}, fmt.Errorf("'$' at %d does not start a variable name", i)
		}
		i += len(name)
		name = strings.ToLower(name)
		if alias, ok := logAliases[name]; ok {
			if alias != "" {
				out.WriteString("$" + alias)
				f.Identity = f.Identity || identityVars[alias]
				f.Alternative = f.Alternative || alias == "atrium_alternative_upstream"
			}
			continue
		}
		if !allowedLogVar(name) {
			return LogFormat{}, fmt.Errorf("variable $%s is not one a log format may use", name)
		}
		out.WriteString("$" + name)
	}
	f.Text = out.String()
	if n := RenderedLen(f.Text); n > MaxArgument {
		return LogFormat{}, fmt.Errorf("the format is %d bytes once written into nginx.conf, more than its %d", n, MaxArgument)
	}
	return f, nil
}

// LogVarAllowed says whether a validated format (LogFormat.Text) may
// contain $name: an allowed nginx variable or one Atrium sets for an alias.
func LogVarAllowed(name string) bool {
	for _, a := range logAliases {
		if a != "" && a == name {
			return true
		}
	}
	return allowedLogVar(name)
}

func allowedLogVar(name string) bool {
	if logVars[name] {
		return true
	}
	for _, p := range logVarPrefixes {
		if strings.HasPrefix(name, p) && len(name) > len(p) {
			return true
		}
	}
	return false
}

// logPathRe is what an access log path may contain.
var logPathRe = regexp.MustCompile(`^/[A-Za-z0-9._/-]*$`)

func init() {
	register(Key{Name: "log-format-upstream", Doc: "Access log format: text and nginx variables from an allow-list (request, response, upstream, TLS and header variables; not cookies), plus ingress-nginx's $req_id, $proxy_upstream_name, $namespace, $ingress_name, $service_name, $service_port, $location_path and $proxy_alternative_upstream_name (the canary's upstream when a canary took the request, else empty), with ingress-nginx's upstream names (`<namespace>-<service>-<port>`, the port as the Ingress backend gives it, number or name; `upstream-default-backend`; `custom-default-backend-<namespace>-<service>`; `-` for none); default ingress-nginx's: `" + DefaultLogFormat + "`.",
		Parse: func(v string, c *Config) error {
			f, err := parseLogFormat(v)
			if err != nil {
				return err
			}
			c.LogFormat = f
			return nil
		},
		keep: func(dst *Config, prev Config) { dst.LogFormat = prev.LogFormat },
	})
	boolKey("log-format-escape-json", "Escape variables in the access log as JSON strings; default false.", func(c *Config) *bool { return &c.LogFormatEscapeJSON })
	boolKey("log-format-escape-none", "Do not escape variables in the access log; default false.", func(c *Config) *bool { return &c.LogFormatEscapeNone })
	register(Key{Name: "access-log-path", Doc: "Access log file (absolute path, e.g. /dev/stdout); turns access logging on and overrides --access-log.",
		Parse: func(v string, c *Config) error {
			v = strings.TrimSpace(v)
			if !logPathRe.MatchString(v) || filepath.Clean(v) != v || len(v) > 1024 {
				return fmt.Errorf("%q is not a plain absolute path", v)
			}
			c.AccessLogPath = v
			return nil
		},
		keep: func(dst *Config, prev Config) { dst.AccessLogPath = prev.AccessLogPath },
	})
	boolKey("disable-access-log", "Turn the access log off, whatever --access-log and access-log-path say; default false.", func(c *Config) *bool { return &c.DisableAccessLog })
}

// MaxArgument bounds one rendered nginx.conf argument, quotes and escapes
// included: nginx refuses an argument of 4096 bytes or more ("too long
// parameter"), and a config it refuses holds back every later change.
const MaxArgument = 4000

// RenderedLen is the length of s as one double-quoted argument: each '"'
// and '\' escaped.
func RenderedLen(s string) int {
	return len(s) + 2 + strings.Count(s, `"`) + strings.Count(s, `\`)
}

// ParseVarText validates a request header value of proxy-set-headers as
// ingress-nginx wrote it: printable ASCII without backslashes or '%', and
// every '$' starting a variable of the log-format allow-list, as $name or
// ${name} (so "t=${msec}" works). It returns the value with ingress-nginx's
// variable names replaced by Atrium's, which quoteLogFormat renders.
// ingress-nginx's per-location names ($namespace, $ingress_name...) are
// for log formats only.
func ParseVarText(v string) (string, error) {
	if v == "" || len(v) > 4096 {
		return "", fmt.Errorf("the value must have 1 to 4096 characters")
	}
	var out strings.Builder
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c < 0x20 || c > 0x7e:
			return "", fmt.Errorf("character %q at %d is not printable ASCII", c, i)
		case c == '\\' || c == '%':
			return "", fmt.Errorf("%q (at %d) is not allowed", c, i)
		case c != '$':
			out.WriteByte(c)
			continue
		}
		braced := i+1 < len(v) && v[i+1] == '{'
		start := i + 1
		if braced {
			start++
		}
		name := logVarName.FindString(v[start:])
		end := start + len(name)
		if name == "" || (braced && (end >= len(v) || v[end] != '}')) {
			return "", fmt.Errorf("'$' at %d does not start a variable ($name or ${name})", i)
		}
		name = strings.ToLower(name)
		if alias, ok := logAliases[name]; ok {
			if alias == "" || identityVars[alias] || alias == "atrium_alternative_upstream" {
				return "", fmt.Errorf("variable $%s is for log formats only", name)
			}
			name = alias
		} else if !allowedLogVar(name) {
			return "", fmt.Errorf("variable $%s is not one of the allowed variables", name)
		}
		if braced {
			out.WriteString("${" + name + "}")
			i = end
		} else {
			out.WriteString("$" + name)
			i = end - 1
		}
	}
	if n := RenderedLen(out.String()); n > MaxArgument {
		return "", fmt.Errorf("the value is %d bytes once written into nginx.conf, more than its %d", n, MaxArgument)
	}
	return out.String(), nil
}
