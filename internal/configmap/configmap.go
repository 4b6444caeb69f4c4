// Package configmap reads the controller-wide settings from the
// ingress-nginx style ConfigMap (--configmap), with ingress-nginx's key
// names and defaults. Like the annotations, each key has a typed parser
// and validator; a refused value keeps the previous value for that key.
package configmap

import (
	"fmt"
	"sort"
)

// Key describes one supported ConfigMap key.
type Key struct {
	Name string
	Doc  string
	// Parse validates a value and stores it in c.
	Parse func(value string, c *Config) error
	// keep copies this key's setting from a previous Config, used when a
	// new value is refused.
	keep func(dst *Config, prev Config)
	// failsClosed: a refused value does not keep the previous one but
	// closes what the key guards (global-auth-*: Config.GlobalAuth.Refused).
	failsClosed bool
}

var keys = map[string]Key{}

func register(k Key) {
	if _, dup := keys[k.Name]; dup {
		panic("configmap key registered twice: " + k.Name)
	}
	keys[k.Name] = k
}

// Keys returns the supported keys sorted by name.
func Keys() []Key {
	out := make([]Key, 0, len(keys))
	for _, k := range keys {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Invalid is a refused value; the previous value of the key stays, or
// with FailsClosed what the key guards is closed (global-auth-*: the
// paths global auth covers answer 503).
type Invalid struct {
	Key, Value, Problem string
	FailsClosed         bool
}

// Outcome says what a refused value leads to, for its Event.
func (i Invalid) Outcome() string {
	if i.FailsClosed {
		return "the paths global-auth-url covers answer 503 until it is fixed"
	}
	return "the previous value stays"
}

// Result is a parsed ConfigMap.
type Result struct {
	Config  Config
	Invalid []Invalid
	Unknown []string // keys Atrium does not support, sorted
}

// Parse reads data on top of the defaults; a refused value keeps prev's
// value for that key (pass Defaults() when there is no previous Config).
func Parse(data map[string]string, prev Config) Result {
	r := Result{Config: Defaults()}
	names := make([]string, 0, len(data))
	for k := range data {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, name := range names {
		k, ok := keys[name]
		if !ok {
			r.Unknown = append(r.Unknown, name)
			continue
		}
		if err := k.Parse(data[name], &r.Config); err != nil {
			r.Invalid = append(r.Invalid, Invalid{Key: name, Value: data[name], Problem: err.Error(), FailsClosed: k.failsClosed})
			k.keep(&r.Config, prev)
		}
	}
	return r
}

// Markdown renders docs/configmap.md.
func Markdown() string {
	s := "# ConfigMap keys\n\nGenerated from internal/configmap by `go test ./internal/configmap -update`; a test fails when it is stale.\n\n" +
		"Pass `--configmap namespace/name`. Keys and defaults are ingress-nginx's; changes apply live. " +
		"An unknown key raises a Warning Event on the ConfigMap; a refused value keeps the previous value and raises one naming the key.\n\n" +
		"| key | meaning |\n|---|---|\n"
	for _, k := range Keys() {
		s += fmt.Sprintf("| `%s` | %s |\n", k.Name, k.Doc)
	}
	return s
}
