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
	mu          sync.Mutex
	reports     map[string]Report
	requests    []Request
	counts      map[string]int // exact, though requests keeps at most maxRequests (0: all)
	maxRequests int
	now         func() time.Time
	walks       map[string]walk // by token, for paged reports
	workspaces  map[int64]Workspace
	// anyReport and anyWorkspace, when set, answer every token and workspace not Set
	// (see Rehearsal).
	anyReport    *Report
	anyWorkspace *Workspace
	// The quota (see SetQuota): quotaLimit requests per window, per credential's bucket.
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
	// The pages of a walk are all computed for the time of its first page (see Paging).
	BodyFunc func(now time.Time, request map[string]any) []byte
	// Auth holds the credentials the report requires; the zero value makes it public.
	Auth Auth
	// Fault, if not zero, changes how the report is answered (every page of it, when paged).
	Fault Fault
	// Paging, if not nil, serves a detailed report in pages; nil serves it whole, without
	// paging headers, as the shared endpoint may do.
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

// Fault describes a misbehaviour of the upstream for one report; the zero Fault is healthy.
// Delays, truncation and resets apply to whatever body is served, error bodies included.
type Fault struct {
	// Status, if neither 0 nor 200, is answered instead of 200, with Body as plain text
	// (by default Toggl's message for the status, else http.StatusText).
	Status int
	// Body is the body for Status or, with Status 0, a raw body served with 200 instead of
	// the report (an HTML page, wrong-typed JSON...), as application/json.
	Body        string
	EmptyBody   bool          // answer 200 with an empty body
	ContentType string        // overrides the Content-Type header
	Header      http.Header   // extra headers, set after all others (Retry-After...)
	HeaderDelay time.Duration // slept before anything is written (given up when the client goes away)
	// BodyDelay is slept (likewise) between the first half of the body, flushed, and the rest.
	BodyDelay time.Duration
	// Truncate, if positive and shorter than the body, serves only that many bytes of it
	// under the full Content-Length and closes the connection: an unexpected EOF.
	Truncate int
	// Reset writes the headers and half the (possibly truncated) body, then aborts the
	// connection: a TCP reset (SO_LINGER 0) on HTTP/1, a stream reset on HTTP/2.
	Reset bool
}

// Request is what the fake recorded of one request it received, whatever its fate.
type Request struct {
	Token     string         // the report token from the path, "" when the path did not match
	AuthKind  string         // AuthNone, AuthAPIToken, AuthEmail or AuthInvalid
	AuthOK    bool           // the credentials could read the report; false for an unknown token
	Body      map[string]any // the decoded JSON body; nil when it was empty or not an object
	UserAgent string
	Path      string // the path and query of a listing request (see SetWorkspace), else ""
}

// Kinds of credentials recorded in Request.AuthKind: no Authorization header, Basic
// <token>:api_token, Basic email:password, and a header that is not usable Basic auth.
const (
	AuthNone     = "none"
	AuthAPIToken = "api_token"
	AuthEmail    = "email"
	AuthInvalid  = "invalid"
)

// New returns an empty Fake using time.Now as its clock.
func New() *Fake {
	return &Fake{reports: map[string]Report{}, counts: map[string]int{}, now: time.Now,
		walks: map[string]walk{}, workspaces: map[int64]Workspace{}}
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
	return slices.Clone(f.requests)
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
	f.requests, f.counts, f.walks = nil, map[string]int{}, map[string]walk{}
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

// ServeHTTP answers like Toggl, in this order: a path other than PathPrefix+token or a
// workspace's listing (see SetWorkspace) is 404; a method other than POST (GET for a
// listing) is 405; an unknown token or workspace is 404; then the credentials are checked
// (see authorize), the quota is charged (see SetQuota), and the report (or its page, see
// Paging), its Fault, or the listing is served.
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	req := Request{UserAgent: r.UserAgent()}
	if json.NewDecoder(io.LimitReader(r.Body, maxRequestBody)).Decode(&req.Body) != nil {
		req.Body = nil
	}
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
	kind, bucket, status, msg := authorize(r, rep.Auth) // an unknown token's Auth is public
	req.AuthKind = kind
	req.AuthOK = known && status == http.StatusOK
	f.counts[req.Token]++
	if f.maxRequests > 0 && len(f.requests) >= f.maxRequests {
		// Drop the oldest half at once so that recording stays amortised O(1).
		f.requests = slices.Delete(f.requests, 0, len(f.requests)-f.maxRequests/2)
	}
	f.requests = append(f.requests, req)
	var from *int64 // first_timestamp of a paged report's request; nil for the first page
	at, fromOK, fault := now, true, Fault{}
	switch {
	case !(isReport || isListing) || (r.Method == method && !known):
		status, msg = http.StatusNotFound, ""
	case r.Method != method:
		status, msg = http.StatusMethodNotAllowed, ""
		w.Header().Set("Allow", method)
	case status == http.StatusOK:
		if p := rep.Paging; p != nil {
			from, fromOK = firstTimestamp(req.Body)
			wk := f.walks[token]
			if from == nil || wk.page == 0 {
				wk = walk{start: now}
			}
			wk.page++
			f.walks[token] = wk
			if at = wk.start; fromOK && p.FailPage > 0 && wk.page == p.FailPage {
				rep.Fault = p.FailFault
			}
		}
		if msg = f.chargeLocked(bucket, now, w.Header()); msg != "" {
			status = http.StatusPaymentRequired
		} else if !fromOK {
			status, msg, fault = http.StatusBadRequest, msgBadFirstTimestamp, rep.Fault
		}
	}
	f.mu.Unlock()

	body := []byte(msg)
	if status == http.StatusOK {
		status, body, fault = rep.answer(r, w.Header(), at, req.Body, from)
	}
	write(w, r, status, body, fault)
}

// chargeLocked counts one request at now against the quota bucket key, sets the quota
// headers on h, and returns the 402 message when the bucket is spent, else "".
func (f *Fake) chargeLocked(key string, now time.Time, h http.Header) string {
	if f.quotaLimit <= 0 {
		return ""
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

// authorize classifies r's credentials (see Request.AuthKind), names their quota bucket
// ("" for the anonymous one) and returns http.StatusOK when they may read a report
// requiring a, else what Toggl answers: 401 "Unable to extract authentication data"
// without usable credentials, 401 for the report's e-mail with a wrong password, and 403
// for any other credential. The fake cannot tell a wrong API token from another user's,
// and toggl-api.md documents 403 for a private report read by someone who is not its
// owner or a workspace admin.
func authorize(r *http.Request, a Auth) (kind, bucket string, status int, msg string) {
	user, password, ok := r.BasicAuth()
	switch {
	case r.Header.Get("Authorization") == "":
		kind = AuthNone
	case !ok || user == "":
		kind = AuthInvalid
	case password == "api_token":
		kind, bucket = AuthAPIToken, AuthAPIToken+":"+user
	default:
		kind, bucket = AuthEmail, AuthEmail+":"+user
	}
	switch {
	case a == (Auth{}),
		kind == AuthAPIToken && a.APIToken != "" && user == a.APIToken,
		kind == AuthEmail && a.Email != "" && user == a.Email && password == a.Password:
		return kind, bucket, http.StatusOK, ""
	case kind == AuthNone || kind == AuthInvalid:
		return kind, bucket, http.StatusUnauthorized, msgNoAuth
	case kind == AuthEmail && a.Email != "" && user == a.Email:
		return kind, bucket, http.StatusUnauthorized, ""
	}
	return kind, bucket, http.StatusForbidden, ""
}
