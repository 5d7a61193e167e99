package collector

import (
	stdlog "log"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-kit/log"

	"github.com/toggl-exporter/toggl_exporter/client"
	"github.com/toggl-exporter/toggl_exporter/internal/testkit"
	"github.com/toggl-exporter/toggl_exporter/internal/togglfake"
)

// isolationConfig has a report "odd", served one of testdata/collisions/*.json with
// every breakdown and at most two series per breakdown, and a healthy neighbour.
const isolationConfig = `
api_url: {{URL}}
min_refresh_interval: 5m
max_stale: 30m
reports:
  - name: odd
    token: ` + secretToken + `
    breakdowns: [projects, users, clients, tags, tasks, project_users]
    max_series_per_breakdown: 2
  - name: neighbour
    token: ` + neighbourToken + `
`

// sample is one expected series of the report "odd": its name, value and labels.
type sample struct {
	name  string
	value float64
	kv    []string
}

// TestCollisions: each body of testdata/collisions would give two series with the same
// labels (the route is in the fixture's name). /metrics answers 200 with the healthy
// neighbour's exact values, and the colliding series are one series holding the sum. A
// negative id is an id like any other (see acc): it keeps its own series, apart from the
// folded "(other)".
func TestCollisions(t *testing.T) {
	cut := strings.Repeat("x", maxLabelBytes-len("…")) + "…"
	tests := []struct {
		fixture string
		want    []sample
	}{
		{"client_cut", []sample{{"toggl_report_client_tracked_seconds", 3000, []string{"client_id", "0", "client", cut}}}},
		{"client_control_weekly", []sample{{"toggl_report_client_tracked_seconds", 5400, []string{"client_id", "0", "client", "Acme Corp"}}}},
		{"no_client_detailed", []sample{{"toggl_report_client_tracked_seconds", 1500, []string{"client_id", "0", "client", "(no client)"}}}},
		{"no_client_summary", []sample{
			{"toggl_report_client_tracked_seconds", 600, []string{"client_id", "0", "client", "(no client)"}},
			{"toggl_report_client_tracked_seconds", 900, []string{"client_id", "-2", "client", "(no client)"}},
		}},
		{"negative_ids", []sample{
			{"toggl_report_project_tracked_seconds", 3000, []string{"project_id", "-1", "project", "Minus", "client", ""}},
			{"toggl_report_project_tracked_seconds", 1500, []string{"project_id", "other", "project", "(other)", "client", ""}},
			{"toggl_report_tag_tracked_seconds", 3000, []string{"tag_id", "-1", "tag", "(unknown)"}},
			{"toggl_report_tag_tracked_seconds", 1500, []string{"tag_id", "other", "tag", "(other)"}},
			{"toggl_report_task_tracked_seconds", 3000, []string{"task_id", "-1", "task", "(unknown)", "project_id", "-1"}},
			{"toggl_report_task_tracked_seconds", 1500, []string{"task_id", "other", "task", "(other)", "project_id", ""}},
			{"toggl_report_project_user_tracked_seconds", 3000, []string{"project_id", "-1", "project", "Minus", "user_id", "301", "user", "Ada"}},
			{"toggl_report_project_user_tracked_seconds", 1500, []string{"project_id", "other", "project", "(other)", "user_id", "other", "user", "(other)"}},
		}},
		{"folded_amounts", []sample{
			// 900 folded in "EURO", then 500 USD and 1 EUR beyond the cap.
			{"toggl_report_project_billable_amount", 1401, []string{"project_id", "other", "project", "(other)", "client", "", "currency", "(other)"}},
		}},
		{"rates_other", []sample{
			// 1000 in "EURO", then 50 USD, 40 EUR and 30 GBP beyond the cap.
			{"toggl_report_billable_amount", 1120, []string{"currency", "(other)"}},
			{"toggl_report_rate_billable_seconds", 36000, []string{"currency", "(other)", "hourly_rate", "100"}},
			{"toggl_report_rate_billable_seconds", 10800, []string{"currency", "(other)", "hourly_rate", "(other)"}},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.fixture, func(t *testing.T) {
			t.Parallel()
			body, err := os.ReadFile(filepath.Join("testdata", "collisions", tc.fixture+".json"))
			if err != nil {
				t.Fatal(err)
			}
			s := newStack(t, nil)
			s.fake.Set(secretToken, togglfake.Report{Body: body})
			s.fake.Set(neighbourToken, togglfake.Report{Body: reportJSON("Neighbour", neighbourSeconds)})
			s.apply(isolationConfig)
			x := s.scrape() // fails the test unless 200
			x.up(t, "neighbour", neighbourSeconds)
			x.want(t, 1, "toggl_report_up", "odd")
			for _, w := range tc.want {
				x.want(t, w.value, w.name, "odd", w.kv...)
			}
			if strings.Contains(s.logs.String(), "level=error") {
				t.Errorf("errors logged:\n%s", s.logs.String())
			}
		})
	}
}

// TestUngatherable: series that cannot be gathered (a label value that is not UTF-8, or
// two series with the same labels: neither of which the aggregation makes) are that
// report's decode failure with a warning, never the page's: the scrape answers 200 with
// the other reports and the report's last good values.
func TestUngatherable(t *testing.T) {
	for name, labels := range map[string][2][]string{
		"not UTF-8":   {{"101", "\xff", ""}, {"102", "ok", ""}},
		"same labels": {{"101", "Website", ""}, {"101", "Website", ""}},
	} {
		t.Run(name, func(t *testing.T) {
			s := newFaultStack(t)
			s.apply(faultConfig)
			s.scrape().up(t, "faulty", faultySeconds)
			success := s.clock.Now()

			bad := &Snapshot{}
			for _, l := range labels {
				bad.add(projectTrackedFamily, 1, l...)
			}
			s.clock.Advance(time.Minute)
			tg := s.exp.targets[slices.IndexFunc(s.exp.targets, func(t *target) bool { return t.name == "faulty" })]
			tg.record(s.exp, log.With(s.exp.opts.Logger, "report", "faulty"), outcome{snap: bad, resp: &client.Response{}, sent: 1, pages: 1}, time.Time{}, time.Time{})
			x := s.scrape() // fails the test unless 200
			x.down(t, "faulty", client.CodeDecode)
			x.want(t, faultySeconds, "toggl_report_tracked_seconds", "faulty")
			x.want(t, float64(success.Unix()), "toggl_report_last_success_timestamp_seconds", "faulty")
			x.up(t, "neighbour", neighbourSeconds)
			if l := s.logs.lines("report=faulty", "level=warn", "code=decode", "cannot be served"); len(l) != 1 {
				t.Errorf("want one warning saying the values cannot be served, got %q in:\n%s", l, s.logs.String())
			}
		})
	}
}

// TestScrapeNeverFails: whatever cannot be gathered (here every series of a report
// served twice, which configuration and discovery never let happen) is logged and left
// out; /metrics still answers 200 with the rest.
func TestScrapeNeverFails(t *testing.T) {
	var errs testkit.SyncBuffer
	s := newFaultStack(t)
	s.opts.ErrorLog = stdlog.New(&errs, "", 0)
	s.apply(faultConfig)
	s.exp.targets = append(s.exp.targets, s.exp.targets[0])
	x := s.scrape() // fails the test unless 200
	x.up(t, "faulty", faultySeconds)
	x.up(t, "neighbour", neighbourSeconds)
	if !strings.Contains(errs.String(), "was collected before with the same name and label values") {
		t.Errorf("the clash is not logged: %q", errs.String())
	}
}
