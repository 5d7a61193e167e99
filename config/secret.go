package config

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"unicode"
	"unicode/utf8"

	"github.com/alecthomas/units"
)

// Secret is a configuration string that must never be shown: it renders as "<secret>"
// in YAML, JSON and fmt output.
type Secret string

// String renders the secret redacted, so %v and %s never print it.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return "<secret>"
}

// GoString renders the secret redacted, so %#v never prints it either.
func (s Secret) GoString() string { return strconv.Quote(s.String()) }

// MarshalText renders the secret as "<secret>" (empty stays empty) in YAML and JSON.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// record adds length-prefixed inputs to the fingerprint.
func (k *completion) record(parts ...string) {
	for _, p := range parts {
		fmt.Fprintf(k.sum, "%d:%s", len(p), p)
	}
}

func (k *completion) env(name string) (string, bool) {
	v, ok := k.lookupEnv(name)
	k.record("env", name, strconv.FormatBool(ok), v)
	return v, ok
}

// file reads a secret file, relative to the configuration file's directory, and trims
// surrounding whitespace (and a UTF-8 BOM). Errors name the path, never the content.
func (k *completion) file(p string) (string, error) {
	if strings.TrimSpace(p) == "" {
		return "", errors.New("empty path")
	}
	if !filepath.IsAbs(p) && k.dir != "" {
		p = filepath.Join(k.dir, p)
	}
	data, err := k.readFile(p)
	if err != nil {
		return "", err
	}
	v := strings.TrimSpace(strings.TrimPrefix(string(data), "\ufeff"))
	if k.record("file", p, v); v == "" {
		return "", fmt.Errorf("%s is empty", p)
	}
	return v, nil
}

// readRegular reads a regular file of at most limit bytes, so that a path to a device, a
// named pipe or a huge file fails at once instead of blocking or eating memory. Opening
// with O_NONBLOCK never waits for a pipe's writer; the open file is then checked, not the
// path, so nothing can be swapped in between.
func readRegular(path string, limit int64, tooLarge string) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil || !st.Mode().IsRegular() {
		return nil, cmp.Or(err, fmt.Errorf("%s: not a regular file", path))
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err == nil && int64(len(data)) > limit {
		err = fmt.Errorf("%s: larger than %s, %s", path, units.Base2Bytes(limit), tooLarge)
	}
	return data, err
}

var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// expand replaces ${VAR} references in a secret literal. "$${" stands for a literal "${";
// any other "$" is kept as is. Errors name the variable, never its value.
func (k *completion) expand(s string) (string, error) {
	var out strings.Builder
	for {
		before, after, found := strings.Cut(s, "${")
		name, rest, closed := strings.Cut(after, "}")
		switch {
		case !found:
			return out.String() + s, nil
		case strings.HasSuffix(before, "$"):
			out.WriteString(before[:len(before)-1] + "${")
			s = after
			continue
		case !closed:
			return "", errors.New(`unterminated "${" (write "$${" for a literal "${")`)
		case !envName.MatchString(name):
			return "", errors.New(`malformed "${...}" reference: want ${NAME} with NAME made of letters, digits and _ (write "$${" for a literal "${")`)
		}
		v, ok := k.env(name)
		if !ok {
			return "", fmt.Errorf("environment variable %q is not set", name)
		}
		out.WriteString(before + v)
		s = rest
	}
}

// secretRef is a secret as a configuration gives it: a literal (possibly with ${VAR}
// references) under key, or a file under key_file.
type secretRef struct {
	key     string // "token"; the other key is "token_file"
	literal Secret
	file    string
}

func (p secretRef) set() bool { return p.literal != "" || p.file != "" }

// name is the key the file sets, for messages.
func (p secretRef) name() string {
	if p.literal == "" {
		return p.key + "_file"
	}
	return p.key
}

// secret returns the value of p, checked by rule, or "" with a problem at place. File
// contents are always trimmed, literals unless the rule keeps spaces.
func (k *completion) secret(place string, p secretRef, rule secretRule) string {
	if p.literal != "" && p.file != "" {
		k.errorf(place, nil, "%s and %s_file: set only one", p.key, p.key)
		return ""
	}
	v, err := k.expand(string(p.literal)) // "" when the file is set
	if p.file != "" {
		v, err = k.file(p.file)
	} else if !rule.keepSpace {
		v = strings.TrimSpace(v)
	}
	if err == nil && strings.TrimSpace(v) == "" {
		err = errors.New("empty value")
	}
	if err = cmp.Or(err, rule.check(v)); err != nil {
		k.errorf(place, nil, "%s: %w", p.name(), err)
		return ""
	}
	return v
}

// secretRule is what a kind of secret must be, so that a truncated paste, a placeholder
// or a file holding more than the secret fails at load, not at every fetch.
type secretRule struct {
	min       int             // the fewest characters; real tokens have 32
	what      string          // whose real ones have 32 characters, for messages
	bad       func(rune) bool // a character the secret cannot hold
	badWhy    string
	keepSpace bool // a literal keeps surrounding spaces (tokens never have any)
}

var (
	// A report token goes into the request path (Toggl's are hex strings).
	reportTokenRule = secretRule{16, "report tokens", notUnreserved,
		"not a valid report token (want letters, digits, '-', '_', '.' and '~' only)", false}
	// An API token is the user part of HTTP Basic auth.
	apiTokenRule = secretRule{16, "API tokens", notBasic,
		"not a valid API token (contains whitespace, a control character or ':')", false}
	// A newline inside a password file's content means the file holds more than the password.
	passwordRule = secretRule{0, "", unicode.IsControl, "contains a control character (several lines in the file?)", true}
)

// CheckReportToken says why token cannot be a report token, never quoting it; nil when
// it can. A discovered report's token comes from a listing, not from the file.
func CheckReportToken(token string) error { return reportTokenRule.check(token) }

func (r secretRule) check(v string) error {
	if utf8.RuneCountInString(v) < r.min {
		return fmt.Errorf("too short (%d characters at least; real %s have 32)", r.min, r.what)
	}
	if strings.ContainsFunc(v, r.bad) {
		return errors.New(r.badWhy)
	}
	return nil
}

func notUnreserved(c rune) bool {
	return !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.ContainsRune("-._~", c))
}

// notBasic tells what cannot be in the user part of HTTP Basic auth.
func notBasic(c rune) bool { return c == ':' || unicode.IsSpace(c) || unicode.IsControl(c) }
