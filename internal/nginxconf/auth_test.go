package nginxconf

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestValidHtpasswd(t *testing.T) {
	if err := ValidHtpasswd([]byte(testHtpasswd)); err != nil {
		t.Fatalf("the test file: %v", err)
	}
	for _, bad := range []string{
		"",
		"# only a comment\n\n",
		"alice:secret\n",                       // plain text
		"alice:{PLAIN}secret\n",                // refused scheme
		"alice:abJnggxhB/yWI\n",                // DES crypt
		"alice:$y$j9T$abc$def\n",               // yescrypt
		"alice\n",                              // no hash
		":" + testAPR1 + "\n",                  // no user
		"al\tice:" + testAPR1 + "\n",           // control character
		"alice:" + testAPR1 + ":comment\x00\n", // control character in the comment
		"alice:$apr1$atrium$3YmbqTs4m2vCiylTH4yFK\n",                           // one character short
		"alice:$2y$03$atriumatriumatriumatreyYhFQtzqkrdXiu6tuwq20Q50ezpsXzG\n", // cost below 4
		"alice:{SSHA}G9gAEs9vj0EGnliKdEC08k9G9m0=\n",                           // no salt
		"alice:" + testAPR1 + "\nbob:x\n",
		strings.Repeat("a:"+testAPR1+"\n", MaxHtpasswdBytes/30),
	} {
		if err := ValidHtpasswd([]byte(bad)); err == nil {
			t.Errorf("%.60q accepted", bad)
		}
	}
	if err := ValidHtpasswd([]byte("alice:secret\n")); err == nil || !strings.Contains(err.Error(), "line 1") {
		t.Errorf("the error does not name the line: %v", err)
	}
}

func TestHtpasswdFromMap(t *testing.T) {
	got, err := HtpasswdFromMap(map[string][]byte{"bob": []byte(testSHA), "alice": []byte(testAPR1)})
	if want := "alice:" + testAPR1 + "\nbob:" + testSHA + "\n"; err != nil || string(got) != want {
		t.Fatalf("got %q, %v; want %q", got, err, want)
	}
	for _, bad := range []map[string][]byte{{}, {"alice": []byte("secret")}, {"#alice": []byte(testAPR1)}, {"a:b": []byte(testAPR1)}} {
		if _, err := HtpasswdFromMap(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if LooksLikeAuthMap(map[string][]byte{"token": []byte("abc")}) || !LooksLikeAuthMap(map[string][]byte{"a": []byte(testSHA), "b": []byte("x")}) {
		t.Error("LooksLikeAuthMap")
	}
}

func TestSigninURL(t *testing.T) {
	for in, want := range map[string]Signin{
		"https://login.example/start":          {URL: "https://login.example/start?rd=", AddRedirect: true},
		"https://login.example/start?":         {URL: "https://login.example/start?rd=", AddRedirect: true},
		"https://login.example/start?x=1":      {URL: "https://login.example/start?x=1&rd=", AddRedirect: true},
		"https://login.example/start?rd=/home": {URL: "https://login.example/start?rd=/home"},
		"/start?rd=":                           {URL: "/start?rd=&rd=", AddRedirect: true}, // empty: ingress-nginx adds it too
	} {
		if got := *signin(in, "rd"); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: %+v, want %+v", in, got, want)
		}
	}
}

// goldenConfigs parses every golden nginx.conf.
func goldenConfigs(t *testing.T) map[string]*nginxConf {
	t.Helper()
	out := map[string]*nginxConf{}
	for _, dir := range caseDirs(t) {
		src, err := os.ReadFile(filepath.Join(dir, "nginx.conf"))
		if err != nil {
			t.Fatal(err)
		}
		c, err := parseNginxConf(src)
		if err != nil {
			t.Fatalf("%s: %v", dir, err)
		}
		out[filepath.Base(dir)] = c
	}
	return out
}

func blockOf(ds []Directive, name string) []Directive {
	for _, d := range ds {
		if d.Name == name && d.IsBlock() {
			return d.Block
		}
	}
	return nil
}

// headerNames lists the names of the name directives of a block, lower-cased.
func headerNames(ds []Directive, name string) map[string]bool {
	out := map[string]bool{}
	for _, d := range ds {
		if d.Name == name && len(d.Args) == 2 {
			out[strings.ToLower(d.Args[0])] = true
		}
	}
	return out
}

// TestLocationHeadersRepeatHTTPLevel: a location with proxy_set_header
// (grpc_set_header) lines of its own loses the http-level ones in nginx,
// so it must repeat every one of them. Internal and named locations (the
// auth subrequest, the error pages) send their own set on purpose.
func TestLocationHeadersRepeatHTTPLevel(t *testing.T) {
	checked := 0
	for name, c := range goldenConfigs(t) {
		http := blockOf(c.Directives, "http")
		for _, dir := range []string{"proxy_set_header", "grpc_set_header"} {
			want := headerNames(http, dir)
			for _, srv := range http {
				if srv.Name != "server" {
					continue
				}
				for _, loc := range srv.Block {
					if loc.Name != "location" || strings.HasPrefix(loc.Args[len(loc.Args)-1], "@") || mentionsDirective(loc.Block, "internal") {
						continue
					}
					got := headerNames(loc.Block, dir)
					if len(got) == 0 {
						continue
					}
					checked++
					for h := range want {
						if !got[h] {
							t.Errorf("%s: location %q has its own %s lines but not %s of the http level", name, loc.Args, dir, h)
						}
					}
				}
			}
		}
	}
	if checked == 0 {
		t.Fatal("no golden location has its own request headers: the test checks nothing")
	}
}

func mentionsDirective(ds []Directive, name string) bool {
	for _, d := range ds {
		if d.Name == name {
			return true
		}
	}
	return false
}

// setsOf maps the variables a block sets (`set $v value`, not in nested
// blocks) to their values.
func setsOf(ds []Directive) map[string]string {
	out := map[string]string{}
	for _, d := range ds {
		if d.Name == "set" && len(d.Args) == 2 {
			out[d.Args[0]] = d.Args[1]
		}
	}
	return out
}

// TestAuthLocationRestoresServerVars: nginx runs a server's rewrite
// directives again for the auth_request subrequest, on variables the
// subrequest shares with the request, so every server-level `set` would
// undo what the location set for the endpoints (upstream-vhost, ...). The
// auth location must set each such variable back to its location's value.
func TestAuthLocationRestoresServerVars(t *testing.T) {
	checked := 0
	for name, c := range goldenConfigs(t) {
		for _, srv := range blockOf(c.Directives, "http") {
			if srv.Name != "server" {
				continue
			}
			serverVars := setsOf(srv.Block)
			auth := map[string]map[string]string{}
			for _, loc := range srv.Block {
				if loc.Name == "location" && len(loc.Args) == 2 && loc.Args[0] == "=" && mentionsDirective(loc.Block, "internal") {
					auth[loc.Args[1]] = setsOf(loc.Block)
				}
			}
			for _, loc := range srv.Block {
				if loc.Name != "location" {
					continue
				}
				for _, d := range loc.Block {
					if d.Name != "auth_request" {
						continue
					}
					restored, ok := auth[d.Args[0]]
					if !ok {
						t.Errorf("%s: location %q: no internal location %s", name, loc.Args, d.Args[0])
						continue
					}
					checked++
					for v, val := range setsOf(loc.Block) {
						if _, reset := serverVars[v]; reset && restored[v] != val {
							t.Errorf("%s: location %q sets %s %q, which the server resets; its auth location %s sets %q", name, loc.Args, v, val, d.Args[0], restored[v])
						}
					}
				}
			}
		}
	}
	if checked == 0 {
		t.Fatal("no golden location uses auth_request: the test checks nothing")
	}
}
