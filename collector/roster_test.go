package collector

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/toggl-exporter/toggl_exporter/client"
	"github.com/toggl-exporter/toggl_exporter/config"
)

const rosterToken = "abcdef1234560123456789abcdef1234"

// rosterExporter serves testdata/roster_detailed.json as report "team" of the given
// period in Berlin, with workspace 4242 as its roster: 40 hours a week each, 20 for
// user 34. In the report Ada (31, a member) tracked 2 h billable and Grace (33, not a
// member) 1 h not billable.
func rosterExporter(t *testing.T, period string, now time.Time) (*Exporter, *fakeFetcher) {
	t.Helper()
	cfg, err := config.Parse([]byte(`
reports:
  - name: team
    token: `+rosterToken+`
    period: `+period+`
    timezone: Europe/Berlin
    roster: 4242
members:
  - workspace_id: 4242
    api_token: `+rosterToken+`
    expected_hours_per_week: 40
    expected_hours: {"34": 20}
`), t.TempDir(), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeFetcher{}
	f.set(rosterToken, func(_ context.Context, sink client.Sink) (*client.Report, *client.Response, error) {
		body, err := os.Open("testdata/roster_detailed.json")
		if err != nil {
			return nil, nil, err
		}
		defer body.Close()
		rep, err := client.Decode(body, sink)
		return rep, &client.Response{StatusCode: 200}, err
	})
	e := New(Options{Now: func() time.Time { return now }})
	e.Apply(cfg, f)
	return e, f
}

var rosterFamilies = []string{"toggl_report_user_tracked_seconds", "toggl_report_user_billable_seconds", "toggl_report_user_expected_seconds"}

func compareRoster(t *testing.T, e *Exporter, want string) {
	t.Helper()
	c, err := e.Collector(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := testutil.CollectAndCompare(c, strings.NewReader(want), rosterFamilies...); err != nil {
		t.Error(err)
	}
	if problems, err := testutil.CollectAndLint(c); err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %v", problems, err)
	}
}

const rosterHelp = `
# HELP toggl_report_user_billable_seconds Billable time per user. Cached: refreshed from Toggl at most every min_refresh_interval.
# TYPE toggl_report_user_billable_seconds gauge
# HELP toggl_report_user_expected_seconds Time a member of the report's roster is expected to track over the report's whole period: its Monday-Friday days times expected_hours_per_week / 5.
# TYPE toggl_report_user_expected_seconds gauge
# HELP toggl_report_user_tracked_seconds Tracked time per user. Cached: refreshed from Toggl at most every min_refresh_interval.
# TYPE toggl_report_user_tracked_seconds gauge
`

func TestRosterListsEveryMemberWithExpectedTime(t *testing.T) {
	// Wednesday 11 March 2026: last_week is Monday 2 to Sunday 8 March, 5 weekdays, so
	// 40 h/week expects 5 × 8 h = 144000 s, and 20 h/week 5 × 4 h = 72000 s.
	e, _ := rosterExporter(t, "last_week", time.Date(2026, 3, 11, 10, 0, 0, 0, time.UTC))
	e.SetRoster(4242, []client.Member{{UserID: 31, Name: "Ada Lovelace"}, {UserID: 32, Name: "Bob Builder"}, {UserID: 34, Name: "Chen Wei"}})
	compareRoster(t, e, rosterHelp+`
toggl_report_user_billable_seconds{report="team",user="Ada Lovelace",user_id="31"} 7200
toggl_report_user_billable_seconds{report="team",user="Bob Builder",user_id="32"} 0
toggl_report_user_billable_seconds{report="team",user="Chen Wei",user_id="34"} 0
toggl_report_user_billable_seconds{report="team",user="Grace Hopper",user_id="33"} 0
toggl_report_user_expected_seconds{report="team",user="Ada Lovelace",user_id="31"} 144000
toggl_report_user_expected_seconds{report="team",user="Bob Builder",user_id="32"} 144000
toggl_report_user_expected_seconds{report="team",user="Chen Wei",user_id="34"} 72000
toggl_report_user_tracked_seconds{report="team",user="Ada Lovelace",user_id="31"} 7200
toggl_report_user_tracked_seconds{report="team",user="Bob Builder",user_id="32"} 0
toggl_report_user_tracked_seconds{report="team",user="Chen Wei",user_id="34"} 0
toggl_report_user_tracked_seconds{report="team",user="Grace Hopper",user_id="33"} 3600
`)
	if out := scrape(t, e, context.Background()); strings.Contains(out, "@") {
		t.Errorf("an e-mail address in the metrics:\n%s", out)
	}
}

func TestRosterFollowsTheListingBetweenFetches(t *testing.T) {
	// March 2026 in Berlin (clocks go forward on the 29th) has 22 weekdays: 40 h/week
	// expects 22 × 8 h = 633600 s, 20 h/week 22 × 4 h = 316800 s.
	e, f := rosterExporter(t, "this_month", time.Date(2026, 3, 11, 10, 0, 0, 0, time.UTC))
	// Before the first listing: the report as Toggl sent it.
	compareRoster(t, e, rosterHelp+`
toggl_report_user_billable_seconds{report="team",user="Ada Lovelace",user_id="31"} 7200
toggl_report_user_billable_seconds{report="team",user="Grace Hopper",user_id="33"} 0
toggl_report_user_tracked_seconds{report="team",user="Ada Lovelace",user_id="31"} 7200
toggl_report_user_tracked_seconds{report="team",user="Grace Hopper",user_id="33"} 3600
`)
	e.SetRoster(4242, []client.Member{{UserID: 34, Name: "Chen Wei"}, {UserID: 35}})
	compareRoster(t, e, rosterHelp+`
toggl_report_user_billable_seconds{report="team",user="(unknown)",user_id="35"} 0
toggl_report_user_billable_seconds{report="team",user="Ada Lovelace",user_id="31"} 7200
toggl_report_user_billable_seconds{report="team",user="Chen Wei",user_id="34"} 0
toggl_report_user_billable_seconds{report="team",user="Grace Hopper",user_id="33"} 0
toggl_report_user_expected_seconds{report="team",user="(unknown)",user_id="35"} 633600
toggl_report_user_expected_seconds{report="team",user="Chen Wei",user_id="34"} 316800
toggl_report_user_tracked_seconds{report="team",user="(unknown)",user_id="35"} 0
toggl_report_user_tracked_seconds{report="team",user="Ada Lovelace",user_id="31"} 7200
toggl_report_user_tracked_seconds{report="team",user="Chen Wei",user_id="34"} 0
toggl_report_user_tracked_seconds{report="team",user="Grace Hopper",user_id="33"} 3600
`)
	if n := f.count(rosterToken); n != 1 {
		t.Errorf("%d fetches: a new roster must not refetch the report", n)
	}
	// A reload without the members entry drops the roster.
	cfg := testConfig()
	e.Apply(cfg, f)
	if e.rosters[4242] != nil {
		t.Error("the roster of a workspace no longer configured is kept")
	}
}

func TestRosterNeverInventsWhatTheReportCannotGive(t *testing.T) {
	for _, tc := range []struct {
		name       string
		breakdowns []string
		snap       *Snapshot
	}{
		{"no users breakdown", []string{Projects}, &Snapshot{Type: "detailed"}},
		{"summary by projects", nil, &Snapshot{Type: "summary"}},
		{"users folded into (other)", nil, &Snapshot{Type: "detailed", series: []series{
			{userTrackedFamily, []string{otherID, otherName}, 60}, {foldedFamily, []string{Users}, 3}}}},
	} {
		tracked, _, fill := userSeries(tc.snap, tc.breakdowns)
		if fill {
			t.Errorf("%s: members who tracked nothing would be added (tracked %v)", tc.name, tracked)
		}
	}
	if _, _, fill := userSeries(&Snapshot{Type: "summary", series: []series{{foldedFamily, []string{Users}, 0}}}, nil); !fill {
		t.Error("summary grouped by users: members who tracked nothing are not added")
	}
}

func TestWeekdays(t *testing.T) {
	berlin, _ := time.LoadLocation("Europe/Berlin")
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, berlin) }
	for _, tc := range []struct {
		name       string
		start, end time.Time
		want       int
	}{
		{"a week from Monday", day(2026, 3, 2), day(2026, 3, 9), 5},
		{"a week from Thursday", day(2026, 3, 5), day(2026, 3, 12), 5},
		{"March 2026, across the clock change", day(2026, 3, 1), day(2026, 4, 1), 22},
		{"February 2026", day(2026, 2, 1), day(2026, 3, 1), 20},
		{"a Wednesday", day(2026, 3, 11), day(2026, 3, 12), 1},
		{"a Saturday", day(2026, 3, 7), day(2026, 3, 8), 0},
		{"unknown end", day(2026, 3, 7), time.Time{}, 0},
	} {
		if got := weekdays(tc.start, tc.end); got != tc.want {
			t.Errorf("%s: %d weekdays, want %d", tc.name, got, tc.want)
		}
	}
}
