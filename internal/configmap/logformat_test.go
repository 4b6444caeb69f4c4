package configmap

import (
	"strings"
	"testing"
)

func TestLogFormat(t *testing.T) {
	ok := []struct {
		in, text string
		identity bool
	}{
		{`$remote_addr - [$time_local] "$request" $status`, `$remote_addr - [$time_local] "$request" $status`, false},
		{`{"ns": "$namespace", "id": "$req_id", "ua": "$http_user_agent"}`, `{"ns": "$atrium_namespace", "id": "$atrium_request_id", "ua": "$http_user_agent"}`, true},
		{`[$proxy_upstream_name] [$proxy_alternative_upstream_name] $upstream_addr`, `[$atrium_upstream_name] [$atrium_alternative_upstream] $upstream_addr`, false},
		{`$status{x};`, `$status{x};`, false},
	}
	for _, c := range ok {
		f, err := parseLogFormat(c.in)
		if err != nil {
			t.Errorf("%q: %v", c.in, err)
			continue
		}
		if f.Alternative != strings.Contains(c.in, "$proxy_alternative_upstream_name") {
			t.Errorf("%q: Alternative = %v", c.in, f.Alternative)
		}
		if f.Text != c.text || f.Identity != c.identity {
			t.Errorf("%q: got %+v, want text %q identity %v", c.in, f, c.text, c.identity)
		}
	}
	bad := map[string]string{
		`$cookie_session`:         "not one a log format may use",
		`$request_body`:           "not one a log format may use",
		`${status}`:               "does not start a variable",
		`$status$`:                "does not start a variable",
		"a\nb":                    "printable",
		`\" $status`:              "backslash",
		`$http_`:                  "not one a log format may use",
		strings.Repeat("x", 4097): "4096",
		`100% $status`:            "'%'",
		"":                        "4096",
	}
	for in, want := range bad {
		if _, err := parseLogFormat(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err = %v, want one containing %q", in, err, want)
		}
	}
}
