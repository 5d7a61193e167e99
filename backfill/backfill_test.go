package backfill

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/toggl-exporter/toggl_exporter/client"
	"github.com/toggl-exporter/toggl_exporter/config"
	"github.com/toggl-exporter/toggl_exporter/internal/togglfake"
)

var berlin = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		panic(err)
	}
	return loc
}()

func date(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func testConfig(t *testing.T, apiURL, period string) *config.Config {
	t.Helper()
	cfg, err := config.Parse([]byte(fmt.Sprintf(`
api_url: %s
reports:
  - name: team
    token: %s
    period: %s
    timezone: Europe/Berlin
    max_pages: 50
`, apiURL, token, period)), t.TempDir(), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

var now = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

func TestBackfillPlan(t *testing.T) {
	for _, tc := range []struct {
		period, from, to string
		chunks, days     int
		first            string
	}{
		{"today", "2026-10-05", "2026-11-01", 4, 28, "2026-10-05"},
		{"this_week", "2026-10-07", "2026-11-01", 4, 26, "2026-10-05"},  // a Wednesday: from its Monday
		{"this_month", "2026-10-20", "2026-11-10", 6, 22, "2026-10-01"}, // from the first of October
		{"last_7_days", "2026-10-20", "2026-10-26", 2, 7, "2026-10-14"}, // six days before
		{"this_week", "2026-11-01", "", 6, 30, "2026-10-26"},            // to: yesterday
		{"last_month", "2026-11-03", "2026-11-05", 6, 3, "2026-10-01"},  // the whole of October
		{"yesterday", "2026-11-30", "2026-11-30", 1, 1, "2026-11-29"},   // yesterday's yesterday
	} {
		t.Run(tc.period+"/"+tc.from, func(t *testing.T) {
			cfg := testConfig(t, "http://127.0.0.1:1", tc.period)
			var to time.Time
			if tc.to != "" {
				to = date(tc.to)
			}
			jobs, err := Plan(cfg.Reports, date(tc.from), to, now)
			if err != nil {
				t.Fatal(err)
			}
			j := jobs[0]
			if len(j.Chunks) != tc.chunks || j.Days() != tc.days || j.Chunks[0].Format(time.DateOnly) != tc.first {
				t.Errorf("%d chunks from %s, %d days; want %d from %s, %d", len(j.Chunks), j.Chunks[0].Format(time.DateOnly), j.Days(), tc.chunks, tc.first, tc.days)
			}
			if j.Chunks[0].Location().String() != "Europe/Berlin" {
				t.Errorf("chunks in %s, want the report's timezone", j.Chunks[0].Location())
			}
		})
	}
}

func TestBackfillPlanErrors(t *testing.T) {
	cfg := testConfig(t, "http://127.0.0.1:1", "this_week")
	for _, tc := range []struct{ from, to, want string }{
		{"2026-11-01", "2026-12-01", "not before today"},
		{"2026-11-10", "2026-11-01", "is after --to"},
	} {
		if _, err := Plan(cfg.Reports, date(tc.from), date(tc.to), now); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s..%s: %v, want %q", tc.from, tc.to, err, tc.want)
		}
	}
	noPeriod := cfg.Reports[0]
	noPeriod.Resolved.Period = config.Period{}
	if _, err := Plan([]config.Report{noPeriod}, date("2026-11-01"), time.Time{}, now); err == nil || !strings.Contains(err.Error(), "no period") {
		t.Errorf("no period: %v", err)
	}
}

// TestBackfillPacedTime: n requests of a credential take n seconds within its hourly
// budget, and an hour more for each further budget's worth; credentials run one after
// another.
func TestBackfillPacedTime(t *testing.T) {
	job := func(token string, chunks int) Job {
		j := Job{Chunks: make([]time.Time, chunks)}
		j.Report.Resolved.APIToken = token
		return j
	}
	for _, tc := range []struct {
		jobs    []Job
		perHour int
		want    string
	}{
		{nil, 30, "no time"},
		{[]Job{job("a", 1)}, 30, "about 1s"},
		{[]Job{job("a", 17), job("a", 13)}, 30, "about 30s"},
		{[]Job{job("a", 17), job("a", 14)}, 30, "about 1h"}, // the 31st waits for the window
		{[]Job{job("a", 30)}, 27, "about 1h"},
		{[]Job{job("a", 61)}, 30, "about 2h"},
		{[]Job{job("a", 20), job("b", 20)}, 27, "about 40s"}, // two budgets
		{[]Job{job("a", 100), job("b", 100)}, 27, "about 6h"},
	} {
		if got := pacedTime(tc.jobs, tc.perHour); got != tc.want {
			t.Errorf("%d jobs at %d an hour: %q, want %q", len(tc.jobs), tc.perHour, got, tc.want)
		}
	}
}

// TestBackfillPrintPlan: the plan gives the requests per report, and how long they take
// on a Free plan nothing else spends and paced as the client paces them: within
// hourly_quota, else within nine tenths of the Free plan's 30.
func TestBackfillPrintPlan(t *testing.T) {
	cfg := testConfig(t, "http://127.0.0.1:1", "this_week")
	jobs, err := Plan(cfg.Reports, date("2026-08-03"), date("2026-11-29"), now)
	if err != nil {
		t.Fatal(err)
	}
	long, err := Plan(cfg.Reports, date("2024-06-03"), date("2026-11-29"), now)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		jobs  []Job
		quota int
		want  []string
	}{
		{jobs, 0, []string{`report "team" (period this_week, timezone Europe/Berlin): 2026-08-03 to 2026-11-29, 119 days`,
			"17 requests, one per 7 days", "summary report: 120 requests, one per day", "at least 17 requests if no report is a summary: about 17s on a Free plan",
			"paced as the client paces it with hourly_quota unset (27 requests an hour, nine tenths of the Free plan's, until Toggl's quota headers tell a larger plan): about 17s"}},
		// 130 requests: 4 more hours at 30 an hour, 4 at 27, 0 at 240.
		{long, 0, []string{"at least 130 requests if no report is a summary: about 4h on a Free plan", "(27 requests an hour, nine tenths of the Free plan's, until Toggl's quota headers tell a larger plan): about 4h"}},
		{long, 240, []string{"at least 130 requests if no report is a summary: about 4h on a Free plan", "paced within hourly_quota (240 requests an hour): about 2m10s"}},
		{long, 20, []string{"paced within hourly_quota (20 requests an hour): about 6h"}},
	} {
		var b bytes.Buffer
		PrintPlan(&b, tc.jobs, tc.quota)
		for _, want := range tc.want {
			if !strings.Contains(b.String(), want) {
				t.Errorf("plan lacks %q:\n%s", want, b.String())
			}
		}
	}
}

// fakeClock is the clock of the client, the fake's quota and the quota waits.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *fakeClock) Sleep(_ context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	return nil
}

// token is the report token of the agency setup serves.
const token = "backfill0123456789abcdef01234567"

// agency is the fake's agency tracking time in Berlin from 2026-09-01 to 2026-11-30.
var agency = togglfake.Agency{Loc: berlin, First: time.Date(2026, 9, 1, 0, 0, 0, 0, berlin), Last: time.Date(2026, 11, 30, 0, 0, 0, 0, berlin)}

// pageSize is the rows a page of the agency's detailed report.
const pageSize = 10

// setup serves the agency as a report of type typ, its clock at now.
func setup(t *testing.T, typ, period string) (*togglfake.Fake, *config.Config, *client.Client, *fakeClock) {
	t.Helper()
	fake := togglfake.New()
	rep := agency.Report(typ)
	rep.Paging = &togglfake.Paging{Size: pageSize} // only detailed reports are paged
	fake.Set(token, rep)
	clock := &fakeClock{t: now}
	fake.SetClock(clock.Now)
	hs := httptest.NewServer(fake)
	t.Cleanup(hs.Close)
	cfg := testConfig(t, hs.URL, period)
	// The clock stands still between quota waits: the pace must not add up to real time.
	c := client.New(client.Options{BaseURL: hs.URL, RequestsPerSecond: 1e6, Now: clock.Now})
	return fake, cfg, c, clock
}

// parse reads OpenMetrics text back, as promtool does: value per series and day. A
// family comes again for each day, each series in time order.
func parse(t *testing.T, text string) map[string]map[string]float64 {
	t.Helper()
	if !strings.HasSuffix(text, "# EOF\n") || strings.Count(text, "# EOF") != 1 {
		t.Fatalf("not one # EOF, at the end:\n%s", text[max(0, len(text)-200):])
	}
	last := ""
	for _, line := range strings.Split(text, "\n") {
		if name, ok := strings.CutPrefix(line, "# TYPE "); ok {
			last = strings.Fields(name)[0]
		} else if line != "" && !strings.HasPrefix(line, "#") && !strings.HasPrefix(line, last) {
			t.Errorf("sample %q outside its family (%s)", line, last)
		}
	}
	latest := map[string]float64{}
	out := map[string]map[string]float64{}
	for _, line := range strings.Split(text, "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndex(line, "} ")
		f := append([]string{line[:i+1]}, strings.Fields(line[i+2:])...)
		if len(f) != 3 {
			t.Fatalf("sample without a timestamp: %q", line)
		}
		var v, ts float64
		fmt.Sscan(f[1], &v)
		fmt.Sscan(f[2], &ts)
		if ts <= latest[f[0]] {
			t.Errorf("%s at %v after %v: not in time order", f[0], ts, latest[f[0]])
		}
		latest[f[0]] = ts
		day := time.Unix(int64(ts), 0).In(berlin).Format(time.DateOnly)
		if out[f[0]] == nil {
			out[f[0]] = map[string]float64{}
		}
		out[f[0]][day] = v
	}
	return out
}

// TestRun backfills weekly and detailed reports from the fake over HTTP: each day's
// tracked time is that of its window, and a request covers seven days (plus pages).
func TestBackfillRun(t *testing.T) {
	for _, tc := range []struct {
		typ, period string
		window      func(d time.Time) (time.Time, time.Time)
	}{
		{"weekly", "this_week", func(d time.Time) (time.Time, time.Time) {
			return d.AddDate(0, 0, -((int(d.Weekday()) + 6) % 7)), d
		}},
		{"weekly", "last_7_days", func(d time.Time) (time.Time, time.Time) { return d.AddDate(0, 0, -6), d }},
		{"detailed", "this_month", func(d time.Time) (time.Time, time.Time) { return d.AddDate(0, 0, 1-d.Day()), d }},
	} {
		t.Run(tc.typ+"/"+tc.period, func(t *testing.T) {
			fake, cfg, c, clock := setup(t, tc.typ, tc.period)
			jobs, err := Plan(cfg.Reports, date("2026-10-12"), date("2026-11-15"), now)
			if err != nil {
				t.Fatal(err)
			}
			out, b := newOutput(t, nil)
			var last Progress
			err = Run(context.Background(), jobs, out, Options{Fetcher: c, Progress: func(p Progress) { last = p }, Now: clock.Now, Sleep: clock.Sleep})
			if err != nil {
				t.Fatal(err)
			}
			requests := fake.Count(token)
			if tc.typ == "weekly" && requests != len(jobs[0].Chunks) {
				t.Errorf("%d requests, want %d (one per seven days)", requests, len(jobs[0].Chunks))
			}
			if tc.typ == "detailed" && requests > len(jobs[0].Chunks)*(1+7*togglfake.AgencyEntriesPerDay/pageSize) {
				t.Errorf("%d requests for %d chunks", requests, len(jobs[0].Chunks))
			}
			got := parseDays(t, out, b)
			if len(got) != jobs[0].Days() {
				t.Errorf("%d days of tracked seconds, want %d", len(got), jobs[0].Days())
			}
			for d := jobs[0].From; !d.After(jobs[0].To); d = d.AddDate(0, 0, 1) {
				first, last := tc.window(d)
				if want := float64(agency.Tracked(first, last, now)); got[d.Format(time.DateOnly)] != want {
					t.Errorf("%s: tracked %v, want %v (%s..%s)", d.Format(time.DateOnly), got[d.Format(time.DateOnly)], want, first.Format(time.DateOnly), last.Format(time.DateOnly))
				}
			}
			if last.Done != len(jobs[0].Chunks) || last.Total != len(jobs[0].Chunks) || last.Days || last.Sent != requests || last.Through.Format(time.DateOnly) != "2026-11-15" {
				t.Errorf("last progress %+v, want every request of seven days, %d sent, through 2026-11-15", last, requests)
			}
		})
	}
}

// TestRunStops: a failing request stops the run; each day was written as soon as it was
// finished, before the next request, so the output keeps the finished days, and the
// error says from which day to start again.
func TestBackfillRunStops(t *testing.T) {
	fake, cfg, c, clock := setup(t, "weekly", "this_week")
	jobs, err := Plan(cfg.Reports, date("2026-10-12"), date("2026-11-15"), now)
	if err != nil {
		t.Fatal(err)
	}
	out, b := newOutput(t, nil)
	failing := &failAfter{Fetcher: c, n: 3, out: b}
	err = Run(context.Background(), jobs, out, Options{Fetcher: failing, Now: clock.Now, Sleep: clock.Sleep})
	var stopped *StoppedError
	if !errors.As(err, &stopped) {
		t.Fatalf("Run = %v, want a StoppedError", err)
	}
	// Three weeks from 2026-10-12 read: the days through 2026-11-01 are written.
	if from := stopped.Restart[0].From.Format(time.DateOnly); from != "2026-11-02" {
		t.Errorf("restart from %s, want 2026-11-02", from)
	}
	if want := 21; len(parseDays(t, out, b)) != want {
		t.Errorf("output holds %d days, want %d", len(parseDays(t, out, b)), want)
	}
	if n := fake.Count(token); n != 3 {
		t.Errorf("%d requests reached Toggl, want 3", n)
	}
	if want := []int{0, 7, 14, 21}; !slices.Equal(failing.written, want) {
		t.Errorf("days written when each request was sent: %v, want %v", failing.written, want)
	}
}

// TestBackfillWriteErrorStops: a write that fails stops the run at once: no request
// follows it, and the day it failed to write is where to go on.
func TestBackfillWriteErrorStops(t *testing.T) {
	srv, cfg, c, clock := setup(t, "weekly", "this_week")
	jobs, err := Plan(cfg.Reports, date("2026-10-12"), date("2026-11-15"), now)
	if err != nil {
		t.Fatal(err)
	}
	out, err := NewOutput(failWriter{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = Run(context.Background(), jobs, out, Options{Fetcher: c, Now: clock.Now, Sleep: clock.Sleep})
	var stopped *StoppedError
	if !errors.As(err, &stopped) || !strings.Contains(err.Error(), "writing the output: no space left on device") {
		t.Fatalf("Run = %v, want a StoppedError saying the write failed", err)
	}
	if from := stopped.Restart[0].From.Format(time.DateOnly); from != "2026-10-12" {
		t.Errorf("restart from %s, want 2026-10-12", from)
	}
	if n := srv.Count(token); n != 1 {
		t.Errorf("%d requests reached Toggl, want 1: none after the failed write", n)
	}
	if err := out.Close(); err == nil {
		t.Error("Close after a failed write: no error")
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, syscall.ENOSPC }

// TestBackfillOutputFile: a regular file ends with "# EOF" after every day, so that it
// can be imported whenever the run stops, even killed; Close adds nothing.
func TestBackfillOutputFile(t *testing.T) {
	_, cfg, c, clock := setup(t, "weekly", "this_week")
	jobs, err := Plan(cfg.Reports, date("2026-10-12"), date("2026-10-25"), now)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(filepath.Join(t.TempDir(), "history.om"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out, _ := NewOutput(f, nil)
	var days []int
	fetcher := onRun{c, func() {
		text, err := os.ReadFile(f.Name())
		if err != nil {
			t.Fatal(err)
		}
		if len(text) > 0 {
			days = append(days, len(parse(t, string(text))[`toggl_report_tracked_seconds{report="team"}`]))
		}
	}}
	if err := Run(context.Background(), jobs, out, Options{Fetcher: fetcher, Now: clock.Now, Sleep: clock.Sleep}); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	text, err := os.ReadFile(f.Name())
	if err != nil {
		t.Fatal(err)
	}
	if got := len(parse(t, string(text))[`toggl_report_tracked_seconds{report="team"}`]); !slices.Equal(days, []int{7}) || got != 14 {
		t.Errorf("days in the file before the second request %v, at the end %d; want [7] and 14", days, got)
	}
}

// newOutput returns an Output writing to a buffer.
func newOutput(t *testing.T, labels map[string]string) (*Output, *bytes.Buffer) {
	t.Helper()
	var b bytes.Buffer
	out, err := NewOutput(&b, labels)
	if err != nil {
		t.Fatal(err)
	}
	return out, &b
}

// parseDays ends the output and returns the tracked seconds of report "team" by day.
func parseDays(t *testing.T, out *Output, b *bytes.Buffer) map[string]float64 {
	t.Helper()
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	return parse(t, b.String())[`toggl_report_tracked_seconds{report="team"}`]
}

// onRun calls before ahead of every request.
type onRun struct {
	Fetcher
	before func()
}

func (o onRun) Run(ctx context.Context, req client.Request, sink client.Sink) (*client.Report, *client.Response, error) {
	o.before()
	return o.Fetcher.Run(ctx, req, sink)
}

// failAfter fails every request after the first n; it notes how many days out held
// when each request was sent.
type failAfter struct {
	Fetcher
	n       int
	out     *bytes.Buffer
	written []int
}

func (f *failAfter) Run(ctx context.Context, req client.Request, sink client.Sink) (*client.Report, *client.Response, error) {
	if f.out != nil {
		f.written = append(f.written, strings.Count(f.out.String(), `toggl_report_tracked_seconds{report="team"}`))
	}
	if f.n == 0 {
		return nil, &client.Response{StatusCode: 500}, &client.Error{Code: "500", StatusCode: 500, Message: "boom"}
	}
	f.n--
	return f.Fetcher.Run(ctx, req, sink)
}

// TestRunWaitsForQuota: when the credentials' quota is spent, the run waits for the
// window to reset (on the fake clock) and goes on.
func TestBackfillRunWaitsForQuota(t *testing.T) {
	fake, cfg, c, clock := setup(t, "weekly", "this_week")
	fake.SetQuota(2, time.Hour)
	jobs, err := Plan(cfg.Reports, date("2026-10-12"), date("2026-11-15"), now)
	if err != nil {
		t.Fatal(err)
	}
	var notes bytes.Buffer
	out, b := newOutput(t, nil)
	if err := Run(context.Background(), jobs, out, Options{Fetcher: c, Notes: &notes, Now: clock.Now, Sleep: clock.Sleep}); err != nil {
		t.Fatal(err)
	}
	if days := parseDays(t, out, b); len(days) != jobs[0].Days() {
		t.Errorf("%d days written, want %d", len(days), jobs[0].Days())
	}
	if !strings.Contains(notes.String(), "Toggl says 402") || clock.Now().Sub(now) < 2*time.Hour {
		t.Errorf("no wait for the quota (clock moved %s):\n%s", clock.Now().Sub(now), notes.String())
	}
}

// TestOutputLabels: --label adds the scrape's labels to every sample; a clash or a bad
// name is an error.
func TestBackfillOutputLabels(t *testing.T) {
	_, cfg, c, clock := setup(t, "weekly", "today")
	jobs, err := Plan(cfg.Reports, date("2026-10-12"), date("2026-10-13"), now)
	if err != nil {
		t.Fatal(err)
	}
	out, b := newOutput(t, map[string]string{"job": "toggl", "instance": "exporter:9981"})
	if err := Run(context.Background(), jobs, out, Options{Fetcher: c, Now: clock.Now, Sleep: clock.Sleep}); err != nil {
		t.Fatal(err)
	}
	out.Close()
	if !strings.Contains(b.String(), `toggl_report_tracked_seconds{instance="exporter:9981",job="toggl",report="team"} `) {
		t.Errorf("no job and instance labels:\n%s", b.String())
	}
	for _, bad := range []map[string]string{{"1x": "a"}, {"__name__": "x"}} {
		if _, err := NewOutput(io.Discard, bad); err == nil {
			t.Errorf("NewOutput(%v) accepted", bad)
		}
	}
	clash, _ := newOutput(t, map[string]string{"report": "x"})
	if err := Run(context.Background(), jobs, clash, Options{Fetcher: c, Now: clock.Now, Sleep: clock.Sleep}); err == nil || !strings.Contains(err.Error(), `label "report"`) {
		t.Errorf("a clash with the report label: %v", err)
	}
}

// TestRunInterrupted: a run whose context ends says from which day to go on.
func TestBackfillRunInterrupted(t *testing.T) {
	_, cfg, c, clock := setup(t, "weekly", "this_week")
	jobs, err := Plan(cfg.Reports, date("2026-10-12"), date("2026-11-15"), now)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	out, _ := newOutput(t, nil)
	err = Run(ctx, jobs, out, Options{Fetcher: c, Now: clock.Now, Sleep: clock.Sleep})
	var stopped *StoppedError
	if !errors.As(err, &stopped) || !errors.Is(err, context.Canceled) || stopped.Restart[0].From.Format(time.DateOnly) != "2026-10-12" {
		t.Errorf("Run = %v, want a StoppedError from 2026-10-12", err)
	}
}

// TestRunSummary: a summary report has no dated rows: after the first request shows its
// type, each day is asked for on its own, with that day's window.
func TestBackfillRunSummary(t *testing.T) {
	fake := togglfake.Demo()
	hs := httptest.NewServer(fake)
	defer hs.Close()
	token := togglfake.DemoReports[1].Token
	cfg, err := config.Parse(fmt.Appendf(nil, "reports:\n  - name: clients\n    token: %s\n    period: this_week\n", token), t.TempDir(),
		func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	jobs, err := Plan(cfg.Reports, date("2026-11-03"), date("2026-11-05"), now)
	if err != nil {
		t.Fatal(err)
	}
	c := client.New(client.Options{BaseURL: hs.URL, RequestsPerSecond: 1000})
	out, b := newOutput(t, nil)
	var notes bytes.Buffer
	var steps []Progress
	if err := Run(context.Background(), jobs, out, Options{Fetcher: c, Notes: &notes, Progress: func(p Progress) { steps = append(steps, p) }}); err != nil {
		t.Fatal(err)
	}
	if n := fake.Count(token); n != 1+3 {
		t.Errorf("%d requests, want 4 (one to learn the type, one per day)", n)
	}
	out.Close()
	if days := parse(t, b.String())[`toggl_report_tracked_seconds{report="clients"}`]; len(days) != 3 {
		t.Errorf("%d days written, want 3:\n%s", len(days), notes.String())
	}
	if len(steps) != 3 || !steps[2].Days || steps[2].Done != 3 || steps[2].Total != 3 || steps[2].Sent != 4 || !strings.Contains(notes.String(), "one request per day, 3 days") {
		t.Errorf("progress %+v, notes %q: want 3 days, 4 requests sent, and a note of the summary", steps, notes.String())
	}
	var dates []string
	for _, r := range fake.Requests()[1:] {
		dates = append(dates, fmt.Sprint(r.Body["start_date"], "..", r.Body["end_date"]))
	}
	if want := []string{"2026-11-02..2026-11-08", "2026-11-02..2026-11-08", "2026-11-02..2026-11-08"}; !slices.Equal(dates, want) {
		t.Errorf("requests for %v, want %v", dates, want)
	}
}
