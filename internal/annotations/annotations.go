// Package annotations reads the ingress-nginx annotations Atrium supports
// (nginx.ingress.kubernetes.io/*, prefix configurable) into a typed Set.
// Each annotation is one file holding one Def: its key, scope, risk, one
// line of doc and a parser that validates the value against an allow-list
// and stores it in its own typed field of Set. Nothing here renders: the
// core (internal/nginxconf) decides what a Set means for nginx.
package annotations

import (
	"fmt"
	"sort"
	"strings"
)

// DefaultPrefix is ingress-nginx's annotation prefix.
const DefaultPrefix = "nginx.ingress.kubernetes.io"

// Scope is what an annotation applies to.
type Scope string

// Scopes, as ingress-nginx documents them.
const (
	ScopeLocation Scope = "location" // each path of the Ingress
	ScopeServer   Scope = "server"   // each host of the Ingress
	ScopeIngress  Scope = "ingress"  // the Ingress as a whole
)

// Risk is how much harm a wrong value could do, as ingress-nginx rates it.
type Risk string

// Risks.
const (
	RiskLow      Risk = "Low"
	RiskMedium   Risk = "Medium"
	RiskHigh     Risk = "High"
	RiskCritical Risk = "Critical"
)

// Def describes one supported annotation.
type Def struct {
	Key   string // without the prefix, e.g. "proxy-body-size"
	Scope Scope
	Risk  Risk
	Doc   string
	// Parse validates a value and stores it in s; the error names the
	// problem with the value (the caller names the annotation).
	Parse func(value string, s *Set) error
}

var registry = map[string]Def{}

// register adds a Def; each annotation file calls it from init.
func register(d Def) {
	if _, dup := registry[d.Key]; dup {
		panic("annotation registered twice: " + d.Key)
	}
	registry[d.Key] = d
}

// Defs returns the supported annotations sorted by key.
func Defs() []Def {
	out := make([]Def, 0, len(registry))
	for _, d := range registry {
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// ParseOne validates value as annotation key (without the prefix) and
// returns a Set holding only it. The ConfigMap's global defaults of the
// same name use it, so a value is valid in both places or in neither.
func ParseOne(key, value string) (Set, error) {
	var s Set
	d, ok := registry[key]
	if !ok {
		return s, fmt.Errorf("no annotation %q", key)
	}
	if err := d.Parse(value, &s); err != nil {
		return s, err
	}
	s.finish()
	return s, nil
}

// Invalid is an annotation whose value was refused.
type Invalid struct {
	Key     string // the full annotation key
	Value   string
	Problem string
}

// Result is what Parse found on one Ingress.
type Result struct {
	Set Set
	// Invalid lists refused values; the Ingress's paths then fail closed.
	Invalid []Invalid
	// Unsupported lists keys with the prefix that Atrium does not
	// implement (every *-snippet among them), sorted.
	Unsupported []string
	// Supported lists the keys that were read, sorted.
	Supported []string
}

// Parse reads the annotations with the given prefix.
func Parse(ann map[string]string, prefix string) Result {
	var r Result
	keys := make([]string, 0, len(ann))
	for k := range ann {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		name, ok := strings.CutPrefix(k, prefix+"/")
		if !ok {
			continue
		}
		d, ok := registry[name]
		if !ok {
			r.Unsupported = append(r.Unsupported, k)
			continue
		}
		if err := d.Parse(ann[k], &r.Set); err != nil {
			r.Invalid = append(r.Invalid, Invalid{Key: k, Value: ann[k], Problem: err.Error()})
			continue
		}
		r.Supported = append(r.Supported, k)
	}
	r.Set.finish()
	return r
}

// Markdown renders the reference table of docs/annotations.md.
func Markdown(prefix string) string {
	var b strings.Builder
	b.WriteString("# Annotations\n\n")
	b.WriteString("Generated from internal/annotations by `go test ./internal/annotations -update`; a test fails when it is stale.\n\n")
	fmt.Fprintf(&b, "Atrium reads these `%s/*` annotations with the meaning ingress-nginx gave them. ", prefix)
	b.WriteString("A value that fails validation makes the Ingress's paths answer 503 and raises a Warning Event naming the annotation; ")
	b.WriteString("any other annotation with the prefix (every `*-snippet` among them) is not supported and is reported in one Warning Event.\n\n")
	b.WriteString("| annotation | scope | risk | meaning |\n|---|---|---|---|\n")
	for _, d := range Defs() {
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", d.Key, d.Scope, d.Risk, d.Doc)
	}
	return b.String()
}
