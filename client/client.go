// Package client is the exporter's Toggl Track API client. It knows nothing of Prometheus.
package client

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-json-experiment/json"
	"golang.org/x/time/rate"
)

const (
	apiPath      = "/reports/api/v3/shared/"
	maxErrorBody = 4 << 10  // bytes of an error body read for Error.Message
	maxDrain     = 64 << 10 // bytes drained before closing
)

// Options configure a Client.
type Options struct {
	BaseURL           string           // the API's scheme and host, e.g. https://api.track.toggl.com
	HTTPClient        *http.Client     // nil: no overall timeout (ctx bounds), redirects not followed
	UserAgent         string           // e.g. "toggl_exporter/1.2.3"
	MaxResponseBytes  int64            // larger bodies fail with CodeDecode; <= 0 means 64 MiB
	RequestsPerSecond float64          // the pace per credential; <= 0 means 1, Toggl's documented limit
	HourlyQuota       int              // hourly_quota; <= 0 means learned from Toggl's headers (see Limits)
	Limits            *Limits          // shared by the clients of successive configurations; nil: its own
	Now               func() time.Time // of Retry-After dates and of an own Limits; nil: time.Now
}

// Client runs shared reports and listings. It is safe for concurrent use.
type Client struct {
	o Options // with the defaults filled in
}

// New returns a Client for o.
func New(o Options) *Client {
	o.BaseURL = strings.TrimRight(strings.TrimSpace(o.BaseURL), "/")
	if o.HTTPClient == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone() // dial and TLS handshake timeouts
		tr.MaxIdleConnsPerHost = 4
		// Following a redirect could send the credentials elsewhere (and a POST as a GET).
		o.HTTPClient = &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	if o.MaxResponseBytes <= 0 {
		o.MaxResponseBytes = 64 << 20
	}
	if o.RequestsPerSecond <= 0 {
		o.RequestsPerSecond = 1
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Limits == nil {
		o.Limits = NewLimits(o.Now)
	}
	return &Client{o}
}

// CloseIdleConnections closes the idle connections of a client that a reload replaced.
func (c *Client) CloseIdleConnections() { c.o.HTTPClient.CloseIdleConnections() }

// limitKey is the key of cred's etiquette state: a credential's quota is one API's.
func (c *Client) limitKey(cred Credentials) string { return c.o.BaseURL + " " + cred.Key() }

// Request is one run of a shared report.
type Request struct {
	Token       string         // the shared report's token: a secret, part of the URL
	Credentials Credentials    // the zero value sends none
	Body        map[string]any // overrides the saved parameters (start_date...); nil sends "{}"
	Timeout     time.Duration  // if positive, bounds the request once pace and quota let it go
}

// Credentials authenticate with HTTP Basic auth, APIToken first; zero is anonymous.
type Credentials struct {
	APIToken, Email, Password string
}

// Kind reports which kind of credentials c holds: "anonymous", "api_token" or "email".
func (c Credentials) Kind() string {
	switch {
	case c.APIToken != "":
		return "api_token"
	case c.Email != "" || c.Password != "":
		return "email"
	}
	return "anonymous"
}

// Key identifies the credentials for their pace and quota: the kind and a hash of the
// secrets, the password included so that a guessable e-mail does not give it away.
func (c Credentials) Key() string {
	user, pass, ok := c.basicAuth()
	if !ok {
		return "anonymous"
	}
	sum := sha256.Sum256([]byte(user + "\x00" + pass))
	return fmt.Sprintf("%s:%x", c.Kind(), sum[:6])
}

// basicAuth returns the user and password of the Authorization header, if any.
func (c Credentials) basicAuth() (user, pass string, ok bool) {
	if c.APIToken != "" {
		return c.APIToken, "api_token", true
	}
	return c.Email, c.Password, c.Kind() == "email"
}

// Response describes Toggl's answer; Run returns one whenever an answer came.
type Response struct {
	StatusCode int
	Duration   time.Duration // from the start of the request to the end of the body
	Quota      Quota
	RetryAfter time.Duration // Retry-After (seconds or an HTTP date); 0 when absent
	Next       int64         // X-Next-Timestamp, the next page's first start (Unix s); 0: last page
	PageSize   int           // X-Page-Size, the most rows a page holds; 0 when not sent
	Headers    []string      // the factHeaders the answer carried, for `describe`
}

// factHeaders tell how Toggl pages and how much quota is left; the walk needs no X-Next-ID.
var factHeaders = []string{"X-Next-Timestamp", "X-Next-ID", "X-Next-Row-Number", "X-Page-Size",
	"X-Toggl-Quota-Remaining", "X-Toggl-Quota-Resets-In", "Retry-After"}

// Quota is what Toggl's quota headers said; the Has fields tell whether each came.
type Quota struct {
	Remaining    int64 // X-Toggl-Quota-Remaining: requests left in the window
	HasRemaining bool
	ResetsIn     time.Duration // X-Toggl-Quota-Resets-In
	HasResetsIn  bool
}

// Report is everything of a shared report except its rows, which go to a Sink.
type Report struct {
	Name, Type          string // report_name, report_type ("detailed", "summary", "weekly"...)
	Public, HideAmounts bool
	// Request is the body asked with (set by Run): it comes before what Toggl echoes.
	Request, InputParams, SavedParams map[string]any
	Dictionaries                      Dictionaries
	Totals                            *Totals // of the result block Block ("detailed", "summary", "weekly")
	Block                             string
	Unknown                           []string // sorted paths of undocumented fields (at most 64)
}

// Totals is the totals object that each result block carries.
type Totals struct {
	Seconds, TrackedDays                     int64
	BillableAmountInCents, LabourCostInCents *int64 // nil when hidden, or a plan without rates
	Rates                                    []Rate
}

// Rate is one entry of totals.rates (also used by summary sub-groups).
type Rate struct {
	BillableSeconds   int64
	Currency          string
	HourlyRateInCents int64
}

// Dictionaries resolves the ids of rows to names; id 0 (null, missing) is never a key.
type Dictionaries struct {
	Projects         map[int64]Project
	Clients          map[int64]Entity
	Users            map[int64]Entity // e-mail addresses are deliberately not decoded
	Tasks            map[int64]Task
	Tags, UserGroups map[int64]Entity
}

// Entity is a dictionary entry that has only an id and a name.
type Entity struct {
	ID   int64
	Name string
}

// Project is an entry of dictionaries.projects.
type Project struct {
	ID               int64
	Name             string
	ClientID         int64 // 0 when none
	Currency         string
	EstimatedSeconds int64
}

// Task is an entry of dictionaries.tasks.
type Task struct {
	ID                          int64
	Name                        string
	ProjectID, EstimatedSeconds int64
}

// DetailedRow is one row of detailed_results.report. In rows and groups a null id is 0.
type DetailedRow struct {
	UserID                                   int64
	Username                                 string
	ProjectID                                int64
	ProjectName, ClientName                  string // usually absent: dictionaries are authoritative
	TaskID                                   int64
	Billable                                 bool
	BillableAmountInCents, HourlyRateInCents int64
	Currency                                 string
	TagIDs                                   []int64
	Seconds                                  int64       // of time_entries, each at least 0 (a running entry lowers nothing), saturating
	TimeEntries                              []TimeEntry // reused from row to row: a Sink copies what it keeps
}

// TimeEntry is one element of a detailed row's time_entries.
type TimeEntry struct {
	ID                int64     // 0 when absent or null
	Seconds           int64     // as sent; 0 when null; negative while running
	Start             time.Time // RFC 3339, or Unix seconds as a number, in UTC; zero when absent or null
	Running           bool      // stop is null or absent, or seconds is null or negative
	NoStop, NoSeconds bool      // how a running entry was shown: stop, seconds null or absent
}

// WeeklyRow is one row of weekly_results.report; its per-day slices are as sent.
type WeeklyRow struct {
	UserID                                           int64
	UserName                                         string
	ProjectID                                        int64
	ProjectName, ClientName, Currency                string
	HourlyRateInCents                                int64
	Seconds, BillableSeconds, BillableAmountsInCents []int64
}

// SummaryGroup is one of summary_results.report.groups, of the report's Grouping.
type SummaryGroup struct {
	ID        int64
	IDs       []int64 // tag grouping only
	Names     []string
	SubGroups []SummarySubGroup
}

// SummarySubGroup is one sub-group of a summary group, of the report's sub-grouping.
type SummarySubGroup struct {
	ID      int64
	IDs     []int64
	Title   string
	Seconds int64
	Rates   []Rate
}

// Sink receives a report's rows in document order, reused after the call: it copies them.
type Sink interface {
	DetailedRow(*DetailedRow)
	WeeklyRow(*WeeklyRow)
	SummaryGroup(*SummaryGroup)
}

// Grouping returns the dimensions of a summary report's groups and sub-groups, from the
// request (Toggl may not echo it), input_params, saved_params, or the defaults.
func (r *Report) Grouping() (grouping, subGrouping string) {
	return cmp.Or(strings.ToLower(r.param("grouping", r.Request)), "projects"),
		cmp.Or(strings.ToLower(r.param("sub_grouping", r.Request)), "time_entries")
}

// Dates returns start_date and end_date as sent, from input_params (which backfill
// rewrites for the days it sums, not the request), then saved_params; "" when absent.
func (r *Report) Dates() (start, end string) {
	return r.param("start_date", nil), r.param("end_date", nil)
}

// param returns the first non-empty string key of request, input_params, saved_params.
func (r *Report) param(key string, request map[string]any) string {
	for _, m := range []map[string]any{request, r.InputParams, r.SavedParams} {
		if s, ok := m[key].(string); ok && strings.TrimSpace(s) != "" {
			return strings.TrimSpace(s)
		}
	}
	return ""
}

// DaySum returns the total of a weekly row's per-day values. An older API appended the
// week's total: an eighth element equal to the sum of the first 7 is not counted twice.
func DaySum(days []int64) int64 {
	var sum int64
	for _, d := range days {
		sum += d
	}
	if len(days) == 8 && days[7] == sum-days[7] { // the eighth is the sum of the first 7
		return days[7]
	}
	return sum
}

// Run POSTs the report when pace and quota allow, hands its rows to sink (nil discards)
// while streaming, and returns the rest. Errors are *Errors, maybe after some rows.
func (c *Client) Run(ctx context.Context, req Request, sink Sink) (*Report, *Response, error) {
	x := exchange{rd: func() redactor { return newRedactor(req) }, safeURL: c.o.BaseURL + apiPath + redactedText, timeout: req.Timeout}
	body, err := json.Marshal(req.Body, json.Deterministic(true)) // nil is {}; keys sorted: the same request, the same bytes
	if err != nil {
		return nil, nil, x.fail(&Error{Code: CodeDecode, Message: "encoding the request body: " + err.Error(), Err: err})
	}
	var rep *Report
	resp, err := c.do(ctx, http.MethodPost, c.o.BaseURL+apiPath+url.PathEscape(req.Token), bytes.NewReader(body), req.Credentials, x,
		func(r io.Reader) (err error) {
			rep, err = decode(r, sink)
			return err
		})
	if err != nil {
		return nil, resp, err
	}
	rep.Request = req.Body
	return rep, resp, nil
}

// exchange is how one request is bounded and its errors redacted.
type exchange struct {
	rd      func() redactor // a function: a listing learns secrets while it reads
	safeURL string          // the URL without its secrets
	timeout time.Duration   // bounds the request once it may be sent; 0 for none
}

// fail redacts e, its message and its cause, and returns it.
func (x exchange) fail(e *Error) error {
	rd := x.rd()
	e.Message = oneLine(rd.redact(e.Message))
	e.Err = rd.scrub(e.Err, x.safeURL)
	return e
}

// do sends a request once cred's pace and quota allow, records the answer in the limits
// and hands a 2xx body to read. Errors are *Errors redacted by x.
func (c *Client) do(ctx context.Context, method, u string, payload io.Reader, cred Credentials, x exchange, read func(io.Reader) error) (*Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, u, payload)
	if err != nil {
		return nil, x.fail(&Error{Code: CodeNetwork, Message: "building the request: " + err.Error(), Err: err})
	}
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	if c.o.UserAgent != "" {
		req.Header.Set("User-Agent", c.o.UserAgent)
	}
	if user, pass, ok := cred.basicAuth(); ok {
		req.SetBasicAuth(user, pass)
	}
	key := c.limitKey(cred)
	if e := c.o.Limits.wait(ctx, key, rate.Limit(c.o.RequestsPerSecond), c.o.HourlyQuota); e != nil {
		return nil, x.fail(e)
	}
	if x.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, x.timeout)
		defer cancel()
		req = req.WithContext(ctx)
	}
	start := time.Now()
	resp, err := c.o.HTTPClient.Do(req)
	if err != nil {
		return nil, x.fail(&Error{Code: classify(ctx, err), Message: x.rd().scrub(err, x.safeURL).Error(), Err: err})
	}
	defer func() {
		_, _ = io.CopyN(io.Discard, resp.Body, maxDrain) // so that the connection is reused
		_ = resp.Body.Close()
	}()
	r := newResponse(resp, c.o.Now())
	defer func() { r.Duration = time.Since(start) }() // before the drain
	c.o.Limits.observe(key, r)
	fail := func(code, msg string, err error) (*Response, error) {
		return r, x.fail(&Error{Code: code, StatusCode: r.StatusCode, Message: msg, Quota: r.Quota, RetryAfter: r.RetryAfter, Err: err})
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		return fail(strconv.Itoa(resp.StatusCode), cleanMessage(msg, x.rd(), len(msg) == maxErrorBody), nil)
	}
	br := &body{r: http.MaxBytesReader(nil, resp.Body, c.o.MaxResponseBytes)}
	err = read(br)
	switch {
	case errors.As(br.err, new(*http.MaxBytesError)): // even after a complete report
		return fail(CodeDecode, fmt.Sprintf("response body larger than %d bytes", c.o.MaxResponseBytes), br.err)
	case err == nil:
		return r, nil
	case br.err != nil || ctx.Err() != nil:
		cause := cmp.Or(br.err, ctx.Err())
		return fail(classify(ctx, cause), "reading the response body: "+x.rd().scrub(cause, x.safeURL).Error(), cause)
	}
	return fail(CodeDecode, err.Error(), err)
}

// classify tells a timeout (ctx ended, or a network timeout) from a network failure.
func classify(ctx context.Context, err error) string {
	var ne net.Error
	if ctx.Err() != nil || errors.As(err, &ne) && ne.Timeout() {
		return CodeTimeout
	}
	return CodeNetwork
}

// body reads a response body, keeping for decode's messages its length, first byte that
// is not white space and first read error (not malformed JSON).
type body struct {
	r     io.Reader
	n     int64
	first byte
	err   error
}

func (b *body) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err != nil && err != io.EOF {
		b.err = cmp.Or(b.err, err)
	}
	if t := bytes.TrimLeft(p[:n], " \t\r\n"); b.first == 0 && len(t) > 0 {
		b.first = t[0]
	}
	b.n += int64(n)
	return n, err
}
