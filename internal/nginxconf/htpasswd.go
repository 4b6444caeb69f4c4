package nginxconf

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// Password files for auth-type basic. nginx's auth_basic reads them per
// request in its workers and compares with these hash formats only: its
// own apr1 (Apache's MD5), {SHA} and {SSHA} (RFC 2307), and everything
// else through the system's crypt(3), which for Debian's libxcrypt (the
// nginx Atrium runs) covers MD5-crypt, SHA-256/512-crypt and bcrypt. A
// line in any other form never authenticates anyone (a plain password is
// taken as a DES salt), so it is refused with its line number instead:
// the Ingress then fails closed with an Event naming the problem. DES
// crypt (8 significant characters) and {PLAIN} are refused as well: both
// are formats nginx's documentation warns against.

// MaxHtpasswdBytes bounds a password file (an `auth` key, or the file an
// auth-map Secret makes), and so what the controller caches of it.
const MaxHtpasswdBytes = 256 << 10

// DroppedAuthAnnotation marks a cached Secret whose `auth` key, or whose
// data as an auth map, the controller dropped because it is not a password
// file Atrium accepts; its value says why, which auth-secret then reports.
const DroppedAuthAnnotation = "atrium-ingress.io/dropped-auth"

var passwordHashes = []*regexp.Regexp{
	regexp.MustCompile(`^\$apr1\$[./0-9A-Za-z]{1,8}\$[./0-9A-Za-z]{22}$`),
	regexp.MustCompile(`^\$1\$[./0-9A-Za-z]{1,8}\$[./0-9A-Za-z]{22}$`),
	regexp.MustCompile(`^\$5\$(rounds=[1-9][0-9]{3,8}\$)?[./0-9A-Za-z]{1,16}\$[./0-9A-Za-z]{43}$`),
	regexp.MustCompile(`^\$6\$(rounds=[1-9][0-9]{3,8}\$)?[./0-9A-Za-z]{1,16}\$[./0-9A-Za-z]{86}$`),
	regexp.MustCompile(`^\$2[aby]\$(0[4-9]|[12][0-9]|3[01])\$[./0-9A-Za-z]{53}$`),
	regexp.MustCompile(`^\{SHA\}[A-Za-z0-9+/]{27}=$`),
}

var sshaRe = regexp.MustCompile(`^\{SSHA\}[A-Za-z0-9+/]+={0,2}$`)

// validPasswordHash says whether h is a password hash in a supported format.
func validPasswordHash(h string) bool {
	for _, re := range passwordHashes {
		if re.MatchString(h) {
			return true
		}
	}
	if sshaRe.MatchString(h) {
		// A SHA-1 digest (20 bytes) and a salt of at least one byte.
		b, err := base64.StdEncoding.DecodeString(h[len("{SSHA}"):])
		return err == nil && len(b) > 20
	}
	return false
}

// hashProblem explains why h is not a supported hash.
func hashProblem(h string) string {
	switch {
	case h == "":
		return "the password hash is empty"
	case strings.HasPrefix(h, "{PLAIN}"):
		return "{PLAIN} passwords are refused (nginx's documentation says they should not be used)"
	case strings.HasPrefix(h, "$y$"), strings.HasPrefix(h, "$7$"), strings.HasPrefix(h, "$gy$"):
		return "yescrypt and scrypt hashes are not supported"
	case len(h) == 13 && !strings.ContainsAny(h, "${}"):
		return "DES crypt hashes (or a plain password) are refused"
	}
	return "not a password hash in a supported format ($apr1$, $1$, $5$, $6$, $2a$/$2b$/$2y$, {SHA}, {SSHA})"
}

// validUser says whether u can be an htpasswd user name: printable ASCII
// without ':' (which ends the name), not starting with '#' (a comment).
func validUser(u string) bool {
	if u == "" || len(u) > 256 || u[0] == '#' {
		return false
	}
	for i := 0; i < len(u); i++ {
		if c := u[i]; c < 0x20 || c > 0x7e || c == ':' {
			return false
		}
	}
	return true
}

// ValidHtpasswd checks a password file as nginx's auth_basic reads it:
// lines of `user:hash` with an optional `:comment`, comments (#) and empty
// lines; at least one user. CR before LF is allowed.
func ValidHtpasswd(data []byte) error {
	if len(data) > MaxHtpasswdBytes {
		return fmt.Errorf("is larger than %d KiB", MaxHtpasswdBytes>>10)
	}
	users := 0
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSuffix(line, "\r")
		if line == "" || line[0] == '#' {
			if strings.IndexFunc(line, func(r rune) bool { return r < 0x20 || r > 0x7e }) >= 0 {
				return fmt.Errorf("line %d: a comment with a character that is not printable ASCII", i+1)
			}
			continue
		}
		user, rest, ok := strings.Cut(line, ":")
		if !ok || !validUser(user) {
			return fmt.Errorf("line %d is not user:hash (a user name of printable ASCII without ':')", i+1)
		}
		hash, comment, _ := strings.Cut(rest, ":")
		if !validPasswordHash(hash) {
			return fmt.Errorf("line %d (user %q): %s", i+1, user, hashProblem(hash))
		}
		if strings.IndexFunc(comment, func(r rune) bool { return r < 0x20 || r > 0x7e }) >= 0 {
			return fmt.Errorf("line %d (user %q): the comment has a character that is not printable ASCII", i+1, user)
		}
		users++
	}
	if users == 0 {
		return fmt.Errorf("holds no user")
	}
	return nil
}

// CheckAuthMap checks an auth-map Secret's data: each key a user, each
// value a password hash in a supported format, at least one user.
func CheckAuthMap(data map[string][]byte) error {
	if len(data) == 0 {
		return fmt.Errorf("holds no user")
	}
	total := 0
	for u, h := range data {
		if !validUser(u) {
			return fmt.Errorf("key %q is not a user name (printable ASCII without ':', not starting with '#')", u)
		}
		if !validPasswordHash(string(h)) {
			return fmt.Errorf("user %q: %s", u, hashProblem(string(h)))
		}
		if total += len(u) + len(h) + 2; total > MaxHtpasswdBytes {
			return fmt.Errorf("is larger than %d KiB", MaxHtpasswdBytes>>10)
		}
	}
	return nil
}

// HtpasswdFromMap makes the password file of an auth-map Secret (see
// CheckAuthMap), users sorted so the file, and its name, do not depend on
// map order.
func HtpasswdFromMap(data map[string][]byte) ([]byte, error) {
	if err := CheckAuthMap(data); err != nil {
		return nil, err
	}
	users := make([]string, 0, len(data))
	for u := range data {
		users = append(users, u)
	}
	sort.Strings(users)
	var b bytes.Buffer
	for _, u := range users {
		b.WriteString(u + ":" + string(data[u]) + "\n")
	}
	return b.Bytes(), nil
}

// LooksLikeAuthMap says whether a Secret's data was probably meant as an
// auth map: some value is a supported password hash. Used only to decide
// whether a refusal is worth explaining.
func LooksLikeAuthMap(data map[string][]byte) bool {
	for _, v := range data {
		if validPasswordHash(string(v)) {
			return true
		}
	}
	return false
}
