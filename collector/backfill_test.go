package collector

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/toggl-exporter/toggl_exporter/backfill/backfilltest"
	"github.com/toggl-exporter/toggl_exporter/client"
	"github.com/toggl-exporter/toggl_exporter/config"
)

// history is a workspace's time entries over several weeks, served the way Toggl
// serves a shared report: only what started by the fetcher's clock, the days of the
// request's start_date..end_date (a weekly report: seven days from start_date), totals
// of the whole request, detailed rows in pages.
type history struct {
	loc      *time.Location
	now      func() time.Time
	entries  []backfilltest.Entry // by start
	pageSize int
	requests int
}

var histProjects = map[int64]client.Project{
	10: {ID: 10, Name: "Website", ClientID: 100, Currency: "EUR", EstimatedSeconds: 360000},
	11: {ID: 11, Name: "Support", ClientID: 101, Currency: "USD"},
}

// newHistory serves backfilltest's entries of every working day from 2026-09-21 to
// 2026-11-13 in Berlin (across the change from summer time on 2026-10-25): two users, two
// projects and "no project", some days empty.
func newHistory(t *testing.T) *history {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	srv := backfilltest.New("detailed", loc, time.Date(2026, 9, 21, 0, 0, 0, 0, loc), time.Date(2026, 11, 13, 0, 0, 0, 0, loc))
	return &history{loc: loc, pageSize: 4, entries: srv.Entries}
}

// tags gives the entries none, one or two tags.
func tags(e backfilltest.Entry) []int64 { return [][]int64{nil, {7}, {7, 8}}[e.ID%3] }

func (h *history) dict() client.Dictionaries {
	return client.Dictionaries{
		Projects: histProjects,
		Clients:  map[int64]client.Entity{100: {ID: 100, Name: "Acme"}, 101: {ID: 101, Name: "Globex"}},
		Users:    map[int64]client.Entity{1: {ID: 1, Name: "Ada"}, 2: {ID: 2, Name: "Bob"}},
		Tags:     map[int64]client.Entity{7: {ID: 7, Name: "dev"}, 8: {ID: 8, Name: "ops"}},
	}
}

func (h *history) currency(e backfilltest.Entry) string {
	if p, ok := histProjects[e.Project]; ok {
		return p.Currency
	}
	return "EUR"
}

func (h *history) amount(e backfilltest.Entry) int64 {
	if !e.Billable {
		return 0
	}
	return (e.Seconds*backfilltest.Rate + 1800) / 3600
}

// fetcher answers requests for a report of type typ.
func (h *history) fetcher(typ string) Fetcher {
	return fetchFunc(func(_ context.Context, req client.Request, sink client.Sink) (*client.Report, *client.Response, error) {
		h.requests++
		start, err1 := time.ParseInLocation(time.DateOnly, fmt.Sprint(req.Body["start_date"]), h.loc)
		last, err2 := time.ParseInLocation(time.DateOnly, fmt.Sprint(req.Body["end_date"]), h.loc)
		if err1 != nil || err2 != nil {
			return nil, nil, fmt.Errorf("bad body %v", req.Body)
		}
		days := int(last.Sub(start).Hours()/24+0.5) + 1
		if typ == "weekly" {
			days = 7
		}
		end := start.AddDate(0, 0, days)
		var in []backfilltest.Entry
		for _, e := range h.entries {
			if !e.Start.Before(start) && e.Start.Before(end) && !e.Start.Add(time.Duration(e.Seconds)*time.Second).After(h.now()) {
				in = append(in, e)
			}
		}
		rep := &client.Report{Name: "Team", Type: typ, Public: true, Block: typ, Dictionaries: h.dict(),
			InputParams: map[string]any{"start_date": req.Body["start_date"], "end_date": req.Body["end_date"]}}
		rep.Totals = h.totals(in)
		resp := &client.Response{StatusCode: 200}
		switch typ {
		case "detailed":
			from, _ := req.Body["first_timestamp"].(int64)
			var page []backfilltest.Entry
			for _, e := range in {
				if e.Start.Unix() >= from {
					page = append(page, e)
				}
			}
			if len(page) > h.pageSize {
				resp.Next = client.Cursor{Timestamp: page[h.pageSize].Start.Unix(), Has: true}
				page = page[:h.pageSize]
			}
			for _, e := range page {
				r := client.DetailedRow{UserID: e.User, Username: h.dict().Users[e.User].Name, ProjectID: e.Project,
					Billable: e.Billable, Currency: h.currency(e), TagIDs: tags(e), Seconds: e.Seconds, Entries: 1,
					BillableAmountInCents: h.amount(e),
					TimeEntries:           []client.TimeEntry{{ID: e.ID, Seconds: e.Seconds, Start: e.Start.UTC()}}}
				if e.Project != 0 {
					r.HourlyRateInCents = backfilltest.Rate
				}
				sink.DetailedRow(&r)
			}
		case "weekly":
			type key struct{ user, project int64 }
			rows := map[key]*client.WeeklyRow{}
			var keys []key
			for _, e := range in {
				k := key{e.User, e.Project}
				r := rows[k]
				if r == nil {
					r = &client.WeeklyRow{UserID: e.User, UserName: h.dict().Users[e.User].Name, ProjectID: e.Project,
						Currency: h.currency(e), Seconds: make([]int64, 7), BillableSeconds: make([]int64, 7), BillableAmountsInCents: make([]int64, 7)}
					if e.Project != 0 {
						r.HourlyRateInCents = backfilltest.Rate
					}
					rows[k] = r
					keys = append(keys, k)
				}
				i := int(DayStart(e.Start.In(h.loc), h.loc).Sub(start).Hours()/24 + 0.5)
				r.Seconds[i] += e.Seconds
				if e.Billable && e.Project != 0 {
					r.BillableSeconds[i] += e.Seconds
				}
				r.BillableAmountsInCents[i] += h.amount(e)
			}
			for _, k := range keys {
				sink.WeeklyRow(rows[k])
			}
		}
		return rep, resp, nil
	})
}

// totals sums entries the way Toggl (and togglfake) does.
func (h *history) totals(in []backfilltest.Entry) *client.Totals {
	t := &client.Totals{}
	var amount int64
	rates := map[string]int64{}
	days := map[string]bool{}
	for _, e := range in {
		t.Seconds += e.Seconds
		days[e.Start.In(h.loc).Format(time.DateOnly)] = true
		amount += h.amount(e)
		if e.Billable && e.Project != 0 {
			rates[h.currency(e)] += e.Seconds
		}
	}
	t.TrackedDays = int64(len(days))
	t.BillableAmountInCents = &amount
	for _, c := range []string{"EUR", "USD"} {
		if rates[c] > 0 {
			t.Rates = append(t.Rates, client.Rate{BillableSeconds: rates[c], Currency: c, HourlyRateInCents: backfilltest.Rate})
		}
	}
	return t
}

type fetchFunc func(context.Context, client.Request, client.Sink) (*client.Report, *client.Response, error)

func (f fetchFunc) Run(ctx context.Context, req client.Request, sink client.Sink) (*client.Report, *client.Response, error) {
	return f(ctx, req, sink)
}

func historyConfig(t *testing.T, typ, period string) *config.Config {
	t.Helper()
	cfg, err := config.Parse([]byte(fmt.Sprintf(`
reports:
  - name: team
    token: 0123456789abcdef0123456789abcdef
    period: %s
    timezone: Europe/Berlin
    week_start: monday
    max_pages: 100
    breakdowns: [projects, users, clients, tags]
`, period)), t.TempDir(), func(string) (string, bool) { return "", false })
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
	from, to := time.Date(2026, 10, 20, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 10, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct{ typ, period string }{
		{"detailed", "today"}, {"detailed", "this_week"}, {"detailed", "this_month"}, {"detailed", "last_7_days"},
		{"weekly", "today"}, {"weekly", "this_week"}, {"weekly", "this_month"}, {"weekly", "last_7_days"},
	} {
		t.Run(tc.typ+"/"+tc.period, func(t *testing.T) {
			h := newHistory(t)
			cfg := historyConfig(t, tc.typ, tc.period)
			rc := cfg.Reports[0]
			loc := rc.Resolved.Location

			// Backfill: every day the windows need, seven days a request, with its pages.
			h.now = func() time.Time { return time.Date(2026, 12, 1, 0, 0, 0, 0, loc) }
			hist := NewHistory(rc)
			first, _, _ := Window(rc, from)
			chunks := 0
			for s := first; !s.After(DayStart(to, loc)); s = s.AddDate(0, 0, 7) {
				chunks++
				body := map[string]any{"start_date": s.Format(time.DateOnly), "end_date": s.AddDate(0, 0, 6).Format(time.DateOnly)}
				if _, _, err := hist.Fetch(context.Background(), h.fetcher(tc.typ), client.Request{Body: body}, s, nil); err != nil {
					t.Fatal(err)
				}
			}
			if tc.typ == "weekly" && h.requests != chunks {
				t.Errorf("weekly: %d requests for %d chunks of seven days", h.requests, chunks)
			}

			// Live: the server with its clock at the end of each day.
			var clock time.Time
			h.now = func() time.Time { return clock }
			e := New(Options{Now: func() time.Time { return clock }})
			e.Apply(cfg, h.fetcher(tc.typ))
			for d := from; !d.After(to); d = d.AddDate(0, 0, 1) {
				clock = EndOfDay(d, loc)
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
