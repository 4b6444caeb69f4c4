package annotations

import (
	"fmt"
	"regexp"
	"strings"
)

// HashPart is one piece of an upstream-hash-by key: an nginx variable
// (Var, without '$') or literal text.
type HashPart struct {
	Var  string
	Text string
}

// hashVars are the nginx variables a hash key may use, beyond the
// prefixes in hashVarPrefixes and the regex captures $1-$9: what a
// request says about itself, nothing nginx computes later.
var hashVars = map[string]bool{
	"remote_addr": true, "binary_remote_addr": true, "remote_port": true, "realip_remote_addr": true,
	"request_uri": true, "uri": true, "document_uri": true, "args": true, "query_string": true,
	"request_method": true, "remote_user": true, "scheme": true, "https": true, "host": true, "server_name": true,
	"server_port": true, "server_addr": true, "server_protocol": true, "ssl_server_name": true,
	"proxy_add_x_forwarded_for": true, "request_id": true,
}

// hashVarPrefixes admit request headers, cookies and query arguments.
var hashVarPrefixes = []string{"http_", "cookie_", "arg_"}

var (
	hashVarName  = regexp.MustCompile(`^[A-Za-z0-9_]+`)
	hashTextRe   = regexp.MustCompile(`^[A-Za-z0-9._~:/@!,+=-]+`)
	hashCaptures = regexp.MustCompile(`^[1-9]$`)
)

// parseHashKey reads an upstream-hash-by value as ingress-nginx does
// (nginx's complex value syntax: text, `$name` and `${name}`), with the
// variables limited to hashVars and the text to plain characters.
func parseHashKey(v string) ([]HashPart, error) {
	v = strings.TrimSpace(v)
	if v == "" || len(v) > 512 {
		return nil, fmt.Errorf("the key must have 1 to 512 characters")
	}
	var out []HashPart
	for i := 0; i < len(v); {
		if v[i] != '$' {
			t := hashTextRe.FindString(v[i:])
			if t == "" {
				return nil, fmt.Errorf("%q: character %q at %d is not allowed (text may use letters, digits and . _ ~ : / @ ! , + = -)", v, v[i], i)
			}
			out = append(out, HashPart{Text: t})
			i += len(t)
			continue
		}
		rest, braced := v[i+1:], false
		if strings.HasPrefix(rest, "{") {
			rest, braced = rest[1:], true
		}
		name := hashVarName.FindString(rest)
		if name == "" {
			return nil, fmt.Errorf("%q: '$' at %d does not start a variable name", v, i)
		}
		if !hashVarAllowed(name) {
			return nil, fmt.Errorf("%q: variable $%s is not one a key may use (request variables, $http_*, $cookie_*, $arg_*, $1-$9)", v, name)
		}
		n := 1 + len(name)
		if braced {
			if !strings.HasPrefix(rest[len(name):], "}") {
				return nil, fmt.Errorf("%q: \"${\" at %d is not closed", v, i)
			}
			n += 2
		}
		out = append(out, HashPart{Var: strings.ToLower(name)})
		i += n
	}
	return out, nil
}

func hashVarAllowed(name string) bool {
	name = strings.ToLower(name)
	if hashVars[name] || hashCaptures.MatchString(name) {
		return true
	}
	for _, p := range hashVarPrefixes {
		if strings.HasPrefix(name, p) && len(name) > len(p) {
			return true
		}
	}
	return false
}
