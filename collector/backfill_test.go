package collector

import (
	"context"
	"fmt"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/toggl-exporter/toggl_exporter/client"
	"github.com/toggl-exporter/toggl_exporter/config"
	"github.com/toggl-exporter/toggl_exporter/internal/togglfake"
)

// history is the fake's agency tracking time in Berlin from 2026-09-21 to 2026-11-13
// (across the change from summer time on 2026-10-25), served as Toggl serves a shared
// report: only what ended by the fake's clock, the days of the request's
// start_date..end_date (a weekly report: seven days from start_date), totals of the whole
// request, detailed rows in pages.
type history struct {
	fake    *togglfake.Fake
	fetcher Fetcher
	now     func() time.Time
}

// historyToken is the report token of historyConfig.
const historyToken = "0123456789abcdef0123456789abcdef"

func newHistory(t *testing.T, typ string) *history {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	h := &history{fake: togglfake.New()}
	rep := togglfake.Agency{Loc: loc, First: time.Date(2026, 9, 21, 0, 0, 0, 0, loc), Last: time.Date(2026, 11, 13, 0, 0, 0, 0, loc), PerDay: 4}.Report(typ)
	rep.Paging = &togglfake.Paging{Size: 20}
	h.fake.Set(historyToken, rep)
	h.fake.SetClock(func() time.Time { return h.now() })
	srv := httptest.NewServer(h.fake)
	t.Cleanup(srv.Close)
	h.fetcher = client.New(client.Options{BaseURL: srv.URL, RequestsPerSecond: 1e6})
	return h
}

func historyConfig(t *testing.T, typ, period string) *config.Config {
	t.Helper()
	cfg, err := config.Parse([]byte(fmt.Sprintf(`
reports:
  - name: team
    token: %s
    period: %s
    timezone: Europe/Berlin
    week_start: monday
    max_pages: 100
    breakdowns: [projects, users, clients, tags]
`, historyToken, period)), t.TempDir(), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// valueLines renders the value metrics among ms as sorted text lines, timestamps
// dropped.
func valueLines(t *testing.T, ms []prometheus.Metric) []string {
	t.Helper()
	skip := map[string]bool{}
	for _, f := range []*family{upFamily, errorFamily, failuresFamily, fetchesFamily, lastSuccessFamily, fetchDurationFamily,
		fetchPagesFamily, completeFamily, infoFamily, periodStartFamily, periodEndFamily, quotaRemainingFamily, quotaResetFamily,
		runningFamily, runningStartFamily, refreshIntervalFamily} {
		skip[f.desc.String()] = true
	}
	var lines []string
	for _, m := range ms {
		if skip[m.Desc().String()] {
			continue
		}
		var d dto.Metric
		if err := m.Write(&d); err != nil {
			t.Fatal(err)
		}
		var labels []string
		for _, l := range d.GetLabel() {
			labels = append(labels, l.GetName()+"="+l.GetValue())
		}
		name := strings.SplitN(strings.TrimPrefix(m.Desc().String(), `Desc{fqName: "`), `"`, 2)[0]
		lines = append(lines, fmt.Sprintf("%s{%s} %g", name, strings.Join(labels, ","), d.GetGauge().GetValue()))
	}
	slices.Sort(lines)
	return lines
}

// TestBackfillEqualsLive: the values History computes for a day from rows read in
// seven-day chunks are those the server serves with its clock at the end of that day.
func TestBackfillEqualsLive(t *testing.T) {
	t.Parallel() // slow: overlaps the other slow tests
	from, to := time.Date(2026, 10, 20, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 10, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct{ typ, period string }{
		{"detailed", "today"}, {"detailed", "this_week"}, {"detailed", "this_month"}, {"detailed", "last_7_days"},
		{"weekly", "today"}, {"weekly", "this_week"}, {"weekly", "this_month"}, {"weekly", "last_7_days"},
	} {
		t.Run(tc.typ+"/"+tc.period, func(t *testing.T) {
			h := newHistory(t, tc.typ)
			cfg := historyConfig(t, tc.typ, tc.period)
			rc := cfg.Reports[0]
			loc := rc.Resolved.Location

			// Backfill: every day the windows need, seven days a request, with its pages.
			h.now = func() time.Time { return time.Date(2026, 12, 1, 0, 0, 0, 0, loc) }
			hist := NewHistory(rc)
			first, _, _ := rc.Resolved.WindowAtEndOf(from)
			chunks := 0
			for s := first; !s.After(config.DayStart(to, loc)); s = s.AddDate(0, 0, 7) {
				chunks++
				body := map[string]any{"start_date": s.Format(time.DateOnly), "end_date": s.AddDate(0, 0, 6).Format(time.DateOnly)}
				if _, _, err := hist.Fetch(context.Background(), h.fetcher, client.Request{Token: rc.Resolved.Token, Body: body}, s, nil); err != nil {
					t.Fatal(err)
				}
			}
			if n := h.fake.Count(historyToken); tc.typ == "weekly" && n != chunks {
				t.Errorf("weekly: %d requests for %d chunks of seven days", n, chunks)
			}

			// Live: the server with its clock at the end of each day.
			var clock time.Time
			h.now = func() time.Time { return clock }
			e := New(Options{Now: func() time.Time { return clock }})
			e.Apply(cfg, h.fetcher)
			for d := from; !d.After(to); d = d.AddDate(0, 0, 1) {
				clock = config.EndOfDay(d, loc)
				c, err := e.Collector(context.Background(), "team")
				if err != nil {
					t.Fatal(err)
				}
				ch := make(chan prometheus.Metric, 1000)
				c.Collect(ch) // starts the day's refresh, serves the day before's values
				e.fetches.Wait()
				ch = make(chan prometheus.Metric, 1000)
				c.Collect(ch)
				close(ch)
				var live []prometheus.Metric
				for m := range ch {
					live = append(live, m)
				}
				back, err := hist.Values(d)
				if err != nil {
					t.Fatal(err)
				}
				want, got := valueLines(t, live), valueLines(t, back)
				// Known gap: History does not compute the labour cost (Toggl sends it in
				// totals only; the rows would need the users' labour_cost), so the
				// backfilled days lack it.
				want = slices.DeleteFunc(want, func(l string) bool { return strings.HasPrefix(l, "toggl_report_labour_cost{") })
				if !slices.Contains(want, `toggl_report_tracked_seconds{report=team} 0`) && len(want) < 5 {
					t.Fatalf("%s: the live path served too little: %q", d.Format(time.DateOnly), want)
				}
				if !slices.Equal(got, want) {
					t.Errorf("%s (%s): backfilled\n%s\nlive\n%s", d.Format(time.DateOnly), d.Weekday(), strings.Join(got, "\n"), strings.Join(want, "\n"))
				}
				for _, m := range back {
					var dm dto.Metric
					m.Write(&dm)
					if ts := time.UnixMilli(dm.GetTimestampMs()); !ts.Equal(clock) {
						t.Fatalf("%s: timestamp %s, want %s", d.Format(time.DateOnly), ts, clock)
					}
				}
			}
		})
	}
}

// TestBackfillUndatedRows: detailed rows without time entries cannot be dated, and the
// values say so rather than put them on a wrong day.
func TestBackfillUndatedRows(t *testing.T) {
	cfg := historyConfig(t, "detailed", "today")
	h := NewHistory(cfg.Reports[0])
	if _, _, err := h.Fetch(context.Background(), fetchFunc(func(_ context.Context, _ client.Request, sink client.Sink) (*client.Report, *client.Response, error) {
		sink.DetailedRow(&client.DetailedRow{UserID: 1, Seconds: 60})
		return &client.Report{Type: "detailed", Block: client.BlockDetailed, Totals: &client.Totals{Seconds: 60}}, &client.Response{}, nil
	}), client.Request{}, time.Now(), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Values(time.Now()); err == nil || !strings.Contains(err.Error(), "no time entries") {
		t.Errorf("Values = %v, want an error about undated rows", err)
	}
}

// TestBackfillMissingRows: a request whose rows fall short of its totals is an error.
func TestBackfillMissingRows(t *testing.T) {
	cfg := historyConfig(t, "weekly", "this_week")
	h := NewHistory(cfg.Reports[0])
	_, _, err := h.Fetch(context.Background(), fetchFunc(func(_ context.Context, _ client.Request, sink client.Sink) (*client.Report, *client.Response, error) {
		sink.WeeklyRow(&client.WeeklyRow{UserID: 1, Seconds: []int64{60, 0, 0, 0, 0, 0, 0}})
		return &client.Report{Type: "weekly", Block: client.BlockWeekly, Totals: &client.Totals{Seconds: 7200}}, &client.Response{}, nil
	}), client.Request{}, time.Now(), nil)
	if err == nil || !strings.Contains(err.Error(), "rows are missing") {
		t.Errorf("Fetch = %v, want an error about missing rows", err)
	}
}

type fetchFunc func(context.Context, client.Request, client.Sink) (*client.Report, *client.Response, error)

func (f fetchFunc) Run(ctx context.Context, req client.Request, sink client.Sink) (*client.Report, *client.Response, error) {
	return f(ctx, req, sink)
}
