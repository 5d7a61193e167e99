package client

import (
	"cmp"
	"encoding/base64"
	"errors"
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// redactedText replaces a secret wherever it appears in an error message.
const redactedText = "<redacted>"

// minSecretLen is the length below which a string is not redacted: a secret that short
// protects nothing, and replacing every "t" would make messages unreadable. Report and
// API tokens are 32 characters, Toggl passwords at least 8.
const minSecretLen = 6

// redactor removes known secrets from strings; its zero value does nothing.
type redactor struct {
	secrets []string // longest first, so that a secret containing another goes whole
	re      *regexp.Regexp
}

// newRedactor returns the redactor of r's secrets and of more, as they may be sent:
// plain, escaped in a path or a query, and in the Authorization header.
func newRedactor(r Request, more ...string) redactor {
	var list []string
	for _, s := range append([]string{r.Token, r.Credentials.APIToken, r.Credentials.Email, r.Credentials.Password}, more...) {
		list = append(list, s, url.PathEscape(s), url.QueryEscape(s))
	}
	if user, pass, ok := r.Credentials.basicAuth(); ok {
		list = append(list, base64.StdEncoding.EncodeToString([]byte(user+":"+pass)))
	}
	list = slices.DeleteFunc(list, func(s string) bool { return len(s) < minSecretLen })
	if len(list) == 0 {
		return redactor{}
	}
	slices.SortFunc(list, func(a, b string) int { return cmp.Or(len(b)-len(a), strings.Compare(a, b)) })
	list = slices.Compact(list)
	// A server may echo a secret in another case, or with white space inside it (a
	// header folded or wrapped): match case-insensitively, with white space allowed
	// between any two characters, longest first.
	alts := make([]string, len(list))
	for i, s := range list {
		var b strings.Builder
		for _, r := range s {
			b.WriteString(regexp.QuoteMeta(string(r)) + `\s*`)
		}
		alts[i] = strings.TrimSuffix(b.String(), `\s*`)
	}
	return redactor{secrets: list, re: regexp.MustCompile("(?i)" + strings.Join(alts, "|"))}
}

// redact replaces every secret in s in one pass (so "<redacted>" is never redacted again).
func (rd redactor) redact(s string) string {
	if rd.re == nil {
		return s
	}
	return rd.re.ReplaceAllLiteralString(s, redactedText)
}

// cutPartial drops the end of s when it is the start of a secret (in any case): s was
// cut from a longer text, and the rest of the secret is not there to be recognised.
func (rd redactor) cutPartial(s string) string {
	for _, secret := range rd.secrets {
		for k := len(secret) - 1; k > 0; k-- {
			if len(s) >= k && strings.EqualFold(s[len(s)-k:], secret[:k]) {
				s = s[:len(s)-k]
				break
			}
		}
	}
	return s
}

// redactedErr presents an error with its secrets removed. It hides the chain, whose
// errors may print a secret; errors.Is (a yes or no, never a message) still sees through.
type redactedErr struct {
	msg  string
	orig error
}

func (e *redactedErr) Error() string        { return e.msg }
func (e *redactedErr) Is(target error) bool { return errors.Is(e.orig, target) }

// scrub returns err with its message redacted and the URL of a *url.Error replaced by
// safeURL, which shows the endpoint but not the report token.
func (rd redactor) scrub(err error, safeURL string) error {
	if err == nil {
		return nil
	}
	if ue, ok := err.(*url.Error); ok { // Go's HTTP errors print the request URL
		cp := *ue
		cp.URL = safeURL
		err = &cp
	}
	return &redactedErr{msg: rd.redact(err.Error()), orig: err}
}
