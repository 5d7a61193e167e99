package collector

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/toggl-exporter/toggl_exporter/internal/togglfake"
)

// Toggl's quota, simulated with one fake clock for the exporter, the client's etiquette
// and the fake's quota windows (issue "Respect Toggl's quota", part 8).

const (
	teamToken    = "tok-team-5f0c2b7e91"
	teamAPIToken = "api-team-8e41a0c7d3"
	clientsToken = "tok-clients-2ab9e04c"
)

// quotaConfig: two reports; "clients" uses an e-mail, "team" an API token, or the same
// API token as "team" when shared.
func quotaConfig(shared bool) string {
	creds := "    email: clients@example.com\n    password: clients-password\n"
	if shared {
		creds = "    api_token: " + teamAPIToken + "\n"
	}
	return `
api_url: {{URL}}
min_refresh_interval: 5m
max_stale: 2h
reports:
  - name: team
    token: ` + teamToken + `
    api_token: ` + teamAPIToken + `
  - name: clients
    token: ` + clientsToken + `
` + creds
}

func newQuotaStack(t *testing.T, shared bool) *stack {
	s := newStack(t, nil)
	s.fake.Set(teamToken, togglfake.Report{Body: reportJSON("Team", faultySeconds)})
	s.fake.Set(clientsToken, togglfake.Report{Body: reportJSON("Clients", neighbourSeconds)})
	s.apply(quotaConfig(shared))
	return s
}

// TestQuotaHAPairForAnHour: two Prometheus servers scraping /metrics every 15 s for one
// hour, with min_refresh_interval 5m, cost 12 requests per report, well within the Free
// plan's 30 an hour.
func TestQuotaHAPairForAnHour(t *testing.T) {
	t.Parallel() // slow: overlaps the other slow tests
	s := newQuotaStack(t, false)
	s.fake.SetQuota(30, time.Hour)
	start := s.clock.Now()
	scrapes := 0
	var last exposition
	for s.clock.Now().Sub(start) < time.Hour {
		for _, offset := range []time.Duration{7 * time.Second, 8 * time.Second} { // servers A and B
			x := s.rescrape("X-Prometheus-Scrape-Timeout-Seconds", "10")
			last = x
			scrapes++
			x.up(t, "team", faultySeconds)
			x.up(t, "clients", neighbourSeconds)
			if t.Failed() {
				t.Fatalf("scrape %d at +%s failed", scrapes, s.clock.Now().Sub(start))
			}
			s.clock.Advance(offset)
		}
	}
	if scrapes != 480 {
		t.Fatalf("%d scrapes, want 480", scrapes)
	}
	for _, r := range []struct{ name, token string }{{"team", teamToken}, {"clients", clientsToken}} {
		n := s.fake.Count(r.token)
		if n > 12 || n < 11 {
			t.Errorf("report %s: %d upstream requests in an hour, want at most 12 (and about 12)", r.name, n)
		}
		last.want(t, float64(n), "toggl_report_fetches_total", r.name)
		last.want(t, float64(30-n), "toggl_api_quota_remaining", r.name)
	}
	t.Logf("480 scrapes in one simulated hour: %d requests for team, %d for clients", s.fake.Count(teamToken), s.fake.Count(clientsToken))
}

// TestQuotaColdReportConcurrentScrapes: 100 scrapes of a report never fetched share one
// upstream request, and all of them get its values.
func TestQuotaColdReportConcurrentScrapes(t *testing.T) {
	s := newQuotaStack(t, false)
	// A slow answer, so that the scrapes pile up on the fetch in flight.
	s.fake.SetFault(teamToken, togglfake.Fault{HeaderDelay: 200 * time.Millisecond})
	var wg sync.WaitGroup
	outs := make([]exposition, 100)
	for i := range outs {
		wg.Go(func() { outs[i] = s.probe("team") })
	}
	wg.Wait()
	if n := s.fake.Count(teamToken); n != 1 {
		t.Errorf("100 concurrent scrapes of a cold report made %d upstream requests, want 1", n)
	}
	for i, x := range outs {
		x.up(t, "team", faultySeconds)
		x.want(t, 1, "toggl_report_fetches_total", "team")
		if t.Failed() {
			t.Fatalf("scrape %d", i)
		}
	}
}

// TestQuotaSpent: the fake's quota (3 an hour for the shared API token) runs low: once
// X-Toggl-Quota-Remaining says less remains than the reports' min_refresh_interval would
// spend before the reset, the plan stretches their interval, so that the quota is never
// spent (no 402): the cache is served, up, and fetching resumes after the reset.
func TestQuotaSpent(t *testing.T) {
	s := newQuotaStack(t, true)
	s.fake.SetQuota(3, time.Hour)
	start := s.clock.Now()
	requests := func() int { return s.fake.Count(teamToken) + s.fake.Count(clientsToken) }

	s.reprobe("team").up(t, "team", faultySeconds) // 2 left
	s.clock.Advance(2 * time.Second)
	x := s.reprobe("clients") // 1 left
	x.up(t, "clients", neighbourSeconds)
	x.want(t, 1, "toggl_api_quota_remaining", "clients")
	for s.clock.Now().Before(start.Add(time.Hour - 5*time.Minute)) {
		s.clock.Advance(5 * time.Minute)
		x := s.rescrape()
		x.up(t, "team", faultySeconds)
		x.up(t, "clients", neighbourSeconds)
		if v, _ := x.value("toggl_report_refresh_interval_seconds", "team"); v <= 300 {
			t.Fatalf("at +%s: refresh interval %gs, want it stretched beyond min_refresh_interval (5m) by the one request left", s.clock.Now().Sub(start), v)
		}
		if n := requests(); n > 3 {
			t.Fatalf("at +%s: %d requests, want at most 3: the quota allows 3 an hour", s.clock.Now().Sub(start), n)
		}
	}
	if l := s.logs.lines("hourly_quota", "min_refresh_interval"); len(l) != 2 {
		t.Errorf("want one line for each report stretched, naming the settings; got %q", l)
	}

	// The window has reset (at +60m): fetching resumes, with a new quota.
	s.clock.Advance(10 * time.Minute)
	x = s.rescrape()
	x.up(t, "team", faultySeconds)
	x.up(t, "clients", neighbourSeconds)
	if n := requests(); n < 4 {
		t.Errorf("%d requests after the reset, want more than 3", n)
	}
	if s.fake.Count("") > 0 || strings.Contains(s.logs.String(), "code=402") {
		t.Errorf("a 402 was met:\n%s", s.logs.String())
	}
}

// TestQuota402Fault: Toggl answers 402 with its quota headers: one request fails, then
// none is sent until X-Toggl-Quota-Resets-In has passed. A 402 without quota headers is
// plan gating: it does not stop the next refresh.
func TestQuota402Fault(t *testing.T) {
	s := newQuotaStack(t, false)
	s.reprobe("team").up(t, "team", faultySeconds)
	s.fake.SetFault(teamToken, togglfake.Fault{Status: http.StatusPaymentRequired, Header: http.Header{
		togglfake.HeaderQuotaRemaining: {"0"}, togglfake.HeaderQuotaResetsIn: {"1200"},
	}})
	s.clock.Advance(5 * time.Minute)
	resetAt := float64(s.clock.Now().Add(1200 * time.Second).Unix())
	x := s.reprobe("team")
	x.down(t, "team", "402")
	x.want(t, 1, "toggl_report_fetch_failures_total", "team", "code", "402")
	x.want(t, 0, "toggl_api_quota_remaining", "team")
	x.want(t, resetAt, "toggl_api_quota_reset_timestamp_seconds", "team")
	s.fake.SetFault(teamToken, togglfake.Fault{}) // Toggl would answer again; we must not ask

	for range 3 { // +10m, +15m, +20m: within the 20 minutes
		s.clock.Advance(5 * time.Minute)
		x := s.reprobe("team")
		x.down(t, "team", "402")
		x.want(t, faultySeconds, "toggl_report_tracked_seconds", "team")
		x.want(t, 1, "toggl_report_fetch_failures_total", "team", "code", "402")
		x.want(t, 2, "toggl_report_fetches_total", "team")
		x.want(t, 0, "toggl_api_quota_remaining", "team")
		x.want(t, resetAt, "toggl_api_quota_reset_timestamp_seconds", "team")
	}
	if n := s.fake.Count(teamToken); n != 2 {
		t.Fatalf("%d requests, want 2: none while the quota is spent", n)
	}
	s.clock.Advance(5 * time.Minute) // +25m: reset
	x = s.reprobe("team")
	x.up(t, "team", faultySeconds)
	if n := s.fake.Count(teamToken); n != 3 {
		t.Errorf("%d requests, want 3 once the quota window reset", n)
	}
	// This answer sent no quota headers: the spent window's figures are not kept.
	x.lacks(t, "toggl_api_quota_remaining", "team")
	x.lacks(t, "toggl_api_quota_reset_timestamp_seconds", "team")

	// Plan gating: 402 without quota headers blocks nothing.
	s.fake.SetFault(teamToken, togglfake.Fault{Status: http.StatusPaymentRequired, Body: "This feature requires a paid plan"})
	s.clock.Advance(5 * time.Minute)
	s.reprobe("team").down(t, "team", "402")
	s.clock.Advance(5 * time.Minute)
	x = s.reprobe("team")
	x.down(t, "team", "402")
	x.want(t, 3, "toggl_report_fetch_failures_total", "team", "code", "402")
	if n := s.fake.Count(teamToken); n != 5 {
		t.Errorf("%d requests, want 5: a 402 without quota headers does not stop refreshes", n)
	}
}

// TestQuota429: a 429 with Retry-After stops requests for that long; scrapes meanwhile
// serve the cache with code 429.
func TestQuota429(t *testing.T) {
	s := newQuotaStack(t, false)
	s.reprobe("team").up(t, "team", faultySeconds)
	s.fake.SetFault(teamToken, togglfake.Fault{Status: http.StatusTooManyRequests, Header: http.Header{"Retry-After": {"900"}}})
	s.clock.Advance(5 * time.Minute)
	x := s.reprobe("team")
	x.down(t, "team", "429")
	x.want(t, 1, "toggl_report_fetch_failures_total", "team", "code", "429")
	s.fake.SetFault(teamToken, togglfake.Fault{})
	for range 2 { // +10m, +15m: within the 900 s
		s.clock.Advance(5 * time.Minute)
		x := s.rescrape()
		x.down(t, "team", "429")
		x.want(t, faultySeconds, "toggl_report_tracked_seconds", "team")
		x.want(t, 1, "toggl_report_fetch_failures_total", "team", "code", "429")
		x.want(t, 2, "toggl_report_fetches_total", "team")
		x.up(t, "clients", neighbourSeconds) // other credentials are not held back
	}
	if n := s.fake.Count(teamToken); n != 2 {
		t.Fatalf("%d requests, want 2: none during Retry-After", n)
	}
	s.clock.Advance(5 * time.Minute) // +20m
	s.reprobe("team").up(t, "team", faultySeconds)
	if n := s.fake.Count(teamToken); n != 3 {
		t.Errorf("%d requests, want 3 after Retry-After", n)
	}
}

// TestQuotaRateLimitSharedCredentials: two reports with the same API token refreshed at
// the same moment: the rate limit (1/s) holds the second back for longer than its
// timeout, which bounds a request, not the wait for the pace: both come, one request
// each, and neither is a failure.
func TestQuotaRateLimitSharedCredentials(t *testing.T) {
	s := newStack(t, nil)
	s.fake.Set(teamToken, togglfake.Report{Body: reportJSON("Team", faultySeconds)})
	s.fake.Set(clientsToken, togglfake.Report{Body: reportJSON("Clients", neighbourSeconds)})
	s.apply(strings.Replace(quotaConfig(true), "min_refresh_interval: 5m", "min_refresh_interval: 5m\ntimeout: 900ms", 1))
	start := time.Now()
	x := s.scrape()
	if took := time.Since(start); took < 900*time.Millisecond {
		t.Errorf("both answered in %s: the rate limit allows one request a second", took)
	}
	for name, seconds := range map[string]float64{"team": faultySeconds, "clients": neighbourSeconds} {
		x.up(t, name, seconds)
		x.want(t, 1, "toggl_report_fetches_total", name)
	}
	if n := s.fake.Count(teamToken) + s.fake.Count(clientsToken); n != 2 {
		t.Errorf("%d requests, want 2", n)
	}
}
