package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

const testToken = "tok-SECRET-5f3a9c2e81"

// newTestClient returns a client for srv with a rate limit high enough not to slow tests.
func newTestClient(srv *httptest.Server, o Options) *Client {
	if srv != nil {
		o.BaseURL = srv.URL
	}
	if o.UserAgent == "" {
		o.UserAgent = "toggl_exporter/test"
	}
	if o.RequestsPerSecond == 0 {
		o.RequestsPerSecond = 1e6
	}
	return New(o)
}

func newServer(t *testing.T, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

func TestRunRequestAndResponse(t *testing.T) {
	fixture := readFixture(t, "detailed.json")
	type seen struct {
		method, path, contentType, accept, userAgent, auth string
		body                                               string
	}
	got := make(chan seen, 1)
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- seen{r.Method, r.URL.EscapedPath(), r.Header.Get("Content-Type"), r.Header.Get("Accept"),
			r.Header.Get("User-Agent"), r.Header.Get("Authorization"), string(b)}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Toggl-Quota-Remaining", "29")
		w.Header().Set("X-Toggl-Quota-Resets-In", "3540")
		w.Header().Set("X-Page-Size", "50")
		_, _ = w.Write(fixture)
	})
	c := newTestClient(srv, Options{UserAgent: "toggl_exporter/1.2.3"})
	rec := &recorder{}
	rep, resp, err := c.Run(context.Background(), Request{Token: testToken}, rec)
	if err != nil {
		t.Fatal(err)
	}
	s := <-got
	want := seen{"POST", "/reports/api/v3/shared/" + testToken, "application/json", "application/json",
		"toggl_exporter/1.2.3", "", "{}"}
	if s != want {
		t.Errorf("request:\n got %+v\nwant %+v", s, want)
	}
	assertReport(t, rep, &decodeCases[0].report)
	assertEqual(t, "rows", rec.detailed, decodeCases[0].detailed)
	if resp == nil {
		t.Fatal("nil Response")
	}
	wantQuota := Quota{Remaining: 29, HasRemaining: true, ResetsIn: 3540 * time.Second, HasResetsIn: true}
	if resp.StatusCode != 200 || resp.Quota != wantQuota || resp.RetryAfter != 0 || resp.Duration <= 0 {
		t.Errorf("Response = %+v", *resp)
	}
	assertEqual(t, "Response.Headers", resp.Headers, []string{"X-Page-Size", "X-Toggl-Quota-Remaining", "X-Toggl-Quota-Resets-In"})
}

func TestRunRequestBodyAndPath(t *testing.T) {
	tests := []struct {
		name     string
		token    string
		body     map[string]any
		wantPath string
		wantBody string
	}{
		{"nil body", "abc", nil, "/reports/api/v3/shared/abc", `{}`},
		{"empty body", "abc", map[string]any{}, "/reports/api/v3/shared/abc", `{}`},
		{"overrides", "abc", map[string]any{"start_date": "2025-06-01", "billable": true, "project_ids": []int64{1, 2}},
			"/reports/api/v3/shared/abc", `{"billable":true,"project_ids":[1,2],"start_date":"2025-06-01"}`},
		{"token is escaped", "a/b c?d", nil, "/reports/api/v3/shared/a%2Fb%20c%3Fd", `{}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var path, body string
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				path, body = r.URL.EscapedPath(), string(b)
				_, _ = io.WriteString(w, `{"report_type":"detailed","detailed_results":{"totals":{"seconds":0}}}`)
			})
			// A trailing slash on the base URL is tolerated.
			c := newTestClient(nil, Options{BaseURL: srv.URL + "/"})
			if _, _, err := c.Run(context.Background(), Request{Token: tc.token, Body: tc.body}, nil); err != nil {
				t.Fatal(err)
			}
			if path != tc.wantPath || body != tc.wantBody {
				t.Errorf("path %q body %s, want %q %s", path, body, tc.wantPath, tc.wantBody)
			}
		})
	}
}

func TestRunAuth(t *testing.T) {
	tests := []struct {
		name     string
		cred     Credentials
		kind     string
		wantUser string
		wantPass string
		wantAuth bool
	}{
		{"anonymous", Credentials{}, "anonymous", "", "", false},
		{"api token", Credentials{APIToken: "0123456789abcdef0123456789abcdef"}, "api_token", "0123456789abcdef0123456789abcdef", "api_token", true},
		{"api token wins over email", Credentials{APIToken: "tkn", Email: "a@example.com", Password: "pw"}, "api_token", "tkn", "api_token", true},
		{"email", Credentials{Email: "ops@example.com", Password: "p@ss:word"}, "email", "ops@example.com", "p@ss:word", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.cred.Kind(); got != tc.kind {
				t.Errorf("Kind() = %q, want %q", got, tc.kind)
			}
			var user, pass, header string
			var ok bool
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				user, pass, ok = r.BasicAuth()
				header = r.Header.Get("Authorization")
				_, _ = io.WriteString(w, `{"report_type":"detailed","detailed_results":{"totals":{"seconds":0}}}`)
			})
			c := newTestClient(srv, Options{})
			if _, _, err := c.Run(context.Background(), Request{Token: "t", Credentials: tc.cred}, nil); err != nil {
				t.Fatal(err)
			}
			if ok != tc.wantAuth || user != tc.wantUser || pass != tc.wantPass {
				t.Errorf("basic auth = %v %q %q, want %v %q %q", ok, user, pass, tc.wantAuth, tc.wantUser, tc.wantPass)
			}
			if !tc.wantAuth && header != "" {
				t.Errorf("anonymous request sent Authorization %q", header)
			}
		})
	}
}

func TestCredentialsKey(t *testing.T) {
	creds := []Credentials{
		{},
		{APIToken: "0123456789abcdef0123456789abcdef"},
		{APIToken: "0123456789abcdef0123456789abcdeF"},
		{Email: "ops@example.com", Password: "one"},
		{Email: "ops@example.com", Password: "two"},
		{Email: "dev@example.com", Password: "one"},
	}
	seen := map[string]bool{}
	for _, c := range creds {
		k := c.Key()
		if k != c.Key() {
			t.Errorf("Key() of %v is not stable", c.Kind())
		}
		if seen[k] {
			t.Errorf("Key() %q is shared by different credentials", k)
		}
		seen[k] = true
		if c.Kind() == "anonymous" {
			if k != "anonymous" {
				t.Errorf("anonymous Key() = %q", k)
			}
			continue
		}
		prefix, hexPart, _ := strings.Cut(k, ":")
		if prefix != c.Kind() || len(hexPart) != 12 || strings.Trim(hexPart, "0123456789abcdef") != "" {
			t.Errorf("Key() = %q, want %s:<12 hex>", k, c.Kind())
		}
		for _, secret := range []string{c.APIToken, c.Email, c.Password, "0123456789"} {
			if secret != "" && strings.Contains(k, secret) {
				t.Errorf("Key() %q contains %q", k, secret)
			}
		}
	}
}

func TestRunStatusErrors(t *testing.T) {
	now := time.Date(2025, 6, 2, 12, 0, 0, 0, time.UTC)
	long := strings.Repeat("report is too big to be exported. ", 40)
	tests := []struct {
		name    string
		status  int
		body    string
		headers map[string]string
		want    Error
		wantErr string
	}{
		{name: "400", status: 400, body: "report_type does not exist in params\n",
			want:    Error{Code: "400", StatusCode: 400, Message: "report_type does not exist in params"},
			wantErr: "toggl: HTTP 400 Bad Request: report_type does not exist in params"},
		{name: "401", status: 401, body: "Incorrect username and/or password",
			want:    Error{Code: "401", StatusCode: 401, Message: "Incorrect username and/or password"},
			wantErr: "toggl: HTTP 401 Unauthorized: Incorrect username and/or password"},
		{name: "402 quota", status: 402, body: "You have hit your hourly API quota",
			headers: map[string]string{"X-Toggl-Quota-Remaining": "0", "X-Toggl-Quota-Resets-In": "1800"},
			want: Error{Code: "402", StatusCode: 402, Message: "You have hit your hourly API quota",
				Quota: Quota{Remaining: 0, HasRemaining: true, ResetsIn: 30 * time.Minute, HasResetsIn: true}},
			wantErr: "toggl: HTTP 402 Payment Required: You have hit your hourly API quota (quota remaining 0, resets in 30m0s)"},
		{name: "402 plan", status: 402, body: "This feature requires a paid plan",
			want: Error{Code: "402", StatusCode: 402, Message: "This feature requires a paid plan"}},
		{name: "403", status: 403, body: "Invalid token",
			want: Error{Code: "403", StatusCode: 403, Message: "Invalid token"}},
		{name: "404", status: 404, body: "Not found\n",
			want: Error{Code: "404", StatusCode: 404, Message: "Not found"}},
		{name: "429 seconds", status: 429, body: "Too many requests", headers: map[string]string{"Retry-After": "7"},
			want:    Error{Code: "429", StatusCode: 429, Message: "Too many requests", RetryAfter: 7 * time.Second},
			wantErr: "toggl: HTTP 429 Too Many Requests: Too many requests (retry after 7s)"},
		{name: "429 date", status: 429, body: "", headers: map[string]string{"Retry-After": now.Add(90 * time.Second).Format(http.TimeFormat)},
			want:    Error{Code: "429", StatusCode: 429, RetryAfter: 90 * time.Second},
			wantErr: "toggl: HTTP 429 Too Many Requests (retry after 1m30s)"},
		{name: "500", status: 500, body: "report is too big to be exported",
			want: Error{Code: "500", StatusCode: 500, Message: "report is too big to be exported"}},
		{name: "500 long multi-line", status: 500, body: "first line\r\n\tsecond  line\n" + long,
			want: Error{Code: "500", StatusCode: 500,
				Message: ("first line second line " + long)[:199] + "…"}},
		{name: "502 html", status: 502, body: "<html>\n<head><title>502 Bad Gateway</title><style>body{}</style></head>\n<body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>",
			want: Error{Code: "502", StatusCode: 502, Message: "502 Bad Gateway 502 Bad Gateway nginx"}},
		{name: "418 json body", status: 418, body: `{"error":"teapot"}`,
			want: Error{Code: "418", StatusCode: 418, Message: `{"error":"teapot"}`}},
		{name: "301 not followed", status: 301, headers: map[string]string{"Location": "https://elsewhere.example/"},
			want: Error{Code: "301", StatusCode: 301}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				for k, v := range tc.headers {
					w.Header().Set(k, v)
				}
				w.Header().Set("Content-Type", "text/plain; charset=utf-8")
				w.WriteHeader(tc.status)
				_, _ = io.WriteString(w, tc.body)
			})
			c := newTestClient(srv, Options{Now: func() time.Time { return now }})
			rep, resp, err := c.Run(context.Background(), Request{Token: "t"}, nil)
			if rep != nil {
				t.Error("report returned with an error")
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %T %v, want *Error", err, err)
			}
			if *e != tc.want {
				t.Errorf("error:\n got %+v\nwant %+v", *e, tc.want)
			}
			if tc.wantErr != "" && err.Error() != tc.wantErr {
				t.Errorf("Error() = %q\n      want %q", err.Error(), tc.wantErr)
			}
			if Code(err) != tc.want.Code {
				t.Errorf("Code() = %q", Code(err))
			}
			if resp == nil || resp.StatusCode != tc.status || resp.Quota != tc.want.Quota || resp.RetryAfter != tc.want.RetryAfter {
				t.Errorf("Response = %+v", resp)
			}
		})
	}
}

// blockingServer answers with headers and, optionally, the start of a body, then waits
// until the client goes away or the test ends.
func blockingServer(t *testing.T, partialBody string) *httptest.Server {
	done := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if partialBody != "" {
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, partialBody)
			w.(http.Flusher).Flush()
		}
		select {
		case <-r.Context().Done():
		case <-done:
		}
	}))
	t.Cleanup(func() {
		close(done)
		srv.Close()
	})
	return srv
}

func TestRunTimeout(t *testing.T) {
	tests := []struct {
		name     string
		partial  string
		response bool
	}{
		{"before the response", "", false},
		{"mid-body", `{"report_type":"detailed","detailed_results":{"report":[{"user_id":1},`, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := blockingServer(t, tc.partial)
			c := newTestClient(srv, Options{})
			ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
			defer cancel()
			rec := &recorder{}
			start := time.Now()
			_, resp, err := c.Run(ctx, Request{Token: testToken}, rec)
			if took := time.Since(start); took > 5*time.Second {
				t.Errorf("Run took %s", took)
			}
			if Code(err) != CodeTimeout {
				t.Fatalf("Code = %q (%v), want timeout", Code(err), err)
			}
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("err %v does not wrap context.DeadlineExceeded", err)
			}
			if (resp != nil) != tc.response {
				t.Errorf("Response = %+v, want one: %v", resp, tc.response)
			}
			if tc.response && len(rec.detailed) != 1 {
				t.Errorf("rows before the timeout: %d, want 1", len(rec.detailed))
			}
		})
	}
}

func TestRunCanceled(t *testing.T) {
	srv := blockingServer(t, "")
	c := newTestClient(srv, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	_, _, err := c.Run(ctx, Request{Token: "t"}, nil)
	if Code(err) != CodeTimeout || !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v (code %q), want timeout wrapping context.Canceled", err, Code(err))
	}
}

// refusedURL returns the URL of a port on which nothing listens.
func refusedURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return "http://" + addr
}

func TestRunConnectionRefused(t *testing.T) {
	c := newTestClient(nil, Options{BaseURL: refusedURL(t)})
	_, resp, err := c.Run(context.Background(), Request{Token: testToken}, nil)
	if Code(err) != CodeNetwork || resp != nil {
		t.Fatalf("code %q resp %+v err %v; want network, no response", Code(err), resp, err)
	}
	var e *Error
	if errors.As(err, &e); e.StatusCode != 0 || !strings.Contains(e.Message, "/reports/api/v3/shared/<redacted>") {
		t.Errorf("error %+v", *e)
	}
}

// cutServer sends a 200 whose body the connection cuts short of its Content-Length.
func cutServer(t *testing.T, partial string, chunked bool) *httptest.Server {
	return newServer(t, func(w http.ResponseWriter, r *http.Request) {
		conn, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		defer conn.Close()
		_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, 1<<20))
		if chunked {
			fmt.Fprintf(buf, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n", len(partial), partial)
		} else {
			fmt.Fprintf(buf, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(partial)+5000, partial)
		}
		_ = buf.Flush()
		if tc, ok := conn.(*net.TCPConn); ok {
			_ = tc.SetLinger(0) // reset, not a clean close
		}
	})
}

func TestRunConnectionCutMidBody(t *testing.T) {
	partial := `{"report_type":"detailed","detailed_results":{"report":[{"user_id":1},{"user_id":2`
	for _, chunked := range []bool{false, true} {
		t.Run("chunked="+strconv.FormatBool(chunked), func(t *testing.T) {
			srv := cutServer(t, partial, chunked)
			c := newTestClient(srv, Options{})
			rep, resp, err := c.Run(context.Background(), Request{Token: testToken}, nil)
			if Code(err) != CodeNetwork || rep != nil {
				t.Fatalf("code %q err %v; want network", Code(err), err)
			}
			if resp == nil || resp.StatusCode != 200 {
				t.Errorf("Response = %+v, want the 200", resp)
			}
			var e *Error
			errors.As(err, &e)
			if e.StatusCode != 200 || !strings.HasPrefix(e.Message, "reading the response body: ") {
				t.Errorf("error %+v", *e)
			}
		})
	}
}

func TestRunDecodeFailures(t *testing.T) {
	fixture := readFixture(t, "detailed.json")
	tests := []struct {
		name  string
		ctype string
		body  string
		limit int64
		want  string // Message, or its start with "*"
	}{
		{"html 200", "text/html", "<!doctype html><html><head><title>Toggl Track</title></head><body>Login</body></html>", 0,
			"decode: the body is not JSON (it starts with '<': an HTML page?)*"},
		{"empty 200", "application/json", "", 0, "decode: empty body, expected a JSON report"},
		{"truncated JSON", "application/json", `{"report_type":"detailed","detailed_results":{"report":[{"user_id":1}`, 0,
			"decode detailed_results.report: truncated JSON: the body ends at byte 69"},
		{"wrong top-level type", "application/json", `[1,2,3]`, 0, "decode: expected a JSON object at the top level, got array"},
		{"wrong block type", "application/json", `{"report_type":"weekly","weekly_results":{"report":"n/a"}}`, 0,
			`decode weekly_results.report: expected an array, got string "n/a"`},
		{"over the limit", "application/json", string(fixture), 1000, "response body larger than 1000 bytes"},
		{"one byte over the limit", "application/json", string(fixture), int64(len(fixture) - 1),
			fmt.Sprintf("response body larger than %d bytes", len(fixture)-1)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", tc.ctype)
				w.Header().Set("X-Toggl-Quota-Remaining", "12")
				_, _ = io.WriteString(w, tc.body)
			})
			c := newTestClient(srv, Options{MaxResponseBytes: tc.limit})
			rep, resp, err := c.Run(context.Background(), Request{Token: testToken}, nil)
			if rep != nil {
				t.Error("report returned with an error")
			}
			var e *Error
			if !errors.As(err, &e) || e.Code != CodeDecode {
				t.Fatalf("err = %v, want a decode *Error", err)
			}
			if !matches(e.Message, tc.want) {
				t.Errorf("Message = %q\n      want %q", e.Message, tc.want)
			}
			if e.StatusCode != 200 || !e.Quota.HasRemaining || e.Quota.Remaining != 12 {
				t.Errorf("error %+v, want status 200 and the quota", *e)
			}
			if resp == nil || resp.StatusCode != 200 {
				t.Errorf("Response = %+v", resp)
			}
			if !strings.HasPrefix(err.Error(), "toggl: decode") {
				t.Errorf("Error() = %q", err.Error())
			}
		})
	}
}

func TestRunBodyAtTheLimit(t *testing.T) {
	fixture := readFixture(t, "detailed.json")
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write(fixture) })
	c := newTestClient(srv, Options{MaxResponseBytes: int64(len(fixture))})
	if _, _, err := c.Run(context.Background(), Request{Token: "t"}, nil); err != nil {
		t.Fatalf("a body of exactly the limit failed: %v", err)
	}
}

// TestRunLargeBodyNotBuffered checks that a body far over the limit is refused after
// reading about the limit, not read whole.
func TestRunLargeBodyNotBuffered(t *testing.T) {
	var written int64
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `{"report_type":"detailed","workspace_logo":"`)
		chunk := []byte(strings.Repeat("a", 32<<10))
		for i := 0; i < 2048; i++ { // 64 MiB if it were all read
			n, err := w.Write(chunk)
			written += int64(n)
			if err != nil {
				return
			}
		}
	})
	c := newTestClient(srv, Options{MaxResponseBytes: 256 << 10})
	_, _, err := c.Run(context.Background(), Request{Token: "t"}, nil)
	if Code(err) != CodeDecode || !strings.Contains(err.Error(), "response body larger than 262144 bytes") {
		t.Fatalf("err = %v", err)
	}
	srv.Close() // wait for the handler
	if written > 16<<20 {
		t.Errorf("server wrote %d bytes: the body was read far past the limit", written)
	}
}

func TestCode(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{nil, ""},
		{errors.New("x"), CodeNetwork},
		{&Error{Code: "401"}, "401"},
		{fmt.Errorf("report a: %w", &Error{Code: CodeDecode}), CodeDecode},
	}
	for _, tc := range tests {
		if got := Code(tc.err); got != tc.want {
			t.Errorf("Code(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2025, 6, 2, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"7", 7 * time.Second},
		{" 120 ", 2 * time.Minute},
		{"1.5", 1500 * time.Millisecond},
		{"0", 0},
		{"-3", 0},
		{"NaN", 0},
		{"soon", 0},
		{"99999999999", time.Hour},
		{now.Add(time.Hour).Format(http.TimeFormat), time.Hour},
		{now.Add(30 * time.Minute).Format(http.TimeFormat), 30 * time.Minute},
		{now.Add(48 * time.Hour).Format(http.TimeFormat), time.Hour},
		{"Fri, 31 Dec 9999 23:59:59 GMT", time.Hour},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0},
		{now.Add(45 * time.Second).Format(time.RFC850), 45 * time.Second},
	}
	for _, tc := range tests {
		if got := parseRetryAfter(tc.in, now); got != tc.want {
			t.Errorf("parseRetryAfter(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

func TestParseQuota(t *testing.T) {
	tests := []struct {
		remaining, resets string
		want              Quota
	}{
		{"", "", Quota{}},
		{"0", "1800", Quota{0, true, 30 * time.Minute, true}},
		{" 240 ", "", Quota{Remaining: 240, HasRemaining: true}},
		{"12.0", "59.5", Quota{12, true, 59500 * time.Millisecond, true}},
		{"lots", "later", Quota{}},
		{"", "-5", Quota{HasResetsIn: true}},
	}
	for _, tc := range tests {
		h := http.Header{}
		if tc.remaining != "" {
			h.Set("X-Toggl-Quota-Remaining", tc.remaining)
		}
		if tc.resets != "" {
			h.Set("X-Toggl-Quota-Resets-In", tc.resets)
		}
		if got := newResponse(&http.Response{Header: h}, time.Time{}).Quota; got != tc.want {
			t.Errorf("parseQuota(%q, %q) = %+v, want %+v", tc.remaining, tc.resets, got, tc.want)
		}
	}
}

func TestCleanMessage(t *testing.T) {
	rd := newRedactor(Request{Token: "SECRETTOKEN"})
	tests := []struct {
		in        string
		truncated bool
		want      string
	}{
		{"", false, ""},
		{"  Not found \n", false, "Not found"},
		{"a\x00b\x1bc", false, "a b c"},
		{"bad \xff utf8", false, "bad \uFFFD utf8"},
		{"Invalid token SECRETTOKEN", false, "Invalid token <redacted>"},
		{"cut at SECRETTO", true, "cut at"},
		{"cut at SECRETTO", false, "cut at SECRETTO"},
		{"<p>Invalid <b>token</b></p><script>var x = '<p>';</script>", false, "Invalid token"},
		{"<unclosed", false, ""},
		{strings.Repeat("é", 300), false, strings.Repeat("é", 200) + "…"},
	}
	for _, tc := range tests {
		if got := cleanMessage([]byte(tc.in), rd, tc.truncated); got != tc.want {
			t.Errorf("cleanMessage(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// jsonString quotes s as a JSON string.
func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
