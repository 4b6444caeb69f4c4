package nginxconf

import (
	"strings"
	"testing"
)

func TestValidateRegexPath(t *testing.T) {
	for _, p := range []string{
		"/", "/api", "/something(/|$)(.*)", "/api/v[0-9]+/users", `/static/.*\.css$`, "/(?i)x", "/(?:a|b)",
		"/a-b_c.d~e!f&g,h=i:j@k", `/x\d+\w\s\/`, "/[^/]+/x?", `/a\\b`, "/x$",
	} {
		if err := validateRegexPath(p); err != nil {
			t.Errorf("%q refused: %v", p, err)
		}
	}
	for _, p := range []string{
		"", "api", "/x{1,2}", "/x$host", "/x$1", "/x${a}", `/x\$`, `/x\1`, `/x\n`, `/x\`, "/(?=x)", "/(?!x)", "/(a", "/a)",
		"/[a", "/x y", "/x\"", "/x'", "/x;", "/x#", "/x%41", "/(?P<n>x)", "/a++", "/(*ACCEPT)", "/x\u00e9", "/" + strings.Repeat("a", 2048),
	} {
		if err := validateRegexPath(p); err == nil {
			t.Errorf("%q accepted", p)
		}
	}
}

// TestQuotePath: qpath doubles backslashes (nginx decodes them in quotes)
// and refuses anything that could start a variable or end the argument;
// the grammar parser reads back exactly the value.
func TestQuotePath(t *testing.T) {
	for _, s := range []string{"^/api", `^/static/.*\.css$`, "(?i)/something(/|$)(.*)", "/$2", "$1/x$9", `^/a\\n`} {
		q, err := quotePath(s)
		if err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		conf, err := parseNginxConf([]byte("x " + q + ";"))
		if err != nil || len(conf.Directives) != 1 || len(conf.Directives[0].Args) != 1 || conf.Directives[0].Args[0] != s {
			t.Errorf("%q rendered as %s reads back as %+v (%v)", s, q, conf, err)
		}
	}
	for _, s := range []string{"", "/$host", "/${x}", "/$0", "/$_", "/x\"", "/x y", "/x;", "/x{", "/x}", "/x#", "/x'", "/x\n", "/x%"} {
		if q, err := quotePath(s); err == nil {
			t.Errorf("%q rendered as %s", s, q)
		}
	}
}
