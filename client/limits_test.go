package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeClock is a clock that moves only when told to, or when the client "sleeps".
type fakeClock struct {
	mu     sync.Mutex
	t      time.Time
	slept  []time.Duration
	sleeps int
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2025, 6, 2, 12, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// sleep stands in for the rate limiter's wait: it advances the clock at once.
func (c *fakeClock) sleep(_ context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	c.slept = append(c.slept, d)
	c.sleeps++
	return nil
}

func (c *fakeClock) sleepCount() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sleeps
}

// scripted is a server that answers with the next of its responses (the last one
// repeats) and counts the requests it receives.
type scripted struct {
	mu    sync.Mutex
	steps []step
	hits  atomic.Int64
}

type step struct {
	status  int
	headers map[string]string
	body    string
}

var okStep = step{status: 200, body: `{"report_type":"detailed","detailed_results":{"report":[],"totals":{"seconds":0}}}`}

func (s *scripted) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := s.hits.Add(1)
	s.mu.Lock()
	st := s.steps[min(int(n)-1, len(s.steps)-1)]
	s.mu.Unlock()
	for k, v := range st.headers {
		w.Header().Set(k, v)
	}
	w.WriteHeader(st.status)
	_, _ = io.WriteString(w, st.body)
}

func (s *scripted) script(steps ...step) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.steps = steps
	s.hits.Store(0)
}

// newEtiquetteClient returns a client on a fake clock against a scripted server.
func newEtiquetteClient(t *testing.T, rps float64, steps ...step) (*Client, *fakeClock, *scripted) {
	t.Helper()
	s := &scripted{steps: steps}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	clock := newFakeClock()
	c := New(Options{BaseURL: srv.URL, RequestsPerSecond: rps, Now: clock.Now})
	c.o.Limits.sleep = clock.sleep
	return c, clock, s
}

var (
	ada = Credentials{APIToken: "ada-0123456789abcdef"}
	bob = Credentials{Email: "bob@example.com", Password: "bob-password"}
)

func run(c *Client, cred Credentials) (*Response, error) {
	_, resp, err := c.Run(context.Background(), Request{Token: "report-token", Credentials: cred}, nil)
	return resp, err
}

// assertBackoff checks that err is a backoff *Error of code, with no request sent.
func assertBackoff(t *testing.T, resp *Response, err error, code string, until time.Time, now time.Time) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) || !e.Backoff {
		t.Fatalf("err = %v, want a backoff *Error", err)
	}
	if resp != nil {
		t.Errorf("Response = %+v while backing off, want nil", resp)
	}
	wantMsg := "backing off until " + until.UTC().Format(time.RFC3339) + " after "
	if e.Code != code || e.StatusCode != 0 || !strings.HasPrefix(e.Message, wantMsg) || e.RetryAfter != until.Sub(now) {
		t.Errorf("error %+v, want code %s, message %q..., RetryAfter %s", *e, code, wantMsg, until.Sub(now))
	}
	if Code(err) != code {
		t.Errorf("Code() = %q", Code(err))
	}
}

func TestQuota402BlocksUntilReset(t *testing.T) {
	c, clock, srv := newEtiquetteClient(t, 1,
		step{status: 402, body: "hourly quota exhausted", headers: map[string]string{
			"X-Toggl-Quota-Remaining": "0", "X-Toggl-Quota-Resets-In": "600"}},
		okStep)
	start := clock.Now()
	resetAt := start.Add(600 * time.Second)

	resp, err := run(c, ada)
	if Code(err) != "402" || resp == nil {
		t.Fatalf("first run: %v", err)
	}
	if got := c.BlockedUntil(ada); !got.Equal(resetAt) {
		t.Fatalf("BlockedUntil = %s, want %s", got, resetAt)
	}
	for _, d := range []time.Duration{0, 5 * time.Minute, 4*time.Minute + 59*time.Second} {
		clock.Advance(d)
		resp, err := run(c, ada)
		assertBackoff(t, resp, err, "402", resetAt, clock.Now())
		if !strings.Contains(err.Error(), "hourly API quota exhausted") {
			t.Errorf("Error() = %q", err.Error())
		}
	}
	if n := srv.hits.Load(); n != 1 {
		t.Fatalf("%d requests sent, want 1: a blocked Run must send nothing", n)
	}
	// Other credentials are not blocked.
	if _, err := run(c, bob); err != nil {
		t.Errorf("other credentials: %v", err)
	}
	clock.Advance(time.Second) // the window resets
	if _, err := run(c, ada); err != nil {
		t.Fatalf("after the reset: %v", err)
	}
	if !c.BlockedUntil(ada).IsZero() {
		t.Errorf("still blocked until %s", c.BlockedUntil(ada))
	}
	if n := srv.hits.Load(); n != 3 {
		t.Errorf("%d requests, want 3", n)
	}
}

func TestQuotaRemainingZeroOn200Blocks(t *testing.T) {
	c, clock, srv := newEtiquetteClient(t, 1,
		step{status: 200, body: okStep.body, headers: map[string]string{
			"X-Toggl-Quota-Remaining": "0", "X-Toggl-Quota-Resets-In": "1200"}},
		okStep)
	if _, err := run(c, ada); err != nil {
		t.Fatalf("the 200 itself must succeed: %v", err)
	}
	until := clock.Now().Add(20 * time.Minute)
	resp, err := run(c, ada)
	assertBackoff(t, resp, err, "402", until, clock.Now())
	if !strings.Contains(err.Error(), "X-Toggl-Quota-Remaining: 0") {
		t.Errorf("Error() = %q", err.Error())
	}
	clock.Advance(20 * time.Minute)
	if _, err := run(c, ada); err != nil {
		t.Fatal(err)
	}
	if n := srv.hits.Load(); n != 2 {
		t.Errorf("%d requests, want 2", n)
	}
}

func TestQuotaWithoutResetTime(t *testing.T) {
	exhausted := step{status: 402, body: "quota", headers: map[string]string{"X-Toggl-Quota-Remaining": "0"}}
	c, clock, srv := newEtiquetteClient(t, 1, exhausted)
	// Without a reset time, blocks grow 1m, 2m, 4m... up to Toggl's 1h window.
	for _, want := range []time.Duration{1, 2, 4, 8, 16, 32, 60, 60} {
		start := clock.Now()
		if _, err := run(c, ada); Code(err) != "402" {
			t.Fatalf("run: %v", err)
		}
		got := c.BlockedUntil(ada).Sub(start)
		if got != want*time.Minute {
			t.Errorf("block %s, want %s", got, want*time.Minute)
		}
		clock.Advance(got)
	}
	// A success resets the growth.
	srv.script(okStep, exhausted)
	if _, err := run(c, ada); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Second) // past the rate limit
	start := clock.Now()
	_, _ = run(c, ada)
	if got := c.BlockedUntil(ada).Sub(start); got != time.Minute {
		t.Errorf("after a success: block %s, want 1m", got)
	}
}

func Test402WithoutQuotaIsNotBlocked(t *testing.T) {
	tests := []struct {
		name    string
		headers map[string]string
	}{
		{"no headers", nil},
		{"quota left", map[string]string{"X-Toggl-Quota-Remaining": "17", "X-Toggl-Quota-Resets-In": "600"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, _, srv := newEtiquetteClient(t, 1e6, step{status: 402, body: "Workspace needs a paid plan", headers: tc.headers})
			for i := 0; i < 3; i++ {
				_, err := run(c, ada)
				var e *Error
				if !errors.As(err, &e) || e.Code != "402" || e.Backoff || e.StatusCode != 402 {
					t.Fatalf("run %d: %v", i, err)
				}
			}
			if n := srv.hits.Load(); n != 3 {
				t.Errorf("%d requests, want 3: plan gating must not block", n)
			}
			if !c.BlockedUntil(ada).IsZero() {
				t.Errorf("blocked until %s", c.BlockedUntil(ada))
			}
		})
	}
}

func Test429WithRetryAfter(t *testing.T) {
	c, clock, srv := newEtiquetteClient(t, 1,
		step{status: 429, body: "Too Many Requests", headers: map[string]string{"Retry-After": "30"}},
		okStep)
	resp, err := run(c, ada)
	if Code(err) != "429" || resp == nil || resp.RetryAfter != 30*time.Second {
		t.Fatalf("run: %v %+v", err, resp)
	}
	until := clock.Now().Add(30 * time.Second)
	clock.Advance(29 * time.Second)
	resp, err = run(c, ada)
	assertBackoff(t, resp, err, "429", until, clock.Now())
	if want := "toggl: 429: backing off until 2025-06-02T12:00:30Z after 429"; err.Error() != want {
		t.Errorf("Error() = %q, want %q", err.Error(), want)
	}
	clock.Advance(time.Second)
	if _, err := run(c, ada); err != nil {
		t.Fatal(err)
	}
	if n := srv.hits.Load(); n != 2 {
		t.Errorf("%d requests, want 2", n)
	}
}

func Test429ExponentialBackoff(t *testing.T) {
	tooMany := step{status: 429, body: "slow down"}
	c, clock, srv := newEtiquetteClient(t, 1e6, tooMany)
	var draws []time.Duration
	c.o.Limits.jitter = func(d time.Duration) time.Duration {
		draws = append(draws, d)
		return equalJitter(d)
	}
	want := []time.Duration{1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300}
	for i, w := range want {
		w *= time.Second
		start := clock.Now()
		if _, err := run(c, ada); Code(err) != "429" {
			t.Fatalf("run %d: %v", i, err)
		}
		got := c.BlockedUntil(ada).Sub(start)
		if lo := max(w/2, minBlock); got < lo || got > w {
			t.Errorf("429 #%d: blocked %s, want within [%s, %s]", i+1, got, lo, w)
		}
		if draws[i] != w {
			t.Errorf("429 #%d: backoff before jitter %s, want %s", i+1, draws[i], w)
		}
		// Still blocked just before the end, free at the end.
		clock.Advance(got - time.Millisecond)
		if _, err := run(c, ada); err == nil || !errors.As(err, new(*Error)) || Code(err) != "429" {
			t.Fatalf("not blocked before the end: %v", err)
		}
		clock.Advance(time.Millisecond)
	}
	if n := srv.hits.Load(); n != int64(len(want)) {
		t.Errorf("%d requests, want %d", n, len(want))
	}
	// A success resets the backoff.
	srv.script(okStep, tooMany)
	if _, err := run(c, ada); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Second) // past the rate limit
	start := clock.Now()
	_, _ = run(c, ada)
	if got := c.BlockedUntil(ada).Sub(start); got < minBlock || got > time.Second {
		t.Errorf("after a success: blocked %s, want within [1s/2, 1s]", got)
	}
}

func TestEqualJitterBounds(t *testing.T) {
	for _, d := range []time.Duration{0, 1, time.Second, 7 * time.Second, 5 * time.Minute} {
		seen := map[time.Duration]bool{}
		for i := 0; i < 200; i++ {
			j := equalJitter(d)
			if j < d/2 || j > d {
				t.Fatalf("equalJitter(%s) = %s, outside [d/2, d]", d, j)
			}
			seen[j] = true
		}
		if d >= time.Second && len(seen) < 10 {
			t.Errorf("equalJitter(%s) drew only %d distinct values", d, len(seen))
		}
	}
}

// TestRetryAfterBlocks: Retry-After, in seconds or as a date, blocks the credential after
// a quota 402, a 429 or any other error answer.
func TestRetryAfterBlocks(t *testing.T) {
	date := newFakeClock().Now().Add(2 * time.Minute).Format(http.TimeFormat)
	for _, tc := range []struct {
		status  int
		headers map[string]string
		want    time.Duration
	}{
		{402, map[string]string{"X-Toggl-Quota-Remaining": "0", "Retry-After": "90"}, 90 * time.Second},
		{429, map[string]string{"Retry-After": date}, 2 * time.Minute},
		{503, map[string]string{"Retry-After": "120"}, 2 * time.Minute},
	} {
		c, clock, srv := newEtiquetteClient(t, 1e6, step{status: tc.status, body: "maintenance", headers: tc.headers}, okStep)
		_, _ = run(c, ada)
		until := clock.Now().Add(tc.want)
		if got := c.BlockedUntil(ada); !got.Equal(until) {
			t.Errorf("%d: BlockedUntil = +%s, want +%s", tc.status, got.Sub(clock.Now()), tc.want)
		}
		resp, err := run(c, ada)
		assertBackoff(t, resp, err, strconv.Itoa(tc.status), until, clock.Now())
		if n := srv.hits.Load(); n != 1 {
			t.Errorf("%d: %d requests, want 1", tc.status, n)
		}
	}
}

func TestErrorsWithoutRetryAfterDoNotBlock(t *testing.T) {
	c, _, srv := newEtiquetteClient(t, 1e6, step{status: 500, body: "report is too big to be exported"})
	for i := 0; i < 3; i++ {
		if _, err := run(c, ada); Code(err) != "500" {
			t.Fatal(err)
		}
	}
	if n := srv.hits.Load(); n != 3 {
		t.Errorf("%d requests, want 3", n)
	}
}

func TestRateLimitPerCredential(t *testing.T) {
	c, clock, srv := newEtiquetteClient(t, 1, okStep)
	// The first request of each credential goes at once, the anonymous one included.
	for _, cred := range []Credentials{ada, bob, {}} {
		if _, err := run(c, cred); err != nil {
			t.Fatal(err)
		}
	}
	if n := clock.sleepCount(); n != 0 {
		t.Fatalf("waited %d times for requests of different credentials: %v", n, clock.slept)
	}
	// The second one of the same credential in the same instant waits a second.
	if _, err := run(c, ada); err != nil {
		t.Fatal(err)
	}
	if len(clock.slept) != 1 || clock.slept[0] != time.Second {
		t.Fatalf("waits %v, want [1s]", clock.slept)
	}
	// Bob's budget was not used by Ada's waiting: a second later, he goes at once.
	if _, err := run(c, bob); err != nil {
		t.Fatal(err)
	}
	if n := clock.sleepCount(); n != 1 {
		t.Errorf("waits %v, want only Ada's", clock.slept)
	}
	if n := srv.hits.Load(); n != 5 {
		t.Errorf("%d requests, want 5", n)
	}
}

func TestRateLimitRespectsDeadline(t *testing.T) {
	c, _, srv := newEtiquetteClient(t, 0.1, okStep) // one request every 10 s
	if _, err := run(c, ada); err != nil {
		t.Fatal(err)
	}
	c.o.Limits.sleep = Sleep // really wait, should it come to that
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, resp, err := c.Run(ctx, Request{Token: "report-token", Credentials: ada}, nil)
	if took := time.Since(start); took > 100*time.Millisecond {
		t.Errorf("Run took %s: it should fail fast", took)
	}
	var e *Error
	if !errors.As(err, &e) || e.Code != CodeTimeout || resp != nil || e.Backoff {
		t.Fatalf("err = %v, resp %+v; want a timeout without a response", err, resp)
	}
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(e.Message, "rate limit") {
		t.Errorf("error %+v", *e)
	}
	if n := srv.hits.Load(); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
	// The canceled reservation does not delay the credential further.
	if got := c.o.Limits.states[c.limitKey(ada)].limiter.TokensAt(c.o.Limits.now().Add(10 * time.Second)); got < 0.99 {
		t.Errorf("tokens 10 s later: %v, want 1", got)
	}
}

func TestRateLimitWaitCanceled(t *testing.T) {
	c, _, _ := newEtiquetteClient(t, 0.1, okStep)
	if _, err := run(c, ada); err != nil {
		t.Fatal(err)
	}
	c.o.Limits.sleep = Sleep
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	_, _, err := c.Run(ctx, Request{Token: "report-token", Credentials: ada}, nil)
	if Code(err) != CodeTimeout || !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v", err)
	}
}

func TestDoneContextSendsNothing(t *testing.T) {
	c, _, srv := newEtiquetteClient(t, 1, okStep)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, _, err := c.Run(ctx, Request{Token: "report-token"}, nil)
	if Code(err) != CodeTimeout || srv.hits.Load() != 0 {
		t.Errorf("err = %v, hits %d", err, srv.hits.Load())
	}
}

func TestDefaultRequestsPerSecond(t *testing.T) {
	for _, rps := range []float64{0, -3} {
		c := New(Options{BaseURL: "http://127.0.0.1:1", RequestsPerSecond: rps})
		if c.o.RequestsPerSecond != 1 {
			t.Errorf("RequestsPerSecond %v gives %v, want 1", rps, c.o.RequestsPerSecond)
		}
	}
}

func TestForgetIdleCredentials(t *testing.T) {
	c, clock, _ := newEtiquetteClient(t, 1e6, okStep)
	for i := 0; i < 5; i++ {
		_, _ = run(c, Credentials{APIToken: fmt.Sprintf("token-%d-abcdef", i)})
	}
	clock.Advance(3 * time.Hour)
	_, _ = run(c, ada)
	if n := len(c.o.Limits.states); n != 1 {
		t.Errorf("%d credential states kept, want 1", n)
	}
}

// TestEtiquetteConcurrent runs many requests of several credentials at once, for the
// race detector, and checks that blocked credentials send nothing.
func TestEtiquetteConcurrent(t *testing.T) {
	var hits sync.Map // key -> *atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, _, _ := r.BasicAuth()
		n, _ := hits.LoadOrStore(user, new(atomic.Int64))
		n.(*atomic.Int64).Add(1)
		if user == "blocked-user@example.com" {
			w.Header().Set("Retry-After", "3600")
			w.WriteHeader(429)
			return
		}
		_, _ = io.WriteString(w, okStep.body)
	}))
	defer srv.Close()
	c := New(Options{BaseURL: srv.URL, RequestsPerSecond: 1e6})
	creds := []Credentials{
		{APIToken: "token-one-abcdef"},
		{APIToken: "token-two-abcdef"},
		{Email: "blocked-user@example.com", Password: "password"},
		{},
	}
	var wg sync.WaitGroup
	for i := 0; i < 80; i++ {
		wg.Add(1)
		go func(cred Credentials) {
			defer wg.Done()
			_, _, err := c.Run(context.Background(), Request{Token: "report-token", Credentials: cred}, nil)
			if cred.Kind() != "email" && err != nil {
				t.Errorf("%s: %v", cred.Kind(), err)
			}
			_ = c.BlockedUntil(cred)
		}(creds[i%len(creds)])
	}
	wg.Wait()
	n, _ := hits.Load("blocked-user@example.com")
	// Requests already past the check when the first 429 came back may still go;
	// once it is recorded, no more do.
	before := n.(*atomic.Int64).Load()
	for i := 0; i < 5; i++ {
		_, _, err := c.Run(context.Background(), Request{Token: "report-token", Credentials: creds[2]}, nil)
		if Code(err) != "429" {
			t.Fatalf("err = %v", err)
		}
	}
	if after := n.(*atomic.Int64).Load(); after != before {
		t.Errorf("blocked credentials sent %d more requests", after-before)
	}
	if c.BlockedUntil(creds[2]).IsZero() || !c.BlockedUntil(creds[0]).IsZero() {
		t.Error("BlockedUntil is wrong")
	}
}

// TestNoWaitBeyondAnHour: whatever a header says, in seconds or as a date, on any status,
// no credential is blocked for longer than Toggl's one-hour quota window.
func TestNoWaitBeyondAnHour(t *testing.T) {
	far := "Fri, 31 Dec 9999 23:59:59 GMT"
	for name, st := range map[string]step{
		"429 Retry-After date 9999":        {status: 429, headers: map[string]string{"Retry-After": far}},
		"503 Retry-After date 9999":        {status: 503, headers: map[string]string{"Retry-After": far}},
		"402 Retry-After date 9999":        {status: 402, headers: map[string]string{"Retry-After": far, "X-Toggl-Quota-Remaining": "0"}},
		"429 Retry-After a year":           {status: 429, headers: map[string]string{"Retry-After": "31536000"}},
		"402 Resets-In a year":             {status: 402, headers: map[string]string{"X-Toggl-Quota-Remaining": "0", "X-Toggl-Quota-Resets-In": "31536000"}},
		"200 Remaining 0, Resets-In 1e300": {status: 200, body: okStep.body, headers: map[string]string{"X-Toggl-Quota-Remaining": "0", "X-Toggl-Quota-Resets-In": "1e300"}},
	} {
		t.Run(name, func(t *testing.T) {
			c, clock, _ := newEtiquetteClient(t, 1, st)
			resp, _ := run(c, ada)
			if resp == nil {
				t.Fatal("no response")
			}
			if resp.RetryAfter > time.Hour || resp.Quota.ResetsIn > time.Hour {
				t.Errorf("Response RetryAfter %s, ResetsIn %s: want at most 1h", resp.RetryAfter, resp.Quota.ResetsIn)
			}
			until := c.BlockedUntil(ada)
			if until.IsZero() || until.After(clock.Now().Add(time.Hour)) {
				t.Errorf("BlockedUntil = %s, want blocked for at most 1h from %s", until, clock.Now())
			}
		})
	}
}

// TestLimitsOutliveTheClient: a client built by a reload with the same Limits keeps the
// quota block of the one it replaces, for the same API only.
func TestLimitsOutliveTheClient(t *testing.T) {
	s := &scripted{steps: []step{{status: 402, headers: map[string]string{"X-Toggl-Quota-Remaining": "0", "X-Toggl-Quota-Resets-In": "3000"}}}}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	clock := newFakeClock()
	limits := NewLimits(clock.Now)
	first := New(Options{BaseURL: srv.URL, Limits: limits, Now: clock.Now})
	if _, err := run(first, ada); Code(err) != "402" {
		t.Fatalf("err = %v, want a 402", err)
	}
	// The reload changed the request rate and the body limit: a new client.
	second := New(Options{BaseURL: srv.URL + "/", Limits: limits, Now: clock.Now, RequestsPerSecond: 5, MaxResponseBytes: 1 << 20})
	resp, err := run(second, ada)
	assertBackoff(t, resp, err, "402", clock.Now().Add(3000*time.Second), clock.Now())
	if n := s.hits.Load(); n != 1 {
		t.Errorf("%d requests, want 1: the new client must not send while the quota is spent", n)
	}
	other := New(Options{BaseURL: "http://127.0.0.1:1", Limits: limits, Now: clock.Now})
	if got := other.BlockedUntil(ada); !got.IsZero() {
		t.Errorf("another API is blocked until %s: the quota belongs to one API", got)
	}
}

// TestReloadChangesTheRate: a new client with another requests_per_second paces the
// shared credential at the new rate.
func TestReloadChangesTheRate(t *testing.T) {
	srv := httptest.NewServer(&scripted{steps: []step{okStep}})
	t.Cleanup(srv.Close)
	clock := newFakeClock()
	limits := NewLimits(clock.Now)
	limits.sleep = clock.sleep
	slow := New(Options{BaseURL: srv.URL, Limits: limits, Now: clock.Now, RequestsPerSecond: 0.1})
	_, _ = run(slow, ada)
	_, _ = run(slow, ada)
	if got := clock.slept; len(got) != 1 || got[0] != 10*time.Second {
		t.Fatalf("slept %v at 0.1/s, want [10s]", got)
	}
	fast := New(Options{BaseURL: srv.URL, Limits: limits, Now: clock.Now, RequestsPerSecond: 2})
	_, _ = run(fast, ada)
	_, _ = run(fast, ada)
	if got := clock.slept[1:]; len(got) != 2 || got[0] != 500*time.Millisecond || got[1] != 500*time.Millisecond {
		t.Errorf("slept %v at 2/s after the reload, want [500ms 500ms] (not 10s)", got)
	}
}
