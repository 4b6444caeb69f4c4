package configmap

import (
	"fmt"
	"net"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/atrium-ingress/atrium/internal/annotations"
)

// The kinds of value keys take; each builds a Key whose keep copies the
// same field, so a refused value leaves the previous one in place.

func intKey(name, doc string, lo, hi int, field func(*Config) *int) {
	register(Key{Name: name, Doc: doc,
		Parse: func(v string, c *Config) error {
			n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), "s"))
			if err != nil || n < lo || n > hi {
				return fmt.Errorf("%q is not a whole number from %d to %d", v, lo, hi)
			}
			*field(c) = n
			return nil
		},
		keep: func(dst *Config, prev Config) { *field(dst) = *field(&prev) },
	})
}

func boolKey(name, doc string, field func(*Config) *bool) {
	register(Key{Name: name, Doc: doc,
		Parse: func(v string, c *Config) error {
			switch strings.ToLower(strings.TrimSpace(v)) {
			case "true":
				*field(c) = true
			case "false":
				*field(c) = false
			default:
				return fmt.Errorf("%q is not true or false", v)
			}
			return nil
		},
		keep: func(dst *Config, prev Config) { *field(dst) = *field(&prev) },
	})
}

var sizeRe = regexp.MustCompile(`^[0-9]{1,9}[km]?$`)

func sizeKey(name, doc string, field func(*Config) *string) {
	register(Key{Name: name, Doc: doc,
		Parse: func(v string, c *Config) error {
			v = strings.ToLower(strings.TrimSpace(v))
			if !sizeRe.MatchString(v) {
				return fmt.Errorf("%q is not a size (a number with an optional k or m suffix)", v)
			}
			*field(c) = v
			return nil
		},
		keep: func(dst *Config, prev Config) { *field(dst) = *field(&prev) },
	})
}

// boundedSizeKey is sizeKey within lo to hi bytes.
func boundedSizeKey(name, doc string, lo, hi int64, field func(*Config) *string) {
	register(Key{Name: name, Doc: doc,
		Parse: func(v string, c *Config) error {
			v = strings.ToLower(strings.TrimSpace(v))
			if !sizeRe.MatchString(v) {
				return fmt.Errorf("%q is not a size (a number with an optional k or m suffix)", v)
			}
			n, _ := strconv.ParseInt(strings.TrimRight(v, "km"), 10, 64)
			switch v[len(v)-1] {
			case 'k':
				n <<= 10
			case 'm':
				n <<= 20
			}
			if n < lo || n > hi {
				return fmt.Errorf("%q is not from %dk to %dm", v, lo>>10, hi>>20)
			}
			*field(c) = v
			return nil
		},
		keep: func(dst *Config, prev Config) { *field(dst) = *field(&prev) },
	})
}

// annotationKey takes what the annotation of the same name takes
// (validated by package annotations), so that a value is valid as the
// global default exactly when it is valid on an Ingress; set stores it
// from the annotation's Set and keep restores the previous value.
func annotationKey(name, doc string, set func(s annotations.Set, c *Config), keep func(dst *Config, prev Config)) {
	register(Key{Name: name, Doc: doc,
		Parse: func(v string, c *Config) error {
			s, err := annotations.ParseOne(name, v)
			if err != nil {
				return err
			}
			set(s, c)
			return nil
		},
		keep: keep,
	})
}

// enumKey takes one of a fixed set of words.
func enumKey(name, doc string, allowed []string, field func(*Config) *string) {
	register(Key{Name: name, Doc: doc,
		Parse: func(v string, c *Config) error {
			v = strings.TrimSpace(v)
			for _, a := range allowed {
				if v == a {
					*field(c) = v
					return nil
				}
			}
			return fmt.Errorf("%q is not one of %s", v, strings.Join(allowed, ", "))
		},
		keep: func(dst *Config, prev Config) { *field(dst) = *field(&prev) },
	})
}

// listKey takes a separated list whose every item matches item.
func listKey(name, doc, sep string, item func(string) (string, error), field func(*Config) *[]string) {
	register(Key{Name: name, Doc: doc,
		Parse: func(v string, c *Config) error {
			var out []string
			for _, f := range strings.Split(v, sep) {
				if f = strings.TrimSpace(f); f == "" {
					continue
				}
				it, err := item(f)
				if err != nil {
					return err
				}
				// Once each: nginx refuses a map key given twice.
				if it != "" && !slices.Contains(out, it) {
					out = append(out, it)
				}
			}
			*field(c) = out
			return nil
		},
		keep: func(dst *Config, prev Config) { *field(dst) = append([]string(nil), *field(&prev)...) },
	})
}

func cidr(f string) (string, error) {
	if ip := net.ParseIP(f); ip != nil {
		if ip.To4() != nil {
			return ip.String() + "/32", nil
		}
		return ip.String() + "/128", nil
	}
	_, n, err := net.ParseCIDR(f)
	if err != nil {
		return "", fmt.Errorf("%q is not an IP address or CIDR", f)
	}
	return n.String(), nil
}

// token is an HTTP header name or a MIME type: no quotes, spaces or
// characters with a meaning to nginx's config.
var tokenRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9!#&^_.+/-]*$`)

func token(f string) (string, error) {
	if !tokenRe.MatchString(f) || len(f) > 128 {
		return "", fmt.Errorf("%q is not a plain token", f)
	}
	return f, nil
}

// userAgent is an exact User-Agent string to block: printable ASCII, no
// quotes, backslashes, '$', ';' or braces (they would mean something to nginx).
var userAgentRe = regexp.MustCompile(`^[A-Za-z0-9 ./()_:,+*=-]+$`)

// userAgent checks a block-user-agents entry and returns it in lower
// case: nginx's map compares strings without case (so "BadBot" and
// "badbot" would be one key given twice, which nginx refuses). At most 100
// characters: longer keys do not fit the map's hash buckets
// (map_hash_bucket_size 128), and nginx would refuse the config.
func userAgent(f string) (string, error) {
	if !userAgentRe.MatchString(f) || len(f) > 100 {
		return "", fmt.Errorf("%q is not an allowed User-Agent string (up to 100 letters, digits, spaces and ./()_:,+*=-)", f)
	}
	f = strings.ToLower(f)
	// These are keywords as keys of nginx's map, quoted or not.
	switch f {
	case "default", "hostnames", "include", "volatile":
		return "", fmt.Errorf("%q is a keyword of nginx's map and cannot be blocked as a User-Agent", f)
	}
	return f, nil
}

// objectNameRe is "namespace/name": a DNS label, then a DNS subdomain.
var objectNameRe = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?/[a-z0-9]([-.a-z0-9]{0,251}[a-z0-9])?$`)

// objectKey takes a reference to another object as "namespace/name".
func objectKey(name, doc string, field func(*Config) *string) {
	register(Key{Name: name, Doc: doc,
		Parse: func(v string, c *Config) error {
			v = strings.TrimSpace(v)
			if v != "" && !objectNameRe.MatchString(v) {
				return fmt.Errorf("%q is not namespace/name", v)
			}
			*field(c) = v
			return nil
		},
		keep: func(dst *Config, prev Config) { *field(dst) = *field(&prev) },
	})
}
