package nginxconf

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// A small tokenizer and parser of nginx's configuration grammar, used by the
// fuzz and CVE tests to look at a rendered nginx.conf the way nginx does.
// It follows ngx_conf_read_token (src/core/ngx_conf_file.c, nginx 1.22):
//
//   - a directive is words ended by ';', a block is words then '{' ... '}';
//   - whitespace is space, tab, CR and LF;
//   - a word that starts with '"' or '\'' runs to the matching quote, and
//     after the closing quote only whitespace, ';', '{' or ')' may follow;
//     a quote in the middle of a word is an ordinary character;
//   - '#' starts a comment (to the end of the line) only where a word could
//     start; inside a word or quotes it is an ordinary character;
//   - ';' and '{' end an unquoted word, '}' only ends a directive where a
//     word could start (so "a}" is one word);
//   - a backslash makes the next character ordinary while scanning; when the
//     word is stored, \" \' \\ \t \r \n are decoded and any other backslash
//     is kept together with the character after it;
//   - after '$', a '{' is part of the word ("${var}"); variables are only text.
//
// The contents of a "*_by_lua_block { ... }" are Lua, not nginx syntax (the
// lua module reads them with its own scanner), so they are kept as one raw
// pseudo-directive named luaBodyDirective.

// Directive is one nginx directive: a simple one (Block == nil) or a block.
type Directive struct {
	Name string
	// Args are the words after the name, decoded as nginx stores them.
	Args []string
	// Quoted[i] says whether Args[i] was written in single or double quotes.
	Quoted []bool
	// Block is nil for a simple directive and non-nil (maybe empty) for a block.
	Block []Directive
	// Line is the line on which the directive's name starts (1-based).
	Line int
}

// IsBlock says whether the directive has a { } block.
func (d Directive) IsBlock() bool { return d.Block != nil }

// luaBodyDirective is the name of the pseudo-directive that holds the raw
// source of a *_by_lua_block.
const luaBodyDirective = "<lua>"

// nginxComment is one '#' comment, without the '#' and the line end.
type nginxComment struct {
	Text string
	Line int
}

// confSpan is a byte range of the source: the text of one word (inside its
// quotes, if any) or of one comment.
type confSpan struct{ start, end int }

// nginxConf is a parsed configuration.
type nginxConf struct {
	Directives []Directive
	Comments   []nginxComment
	// spans are the raw ranges of every word and comment, in source order.
	spans []confSpan
}

// confError is a syntax error, with nginx's wording where nginx has one.
type confError struct {
	Line int
	Msg  string
}

func (e *confError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Msg) }

type confWord struct {
	text   string
	quoted bool
	line   int
}

type confParser struct {
	src      []byte
	pos      int
	line     int
	comments []nginxComment
	spans    []confSpan
}

// parseNginxConf parses a whole nginx.conf.
func parseNginxConf(src []byte) (*nginxConf, error) {
	p := &confParser{src: src, line: 1}
	ds, err := p.block(false)
	if err != nil {
		return nil, err
	}
	return &nginxConf{Directives: ds, Comments: p.comments, spans: p.spans}, nil
}

func (p *confParser) errorf(format string, args ...any) error {
	return &confError{Line: p.line, Msg: fmt.Sprintf(format, args...)}
}

// block parses directives up to the '}' that closes the block (inBlock) or
// to the end of the file.
func (p *confParser) block(inBlock bool) ([]Directive, error) {
	out := []Directive{}
	for {
		words, term, err := p.directive()
		if err != nil {
			return nil, err
		}
		switch term {
		case 0:
			if inBlock {
				return nil, p.errorf(`unexpected end of file, expecting "}"`)
			}
			return out, nil
		case '}':
			if !inBlock {
				return nil, p.errorf(`unexpected "}"`)
			}
			return out, nil
		}
		d := Directive{Name: words[0].text, Line: words[0].line}
		for _, w := range words[1:] {
			d.Args = append(d.Args, w.text)
			d.Quoted = append(d.Quoted, w.quoted)
		}
		if term == '{' {
			if strings.HasSuffix(d.Name, "_by_lua_block") {
				line := p.line
				body, err := p.luaBody()
				if err != nil {
					return nil, err
				}
				d.Block = []Directive{{Name: luaBodyDirective, Args: []string{body}, Quoted: []bool{true}, Line: line}}
			} else if d.Block, err = p.block(true); err != nil {
				return nil, err
			}
		}
		out = append(out, d)
	}
}

func isConfSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// directive reads the words of one directive and what ended it: ';', '{',
// '}' (a block's end, with no words) or 0 (end of file, with no words).
func (p *confParser) directive() (words []confWord, term byte, err error) {
	var (
		lastSpace    = true
		needSpace    bool
		escaped      bool // the previous character was a backslash
		sQuoted      bool
		dQuoted      bool
		variable     bool
		comment      bool
		commentStart int
		start        int
		startLine    int
		quotedWord   bool
	)
	for {
		if p.pos >= len(p.src) {
			if comment {
				p.addComment(commentStart, p.pos)
			}
			if len(words) > 0 || !lastSpace {
				if sQuoted || dQuoted {
					return nil, 0, p.errorf("unexpected end of file, expecting terminating quote")
				}
				return nil, 0, p.errorf(`unexpected end of file, expecting ";" or "}"`)
			}
			return nil, 0, nil
		}
		ch := p.src[p.pos]
		p.pos++
		if ch == '\n' {
			p.line++
			if comment {
				comment = false
				p.addComment(commentStart, p.pos-1)
			}
		}
		if comment {
			continue
		}
		if escaped {
			escaped = false
			continue
		}
		if needSpace {
			switch {
			case isConfSpace(ch):
				lastSpace, needSpace = true, false
				continue
			case ch == ';' || ch == '{':
				return words, ch, nil
			case ch == ')':
				lastSpace, needSpace = true, false
			default:
				return nil, 0, p.errorf("unexpected %q", ch)
			}
		}
		if lastSpace {
			start, startLine, quotedWord = p.pos-1, p.line, false
			if isConfSpace(ch) {
				continue
			}
			switch ch {
			case ';', '{':
				if len(words) == 0 {
					return nil, 0, p.errorf("unexpected %q", ch)
				}
				return words, ch, nil
			case '}':
				if len(words) != 0 {
					return nil, 0, p.errorf(`unexpected "}"`)
				}
				return nil, '}', nil
			case '#':
				comment, commentStart = true, p.pos
				continue
			case '\\':
				escaped, lastSpace = true, false
				continue
			case '"':
				start++
				dQuoted, lastSpace, quotedWord = true, false, true
				continue
			case '\'':
				start++
				sQuoted, lastSpace, quotedWord = true, false, true
				continue
			case '$':
				variable, lastSpace = true, false
				continue
			default:
				lastSpace = false
			}
			continue
		}
		if ch == '{' && variable {
			continue
		}
		variable = false
		if ch == '\\' {
			escaped = true
			continue
		}
		if ch == '$' {
			variable = true
			continue
		}
		found := false
		switch {
		case dQuoted:
			if ch == '"' {
				dQuoted, needSpace, found = false, true, true
			}
		case sQuoted:
			if ch == '\'' {
				sQuoted, needSpace, found = false, true, true
			}
		case isConfSpace(ch) || ch == ';' || ch == '{':
			lastSpace, found = true, true
		}
		if !found {
			continue
		}
		end := p.pos - 1
		words = append(words, confWord{text: unescapeConfWord(p.src[start:end]), quoted: quotedWord, line: startLine})
		p.spans = append(p.spans, confSpan{start, end})
		if ch == ';' || ch == '{' {
			return words, ch, nil
		}
	}
}

func (p *confParser) addComment(start, end int) {
	text := string(p.src[start:end])
	line := p.line
	if end < len(p.src) && p.src[end] == '\n' {
		line-- // the newline that ended the comment was already counted
	}
	p.comments = append(p.comments, nginxComment{Text: text, Line: line})
	p.spans = append(p.spans, confSpan{start, end})
}

// unescapeConfWord decodes a word as ngx_conf_read_token stores it.
func unescapeConfWord(raw []byte) string {
	var b strings.Builder
	for i := 0; i < len(raw); i++ {
		if raw[i] == '\\' && i+1 < len(raw) {
			switch raw[i+1] {
			case '"', '\'', '\\':
				i++
			case 't':
				b.WriteByte('\t')
				i++
				continue
			case 'r':
				b.WriteByte('\r')
				i++
				continue
			case 'n':
				b.WriteByte('\n')
				i++
				continue
			}
		}
		b.WriteByte(raw[i])
	}
	return b.String()
}

// luaBody reads the Lua source of a *_by_lua_block up to its closing '}',
// skipping braces inside Lua strings, long brackets and comments, as the
// lua module's block scanner does.
func (p *confParser) luaBody() (string, error) {
	start := p.pos
	depth := 0
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		switch {
		case c == '\n':
			p.line++
			p.pos++
		case c == '-' && p.pos+1 < len(p.src) && p.src[p.pos+1] == '-':
			p.pos += 2
			if lvl, ok := p.longBracket(); ok {
				if err := p.skipLongBracket(lvl); err != nil {
					return "", err
				}
				continue
			}
			for p.pos < len(p.src) && p.src[p.pos] != '\n' {
				p.pos++
			}
		case c == '[':
			if lvl, ok := p.longBracket(); ok {
				if err := p.skipLongBracket(lvl); err != nil {
					return "", err
				}
				continue
			}
			p.pos++
		case c == '"' || c == '\'':
			p.pos++
			for {
				if p.pos >= len(p.src) || p.src[p.pos] == '\n' {
					return "", p.errorf("unfinished Lua string")
				}
				if p.src[p.pos] == '\\' {
					p.pos += 2
					continue
				}
				if p.src[p.pos] == c {
					p.pos++
					break
				}
				p.pos++
			}
		case c == '{':
			depth++
			p.pos++
		case c == '}':
			if depth == 0 {
				body := string(p.src[start:p.pos])
				p.spans = append(p.spans, confSpan{start, p.pos})
				p.pos++
				return body, nil
			}
			depth--
			p.pos++
		default:
			p.pos++
		}
	}
	return "", p.errorf(`unexpected end of file in a Lua block, expecting "}"`)
}

// longBracket reports whether a Lua long bracket "[==[" starts at pos and
// consumes it, returning its level.
func (p *confParser) longBracket() (int, bool) {
	if p.pos >= len(p.src) || p.src[p.pos] != '[' {
		return 0, false
	}
	i := p.pos + 1
	for i < len(p.src) && p.src[i] == '=' {
		i++
	}
	if i >= len(p.src) || p.src[i] != '[' {
		return 0, false
	}
	lvl := i - p.pos - 1
	p.pos = i + 1
	return lvl, true
}

func (p *confParser) skipLongBracket(lvl int) error {
	closing := "]" + strings.Repeat("=", lvl) + "]"
	i := strings.Index(string(p.src[p.pos:]), closing)
	if i < 0 {
		return p.errorf("unfinished Lua long bracket")
	}
	p.line += strings.Count(string(p.src[p.pos:p.pos+i]), "\n")
	p.pos += i + len(closing)
	return nil
}

// inOneSpan says whether the byte range [start, end) lies inside a single
// word or comment.
func (c *nginxConf) inOneSpan(start, end int) bool {
	i := sort.Search(len(c.spans), func(i int) bool { return c.spans[i].end >= end })
	return i < len(c.spans) && c.spans[i].start <= start
}

// walkDirectives calls fn for every directive with the names of the blocks
// that enclose it (outermost first).
func walkDirectives(ds []Directive, fn func(ctx []string, d Directive)) {
	var walk func(ctx []string, ds []Directive)
	walk = func(ctx []string, ds []Directive) {
		for _, d := range ds {
			fn(ctx, d)
			if d.Block != nil {
				walk(append(ctx[:len(ctx):len(ctx)], d.Name), d.Block)
			}
		}
	}
	walk(nil, ds)
}

// --- unit tests of the parser ---

// wantDirective is a compact constructor for expected trees.
func wantDirective(line int, name string, args ...string) Directive {
	d := Directive{Name: name, Line: line}
	for _, a := range args {
		q := strings.HasPrefix(a, "\x00") // "\x00" marks a quoted word in expectations
		d.Args = append(d.Args, strings.TrimPrefix(a, "\x00"))
		d.Quoted = append(d.Quoted, q)
	}
	return d
}

func wantBlock(d Directive, children ...Directive) Directive {
	d.Block = append([]Directive{}, children...)
	return d
}

func TestParseNginxConf(t *testing.T) {
	const Q = "\x00"
	tests := []struct {
		name string
		src  string
		want []Directive
	}{
		{"empty", "", []Directive{}},
		{"only comments", "# a\n  # b ; { }\n", []Directive{}},
		{"simple", "worker_processes auto;", []Directive{wantDirective(1, "worker_processes", "auto")}},
		{"no space before semicolon", "a b;c d ;", []Directive{wantDirective(1, "a", "b"), wantDirective(1, "c", "d")}},
		{"block", "events {\n  worker_connections 16;\n}\n", []Directive{
			wantBlock(wantDirective(1, "events"), wantDirective(2, "worker_connections", "16")),
		}},
		{"empty block", "events{}", []Directive{wantBlock(wantDirective(1, "events"))}},
		{"nested blocks and lines", "http {\n server {\n\n  listen 80;\n  location = /x {\n   return 404;\n  }\n }\n}\n", []Directive{
			wantBlock(wantDirective(1, "http"), wantBlock(wantDirective(2, "server"),
				wantDirective(4, "listen", "80"),
				wantBlock(wantDirective(5, "location", "=", "/x"), wantDirective(6, "return", "404")))),
		}},
		{"double quotes keep syntax characters", `return 200 "a;b{c}d#e 'f'";`, []Directive{wantDirective(1, "return", "200", Q+"a;b{c}d#e 'f'")}},
		{"single quotes", `return 200 'x "y" ;}';`, []Directive{wantDirective(1, "return", "200", Q+`x "y" ;}`)}},
		{"empty quoted words", `"" "";`, []Directive{wantDirective(1, "", Q+"")}},
		{"escapes", `x "a\"b" 'c\'d' "e\\f" "g\th\ri\nj" "k\dl" m\;n;`, []Directive{
			wantDirective(1, "x", Q+`a"b`, Q+`c'd`, Q+`e\f`, Q+"g\th\ri\nj", Q+`k\dl`, `m\;n`),
		}},
		{"escaped space stays escaped", `x a\ b;`, []Directive{wantDirective(1, "x", `a\ b`)}},
		{"escaped quote starts a bare word", `x \"a";`, []Directive{wantDirective(1, "x", `"a"`)}},
		{"variables", `set $a ${b}c$d;`, []Directive{wantDirective(1, "set", "$a", "${b}c$d")}},
		{"brace after dollar is text", `return 200 x${host};`, []Directive{wantDirective(1, "return", "200", "x${host}")}},
		{"brace mid word opens a block", "a b{c d;}", []Directive{wantBlock(wantDirective(1, "a", "b"), wantDirective(1, "c", "d"))}},
		{"close brace mid word is text", `return 200 a}b;`, []Directive{wantDirective(1, "return", "200", "a}b")}},
		{"hash mid word is text", "proxy_pass http://x/#y;", []Directive{wantDirective(1, "proxy_pass", "http://x/#y")}},
		{"hash after a word starts a comment", "a b #c;\nd;", []Directive{wantDirective(1, "a", "b", "d")}},
		{"comment between words and lines", "a # c ; }\n b;", []Directive{wantDirective(1, "a", "b")}},
		{"quote mid word is text", `x a"b'c;`, []Directive{wantDirective(1, "x", `a"b'c`)}},
		{"if with parentheses", "if ($scheme = \"http\") {\n return 308 https://$host$request_uri;\n}", []Directive{
			wantBlock(wantDirective(1, "if", "($scheme", "=", Q+"http", ")"), wantDirective(2, "return", "308", "https://$host$request_uri")),
		}},
		{"crlf", "a b;\r\nc {\r\n d;\r\n}\r\n", []Directive{wantDirective(1, "a", "b"), wantBlock(wantDirective(2, "c"), wantDirective(3, "d"))}},
		{"tabs", "a\tb\t;", []Directive{wantDirective(1, "a", "b")}},
		{"quoted name", `"a b" c;`, []Directive{wantDirective(1, "a b", "c")}},
		{"newline inside quotes", "return 200 \"a\nb\";\nx;", []Directive{wantDirective(1, "return", "200", Q+"a\nb"), wantDirective(3, "x")}},
		{"lua block", "init_by_lua_block {\n  local t = { a = \"}\" , b = '{' } -- }\n  --[[ } ]] x = [==[ }]] ]==]\n}\nnext;", []Directive{
			wantBlock(wantDirective(1, "init_by_lua_block"), Directive{
				Name: luaBodyDirective, Line: 1, Quoted: []bool{true},
				Args: []string{"\n  local t = { a = \"}\" , b = '{' } -- }\n  --[[ } ]] x = [==[ }]] ]==]\n"},
			}),
			wantDirective(5, "next"),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := parseNginxConf([]byte(tt.src))
			if err != nil {
				t.Fatalf("parse %q: %v", tt.src, err)
			}
			if !reflect.DeepEqual(c.Directives, tt.want) {
				t.Errorf("parse %q:\n got  %#v\n want %#v", tt.src, c.Directives, tt.want)
			}
		})
	}
}

func TestParseNginxConfErrors(t *testing.T) {
	tests := []struct{ src, msg string }{
		{"}", `unexpected "}"`},
		{"a;}", `unexpected "}"`},
		{";", `unexpected ';'`},
		{"{}", `unexpected '{'`},
		{"a b", `unexpected end of file, expecting ";" or "}"`},
		{"a {", `unexpected end of file, expecting "}"`},
		{"a { b; ", `unexpected end of file, expecting "}"`},
		{"a { b }", `unexpected "}"`},
		{`a "b;`, "unexpected end of file, expecting terminating quote"},
		{`a 'b;`, "unexpected end of file, expecting terminating quote"},
		{`a "b"c;`, `unexpected 'c'`},
		{`a "b""c";`, `unexpected '"'`},
		{`a "b"}`, `unexpected '}'`},
		{"a_by_lua_block { x = '}", "unfinished Lua string"},
		{"a_by_lua_block { x = 1", `unexpected end of file in a Lua block, expecting "}"`},
	}
	for _, tt := range tests {
		_, err := parseNginxConf([]byte(tt.src))
		var ce *confError
		if !errors.As(err, &ce) || ce.Msg != tt.msg {
			t.Errorf("parse %q: got error %v, want %q", tt.src, err, tt.msg)
		}
	}
}

func TestParseNginxConfLinesAndComments(t *testing.T) {
	src := "# head\na;\n\n  b c # tail ; {\n  d;\n"
	c, err := parseNginxConf([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	want := []Directive{wantDirective(2, "a"), wantDirective(4, "b", "c", "d")}
	if !reflect.DeepEqual(c.Directives, want) {
		t.Errorf("got %#v, want %#v", c.Directives, want)
	}
	wantComments := []nginxComment{{" head", 1}, {" tail ; {", 4}}
	if !reflect.DeepEqual(c.Comments, wantComments) {
		t.Errorf("comments: got %#v, want %#v", c.Comments, wantComments)
	}
}

func TestParseNginxConfSpans(t *testing.T) {
	src := `a "bc d" e; # f g` + "\n"
	c, err := parseNginxConf([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		sub  string
		want bool
	}{{"bc d", true}, {"c d", true}, {"a", true}, {" f g", true}, {`"bc`, false}, {"d\" e", false}, {"e;", false}, {"a \"", false}} {
		i := strings.Index(src, tt.sub)
		if got := c.inOneSpan(i, i+len(tt.sub)); got != tt.want {
			t.Errorf("inOneSpan(%q) = %v, want %v", tt.sub, got, tt.want)
		}
	}
}

// TestParseGoldenConfigs parses every golden nginx.conf and checks that the
// parse round-trips the structure the template prints.
func TestParseGoldenConfigs(t *testing.T) {
	files, _ := filepath.Glob("testdata/cases/*/nginx.conf")
	if len(files) == 0 {
		t.Skip("no golden configs")
	}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		c, err := parseNginxConf(src)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		var sawHTTP bool
		walkDirectives(c.Directives, func(ctx []string, d Directive) {
			if len(ctx) == 0 && d.Name == "http" && d.IsBlock() {
				sawHTTP = true
			}
		})
		if !sawHTTP {
			t.Errorf("%s: no http block", f)
		}
	}
}

// TestParseAgreesWithNginx runs the real nginx on snippets the parser
// accepts or refuses, so the parser's idea of the grammar stays nginx's.
// The snippets sit in a map block, whose entries take any two words.
func TestParseAgreesWithNginx(t *testing.T) {
	bin, err := exec.LookPath("nginx")
	if err != nil {
		bin = "/usr/sbin/nginx"
		if _, err := os.Stat(bin); err != nil {
			t.Skip("nginx is not installed")
		}
	}
	snippets := []string{
		`a b;`,
		`"a;{}" 'b#';`,
		`a\ b c;`,
		`a "b"c;`,
		`a b}`,
		`a}b c;`,
		`a #b;` + "\n c;",
		`a b #c;`,
		`a "b;`,
		`; a b;`,
		`${x}y z;`,
		`a b; }`,
		`"a" b ;`,
		`a 'b'x;`,
	}
	for _, s := range snippets {
		conf := "events {}\nhttp {\n map $uri $atrium_probe {\n" + s + "\n }\n}\n"
		_, perr := parseNginxConf([]byte(conf))
		tmp := t.TempDir()
		path := filepath.Join(tmp, "nginx.conf")
		if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
			t.Fatal(err)
		}
		out, nerr := exec.Command(bin, "-t", "-q", "-p", tmp+"/", "-c", path, "-g", "daemon off; pid "+tmp+"/nginx.pid; error_log stderr;").CombinedOutput()
		syntaxErr := nerr != nil && (strings.Contains(string(out), "unexpected") || strings.Contains(string(out), "expecting"))
		if nerr != nil && !syntaxErr {
			t.Errorf("snippet %q: nginx failed for a non-syntax reason: %s", s, out)
			continue
		}
		if (perr != nil) != syntaxErr {
			t.Errorf("snippet %q: parser error %v, nginx says %s", s, perr, out)
		}
	}
}
