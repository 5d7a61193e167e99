package collector

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-kit/log"

	"github.com/toggl-exporter/toggl_exporter/client"
	"github.com/toggl-exporter/toggl_exporter/config"
	"github.com/toggl-exporter/toggl_exporter/internal/togglfake"
)

const planAPIToken = "api-plan-0123456789abcdef0123456789"

// planStack serves n detailed reports of entries time entries each in pages of 5 (the
// plan counts requests, not rows: small pages keep the walks long and the test quick),
// all read with one API token, under the configuration head; it returns the totals'
// seconds of a report.
func planStack(t *testing.T, n, entries int, head string) (*stack, float64) {
	t.Helper()
	s := newStack(t, nil)
	body := togglfake.DetailedJSON(togglfake.DetailedSpec{Entries: entries, Projects: 6, Users: 10})
	var whole struct {
		DetailedResults struct{ Totals struct{ Seconds float64 } } `json:"detailed_results"`
	}
	if err := json.Unmarshal(body, &whole); err != nil {
		t.Fatal(err)
	}
	var yml strings.Builder
	fmt.Fprintf(&yml, "api_url: {{URL}}\nrequests_per_second: 1000000\napi_token: %s\n%sreports:\n", planAPIToken, head)
	for i := range n {
		tok := fmt.Sprintf("tok-plan-%d-0123456789abcdef", i)
		s.fake.Set(tok, togglfake.Report{Body: body, Paging: &togglfake.Paging{Size: 5}, Auth: togglfake.Auth{APIToken: planAPIToken}})
		fmt.Fprintf(&yml, "  - name: r%d\n    token: %s\n", i, tok)
	}
	s.apply(yml.String())
	return s, whole.DetailedResults.Totals.Seconds
}

// requests counts the requests the fake received.
func (s *stack) requests() (n int) {
	return len(s.fake.Requests())
}

// TestPlanPremiumFillsAtOnce: five 10-page detailed reports on one API token with
// hourly_quota 600 all come complete at the first fill, with exact sums and one request
// per page.
func TestPlanPremiumFillsAtOnce(t *testing.T) {
	t.Parallel() // slow: overlaps the other slow tests
	s, total := planStack(t, 5, 50, "hourly_quota: 600\n")
	x := s.rescrape()
	for i := range 5 {
		r := fmt.Sprintf("r%d", i)
		x.want(t, 1, "toggl_report_up", r)
		x.want(t, 1, "toggl_report_breakdowns_complete", r)
		x.want(t, total, "toggl_report_tracked_seconds", r)
		x.want(t, 10, "toggl_report_fetches_total", r)
		x.want(t, 10, "toggl_report_fetch_pages", r)
		if got := x.sum("toggl_report_project_tracked_seconds", r); got != total {
			t.Errorf("%s: projects add up to %g, want %g", r, got, total)
		}
		if got := x.sum("toggl_report_user_tracked_seconds", r); got != total {
			t.Errorf("%s: users add up to %g, want %g", r, got, total)
		}
	}
	if n := s.requests(); n != 50 {
		t.Errorf("%d requests, want 50: one per page", n)
	}
}

// TestPlanFreeNever402: the same five reports where Toggl's headers show the Free plan
// (30 an hour) and hourly_quota is unset: the first fill spends at most nine tenths of
// it, never meets a 402, and the reports that must wait say until when, without a
// failure; an hour later the next ones come.
func TestPlanFreeNever402(t *testing.T) {
	t.Parallel() // slow: overlaps the other slow tests
	s, total := planStack(t, 5, 50, "# hourly_quota unset: learned from the headers\n")
	s.fake.SetQuota(30, time.Hour)
	start := s.clock.Now()
	x := s.rescrape()
	if n := s.requests(); n > 27 {
		t.Errorf("%d requests at the first fill, want at most 27 (30 less a tenth)", n)
	}
	filled, waiting := 0, 0
	for _, st := range s.exp.Status() {
		switch {
		case st.Up:
			filled++
			x.want(t, total, "toggl_report_tracked_seconds", st.Name)
			x.want(t, 1, "toggl_report_breakdowns_complete", st.Name)
		case st.Waiting:
			waiting++
			if !strings.Contains(st.Message, "until") || st.NextRefresh.Before(start.Add(59*time.Minute)) {
				t.Errorf("%s waits: %q, next %s; want when the quota allows it, about an hour on", st.Name, st.Message, st.NextRefresh)
			}
			for code, v := range x.errorCodes(st.Name) {
				if v != 0 {
					t.Errorf("%s waits for the quota but shows error %s", st.Name, code)
				}
			}
		default:
			t.Errorf("%s neither up nor waiting: %+v", st.Name, st)
		}
	}
	t.Logf("first fill: %d requests, %d reports filled, %d waiting", s.requests(), filled, waiting)
	if filled < 2 || filled+waiting != 5 {
		t.Errorf("%d filled, %d waiting, want at least 2 filled and the others waiting", filled, waiting)
	}
	s.clock.Advance(61 * time.Minute)
	x = s.rescrape()
	if n := s.requests(); n <= 20 || n > 27+27 {
		t.Errorf("%d requests after an hour, want more, within the budget", n)
	}
	if up := len(x.reports()) - len(slices.DeleteFunc(x.reports(), func(r string) bool { v, _ := x.value("toggl_report_up", r); return v == 1 })); up <= filled {
		t.Errorf("%d reports up after an hour, want more than the %d of the first fill", up, filled)
	}
	if strings.Contains(s.logs.String(), "402") {
		t.Errorf("a 402 was met:\n%s", s.logs.String())
	}
}

// TestPlanSharesTheBudget: hourly_quota 720 and six 3-page reports at
// min_refresh_interval 1s: after the first fill no 60-second window holds more than 12
// requests (720 an hour), every report stays up, and each is planned every 90 s.
func TestPlanSharesTheBudget(t *testing.T) {
	t.Parallel() // slow: overlaps the other slow tests
	s, total := planStack(t, 6, 15, "hourly_quota: 720\nmin_refresh_interval: 1s\n")
	s.rescrape()
	if n := s.requests(); n != 18 {
		t.Fatalf("%d requests at the first fill, want 18", n)
	}
	type step struct {
		at time.Time
		n  int
	}
	var steps []step
	filled := s.clock.Now()
	for s.clock.Now().Before(filled.Add(15 * time.Minute)) {
		s.clock.Advance(5 * time.Second)
		before := s.requests()
		x := s.scrape() // what the refreshes it starts fetch shows from the next step
		s.exp.fetches.Wait()
		steps = append(steps, step{s.clock.Now(), s.requests() - before})
		for i := range 6 {
			r := fmt.Sprintf("r%d", i)
			x.want(t, 1, "toggl_report_up", r)
			x.want(t, total, "toggl_report_tracked_seconds", r)
			x.want(t, 90, "toggl_report_refresh_interval_seconds", r)
		}
		if t.Failed() {
			t.Fatalf("at +%s", s.clock.Now().Sub(filled))
		}
	}
	all := 0
	for i, st := range steps {
		all += st.n
		window := 0
		for _, o := range steps[:i+1] {
			if st.at.Sub(o.at) < time.Minute {
				window += o.n
			}
		}
		if window > 12 {
			t.Errorf("%d requests in the minute up to +%s, want at most 12", window, st.at.Sub(filled))
		}
	}
	t.Logf("%d requests in 15 minutes", all)
	if all < 15*12*8/10 {
		t.Errorf("%d requests in 15 minutes, want about 180: the budget is there to be used", all)
	}
}

// TestPlanClosedPeriod: a last_month report at min_refresh_interval 1s is fetched once
// in ten minutes (closed_refresh_interval 1h), while an open one refreshes all along.
func TestPlanClosedPeriod(t *testing.T) {
	s := newStack(t, nil)
	s.fake.Set(teamToken, togglfake.Report{Body: reportJSON("Closed", 3600)})
	s.fake.Set(clientsToken, togglfake.Report{Body: reportJSON("Open", 5400)})
	s.apply("api_url: {{URL}}\nrequests_per_second: 1000\nmin_refresh_interval: 1s\nreports:\n" +
		"  - name: closed\n    token: " + teamToken + "\n    period: last_month\n" +
		"  - name: open\n    token: " + clientsToken + "\n    period: this_month\n")
	for range 120 {
		x := s.rescrape()
		x.want(t, 3600, "toggl_report_refresh_interval_seconds", "closed")
		x.want(t, 1, "toggl_report_refresh_interval_seconds", "open")
		s.clock.Advance(5 * time.Second)
	}
	if n := s.fake.Count(teamToken); n != 1 {
		t.Errorf("the closed report was fetched %d times in 10 minutes, want once", n)
	}
	if n := s.fake.Count(clientsToken); n < 100 {
		t.Errorf("the open report was fetched %d times in 10 minutes, want one every scrape", n)
	}
}

// BenchmarkQuotaPlan runs one simulated hour of Prometheus scraping every 15 s (a fake
// clock: an op takes well under a second; pages of 5 rows, as the plan counts requests,
// not rows) and reports the requests the hour cost per credential and those of the first
// fill (at requests_per_second 1, the seconds until every report has complete data, when
// the budget holds the fill).
func BenchmarkQuotaPlan(b *testing.B) {
	for _, bc := range []struct {
		name                  string
		entries, reports      int
		summary, closed, head string
	}{
		{name: "5-detailed-10-pages/premium", entries: 50, reports: 5, head: "hourly_quota: 600\n"},
		{name: "5-summary/premium", reports: 5, summary: "summary", head: "hourly_quota: 600\n"},
		{name: "5-detailed-10-pages-2-closed/premium", entries: 50, reports: 5, closed: "last_month", head: "hourly_quota: 600\n"},
		{name: "5-detailed-10-pages/free", entries: 50, reports: 5, head: "hourly_quota: 27\n"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			body := togglfake.DetailedJSON(togglfake.DetailedSpec{Entries: bc.entries, Projects: 6, Users: 10})
			if bc.summary != "" {
				body = togglfake.ReportJSON(togglfake.DetailedSpec{Entries: 50, Projects: 6, Users: 10}, "summary", map[string]any{"grouping": "projects", "sub_grouping": "users"})
			}
			var hour, fill, complete float64
			for range b.N {
				t := &testing.T{}
				s := newStack(t, nil)
				b.Cleanup(s.srv.Close)
				var yml strings.Builder
				fmt.Fprintf(&yml, "api_url: {{URL}}\nrequests_per_second: 1000000\napi_token: %s\n%sreports:\n", planAPIToken, bc.head)
				for i := range bc.reports {
					tok := fmt.Sprintf("tok-plan-%d-0123456789abcdef", i)
					s.fake.Set(tok, togglfake.Report{Body: body, Paging: &togglfake.Paging{Size: 5}})
					fmt.Fprintf(&yml, "  - name: r%d\n    token: %s\n", i, tok)
					if bc.closed != "" && i < 2 {
						fmt.Fprintf(&yml, "    period: %s\n", bc.closed)
					}
				}
				s.apply(yml.String())
				s.rescrape()
				fill = float64(s.requests())
				start := s.clock.Now()
				done := 0
				for s.clock.Now().Before(start.Add(time.Hour)) {
					s.clock.Advance(15 * time.Second)
					x := s.rescrape()
					if done == 0 && len(x.reports()) == bc.reports {
						up := 0
						for _, r := range x.reports() {
							if v, _ := x.value("toggl_report_up", r); v == 1 {
								up++
							}
						}
						if up == bc.reports {
							done = 1
							complete = s.clock.Now().Sub(start).Seconds()
						}
					}
				}
				hour = float64(s.requests()) - fill
			}
			b.ReportMetric(hour, "requests/hour")
			b.ReportMetric(fill, "first-fill-requests")
			b.ReportMetric(complete, "sim-s-until-all-up")
		})
	}
}

// TestPlanStretchLoggedOnce: the line saying that the budget stretches a report comes
// once per report, however often the configuration is applied again (a reload, or
// discovery after every listing), as long as the report's request stays the same.
func TestPlanStretchLoggedOnce(t *testing.T) {
	s, _ := planStack(t, 6, 15, "hourly_quota: 720\nmin_refresh_interval: 1s\n")
	s.rescrape()
	for range 5 {
		s.clock.Advance(time.Minute)
		s.exp.Apply(s.cfg, s.f) // what discovery does after each listing
		s.rescrape()
	}
	if l := s.logs.lines("raise hourly_quota"); len(l) != 6 {
		t.Errorf("%d lines say the budget stretches a report, want 6, one per report:\n%s", len(l), strings.Join(l, "\n"))
	}
}

// stuckFetcher is a client whose Run blocks, whatever its context, until unblock is
// closed: a refresh in flight that outlives Close.
type stuckFetcher struct {
	*client.Client
	entered, unblock chan struct{}
}

func (f stuckFetcher) Run(context.Context, client.Request, client.Sink) (*client.Report, *client.Response, error) {
	f.entered <- struct{}{}
	<-f.unblock
	return nil, nil, errors.New("stuck")
}

// TestPlanCloseEndsTheWaitForRoom: a refresh waiting for another refresh of its
// credential to make room in the budget ends at Close, at once, though the other one is
// still in flight (it must not spin on the closed context meanwhile).
func TestPlanCloseEndsTheWaitForRoom(t *testing.T) {
	cfg, err := config.Parse([]byte("hourly_quota: 10\napi_token: "+planAPIToken+"\nreports:\n"+
		"  - name: a\n    token: "+teamToken+"\n  - name: b\n    token: "+clientsToken+"\n"), t.TempDir(), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	f := stuckFetcher{client.New(client.Options{BaseURL: "http://127.0.0.1:1", HourlyQuota: 10}), make(chan struct{}), make(chan struct{})}
	e := New(Options{Logger: log.NewNopLogger()})
	e.Apply(cfg, f)
	ts := e.configured()
	ts[0].start(e)
	<-f.entered               // a's refresh holds the budget (10 pages assumed) ...
	waiting := ts[1].start(e) // ... so that b's waits for it to end
	e.Close()
	select {
	case <-waiting:
	case <-time.After(5 * time.Second):
		t.Error("the waiting refresh did not end within 5s of Close")
	}
	close(f.unblock)
	e.fetches.Wait()
}

// TestPlanCountsListings: a members listing every minute on the reports' API token
// spends 60 of its 720 an hour, so that six 3-page reports at min_refresh_interval 1s
// share the 660 left: each every 98 s (90 s without the listing).
func TestPlanCountsListings(t *testing.T) {
	s, _ := planStack(t, 6, 15, "hourly_quota: 720\nmin_refresh_interval: 1s\nmembers:\n  - workspace_id: 7\n    interval: 1m\n")
	s.rescrape()
	s.clock.Advance(5 * time.Second)
	x := s.rescrape()
	for i := range 6 {
		x.want(t, 98, "toggl_report_refresh_interval_seconds", fmt.Sprintf("r%d", i))
	}
}

// TestPlanServesBetweenRefreshes: values are served until their planned refresh even when
// the plan puts it beyond max_stale. A closed report at the defaults (refreshed every
// closed_refresh_interval, 1h; max_stale 30m) still shows its figures 45 minutes after its
// fetch, with no request; max_stale counts only once a refresh is due and fails.
func TestPlanServesBetweenRefreshes(t *testing.T) {
	s := newStack(t, nil)
	s.fake.Set(teamToken, togglfake.Report{Body: reportJSON("Closed", 3600)})
	s.apply("api_url: {{URL}}\nrequests_per_second: 1000\nreports:\n  - name: closed\n    token: " + teamToken + "\n    period: last_month\n")
	s.rescrape().want(t, 3600, "toggl_report_tracked_seconds", "closed")
	s.clock.Advance(45 * time.Minute)
	x := s.rescrape()
	x.want(t, 3600, "toggl_report_tracked_seconds", "closed")
	x.want(t, 1, "toggl_report_up", "closed")
	if n := s.fake.Count(teamToken); n != 1 {
		t.Errorf("%d requests in 45 minutes, want 1", n)
	}
	// The refresh is due after an hour: a scrape then answers from the cache at once while
	// a slow Toggl answers in the background.
	s.fake.Set(teamToken, togglfake.Report{Body: reportJSON("Closed", 3600), Fault: togglfake.Fault{HeaderDelay: time.Second}})
	s.clock.Advance(16 * time.Minute)
	start := time.Now()
	x = s.scrape("X-Prometheus-Scrape-Timeout-Seconds", "1")
	if d := time.Since(start); d > 500*time.Millisecond {
		t.Errorf("a scrape with a due refresh waited %s for Toggl", d)
	}
	x.want(t, 3600, "toggl_report_tracked_seconds", "closed")
	x.want(t, 1, "toggl_report_up", "closed")
	s.exp.fetches.Wait()
	// When the next refresh fails, the values are older than max_stale and go.
	s.fake.Set(teamToken, togglfake.Report{Fault: togglfake.Fault{Status: http.StatusInternalServerError, Body: "boom"}})
	s.clock.Advance(61 * time.Minute)
	x = s.rescrape()
	x.want(t, 0, "toggl_report_up", "closed")
	if _, ok := x.value("toggl_report_tracked_seconds", "closed"); ok {
		t.Error("values an hour old served after a failed refresh, with max_stale 30m")
	}
}
