// Package client is the exporter's Toggl Track API client: shared reports decoded while
// streaming, a workspace's listings, Toggl's pace and quota, typed and redacted errors.
package client

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

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
		// Toggl does not redirect; following a redirect could send the credentials
		// elsewhere, and would turn the POST into a GET.
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

// Credentials authenticate with HTTP Basic auth, APIToken first; the zero value is
// anonymous, enough for a public report.
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

// Key identifies the credentials, without a secret, for their pace and quota: the kind
// and a hash of the secrets, the password included so that a guessable e-mail address
// does not give the key away.
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
	// Next is X-Next-Timestamp, the next page's first start in Unix seconds (0: last page);
	// X-Next-ID and X-Next-Row-Number add nothing the walk needs.
	Next     int64
	PageSize int      // X-Page-Size, the most rows a page holds; 0 when not sent
	Headers  []string // the factHeaders the answer carried, for `describe`
}

// factHeaders tell how Toggl pages and how much quota is left (toggl-api.md).
var factHeaders = []string{"X-Next-Timestamp", "X-Next-ID", "X-Next-Row-Number", "X-Page-Size",
	"X-Toggl-Quota-Remaining", "X-Toggl-Quota-Resets-In", "Retry-After"}

// Quota is what Toggl's quota headers said; the Has fields tell whether each came.
type Quota struct {
	Remaining    int64 // X-Toggl-Quota-Remaining: requests left in the window
	HasRemaining bool
	ResetsIn     time.Duration // X-Toggl-Quota-Resets-In
	HasResetsIn  bool
}

// Run POSTs the report once the credential's pace and quota allow, hands its rows to
// sink (nil discards them) while streaming, and returns the rest; every error is an
// *Error. After an error the sink may have seen rows of a report not returned.
func (c *Client) Run(ctx context.Context, req Request, sink Sink) (*Report, *Response, error) {
	x := exchange{rd: func() redactor { return newRedactor(req) }, safeURL: c.o.BaseURL + apiPath + redactedText, timeout: req.Timeout}
	params := req.Body
	if params == nil {
		params = map[string]any{}
	}
	body, err := json.Marshal(params)
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
	c.o.Limits.observe(key, r)
	fail := func(code, msg string, err error) (*Response, error) {
		r.Duration = time.Since(start)
		return r, x.fail(&Error{Code: code, StatusCode: r.StatusCode, Message: msg, Quota: r.Quota, RetryAfter: r.RetryAfter, Err: err})
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		return fail(strconv.Itoa(resp.StatusCode), cleanMessage(msg, x.rd(), len(msg) == maxErrorBody), nil)
	}
	br := &body{r: resp.Body, limit: c.o.MaxResponseBytes}
	err = read(br)
	switch {
	case err == nil:
		r.Duration = time.Since(start)
		return r, nil
	case br.err == errTooLarge:
		return fail(CodeDecode, fmt.Sprintf("response body larger than %d bytes", c.o.MaxResponseBytes), errTooLarge)
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

var errTooLarge = errors.New("response body too large")

// body reads a response body up to limit (if > 0), keeping its length and first byte
// that is not white space (for decode's messages) and the first read error (a body cut
// off by the network is not malformed JSON).
type body struct {
	r        io.Reader
	n, limit int64
	first    byte
	err      error
}

func (b *body) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	if b.limit > 0 && int64(len(p)) > b.limit-b.n {
		p = p[:b.limit-b.n+1] // one byte more tells "exactly the limit" from "over it"
	}
	n, err := b.r.Read(p)
	if b.limit > 0 && b.n+int64(n) > b.limit {
		n, err = int(b.limit-b.n), errTooLarge
	}
	if err != nil && err != io.EOF {
		b.err = err
	}
	if t := bytes.TrimLeft(p[:n], " \t\r\n"); b.first == 0 && len(t) > 0 {
		b.first = t[0]
	}
	b.n += int64(n)
	return n, err
}
