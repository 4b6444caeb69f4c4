package annotations

//go:generate go run gen_ciphers.go

import (
	"fmt"
	"regexp"
	"strings"
)

// cipherSet is a set of opensslCiphers, by index.
type cipherSet [3]uint64

func (s cipherSet) and(o cipherSet) cipherSet {
	return cipherSet{s[0] & o[0], s[1] & o[1], s[2] & o[2]}
}

func (s cipherSet) or(o cipherSet) cipherSet {
	return cipherSet{s[0] | o[0], s[1] | o[1], s[2] | o[2]}
}

func (s cipherSet) andNot(o cipherSet) cipherSet {
	return cipherSet{s[0] &^ o[0], s[1] &^ o[1], s[2] &^ o[2]}
}

// opensslCipherIndex finds a suite's index in opensslCiphers.
var opensslCipherIndex = func() map[string]int {
	m := make(map[string]int, len(opensslCiphers))
	for i, c := range opensslCiphers {
		m[c] = i
	}
	return m
}()

var (
	// sslCipherListRe is an OpenSSL cipher list as Atrium takes it: words of
	// letters, digits, '-' and '.', each after an optional '!', '-' or '+'
	// and joined by '+', separated by ':', and the @STRENGTH and
	// @SECLEVEL=0-5 commands. (OpenSSL also separates by ' ', ',' and ';',
	// and refuses other characters, such as '_', making nginx fail.)
	sslCipherListRe = regexp.MustCompile(`^[A-Za-z0-9!+:.@=-]+$`)
	sslCipherWordRe = regexp.MustCompile(`^[A-Za-z0-9.-]+$`)
	sslCipherCmdRe  = regexp.MustCompile(`^(STRENGTH|SECLEVEL=[0-5])$`)
)

// parseCipherList checks an OpenSSL cipher list for ssl_ciphers (TLS 1.2
// and older), as the ConfigMap's ssl-ciphers and the ssl-ciphers
// annotation take it. OpenSSL refuses a list that selects no TLS 1.2
// suite, and nginx then fails to load the whole configuration, so the list
// is read here as OpenSSL reads it (cipherListSet) against the suites and
// aliases of the OpenSSL nginx uses, and must select one.
func parseCipherList(value string) (string, error) {
	v := strings.TrimSpace(value)
	set, err := cipherListSet(v)
	if err != nil {
		return "", fmt.Errorf("%q: %v", value, err)
	}
	if set == (cipherSet{}) {
		return "", fmt.Errorf("%q selects no TLS 1.2 cipher that nginx's OpenSSL has, which OpenSSL refuses (nginx would fail to load)", value)
	}
	return v, nil
}

// cipherListSet is the set of suites an OpenSSL cipher list selects, as
// OpenSSL 3.0's ssl_create_cipher_list computes it: a list starting with
// DEFAULT starts from OpenSSL's default list; then each item adds the
// suites its words select (a word it does not know selects none, as
// OpenSSL ignores it; "A+B" selects those of both), '-' removes them, '!'
// removes them for good (a later item cannot add them back) and '+' only
// moves them. Order and @STRENGTH do not change the set.
func cipherListSet(v string) (cipherSet, error) {
	if len(v) > 2048 || !sslCipherListRe.MatchString(v) {
		return cipherSet{}, fmt.Errorf("not an OpenSSL cipher list (words of letters, digits, - and . with ! - + before or + between them, " +
			"separated by ':', and @STRENGTH or @SECLEVEL=0-5)")
	}
	var active, killed cipherSet
	if rest, ok := strings.CutPrefix(v, "DEFAULT"); ok {
		// OpenSSL: ALL:!COMPLEMENTOFDEFAULT:!eNULL, then what follows
		// "DEFAULT" (and a ':'), whatever it is.
		active = opensslDefault
		killed = opensslAliases["COMPLEMENTOFDEFAULT"].or(opensslAliases["eNULL"])
		v = strings.TrimPrefix(rest, ":")
	}
	for _, item := range strings.Split(v, ":") {
		words, cmds, _ := strings.Cut(item, "@")
		if cmds != "" {
			for _, c := range strings.Split(cmds, "@") {
				if !sslCipherCmdRe.MatchString(c) {
					return cipherSet{}, fmt.Errorf("@%s is not @STRENGTH or @SECLEVEL=0-5", c)
				}
			}
		}
		if words == "" {
			continue
		}
		op := words[0]
		if op == '!' || op == '-' || op == '+' {
			words = words[1:]
		} else {
			op = 0
		}
		var set cipherSet
		for j, w := range strings.Split(words, "+") {
			if !sslCipherWordRe.MatchString(w) {
				return cipherSet{}, fmt.Errorf("%q is not a cipher or alias name (one '!', '-' or '+' before it, '+' between names)", words)
			}
			if strings.HasPrefix(w, "SUITEB") || w == "DEFAULT" {
				return cipherSet{}, fmt.Errorf("%s may only start the list, and Suite B modes are not supported", w)
			}
			s, ok := opensslAliases[w]
			if n, cipher := opensslCipherIndex[w]; !ok && cipher {
				s[n/64] |= 1 << (n % 64)
			}
			if j == 0 {
				set = s
			} else {
				set = set.and(s)
			}
		}
		switch op {
		case '!':
			active, killed = active.andNot(set), killed.or(set)
		case '-':
			active = active.andNot(set)
		case '+':
		default:
			active = active.or(set.andNot(killed))
		}
	}
	return active, nil
}
