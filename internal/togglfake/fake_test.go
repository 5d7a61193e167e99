package togglfake

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

const okBody = `{"report_name":"r","report_type":"detailed"}`

// call is one request to the fake.
type call struct {
	method string
	path   string // default PathPrefix + token
	token  string
	body   string
	auth   func(*http.Request) // sets credentials
}

// answer is what the client got.
type answer struct {
	status int
	proto  string
	header http.Header
	body   string
	err    error // from Do or from reading the body
}

func do(t *testing.T, ctx context.Context, srv *httptest.Server, c call) answer {
	t.Helper()
	if c.method == "" {
		c.method = http.MethodPost
	}
	if c.path == "" {
		c.path = PathPrefix + c.token
	}
	req, err := http.NewRequestWithContext(ctx, c.method, srv.URL+c.path, strings.NewReader(c.body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "togglfake-test/1")
	if c.auth != nil {
		c.auth(req)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		return answer{err: err}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return answer{status: resp.StatusCode, proto: resp.Proto, header: resp.Header, body: string(b), err: err}
}

func post(t *testing.T, srv *httptest.Server, token string) answer {
	t.Helper()
	return do(t, context.Background(), srv, call{token: token})
}

func apiToken(tok string) func(*http.Request) {
	return func(r *http.Request) { r.SetBasicAuth(tok, "api_token") }
}

func emailAuth(email, password string) func(*http.Request) {
	return func(r *http.Request) { r.SetBasicAuth(email, password) }
}

func rawAuth(v string) func(*http.Request) {
	return func(r *http.Request) { r.Header.Set("Authorization", v) }
}

func newServer(t *testing.T, f *Fake) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return srv
}

func wantAnswer(t *testing.T, got answer, status int, body string) {
	t.Helper()
	if got.err != nil {
		t.Fatalf("request failed: %v", got.err)
	}
	if got.status != status || got.body != body {
		t.Fatalf("got %d %q, want %d %q", got.status, got.body, status, body)
	}
}

func TestRouting(t *testing.T) {
	f := New()
	f.Set("tok", Report{Body: []byte(okBody)})
	srv := newServer(t, f)

	tests := []struct {
		name   string
		call   call
		status int
		body   string
		ctype  string
	}{
		{"report", call{token: "tok"}, 200, okBody, "application/json"},
		{"empty request body", call{token: "tok", body: ""}, 200, okBody, "application/json"},
		{"GET", call{method: http.MethodGet, token: "tok"}, 405, "Method Not Allowed", "text/plain; charset=utf-8"},
		{"unknown token", call{token: "nope"}, 404, "Not found", "text/plain; charset=utf-8"},
		{"no token", call{path: PathPrefix}, 404, "Not found", "text/plain; charset=utf-8"},
		{"sub-path", call{path: PathPrefix + "tok/x"}, 404, "Not found", "text/plain; charset=utf-8"},
		{"other path", call{path: "/api/v9/me"}, 404, "Not found", "text/plain; charset=utf-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := do(t, context.Background(), srv, tt.call)
			wantAnswer(t, got, tt.status, tt.body)
			if ct := got.header.Get("Content-Type"); ct != tt.ctype {
				t.Errorf("Content-Type %q, want %q", ct, tt.ctype)
			}
		})
	}
	if got := do(t, context.Background(), srv, call{method: http.MethodGet, token: "tok"}); got.header.Get("Allow") != "POST" {
		t.Errorf("405 without Allow: POST: %v", got.header)
	}
}

func TestAuth(t *testing.T) {
	f := New()
	f.Set("public", Report{Body: []byte(okBody)})
	f.Set("by-token", Report{Body: []byte(okBody), Auth: Auth{APIToken: "secret-token"}})
	f.Set("by-email", Report{Body: []byte(okBody), Auth: Auth{Email: "ops@example.com", Password: "pw"}})
	f.Set("both", Report{Body: []byte(okBody), Auth: Auth{APIToken: "secret-token", Email: "ops@example.com", Password: "pw"}})
	srv := newServer(t, f)

	tests := []struct {
		name   string
		token  string
		auth   func(*http.Request)
		status int
		body   string
		kind   string
	}{
		{"public, anonymous", "public", nil, 200, okBody, AuthNone},
		{"public, any api token", "public", apiToken("whatever"), 200, okBody, AuthAPIToken},
		{"public, any e-mail", "public", emailAuth("a@example.com", "x"), 200, okBody, AuthEmail},
		{"public, garbage header", "public", rawAuth("Bearer x"), 200, okBody, AuthInvalid},
		{"token, anonymous", "by-token", nil, 401, "Unable to extract authentication data", AuthNone},
		{"token, not basic", "by-token", rawAuth("Bearer secret-token"), 401, "Unable to extract authentication data", AuthInvalid},
		{"token, bad base64", "by-token", rawAuth("Basic !!!"), 401, "Unable to extract authentication data", AuthInvalid},
		{"token, empty user", "by-token", apiToken(""), 401, "Unable to extract authentication data", AuthInvalid},
		{"token, right", "by-token", apiToken("secret-token"), 200, okBody, AuthAPIToken},
		{"token, wrong", "by-token", apiToken("other-token"), 403, "Invalid token", AuthAPIToken},
		{"token, e-mail given", "by-token", emailAuth("ops@example.com", "pw"), 403, "Invalid token", AuthEmail},
		{"email, right", "by-email", emailAuth("ops@example.com", "pw"), 200, okBody, AuthEmail},
		{"email, wrong password", "by-email", emailAuth("ops@example.com", "nope"), 401, "Incorrect username and/or password", AuthEmail},
		{"email, other user", "by-email", emailAuth("eve@example.com", "pw"), 403, "Invalid token", AuthEmail},
		{"email, token given", "by-email", apiToken("secret-token"), 403, "Invalid token", AuthAPIToken},
		{"both, token", "both", apiToken("secret-token"), 200, okBody, AuthAPIToken},
		{"both, e-mail", "both", emailAuth("ops@example.com", "pw"), 200, okBody, AuthEmail},
		{"both, anonymous", "both", nil, 401, "Unable to extract authentication data", AuthNone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.Reset()
			got := do(t, context.Background(), srv, call{token: tt.token, auth: tt.auth})
			wantAnswer(t, got, tt.status, tt.body)
			reqs := f.Requests()
			if len(reqs) != 1 {
				t.Fatalf("recorded %d requests, want 1", len(reqs))
			}
			if reqs[0].AuthKind != tt.kind || reqs[0].AuthOK != (tt.status == 200) {
				t.Errorf("recorded kind %q ok %v, want %q %v", reqs[0].AuthKind, reqs[0].AuthOK, tt.kind, tt.status == 200)
			}
		})
	}
}

func TestFaultStatus(t *testing.T) {
	tests := []struct {
		fault  Fault
		status int
		body   string
	}{
		{Fault{Status: 400}, 400, "The report period is not supported"},
		{Fault{Status: 400, Body: "report_type does not exist in params"}, 400, "report_type does not exist in params"},
		{Fault{Status: 401}, 401, "Incorrect username and/or password"},
		{Fault{Status: 402}, 402, "You have hit your hourly API quota limit"},
		{Fault{Status: 403}, 403, "Invalid token"},
		{Fault{Status: 404}, 404, "Not found"},
		{Fault{Status: 429}, 429, "Too Many Requests"},
		{Fault{Status: 500}, 500, "report is too big to be exported"},
		{Fault{Status: 502}, 502, "Bad Gateway"},
		{Fault{Status: 503, Body: "<html>maintenance</html>", ContentType: "text/html"}, 503, "<html>maintenance</html>"},
		{Fault{Status: 200}, 200, okBody}, // 200 is healthy
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d %s", tt.fault.Status, tt.fault.Body), func(t *testing.T) {
			f := New()
			f.Set("tok", Report{Body: []byte(okBody), Fault: tt.fault})
			got := post(t, newServer(t, f), "tok")
			wantAnswer(t, got, tt.status, tt.body)
			want := "text/plain; charset=utf-8"
			switch {
			case tt.fault.ContentType != "":
				want = tt.fault.ContentType
			case tt.status == 200:
				want = "application/json"
			}
			if ct := got.header.Get("Content-Type"); ct != want {
				t.Errorf("Content-Type %q, want %q", ct, want)
			}
		})
	}
}

func TestFaultHeaders(t *testing.T) {
	f := New()
	f.Set("tok", Report{Body: []byte(okBody), Fault: Fault{
		Status: 429,
		Header: http.Header{"Retry-After": {"7"}, HeaderQuotaRemaining: {"0"}, HeaderQuotaResetsIn: {"120"}},
	}})
	got := post(t, newServer(t, f), "tok")
	wantAnswer(t, got, 429, "Too Many Requests")
	for k, v := range map[string]string{"Retry-After": "7", HeaderQuotaRemaining: "0", HeaderQuotaResetsIn: "120"} {
		if got.header.Get(k) != v {
			t.Errorf("%s = %q, want %q", k, got.header.Get(k), v)
		}
	}
}

func TestFaultRawBodies(t *testing.T) {
	tests := []struct {
		name  string
		fault Fault
		body  string
		ctype string
	}{
		{"html page", Fault{Body: "<!doctype html><title>Toggl</title>", ContentType: "text/html; charset=utf-8"}, "<!doctype html><title>Toggl</title>", "text/html; charset=utf-8"},
		{"wrong-typed json", Fault{Body: `{"report_type":7,"detailed_results":"x"}`}, `{"report_type":7,"detailed_results":"x"}`, "application/json"},
		{"empty", Fault{EmptyBody: true}, "", "application/json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := New()
			f.Set("tok", Report{Body: []byte(okBody), Fault: tt.fault})
			got := post(t, newServer(t, f), "tok")
			wantAnswer(t, got, 200, tt.body)
			if ct := got.header.Get("Content-Type"); ct != tt.ctype {
				t.Errorf("Content-Type %q, want %q", ct, tt.ctype)
			}
		})
	}
}

func TestFaultHeaderDelay(t *testing.T) {
	f := New()
	f.Set("tok", Report{Body: []byte(okBody), Fault: Fault{HeaderDelay: 150 * time.Millisecond}})
	srv := newServer(t, f)

	start := time.Now()
	wantAnswer(t, post(t, srv, "tok"), 200, okBody)
	if d := time.Since(start); d < 150*time.Millisecond {
		t.Errorf("answered after %v, before the 150ms delay", d)
	}

	// A client that gives up is not kept waiting, and the handler stops too: Close waits
	// for running handlers.
	f.SetFault("tok", Fault{HeaderDelay: time.Minute})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start = time.Now()
	got := do(t, ctx, srv, call{token: "tok"})
	if !errors.Is(got.err, context.DeadlineExceeded) {
		t.Fatalf("got %+v, want a deadline error", got)
	}
	srv.Close()
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("handler kept sleeping after the client left: %v", d)
	}
}

func TestFaultBodyDelay(t *testing.T) {
	f := New()
	f.Set("tok", Report{Body: []byte(okBody), Fault: Fault{BodyDelay: 200 * time.Millisecond}})
	srv := newServer(t, f)

	req, _ := http.NewRequest(http.MethodPost, srv.URL+PathPrefix+"tok", nil)
	start := time.Now()
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	headers := time.Since(start)
	first := make([]byte, len(okBody)/2)
	if _, err := io.ReadFull(resp.Body, first); err != nil {
		t.Fatal(err)
	}
	rest, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	total := time.Since(start)
	if got := string(first) + string(rest); got != okBody {
		t.Errorf("body %q, want %q", got, okBody)
	}
	// The pause falls between the headers and the end of the body (with slack for a
	// loaded machine, which may deliver the headers late).
	if total < 200*time.Millisecond || total-headers < 100*time.Millisecond {
		t.Errorf("headers after %v, body after %v: want the 200ms pause inside the body", headers, total)
	}

	// Cancelled in the middle of the body.
	f.SetFault("tok", Fault{BodyDelay: time.Minute})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	got := do(t, ctx, srv, call{token: "tok"})
	if got.err == nil || got.status != 200 {
		t.Fatalf("got %+v, want 200 then an error reading the body", got)
	}
	start = time.Now()
	srv.Close()
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("handler kept sleeping after the client left: %v", d)
	}
}

func TestFaultTruncate(t *testing.T) {
	f := New()
	f.Set("tok", Report{Body: []byte(okBody), Fault: Fault{Truncate: 10}})
	srv := newServer(t, f)
	got := post(t, srv, "tok")
	if got.status != 200 || !errors.Is(got.err, io.ErrUnexpectedEOF) {
		t.Fatalf("got %d %v, want 200 and an unexpected EOF", got.status, got.err)
	}
	if got.body != okBody[:10] {
		t.Errorf("read %q, want %q", got.body, okBody[:10])
	}
	if got.header.Get("Content-Length") != fmt.Sprint(len(okBody)) {
		t.Errorf("Content-Length %q, want the full %d", got.header.Get("Content-Length"), len(okBody))
	}

	// Truncating at or beyond the length serves the whole body.
	f.SetFault("tok", Fault{Truncate: len(okBody)})
	wantAnswer(t, post(t, srv, "tok"), 200, okBody)
}

func TestFaultReset(t *testing.T) {
	body := bytes.Repeat([]byte("x"), 64<<10)
	for _, tls := range []bool{false, true} {
		t.Run(fmt.Sprintf("tls=%v", tls), func(t *testing.T) {
			f := New()
			f.Set("tok", Report{Body: body, Fault: Fault{Reset: true}})
			var srv *httptest.Server
			if tls {
				srv = httptest.NewUnstartedServer(f)
				srv.EnableHTTP2 = true
				srv.StartTLS()
				t.Cleanup(srv.Close)
			} else {
				srv = newServer(t, f)
			}
			got := post(t, srv, "tok")
			if got.err == nil {
				t.Fatalf("got %d with %d bytes, want a client-side error", got.status, len(got.body))
			}
			if len(got.body) >= len(body) {
				t.Errorf("read %d bytes, the whole body", len(got.body))
			}
			// The server survives.
			f.SetFault("tok", Fault{})
			got = post(t, srv, "tok")
			if got.err != nil || got.status != 200 || len(got.body) != len(body) {
				t.Errorf("after reset: %d, %d bytes, %v", got.status, len(got.body), got.err)
			}
			if wantProto := map[bool]string{false: "HTTP/1.1", true: "HTTP/2.0"}[tls]; got.proto != wantProto {
				t.Errorf("served over %s, want %s", got.proto, wantProto)
			}
		})
	}
}

func TestFaultDelayOnError(t *testing.T) {
	f := New()
	f.Set("tok", Report{Fault: Fault{Status: 500, HeaderDelay: 50 * time.Millisecond}})
	start := time.Now()
	wantAnswer(t, post(t, newServer(t, f), "tok"), 500, "report is too big to be exported")
	if time.Since(start) < 50*time.Millisecond {
		t.Error("delay not applied to an error answer")
	}
}

func TestSetFault(t *testing.T) {
	f := New()
	f.Set("tok", Report{Body: []byte(okBody)})
	srv := newServer(t, f)
	f.SetFault("tok", Fault{Status: 403})
	wantAnswer(t, post(t, srv, "tok"), 403, "Invalid token")
	f.SetFault("tok", Fault{})
	wantAnswer(t, post(t, srv, "tok"), 200, okBody)

	defer func() {
		if recover() == nil {
			t.Error("SetFault on an unknown token did not panic")
		}
	}()
	f.SetFault("never-set", Fault{Status: 500})
}

func TestBodyFunc(t *testing.T) {
	f := New()
	at := time.Date(2025, 3, 12, 15, 4, 5, 0, time.UTC)
	f.SetClock(func() time.Time { return at })
	f.Set("tok", Report{Body: []byte("ignored"), BodyFunc: func(now time.Time, request map[string]any) []byte {
		return []byte(fmt.Sprintf(`"%s %v"`, now.Format(time.RFC3339), request["start_date"]))
	}})
	srv := newServer(t, f)
	wantAnswer(t, post(t, srv, "tok"), 200, `"2025-03-12T15:04:05Z <nil>"`)
	wantAnswer(t, do(t, context.Background(), srv, call{method: http.MethodPost, path: PathPrefix + "tok", body: `{"start_date": "2025-03-10"}`}), 200, `"2025-03-12T15:04:05Z 2025-03-10"`)
}

func TestRecording(t *testing.T) {
	f := New()
	at := time.Date(2025, 3, 12, 15, 0, 0, 0, time.UTC)
	f.SetClock(func() time.Time { return at })
	f.Set("a", Report{Body: []byte(okBody)})
	f.Set("b", Report{Body: []byte(okBody), Auth: Auth{APIToken: "t"}})
	srv := newServer(t, f)
	ctx := context.Background()

	do(t, ctx, srv, call{token: "a", body: `{"start_date":"2025-03-10","end_date":"2025-03-16","billable":true}`})
	do(t, ctx, srv, call{token: "b"})                     // refused: recorded all the same
	do(t, ctx, srv, call{token: "a", body: "not json"})   // body nil
	do(t, ctx, srv, call{token: "zzz", body: `[1,2]`})    // unknown token, not an object
	do(t, ctx, srv, call{path: "/elsewhere", body: `{}`}) // no token

	reqs := f.Requests()
	if len(reqs) != 5 {
		t.Fatalf("recorded %d requests, want 5", len(reqs))
	}
	r0 := reqs[0]
	if r0.Token != "a" || r0.Body["start_date"] != "2025-03-10" || r0.Body["end_date"] != "2025-03-16" || r0.Body["billable"] != true {
		t.Errorf("first request recorded as %+v", r0)
	}
	if r0.UserAgent != "togglfake-test/1" || r0.AuthKind != AuthNone || !r0.AuthOK {
		t.Errorf("first request recorded as %+v", r0)
	}
	if reqs[1].Token != "b" || reqs[1].AuthOK {
		t.Errorf("refused request recorded as %+v", reqs[1])
	}
	if reqs[2].Body != nil || reqs[3].Body != nil || reqs[3].Token != "zzz" || reqs[3].AuthOK {
		t.Errorf("bad bodies recorded as %+v / %+v", reqs[2], reqs[3])
	}
	if reqs[4].Token != "" || reqs[4].Body == nil {
		t.Errorf("off-path request recorded as %+v", reqs[4])
	}
	for tok, want := range map[string]int{"a": 2, "b": 1, "zzz": 1, "": 1, "c": 0} {
		if got := f.Count(tok); got != want {
			t.Errorf("Count(%q) = %d, want %d", tok, got, want)
		}
	}

	reqs[0].Token = "changed" // a copy
	if f.Requests()[0].Token != "a" {
		t.Error("Requests does not return a copy")
	}
	f.Reset()
	if len(f.Requests()) != 0 || f.Count("a") != 0 {
		t.Error("Reset kept requests")
	}
}

func TestRecordingBounded(t *testing.T) {
	f := New()
	f.maxRequests = 10
	f.Set("a", Report{Body: []byte(okBody)})
	srv := newServer(t, f)
	for i := range 25 {
		do(t, context.Background(), srv, call{token: "a", body: fmt.Sprintf(`{"i":%d}`, i)})
	}
	reqs := f.Requests()
	if len(reqs) > 10 || reqs[len(reqs)-1].Body["i"] != float64(24) {
		t.Errorf("kept %d requests, last %v", len(reqs), reqs[len(reqs)-1].Body)
	}
	if f.Count("a") != 25 {
		t.Errorf("Count = %d, want 25", f.Count("a"))
	}
}

func TestQuota(t *testing.T) {
	f := New()
	var mu sync.Mutex
	now := time.Date(2025, 3, 12, 10, 0, 0, 0, time.UTC)
	f.SetClock(func() time.Time { mu.Lock(); defer mu.Unlock(); return now })
	advance := func(d time.Duration) { mu.Lock(); defer mu.Unlock(); now = now.Add(d) }
	f.Set("tok", Report{Body: []byte(okBody)})
	f.Set("private", Report{Body: []byte(okBody), Auth: Auth{APIToken: "t1"}})
	f.SetQuota(3, time.Hour)
	srv := newServer(t, f)
	quotaOf := func(a answer) (string, string) {
		return a.header.Get(HeaderQuotaRemaining), a.header.Get(HeaderQuotaResetsIn)
	}

	for i, want := range []string{"2", "1", "0"} {
		got := post(t, srv, "tok")
		wantAnswer(t, got, 200, okBody)
		rem, reset := quotaOf(got)
		if wantReset := fmt.Sprint(3600 - 10*i); rem != want || reset != wantReset {
			t.Errorf("request %d: remaining %q resets in %q, want %q %q", i+1, rem, reset, want, wantReset)
		}
		advance(10 * time.Second)
	}
	got := post(t, srv, "tok")
	if got.status != 402 || !strings.Contains(got.body, "quota") {
		t.Fatalf("4th request: %d %q, want 402 about the quota", got.status, got.body)
	}
	if rem, reset := quotaOf(got); rem != "0" || reset != "3570" {
		t.Errorf("402: remaining %q resets in %q, want 0 3570", rem, reset)
	}

	// Another credential has its own bucket; refused requests cost nothing.
	wantAnswer(t, do(t, context.Background(), srv, call{token: "private", auth: apiToken("wrong")}), 403, "Invalid token")
	got = do(t, context.Background(), srv, call{token: "private", auth: apiToken("t1")})
	if rem, _ := quotaOf(got); got.status != 200 || rem != "2" {
		t.Errorf("other credential: %d remaining %q, want 200 2", got.status, rem)
	}
	// No quota headers on answers that were not charged.
	if got := post(t, srv, "unknown"); got.header.Get(HeaderQuotaRemaining) != "" {
		t.Errorf("404 carries quota headers: %v", got.header)
	}

	advance(time.Hour)
	got = post(t, srv, "tok")
	if rem, reset := quotaOf(got); got.status != 200 || rem != "2" || reset != "3600" {
		t.Errorf("after the window: %d remaining %q resets in %q, want 200 2 3600", got.status, rem, reset)
	}

	f.SetQuota(0, 0)
	for range 5 {
		got := post(t, srv, "tok")
		if got.status != 200 || got.header.Get(HeaderQuotaRemaining) != "" {
			t.Fatalf("unlimited: %d %v", got.status, got.header)
		}
	}
}

func TestConcurrentUse(t *testing.T) {
	f := New()
	f.Set("tok", Report{Body: []byte(okBody)})
	f.SetQuota(1000, time.Hour)
	srv := newServer(t, f)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 10 {
				switch j % 3 {
				case 0:
					post(t, srv, "tok")
				case 1:
					f.Set(fmt.Sprint("r", i), Report{Body: []byte(okBody)})
					f.SetFault("tok", Fault{})
				default:
					_ = f.Requests()
					_ = f.Count("tok")
				}
			}
		})
	}
	wg.Wait()
	if f.Count("tok") != 8*4 {
		t.Errorf("Count = %d, want %d", f.Count("tok"), 8*4)
	}
}
