package client

import (
	"cmp"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Codes of failures that are not an HTTP status ("401").
const (
	CodeTimeout = "timeout" // the context ended, or a network timeout fired, before the answer was read
	CodeNetwork = "network" // no usable answer: refused, reset, DNS, a body cut off by the connection
	CodeDecode  = "decode"  // a 2xx body that is not what was asked for, or is too large
)

// Error is every failure of Run, Decode and the listings. It holds no secret.
type Error struct {
	// Code is the HTTP status ("404"), the status that caused a backoff, or a Code* constant.
	Code       string
	StatusCode int    // the HTTP status received, 0 when none was
	Message    string // Toggl's error body (one line, at most 200 characters), or what failed
	Quota      Quota  // of the response, if any
	RetryAfter time.Duration
	// Backoff: the credential backs off after a 402 or 429 (for RetryAfter). NotSent: the
	// request was not sent (backing off, or ctx ended while waiting), costing no quota.
	Backoff, NotSent bool
	Err              error // the cause, secrets redacted from its message
}

// Error implements error.
func (e *Error) Error() string {
	s := "toggl: " + e.Code + ": " + e.Message
	if e.StatusCode != 0 && e.Code == strconv.Itoa(e.StatusCode) {
		s = strings.TrimSpace(fmt.Sprintf("toggl: HTTP %d %s", e.StatusCode, http.StatusText(e.StatusCode))) + ": " + e.Message
	} else if strings.HasPrefix(e.Message, e.Code) {
		s = "toggl: " + e.Message // the message names it
	}
	s = strings.TrimSuffix(s, ": ")
	switch q := e.Quota; {
	case q.HasRemaining && q.HasResetsIn:
		s += fmt.Sprintf(" (quota remaining %d, resets in %s)", q.Remaining, q.ResetsIn)
	case q.HasRemaining:
		s += fmt.Sprintf(" (quota remaining %d)", q.Remaining)
	case q.HasResetsIn:
		s += fmt.Sprintf(" (quota resets in %s)", q.ResetsIn)
	}
	if e.RetryAfter > 0 && !e.Backoff {
		s += fmt.Sprintf(" (retry after %s)", e.RetryAfter)
	}
	return s
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// Code returns the Code of an *Error in err's chain, "" for nil, else CodeNetwork.
func Code(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeNetwork
}

// cleanMessage turns an error body (truncated: the start of a longer one) into one short
// line: secrets redacted, markup dropped, white space collapsed, cut to 200 runes.
func cleanMessage(body []byte, rd redactor, truncated bool) string {
	s := rd.redact(strings.ToValidUTF8(string(body), "\uFFFD"))
	for _, secret := range rd.secrets { // the end of a truncated body may start a secret
		for k := len(secret) - 1; truncated && k > 0; k-- {
			if len(s) >= k && strings.EqualFold(s[len(s)-k:], secret[:k]) {
				s = s[:len(s)-k]
				break
			}
		}
	}
	if t := strings.TrimSpace(s); strings.HasPrefix(t, "<") {
		s = markup.ReplaceAllLiteralString(t, " ") // a proxy's error page
	}
	s = rd.redact(strings.Join(strings.FieldsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }), " "))
	if r := []rune(s); len(r) > 200 {
		s = strings.TrimSpace(string(r[:200])) + "…"
	}
	return s
}

// markup matches an HTML tag, or a script or style element whole.
var markup = regexp.MustCompile(`(?is)<(script|style)\b.*?</(script|style)\s*>|<[^>]*(>|$)`)

// oneLine makes s one valid log line: control characters become spaces.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
}

// maxWait caps every wait a header asks for: a bogus one must not silence a credential long.
const maxWait = time.Hour

// newResponse reads the status, paging and quota headers of resp.
func newResponse(resp *http.Response, now time.Time) *Response {
	h := resp.Header
	r := &Response{StatusCode: resp.StatusCode, RetryAfter: parseRetryAfter(h.Get("Retry-After"), now),
		Next: headerInt(h, "X-Next-Timestamp"), PageSize: int(headerInt(h, "X-Page-Size"))}
	q := &r.Quota
	v := strings.TrimSpace(h.Get("X-Toggl-Quota-Remaining"))
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		q.Remaining, q.HasRemaining = n, true
	} else if f, err := strconv.ParseFloat(v, 64); err == nil && f > -1e15 && f < 1e15 {
		q.Remaining, q.HasRemaining = int64(f), true
	}
	if f, err := strconv.ParseFloat(strings.TrimSpace(h.Get("X-Toggl-Quota-Resets-In")), 64); err == nil && f == f {
		q.ResetsIn, q.HasResetsIn = durationFromSeconds(f), true
	}
	for _, name := range factHeaders {
		if h.Get(name) != "" {
			r.Headers = append(r.Headers, name)
		}
	}
	return r
}

// parseRetryAfter reads Retry-After, seconds or an HTTP date: 0 if absent, malformed, past.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if secs, err := strconv.ParseFloat(v, 64); err == nil {
		return durationFromSeconds(secs)
	}
	if t, err := http.ParseTime(v); err == nil {
		return durationFromSeconds(t.Sub(now).Seconds())
	}
	return 0
}

// durationFromSeconds is secs capped at maxWait; 0 when not positive (NaN included).
func durationFromSeconds(secs float64) time.Duration {
	if !(secs > 0) {
		return 0
	}
	return time.Duration(min(secs, maxWait.Seconds()) * float64(time.Second))
}

// headerInt reads a header holding a positive integer; 0 when absent or anything else.
func headerInt(h http.Header, name string) int64 {
	if n, err := strconv.ParseInt(strings.TrimSpace(h.Get(name)), 10, 64); err == nil && n > 0 {
		return n
	}
	return 0
}

const (
	redactedText = "<redacted>" // what replaces a secret
	minSecretLen = 6            // shorter secrets protect nothing; redacting every "t" garbles messages
)

// redactor removes known secrets from strings; its zero value does nothing.
type redactor struct {
	secrets []string // longest first, so that a secret containing another goes whole
	re      *regexp.Regexp
}

// newRedactor redacts r's secrets and more: plain, escaped, and as Basic auth.
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
	// A server may echo a secret in another case, folded or wrapped: (?i) and \s* between.
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

// redactedErr hides a chain whose errors may print a secret; errors.Is still sees through.
type redactedErr struct {
	msg  string
	orig error
}

func (e *redactedErr) Error() string        { return e.msg }
func (e *redactedErr) Is(target error) bool { return errors.Is(e.orig, target) }

// scrub returns err redacted, the URL of a *url.Error replaced by safeURL.
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
