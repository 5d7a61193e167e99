// Package togglfake is a fake of Toggl Track's Reports API v3 shared-report endpoint,
// POST /reports/api/v3/shared/{token}, for tests, benchmarks and the exporter's --demo mode;
// it pages detailed reports as Toggl may (see Paging), simulates the API quota (SetQuota),
// and lists a workspace's saved reports (GET /api/v9/workspaces/{id}/reports/shared, see
// SetWorkspace).
//
// It speaks HTTP and JSON only, like the real service: reports are served as JSON bodies,
// errors as plain text with Toggl's messages, and each report can be given a Fault (an error
// status, a slow or cut body, a reset connection...) to exercise the client's failure paths.
// It never logs.
package togglfake

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// PathPrefix is the path under which the fake serves reports: PathPrefix + token.
const PathPrefix = "/reports/api/v3/shared/"

// maxRequestBody bounds how much of a request body is read and recorded.
const maxRequestBody = 1 << 20

// Fake is an http.Handler serving POST /reports/api/v3/shared/{token}.
// It is safe for concurrent use.
type Fake struct {
	mu       sync.Mutex
	reports  map[string]Report
	requests []Request
	counts   map[string]int
	// maxRequests bounds the recorded requests (the oldest are dropped); 0 keeps them all.
	// Counts stay exact either way.
	maxRequests int
	now         func() time.Time
	walks       map[string]walk // by token, for paged reports
	workspaces  map[int64]Workspace
	// anyReport and anyWorkspace, when set, answer every token and workspace not Set
	// (see Rehearsal).
	anyReport    *Report
	anyWorkspace *Workspace
	// The quota (see SetQuota): limit requests per window, per credential's bucket.
	quotaLimit  int
	quotaWindow time.Duration
	buckets     map[string]bucket
}

// walk is a client's walk through the pages of a report, from its first page.
type walk struct {
	page  int       // the number of the latest page asked for
	start time.Time // when the first page was asked for: the time of every page's body
}

// bucket is a credential's use of the quota: a fixed window from its first request, the
// same as Toggl's sliding one as seen by one client.
type bucket struct {
	start time.Time
	used  int
}

// Report is what the fake serves for one report token.
type Report struct {
	// Body is the JSON served with 200.
	Body []byte
	// BodyFunc, if set, computes the body per request from the fake's clock (see SetClock)
	// and the request's JSON body (nil when it had none), and takes precedence over Body.
	// The pages of a paged report are computed from the time of the walk's first page
	// (see Paging), so that a walk reads one consistent body.
	BodyFunc func(now time.Time, request map[string]any) []byte
	// Auth holds the credentials the report requires; the zero value makes it public,
	// readable with or without an Authorization header.
	Auth Auth
	// Fault, if not zero, changes how the report is answered (every page of it, when paged).
	Fault Fault
	// Paging, if not nil, serves a detailed report in pages (see Paging); nil serves it
	// whole in one answer, without paging headers, as the shared endpoint may do.
	Paging *Paging

	listing *Workspace // set for a workspace's listing (see SetWorkspace) instead of Body
}

// Auth holds the credentials a private report accepts: HTTP Basic <APIToken>:api_token,
// or Email:Password. When both are set, both forms are accepted.
type Auth struct {
	APIToken string
	Email    string
	Password string
}

// Fault describes a misbehaviour of the upstream for one report. The zero Fault is healthy.
// Delays, truncation and resets apply to whatever body is served, error bodies included.
type Fault struct {
	// Status, if neither 0 nor 200, is answered instead of 200, with Body as a text/plain
	// body or, when Body is empty, Toggl's message for that status (else http.StatusText).
	Status int
	// Body is the body for Status or, with Status 0, a raw body served with 200 instead of
	// the report (an HTML page, wrong-typed JSON...): application/json unless ContentType
	// says otherwise.
	Body string
	// EmptyBody answers 200 with an empty body.
	EmptyBody bool
	// ContentType overrides the Content-Type header.
	ContentType string
	// Header holds extra headers, set after all others (X-Toggl-Quota-Remaining,
	// X-Toggl-Quota-Resets-In, Retry-After...).
	Header http.Header
	// HeaderDelay is slept before anything is written; the handler gives up when the
	// client goes away.
	HeaderDelay time.Duration
	// BodyDelay splits the body: headers and the first half are written and flushed,
	// then the handler sleeps (giving up when the client goes away), then writes the rest.
	BodyDelay time.Duration
	// Truncate, if positive and shorter than the body, serves only the first Truncate
	// bytes of it while declaring the full Content-Length, then ends the response: the
	// server closes the connection and the client reads an unexpected EOF.
	Truncate int
	// Reset writes the headers and the first half of the (possibly truncated) body, then
	// aborts the connection: a TCP reset (SO_LINGER 0) on HTTP/1, a stream reset on HTTP/2.
	Reset bool
}

// Request is what the fake recorded of one request it received, whatever its fate.
type Request struct {
	// Token is the report token from the path, "" when the path did not match.
	// It is recorded for tests only.
	Token string
	// AuthKind is "none" (no Authorization header), "api_token" (Basic <token>:api_token),
	// "email" (Basic email:password) or "invalid" (a header that is not usable Basic auth).
	AuthKind string
	// AuthOK reports whether the credentials let the request read the report: always
	// true for a public report, false for an unknown token.
	AuthOK bool
	// Body is the decoded JSON body; nil when it was empty or not a JSON object.
	Body map[string]any
	// UserAgent is the User-Agent header.
	UserAgent string
	// Path is the path and query of a request for a workspace's listing of saved reports
	// (see SetWorkspace), "" for other requests.
	Path string
}

// Kinds of credentials recorded in Request.AuthKind.
const (
	AuthNone     = "none"
	AuthAPIToken = "api_token"
	AuthEmail    = "email"
	AuthInvalid  = "invalid"
)

// New returns an empty Fake using time.Now as its clock.
func New() *Fake {
	return &Fake{
		reports:    make(map[string]Report),
		counts:     make(map[string]int),
		now:        time.Now,
		walks:      make(map[string]walk),
		workspaces: make(map[int64]Workspace),
	}
}

// Set adds or replaces the report served for token.
func (f *Fake) Set(token string, r Report) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reports[token] = r
}

// SetFault changes only the fault of the report served for token; the zero Fault makes it
// healthy again. It panics if no report was Set for token, which is a bug in the test.
func (f *Fake) SetFault(token string, fault Fault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	r, ok := f.reports[token]
	if !ok {
		panic("togglfake: SetFault on a token that was never Set")
	}
	r.Fault = fault
	f.reports[token] = r
}

// SetClock replaces the clock used for quota windows and BodyFunc (default time.Now).
// Delays always use real time.
func (f *Fake) SetClock(now func() time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = now
}

// Requests returns a copy of every request received since New or Reset, in order.
// The Body maps are shared and must not be modified.
func (f *Fake) Requests() []Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Request(nil), f.requests...)
}

// Count returns how many requests were received for token since New or Reset.
func (f *Fake) Count(token string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.counts[token]
}

// Reset forgets the recorded requests, counts and walks through pages (see
// Paging.FailPage). Reports, faults and quota usage stay.
func (f *Fake) Reset() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = nil
	f.counts = make(map[string]int)
	f.walks = make(map[string]walk)
}

// ServeHTTP answers like Toggl, in this order: a path other than PathPrefix+token or a
// workspace's listing (see SetWorkspace) is 404; a method other than POST (GET for a
// listing) is 405; an unknown token or workspace is 404; then the credentials are checked
// (see checkAuth), the quota is charged (see SetQuota), and the report (or its page, see
// Paging), its Fault, or the listing is served.
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	kind, user, password := parseAuth(r)
	req := Request{AuthKind: kind, Body: decodeBody(r.Body), UserAgent: r.UserAgent()}
	token, isReport := strings.CutPrefix(r.URL.Path, PathPrefix)
	isReport = isReport && token != "" && !strings.Contains(token, "/")
	wsID, isListing := listingPath(r.URL.Path)
	method := http.MethodPost

	f.mu.Lock()
	now := f.now()
	var rep Report
	var known bool
	switch {
	case isListing:
		method, req.Path = http.MethodGet, r.URL.RequestURI()
		ws, ok := f.workspaces[wsID]
		if !ok && f.anyWorkspace != nil {
			ws, ok = *f.anyWorkspace, true
		}
		rep, known = Report{Auth: Auth{APIToken: ws.APIToken}, listing: &ws}, ok
	case isReport:
		req.Token = token
		if rep, known = f.reports[token]; !known && f.anyReport != nil {
			rep, known = *f.anyReport, true
		}
	}
	status, msg := checkAuth(rep.Auth, kind, user, password) // an unknown token's Auth is public
	req.AuthOK = known && status == http.StatusOK
	f.recordLocked(req)
	pg := pageRequest{at: now, body: req.Body}
	switch {
	case !(isReport || isListing) || (r.Method == method && !known):
		status, msg = http.StatusNotFound, ""
	case r.Method != method:
		status, msg = http.StatusMethodNotAllowed, ""
		w.Header().Set("Allow", method)
	case status == http.StatusOK:
		if rep.Paging != nil {
			pg.from, pg.fromOK = firstTimestamp(req.Body)
			wk := f.walks[token]
			if pg.from == nil || wk.page == 0 {
				wk = walk{start: now}
			}
			wk.page++
			f.walks[token] = wk
			pg.number, pg.at = wk.page, wk.start
		}
		if msg = f.chargeLocked(kind, user, now, w.Header()); msg != "" {
			status = http.StatusPaymentRequired
		}
	}
	f.mu.Unlock()

	fault, body := Fault{}, []byte(msg)
	if status == http.StatusOK {
		status, body, fault = rep.answer(r, w.Header(), pg)
	}
	write(w, r, status, body, fault)
}

// SetQuota simulates Toggl's API quota: each authorised request to a known report or
// listing costs 1 from the bucket of its credential (the API token, the e-mail, or one
// shared anonymous bucket). Answers carry X-Toggl-Quota-Remaining and
// X-Toggl-Quota-Resets-In; once limit requests were made in the window, measured with the
// fake's clock from the bucket's first request, the answer is 402 until it has passed.
// Requests refused earlier (404, 401, 403) cost nothing; a limit of 0 disables the quota
// and its headers. SetQuota forgets all usage so far.
func (f *Fake) SetQuota(limit int, window time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.quotaLimit, f.quotaWindow, f.buckets = limit, window, map[string]bucket{}
}

// chargeLocked counts one request at now against the bucket of the credential, sets the
// quota headers on h, and returns the 402 message when the bucket is spent, else "".
func (f *Fake) chargeLocked(kind, user string, now time.Time, h http.Header) string {
	if f.quotaLimit <= 0 {
		return ""
	}
	key := "anonymous"
	if kind == AuthAPIToken || kind == AuthEmail {
		key = kind + ":" + user
	}
	b := f.buckets[key]
	if !now.Before(b.start.Add(f.quotaWindow)) {
		b = bucket{start: now}
	}
	resetsIn := (b.start.Add(f.quotaWindow).Sub(now) + time.Second - 1) / time.Second // rounded up
	spent := b.used >= f.quotaLimit
	if !spent {
		b.used++
	}
	f.buckets[key] = b
	h.Set(HeaderQuotaRemaining, strconv.Itoa(f.quotaLimit-b.used))
	h.Set(HeaderQuotaResetsIn, strconv.Itoa(int(resetsIn)))
	if spent {
		return fmt.Sprintf("%s. It resets in %d seconds.", statusMessages[http.StatusPaymentRequired], resetsIn)
	}
	return ""
}

// recordLocked appends req to the recorded requests; f.mu must be held.
func (f *Fake) recordLocked(req Request) {
	f.counts[req.Token]++
	if f.maxRequests > 0 && len(f.requests) >= f.maxRequests {
		// Drop the oldest half at once so that recording stays amortised O(1).
		f.requests = slices.Delete(f.requests, 0, len(f.requests)-f.maxRequests/2)
	}
	f.requests = append(f.requests, req)
}

// parseAuth classifies the Authorization header. For Basic auth whose password is the
// literal "api_token", user is the API token; otherwise user and password are an e-mail
// and its password.
func parseAuth(r *http.Request) (kind, user, password string) {
	if r.Header.Get("Authorization") == "" {
		return AuthNone, "", ""
	}
	user, password, ok := r.BasicAuth()
	switch {
	case !ok || user == "":
		return AuthInvalid, "", ""
	case password == "api_token":
		return AuthAPIToken, user, ""
	default:
		return AuthEmail, user, password
	}
}

// checkAuth returns http.StatusOK when the credentials may read a report requiring a,
// else the status and message Toggl would answer:
//   - no or unusable Authorization header on a private report: 401 "Unable to extract
//     authentication data";
//   - the report's e-mail with a wrong password: 401 "Incorrect username and/or
//     password" (authentication itself failed);
//   - any other credential: 403 "Invalid token". The fake cannot tell a wrong API token
//     from another user's valid one, and toggl-api.md documents 403 for a private report
//     read by someone who is not its owner or a workspace admin.
func checkAuth(a Auth, kind, user, password string) (int, string) {
	if a == (Auth{}) {
		return http.StatusOK, ""
	}
	switch kind {
	case AuthNone, AuthInvalid:
		return http.StatusUnauthorized, msgNoAuth
	case AuthAPIToken:
		if a.APIToken != "" && user == a.APIToken {
			return http.StatusOK, ""
		}
	case AuthEmail:
		if a.Email != "" && user == a.Email {
			if password == a.Password {
				return http.StatusOK, ""
			}
			return http.StatusUnauthorized, ""
		}
	}
	return http.StatusForbidden, ""
}

// decodeBody decodes at most maxRequestBody bytes as a JSON object.
func decodeBody(body io.Reader) map[string]any {
	var m map[string]any
	if json.NewDecoder(io.LimitReader(body, maxRequestBody)).Decode(&m) != nil {
		return nil
	}
	return m
}
