package configmap

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Error answers.
func init() {
	register(Key{Name: "custom-http-errors",
		Doc: "Comma-separated status codes (400-599): responses with them are replaced by the default backend's answer " +
			"(`--default-backend-service`, else a plain 404), which gets the request with the URI `/` and the headers listed " +
			"under the `custom-http-errors` annotation; that annotation replaces this list for its Ingress's paths. Default none.",
		Parse: func(v string, c *Config) error {
			codes, err := statusCodes(v)
			if err != nil {
				return err
			}
			c.CustomHTTPErrors = codes
			return nil
		},
		keep: func(dst *Config, prev Config) { dst.CustomHTTPErrors = append([]int(nil), prev.CustomHTTPErrors...) },
	})
}

// statusCodes reads comma-separated status codes from 400 to 599 and
// returns them sorted without duplicates; an empty list is none.
func statusCodes(v string) ([]int, error) {
	seen := map[int]bool{}
	var out []int
	for _, f := range strings.Split(v, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil || len(f) != 3 || n < 400 || n > 599 {
			return nil, fmt.Errorf("%q is not an HTTP status code from 400 to 599", f)
		}
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	sort.Ints(out)
	return out, nil
}
