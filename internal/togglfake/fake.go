// Package togglfake is a fake of Toggl Track's API as toggl-api.md describes it, for tests,
// benchmarks and the exporter's --demo mode. It never logs.
package togglfake

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ListingPrefix + workspace id + "/reports/shared" lists a workspace's saved reports, and
// + "/workspace_users" its members.
const ListingPrefix = "/api/v9/workspaces/"

// Quota headers Toggl sends with its answers.
const (
	HeaderQuotaRemaining = "X-Toggl-Quota-Remaining"
	HeaderQuotaResetsIn  = "X-Toggl-Quota-Resets-In"
)

const (
	maxRequestBody = 1 << 20 // read and recorded of a request body
	pageSize       = 50      // of Toggl's detailed search
	msgNoAuth      = "Unable to extract authentication data"
	anyWorkspace   = -1 // lists any workspace not Set, as "" serves any token (see Rehearsal)
)

// statusMessages are Toggl's documented error bodies (else http.StatusText); 402's is the
// fake's own.
var statusMessages = map[int]string{
	http.StatusBadRequest:          "The report period is not supported",
	http.StatusUnauthorized:        "Incorrect username and/or password",
	http.StatusPaymentRequired:     "You have hit your hourly API quota limit",
	http.StatusForbidden:           "Invalid token",
	http.StatusNotFound:            "Not found",
	http.StatusInternalServerError: "report is too big to be exported",
}

// Fake is an http.Handler serving Toggl's API. It is safe for concurrent use.
type Fake struct {
	mu          sync.Mutex
	reports     map[string]Report
	workspaces  map[int64]Workspace
	requests    []Request
	counts      map[string]int // exact, though requests keeps at most maxRequests (0: all)
	maxRequests int
	now         func() time.Time
	walks       map[string]run // by token: the pages of a walk, from its first (see Paging)
	// quotaLimit requests per bucket's window from its first request: Toggl's sliding one
	// as one client sees it.
	quotaLimit  int
	quotaWindow time.Duration
	buckets     map[string]run
}

// run counts the requests of a walk or quota bucket since start.
type run struct {
	start time.Time
	n     int
}

// Report is what the fake serves for one report token.
type Report struct {
	Body []byte // served with 200
	// BodyFunc, if set, computes the body instead, from the fake's clock and the request's
	// JSON body (nil without one); every page of a walk gets its first page's time.
	BodyFunc func(now time.Time, request map[string]any) []byte
	Auth     Auth    // the credentials the report requires; the zero value makes it public
	Fault    Fault   // how the report misbehaves (every page of it, when paged)
	Paging   *Paging // nil serves a report whole, as the shared endpoint may do
}

// Auth holds the credentials a private report accepts: HTTP Basic <APIToken>:api_token,
// or Email:Password; either when both are set.
type Auth struct {
	APIToken, Email, Password string
}

// Fault is how the upstream misbehaves for one report; the zero Fault is healthy. It
// delays, truncates and resets whatever body is served, error bodies included.
type Fault struct {
	Status      int           // if neither 0 nor 200, answered with Body (default: Toggl's) as plain text
	Body        string        // with Status 0, served with 200 as application/json instead of the report
	EmptyBody   bool          // answer 200 with an empty body
	ContentType string        // overrides the Content-Type header
	Header      http.Header   // extra headers, set after all others (Retry-After...)
	HeaderDelay time.Duration // slept before anything is written (given up when the client goes away)
	BodyDelay   time.Duration // slept likewise between the first half of the body, flushed, and the rest
	Truncate    int           // if positive, only so many bytes of the body, under its full Content-Length
	Reset       bool          // writes the headers and half the body, then resets the connection
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

// Kinds of credentials in Request.AuthKind: no Authorization header, Basic
// <token>:api_token, Basic email:password, and not usable Basic auth.
const (
	AuthNone     = "none"
	AuthAPIToken = "api_token"
	AuthEmail    = "email"
	AuthInvalid  = "invalid"
)

// SavedReport is a saved report in a workspace's listing.
type SavedReport struct {
	ID             int64          `json:"id"`
	Name           string         `json:"name"`
	Token          string         `json:"token"` // the {report_token} of the shared endpoint
	Public         bool           `json:"public"`
	FixedDaterange bool           `json:"fixed_daterange"`
	Params         map[string]any `json:"-"` // sent as a JSON-encoded string, as Toggl does
}

// Member is a member in a workspace's listing of members.
type Member struct {
	UserID                int64
	Name, Email           string // Email is sent, as Toggl does: the exporter must never show it
	Inactive              bool
	WorkingHoursInMinutes int64 // 0 sends null
}

// Workspace is what the fake lists for one workspace.
type Workspace struct {
	// APIToken is the API token the listings require ("" makes them public, as Toggl's
	// never are); others get 403, as a non-admin's does from the listing of members.
	APIToken string
	Reports  []SavedReport
	Members  []Member
}

// New returns an empty Fake using time.Now as its clock.
func New() *Fake {
	return &Fake{reports: map[string]Report{}, counts: map[string]int{}, now: time.Now,
		walks: map[string]run{}, workspaces: map[int64]Workspace{}}
}

// Set adds or replaces the report served for token.
func (f *Fake) Set(token string, r Report) { f.locked(func() { f.reports[token] = r }) }

// SetFault changes only the fault of the report served for token. It panics if no report
// was Set for token, which is a bug in the test.
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

// SetWorkspace adds or replaces the listings of workspace id.
func (f *Fake) SetWorkspace(id int64, ws Workspace) { f.locked(func() { f.workspaces[id] = ws }) }

// SetClock replaces the clock of quota windows and BodyFunc; delays use real time.
func (f *Fake) SetClock(now func() time.Time) { f.locked(func() { f.now = now }) }

// Requests returns the requests received since New or Reset, in order; the Body maps are
// shared and must not be modified.
func (f *Fake) Requests() (requests []Request) {
	f.locked(func() { requests = slices.Clone(f.requests) })
	return requests
}

// Count returns how many requests were received for token since New or Reset.
func (f *Fake) Count(token string) (n int) {
	f.locked(func() { n = f.counts[token] })
	return n
}

// Reset forgets the recorded requests, counts and walks (see Paging.FailPage).
func (f *Fake) Reset() {
	f.locked(func() { f.requests, f.counts, f.walks = nil, map[string]int{}, map[string]run{} })
}

func (f *Fake) locked(fn func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn()
}

// SetQuota makes each authorised request cost 1 of limit per window from its credential's
// bucket, with the quota headers, then 402; 0 disables the quota. It forgets all usage.
func (f *Fake) SetQuota(limit int, window time.Duration) {
	f.locked(func() { f.quotaLimit, f.quotaWindow, f.buckets = limit, window, map[string]run{} })
}

// ServeHTTP answers like Toggl, in this order: 404 for another path, 405 for a method
// other than POST (GET for a listing), 404 for an unknown token or workspace, then
// 401/403 (see authorize), the quota, and the report, its page or its Fault.
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	req := Request{UserAgent: r.UserAgent()}
	if json.NewDecoder(io.LimitReader(r.Body, maxRequestBody)).Decode(&req.Body) != nil {
		req.Body = nil
	}
	token, isReport := strings.CutPrefix(r.URL.Path, "/reports/api/v3/shared/")
	isReport = isReport && token != "" && !strings.Contains(token, "/")
	rest, isListing := strings.CutPrefix(r.URL.Path, ListingPrefix)
	idText, listing, _ := strings.Cut(rest, "/")
	wsID, err := strconv.ParseInt(idText, 10, 64)
	isListing = isListing && err == nil && (listing == "reports/shared" || listing == "workspace_users")
	f.mu.Lock()
	now, method, rep, known := f.now(), http.MethodPost, Report{}, false
	switch {
	case isListing:
		method, req.Path = http.MethodGet, r.URL.RequestURI()
		ws, ok := f.workspaces[wsID]
		if !ok {
			ws, ok = f.workspaces[anyWorkspace]
		}
		rep, known = ws.list(wsID, listing, r.URL.Query()), ok
	case isReport:
		req.Token = token
		if rep, known = f.reports[token]; !known {
			rep, known = f.reports[""]
		}
	}
	kind, bucket, status, msg := authorize(r, rep.Auth) // an unknown token's Auth is public
	req.AuthKind, req.AuthOK = kind, known && status == http.StatusOK
	f.counts[req.Token]++
	if f.maxRequests > 0 && len(f.requests) >= f.maxRequests {
		// Drop the oldest half at once so that recording stays amortised O(1).
		f.requests = slices.Delete(f.requests, 0, len(f.requests)-f.maxRequests/2)
	}
	f.requests = append(f.requests, req)
	var from *int64 // first_timestamp of a paged report's request; nil for the first page
	at, fromOK := now, true
	switch {
	case !(isReport || isListing) || (r.Method == method && !known):
		rep.Fault = Fault{Status: http.StatusNotFound}
	case r.Method != method:
		rep.Fault = Fault{Status: http.StatusMethodNotAllowed, Header: http.Header{"Allow": {method}}}
	case status != http.StatusOK:
		rep.Fault = Fault{Status: status, Body: msg}
	default:
		if p := rep.Paging; p != nil {
			// The cursor: absent or null for the first page, else whole Unix seconds.
			ts, isNumber := req.Body["first_timestamp"].(float64)
			fromOK = req.Body["first_timestamp"] == nil || isNumber && ts == math.Trunc(ts) && math.Abs(ts) <= 1<<53
			if isNumber && fromOK {
				from = new(int64(ts))
			}
			wk := f.walks[token]
			if from == nil || wk.n == 0 {
				wk = run{start: now}
			}
			wk.n++
			f.walks[token] = wk
			if at = wk.start; fromOK && p.FailPage > 0 && wk.n == p.FailPage {
				rep.Fault = p.FailFault
			}
		}
		if msg = f.chargeLocked(bucket, now, w.Header()); msg != "" {
			rep.Fault = Fault{Status: http.StatusPaymentRequired, Body: msg}
		} else if !fromOK { // the message is the fake's own: Toggl's is not documented
			rep.Fault.Status, rep.Fault.Body = http.StatusBadRequest, "first_timestamp must be a Unix timestamp or null"
		}
	}
	f.mu.Unlock()
	rep.serve(w, r, at, req.Body, from)
}

// list returns the listing of ws (id) that query asks for: all its members, or a page of
// its saved reports (per_page by default 50: Toggl's is not documented).
func (ws Workspace) list(id int64, listing string, query url.Values) Report {
	rep, out := Report{Auth: Auth{APIToken: ws.APIToken}}, []map[string]any{}
	if listing == "workspace_users" {
		for i, m := range ws.Members {
			out = append(out, map[string]any{
				"id": 9000 + i, "user_id": m.UserID, "uid": m.UserID, "workspace_id": id, "wid": id, "name": m.Name, "email": m.Email,
				"active": !m.Inactive, "inactive": m.Inactive, "admin": i == 0, "role": "user", "group_ids": []int64{}, "rate": nil,
				"labor_cost": nil, "timezone": "Europe/Berlin", "working_hours_in_minutes": nonZero(m.WorkingHoursInMinutes), "at": "2025-03-01T09:00:00+00:00",
			})
		}
		rep.Body = mustMarshal(out)
		return rep
	}
	page, pageErr := strconv.Atoi(cmp.Or(query.Get("page"), "1"))
	perPage, perPageErr := strconv.Atoi(cmp.Or(query.Get("per_page"), "50"))
	if pageErr != nil || perPageErr != nil || page < 1 || perPage < 1 {
		rep.Fault = Fault{Status: http.StatusBadRequest, Body: "page and per_page must be positive integers"}
		return rep
	}
	for i, s := range ws.Reports {
		if i/perPage == page-1 {
			out = append(out, map[string]any{"id": s.ID, "name": s.Name, "token": s.Token, "public": s.Public, "fixed_daterange": s.FixedDaterange,
				"params": string(mustMarshal(maps.Collect(maps.All(s.Params)))), "updated_at": "2025-03-01T09:00:00+00:00", "scheduled_email_uids": []int64{}, "deleted_at": nil})
		}
	}
	rep.Body = mustMarshal(out)
	return rep
}

// chargeLocked charges a request at now to the quota bucket key, sets the quota headers
// on h, and returns the 402 message when the bucket is spent.
func (f *Fake) chargeLocked(key string, now time.Time, h http.Header) string {
	if f.quotaLimit <= 0 {
		return ""
	}
	b := f.buckets[key]
	if !now.Before(b.start.Add(f.quotaWindow)) {
		b = run{start: now}
	}
	b.n++ // past the limit too: each refused request counts as one more
	f.buckets[key] = b
	resetsIn := (b.start.Add(f.quotaWindow).Sub(now) + time.Second - 1) / time.Second // rounded up
	h.Set(HeaderQuotaRemaining, strconv.Itoa(max(f.quotaLimit-b.n, 0)))
	h.Set(HeaderQuotaResetsIn, strconv.Itoa(int(resetsIn)))
	if b.n > f.quotaLimit {
		return fmt.Sprintf("%s. It resets in %d seconds.", statusMessages[http.StatusPaymentRequired], resetsIn)
	}
	return ""
}

// authorize classifies r's credentials, names their quota bucket and returns 200 when they
// may read a report requiring a, else 401 when unusable or of a wrong password, else 403,
// Toggl's for another user (the fake cannot tell a wrong API token from another user's).
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

// serve answers as rep's Fault says, else with rep's body as of at, or its page from
// first_timestamp: a 200 body is JSON, any other plain text.
func (rep Report) serve(w http.ResponseWriter, r *http.Request, at time.Time, request map[string]any, from *int64) {
	fault, body := rep.Fault, []byte(rep.Fault.Body)
	if (fault.Status == 0 || fault.Status == http.StatusOK) && fault.Body == "" && !fault.EmptyBody {
		body = rep.Body
		if rep.BodyFunc != nil {
			body = rep.BodyFunc(at, request)
		}
		if rep.Paging != nil {
			body = pageOf(w.Header(), body, rep.Paging, from)
		}
	}
	if fault.HeaderDelay > 0 && !sleep(r.Context(), fault.HeaderDelay) {
		return
	}
	status, contentType := cmp.Or(fault.Status, http.StatusOK), "application/json"
	if status != http.StatusOK {
		contentType = "text/plain; charset=utf-8"
		if len(body) == 0 {
			body = []byte(cmp.Or(statusMessages[status], http.StatusText(status)))
		}
	}
	h := w.Header()
	h.Set("Content-Type", cmp.Or(fault.ContentType, contentType))
	h.Set("Content-Length", strconv.Itoa(len(body)))
	maps.Copy(h, fault.Header)
	w.WriteHeader(status)
	if fault.Truncate > 0 && fault.Truncate < len(body) {
		body = body[:fault.Truncate]
	}
	rc := http.NewResponseController(w)
	switch {
	case fault.Reset:
		_, _ = w.Write(body[:len(body)/2])
		abort(rc)
	case fault.BodyDelay > 0:
		_, _ = w.Write(body[:len(body)/2])
		_ = rc.Flush()
		if sleep(r.Context(), fault.BodyDelay) {
			_, _ = w.Write(body[len(body)/2:])
		}
	default:
		_, _ = w.Write(body)
	}
}

// abort kills the connection: on HTTP/1 by closing it with SO_LINGER 0 (a TCP reset), on
// HTTP/2 by aborting the handler (a stream reset, which net/http does not log).
func abort(rc *http.ResponseController) {
	_ = rc.Flush()
	conn, buf, err := rc.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	_ = buf.Flush()
	if tc, ok := conn.(interface{ NetConn() net.Conn }); ok { // TLS: reset the TCP below it
		conn = tc.NetConn()
	}
	if tcp, ok := conn.(*net.TCPConn); ok {
		_ = tcp.SetLinger(0)
	}
	_ = conn.Close()
}

// sleep waits for d, or returns false as soon as ctx is done.
func sleep(ctx context.Context, d time.Duration) bool {
	select {
	case <-time.After(d):
		return true
	case <-ctx.Done():
		return false
	}
}

// Paging serves a detailed report in pages as Toggl's detailed search does: rows by start,
// each page from first_timestamp, the X-Next-* headers naming the first row left out, so
// that rows sharing its second come again. The zero Paging is healthy; each field breaks it.
type Paging struct {
	Size        int  // rows per page; 0 means 50, as Toggl's
	Silent      bool // no X-Next-* header: only the rows falling short of the totals tell
	StuckCursor bool // the first page's X-Next-* headers on every page, the last included
	// FailPage, if positive, makes the FailPage-th page of a walk (from a request without
	// first_timestamp; one walk per token) answer FailFault, so that a retry succeeds.
	FailPage             int
	FailFault            Fault
	Short                int  // leaves the Short newest rows out, totals unchanged
	Overlap              int  // the X-Next-* headers name the row Overlap rows earlier
	GroupAcross          bool // a page's first row also holds the entries of the row before it
	NewestFirst          bool // each page's rows newest first; the pages still go oldest first
	PageDictionaries     bool // only the dictionary entries a page's rows name
	IgnoreFirstTimestamp bool // the first page, headers included, to every request
}

// pagedRow is a row with the id and the start (Unix seconds) of its first time entry.
type pagedRow struct {
	row       any
	id, start int64
}

// pageOf returns the page of body from first_timestamp from (nil: the first) and sets its
// headers on h, or body itself when it is not a detailed report.
func pageOf(h http.Header, body []byte, p *Paging, from *int64) []byte {
	var top object
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber() // ids and amounts come back as they were
	if d.Decode(&top) != nil {
		return body
	}
	results, _ := top["detailed_results"].(object)
	report, ok := results["report"].([]any)
	if !ok {
		return body
	}
	var rows []pagedRow
	for _, v := range report {
		r := pagedRow{row: v, start: math.MinInt64}
		row, _ := v.(object)
		if entries, _ := row["time_entries"].([]any); len(entries) > 0 {
			e, _ := entries[0].(object)
			id, _ := e["id"].(json.Number)
			start, _ := e["start"].(string)
			r.id, _ = id.Int64()
			if t, err := time.Parse(time.RFC3339, start); err == nil {
				r.start = t.Unix()
			}
		}
		rows = append(rows, r)
	}
	slices.SortFunc(rows, func(a, b pagedRow) int { return cmp.Or(cmp.Compare(a.start, b.start), cmp.Compare(a.id, b.id)) })
	rows = rows[:len(rows)-min(max(p.Short, 0), len(rows))]

	size := cmp.Or(max(p.Size, 0), pageSize)
	first := 0
	if from != nil && !p.IgnoreFirstTimestamp {
		first, _ = slices.BinarySearchFunc(rows, *from, func(r pagedRow, t int64) int { return cmp.Compare(r.start, t) })
	}
	last := first + min(size, len(rows)-first)
	h.Set("X-Page-Size", strconv.Itoa(size))
	next := last // the first row left out, which the X-Next-* headers name
	switch {
	case p.StuckCursor:
		next = size
	case p.Overlap > 0 && next < len(rows):
		next = max(next-p.Overlap, first+1)
	}
	if next < len(rows) && !p.Silent {
		h.Set("X-Next-ID", strconv.FormatInt(rows[next].id, 10))
		h.Set("X-Next-Row-Number", strconv.Itoa(next+1))
		h.Set("X-Next-Timestamp", strconv.FormatInt(rows[next].start, 10))
	}
	page := []any{}
	for _, r := range rows[first:last] {
		page = append(page, r.row)
	}
	if p.GroupAcross && first > 0 && len(page) > 0 {
		if row, ok := page[0].(object); ok {
			before, _ := rows[first-1].row.(object)
			be, _ := before["time_entries"].([]any)
			re, _ := row["time_entries"].([]any)
			row["time_entries"] = slices.Concat(be, re)
		}
	}
	if p.NewestFirst {
		slices.Reverse(page)
	}
	results["report"] = page
	if p.PageDictionaries {
		pageDictionaries(top["dictionaries"], page)
	}
	return mustMarshal(top)
}

// pageDictionaries keeps in dict the entries that page's rows name, and their clients.
func pageDictionaries(dict any, page []any) {
	d, _ := dict.(object)
	projects, _ := d["projects"].(object)
	named := map[string]bool{}
	for _, v := range page {
		r, _ := v.(object)
		project, _ := projects[fmt.Sprint(r["project_id"])].(object)
		tags, _ := r["tag_ids"].([]any)
		for kind, ids := range map[string][]any{"projects": {r["project_id"]}, "users": {r["user_id"]}, "tasks": {r["task_id"]},
			"tags": tags, "clients": {project["client_id"]}} {
			for _, id := range ids {
				named[kind+"/"+fmt.Sprint(id)] = true
			}
		}
	}
	for _, kind := range []string{"projects", "users", "tasks", "tags", "clients"} {
		m, _ := d[kind].(object)
		maps.DeleteFunc(m, func(id string, _ any) bool { return !named[kind+"/"+id] })
	}
}

func mustMarshal(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic("togglfake: " + err.Error()) // plain data or JSON just decoded: cannot happen
	}
	return b
}
