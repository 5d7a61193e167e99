package collector

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/toggl-exporter/toggl_exporter/client"
	"github.com/toggl-exporter/toggl_exporter/config"
)

// TestProjectUsersFromRows: who tracked what, from detailed and weekly rows.
func TestProjectUsersFromRows(t *testing.T) {
	a := newAggregator(config.Report{Breakdowns: []string{ProjectUsers}})
	for _, r := range []client.DetailedRow{
		{UserID: 1, ProjectID: 10, Seconds: 3600},
		{UserID: 1, ProjectID: 10, Seconds: 1800},
		{UserID: 2, ProjectID: 10, Seconds: 600},
		{UserID: 2, ProjectID: 0, Username: "Bob B.", Seconds: 300},
	} {
		a.DetailedRow(&r)
	}
	s := a.finish(&client.Report{Type: "detailed", Block: client.BlockDetailed, Dictionaries: testDictionaries(), Totals: &client.Totals{Seconds: 6300}})
	want := `
# HELP toggl_report_project_user_tracked_seconds Tracked time per project and user: who tracked what. Cached: refreshed from Toggl at most every min_refresh_interval.
# TYPE toggl_report_project_user_tracked_seconds gauge
toggl_report_project_user_tracked_seconds{project="(no project)",project_id="0",report="r",user="Bob",user_id="2"} 300
toggl_report_project_user_tracked_seconds{project="Website",project_id="10",report="r",user="Ada",user_id="1"} 5400
toggl_report_project_user_tracked_seconds{project="Website",project_id="10",report="r",user="Bob",user_id="2"} 600
`
	if err := testutil.CollectAndCompare(snapshotCollector{s}, strings.NewReader(want), "toggl_report_project_user_tracked_seconds"); err != nil {
		t.Error(err)
	}

	a = newAggregator(config.Report{Breakdowns: []string{ProjectUsers}})
	a.WeeklyRow(&client.WeeklyRow{UserID: 1, ProjectID: 11, Seconds: []int64{3600, 0, 1800, 0, 0, 0, 0}})
	a.WeeklyRow(&client.WeeklyRow{UserID: 2, ProjectID: 11, Seconds: []int64{0, 60, 0, 0, 0, 0, 0}})
	s = a.finish(&client.Report{Type: "weekly", Block: client.BlockWeekly, Dictionaries: testDictionaries(), Totals: &client.Totals{Seconds: 5460}})
	if v, ok := value(s, projectUserFamily, "11", "1"); !ok || v != 5400 {
		t.Errorf("weekly Internal/Ada = %v, %v; want 5400", v, ok)
	}
	if v, ok := value(s, projectUserFamily, "11", "2"); !ok || v != 60 {
		t.Errorf("weekly Internal/Bob = %v, %v; want 60", v, ok)
	}
}

// TestProjectUsersFromSummary: a summary grouped by projects and sub-grouped by users, or
// the reverse, gives the same pairs; other groupings give none.
func TestProjectUsersFromSummary(t *testing.T) {
	byProject := []client.SummaryGroup{
		{ID: 10, Names: []string{"Website"}, SubGroups: []client.SummarySubGroup{{ID: 1, Title: "Ada", Seconds: 3000}, {ID: 2, Title: "Bob", Seconds: 600}}},
		{ID: 0, SubGroups: []client.SummarySubGroup{{ID: 2, Title: "Bob", Seconds: 400}}},
	}
	byUser := []client.SummaryGroup{
		{ID: 1, Names: []string{"Ada"}, SubGroups: []client.SummarySubGroup{{ID: 10, Title: "Website", Seconds: 3000}}},
		{ID: 2, Names: []string{"Bob"}, SubGroups: []client.SummarySubGroup{{ID: 10, Title: "Website", Seconds: 600}, {ID: 0, Seconds: 400}}},
	}
	for name, tc := range map[string]struct {
		groups                []client.SummaryGroup
		grouping, subGrouping string
	}{
		"projects by users": {byProject, "projects", "users"},
		"users by projects": {byUser, "users", "projects"},
	} {
		t.Run(name, func(t *testing.T) {
			a := newAggregator(config.Report{Breakdowns: []string{ProjectUsers, Projects, Users}})
			for i := range tc.groups {
				a.SummaryGroup(&tc.groups[i])
			}
			s := a.finish(&client.Report{Type: "summary", Block: client.BlockSummary, Dictionaries: testDictionaries(),
				InputParams: map[string]any{"grouping": tc.grouping, "sub_grouping": tc.subGrouping}, Totals: &client.Totals{Seconds: 4000}})
			for _, c := range []struct {
				project, user string
				want          float64
			}{{"10", "1", 3000}, {"10", "2", 600}, {"0", "2", 400}} {
				if v, ok := value(s, projectUserFamily, c.project, c.user); !ok || v != c.want {
					t.Errorf("project %s user %s = %v, %v; want %v", c.project, c.user, v, ok, c.want)
				}
			}
			if n := count(s, projectUserFamily); n != 3 {
				t.Errorf("%d pairs, want 3", n)
			}
			if !s.Complete {
				t.Errorf("summary not complete: summed %d of %d", s.Summed, s.Total)
			}
		})
	}
	a := newAggregator(config.Report{Breakdowns: []string{ProjectUsers}})
	a.SummaryGroup(&byProject[0])
	s := a.finish(&client.Report{Type: "summary", Block: client.BlockSummary, InputParams: map[string]any{"grouping": "projects", "sub_grouping": "time_entries"}})
	if n := count(s, projectUserFamily); n != 0 {
		t.Errorf("%d pairs from a summary by time entries, want none (never invented)", n)
	}
}

// TestRunningEntries: entries still running are counted and give their user's start; they
// never lower a total.
func TestRunningEntries(t *testing.T) {
	nine := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	a := newAggregator(config.Report{})
	for _, r := range []client.DetailedRow{
		{UserID: 1, ProjectID: 10, TimeEntries: []client.TimeEntry{{ID: 1, Seconds: 3600, Start: nine.Add(-3 * time.Hour)}}},
		{UserID: 1, ProjectID: 10, TimeEntries: []client.TimeEntry{{ID: 2, Seconds: -1764579600, Start: nine, Running: true}}},
		{UserID: 2, ProjectID: 0, TimeEntries: []client.TimeEntry{{ID: 3, Start: nine.Add(30 * time.Minute), Running: true}}},
		// The same user on the same project twice: the earliest start is the one.
		{UserID: 2, ProjectID: 0, TimeEntries: []client.TimeEntry{{ID: 4, Start: nine.Add(-time.Hour), Running: true}}},
	} {
		a.DetailedRow(&r)
	}
	s := a.finish(&client.Report{Type: "detailed", Block: client.BlockDetailed, Dictionaries: testDictionaries(), Totals: &client.Totals{Seconds: 3600}})
	want := fmt.Sprintf(`
# HELP toggl_report_running_entries Time entries of the report still running (their timer is on). Cached: refreshed from Toggl at most every min_refresh_interval.
# TYPE toggl_report_running_entries gauge
toggl_report_running_entries{report="r"} 3
# HELP toggl_report_user_running_entry_start_timestamp_seconds Start of the running time entry of a user on a project (the earliest, if several). Cached: refreshed from Toggl at most every min_refresh_interval.
# TYPE toggl_report_user_running_entry_start_timestamp_seconds gauge
toggl_report_user_running_entry_start_timestamp_seconds{project="(no project)",project_id="0",report="r",user="Bob",user_id="2"} %d
toggl_report_user_running_entry_start_timestamp_seconds{project="Website",project_id="10",report="r",user="Ada",user_id="1"} %d
# HELP toggl_report_tracked_seconds Tracked time in the report's period. Cached: refreshed from Toggl at most every min_refresh_interval.
# TYPE toggl_report_tracked_seconds gauge
toggl_report_tracked_seconds{report="r"} 3600
# HELP toggl_report_user_tracked_seconds Tracked time per user. Cached: refreshed from Toggl at most every min_refresh_interval.
# TYPE toggl_report_user_tracked_seconds gauge
toggl_report_user_tracked_seconds{report="r",user="Ada",user_id="1"} 3600
toggl_report_user_tracked_seconds{report="r",user="Bob",user_id="2"} 0
`, nine.Add(-time.Hour).Unix(), nine.Unix())
	if err := testutil.CollectAndCompare(snapshotCollector{s}, strings.NewReader(want), "toggl_report_running_entries",
		"toggl_report_user_running_entry_start_timestamp_seconds", "toggl_report_tracked_seconds", "toggl_report_user_tracked_seconds"); err != nil {
		t.Error(err)
	}
	if !s.Complete {
		t.Errorf("running entries made the report incomplete: summed %d of %d", s.Summed, s.Total)
	}
	// A summary cannot tell: no running-entry series at all.
	s = newAggregator(config.Report{}).finish(&client.Report{Type: "summary", Block: client.BlockSummary, Totals: &client.Totals{}})
	if n := count(s, runningFamily) + count(s, runningStartFamily); n != 0 {
		t.Errorf("%d running-entry series from a summary", n)
	}
}

// TestCurrenciesAreBounded: a currency label is a three-letter code, and the rate and
// amount families are capped like the breakdowns, with their sums kept.
func TestCurrenciesAreBounded(t *testing.T) {
	const limit = 10
	a := newAggregator(config.Report{Breakdowns: []string{Projects}, MaxSeriesPerBreakdown: limit})
	var rates []client.Rate
	for i := range 50_000 {
		rates = append(rates, client.Rate{BillableSeconds: 1, Currency: fmt.Sprintf("C%04d", i%3000), HourlyRateInCents: int64(i)})
	}
	for i := range 20_000 {
		a.DetailedRow(&client.DetailedRow{ProjectID: int64(i%5 + 1), Seconds: 1, BillableAmountInCents: 100, Currency: fmt.Sprintf("%c%c%c", 'A'+i%26, 'A'+i/26%26, 'A'+i/676%26)})
	}
	s := a.finish(&client.Report{Type: "detailed", Block: client.BlockDetailed, Totals: &client.Totals{Seconds: 20_000, Rates: rates}})
	for _, f := range []*family{rateBillableFamily, billableAmountFamily, projectAmountFamily} {
		if n := count(s, f); n > limit {
			t.Errorf("%s: %d series, want at most %d", f.name, n, limit)
		}
	}
	var rateSum, amountSum float64
	for _, sr := range s.series {
		switch sr.family {
		case rateBillableFamily:
			rateSum += sr.value
		case projectAmountFamily:
			amountSum += sr.value
		}
		if sr.family == rateBillableFamily || sr.family == billableAmountFamily {
			if c := sr.labels[0]; c != otherName {
				t.Errorf("%s: currency %q from a body whose currencies are all 5 characters", sr.family.name, c)
			}
		}
	}
	if rateSum != 50_000 || amountSum != 20_000 {
		t.Errorf("sums after capping: rates %g (want 50000), project amounts %g (want 20000)", rateSum, amountSum)
	}
	for in, want := range map[string]string{"USD": "USD", "eur": "EUR", " chf ": "CHF", "": otherName, " ": otherName, "usd": "USD", "US$": otherName, "DOLLARS": otherName, "€€€": otherName} {
		if got := currencyLabel(in); got != want {
			t.Errorf("currencyLabel(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestSummaryTagsCountOnce: a summary group whose tag ids repeat a tag counts it once, as
// a detailed row does.
func TestSummaryTagsCountOnce(t *testing.T) {
	a := newAggregator(config.Report{Breakdowns: []string{Tags}})
	a.SummaryGroup(&client.SummaryGroup{ID: 1, IDs: []int64{7, 8, 7}, SubGroups: []client.SummarySubGroup{{Title: "x", Seconds: 600}}})
	s := a.finish(&client.Report{Type: "summary", Block: client.BlockSummary, Dictionaries: testDictionaries(),
		Request: map[string]any{"grouping": "tags"}, Totals: &client.Totals{Seconds: 600}})
	for _, tag := range []string{"7", "8"} {
		if v, ok := value(s, tagTrackedFamily, tag); !ok || v != 600 {
			t.Errorf("tag %s = %v, %v; want 600", tag, v, ok)
		}
	}
}

// TestSummaryDimensionsFromRequest: a summary asked for by users and projects is read so
// even when Toggl echoes no grouping.
func TestSummaryDimensionsFromRequest(t *testing.T) {
	a := newAggregator(config.Report{Breakdowns: []string{Projects, Users, ProjectUsers}})
	a.SummaryGroup(&client.SummaryGroup{ID: 1, Names: []string{"Ada"}, SubGroups: []client.SummarySubGroup{{ID: 10, Title: "Website", Seconds: 600}}})
	s := a.finish(&client.Report{Type: "summary", Block: client.BlockSummary, Dictionaries: testDictionaries(),
		Request: map[string]any{"grouping": "users", "sub_grouping": "projects"}, Totals: &client.Totals{Seconds: 600}})
	for _, c := range []struct {
		f      *family
		labels []string
	}{{userTrackedFamily, []string{"1", "Ada"}}, {projectTrackedFamily, []string{"10", "Website"}}, {projectUserFamily, []string{"10", "1"}}} {
		if v, ok := value(s, c.f, c.labels...); !ok || v != 600 {
			t.Errorf("%s%v = %v, %v; want 600", c.f.name, c.labels, v, ok)
		}
	}
}

// TestAmountsPerCurrencyAreExact: per-currency amounts are seconds × rate, not rounded to
// cents.
func TestAmountsPerCurrencyAreExact(t *testing.T) {
	a := newAggregator(config.Report{})
	s := a.finish(&client.Report{Type: "detailed", Block: client.BlockDetailed, Totals: &client.Totals{Seconds: 2, Rates: []client.Rate{
		{BillableSeconds: 1, Currency: "usd", HourlyRateInCents: 1000}, {BillableSeconds: 1, Currency: "", HourlyRateInCents: 1000}}}})
	for _, c := range []string{"USD", otherName} {
		if v, ok := value(s, billableAmountFamily, c); !ok || v != 10.0/3600 {
			t.Errorf("amount %s = %v, %v; want %v", c, v, ok, 10.0/3600)
		}
	}
}

// TestTimeEntriesAndUntagged: each time entry counts once across pages, and the time of
// rows without a tag is the untagged time.
func TestTimeEntriesAndUntagged(t *testing.T) {
	a := newAggregator(config.Report{})
	at := time.Date(2025, 3, 3, 9, 0, 0, 0, time.UTC)
	rep := &client.Report{Type: "detailed", Block: client.BlockDetailed, Totals: &client.Totals{Seconds: 700}}
	a.DetailedRow(&client.DetailedRow{TagIDs: []int64{7}, TimeEntries: []client.TimeEntry{{ID: 1, Seconds: 100, Start: at}}})
	a.DetailedRow(&client.DetailedRow{TimeEntries: []client.TimeEntry{{ID: 2, Seconds: 200, Start: at.Add(time.Hour)}, {ID: 3, Seconds: 300, Start: at.Add(2 * time.Hour)}}})
	if _, more := a.endPage(rep, &client.Response{Next: at.Add(time.Hour).Unix()}); !more {
		t.Fatal("no next page")
	}
	a.DetailedRow(&client.DetailedRow{TimeEntries: []client.TimeEntry{{ID: 2, Seconds: 200, Start: at.Add(time.Hour)}, {ID: 3, Seconds: 300, Start: at.Add(2 * time.Hour)}}})
	a.DetailedRow(&client.DetailedRow{TimeEntries: []client.TimeEntry{{ID: 4, Seconds: 100, Start: at.Add(3 * time.Hour), Running: true}}})
	s := a.finish(rep)
	if v, ok := value(s, timeEntriesFamily); !ok || v != 4 {
		t.Errorf("time entries = %v, %v; want 4", v, ok)
	}
	if v, ok := value(s, untaggedFamily); !ok || v != 600 {
		t.Errorf("untagged = %v, %v; want 600", v, ok)
	}
}

// TestGroupedRowAmountAcrossPages: a grouped row that comes again on the next page with
// one entry already counted and one new adds the new entry's share of its amount only.
// Entries 1 and 2 (1 h each) on page 1 and 2 and 3 on page 2, at 10 EUR an hour: 30 EUR.
func TestGroupedRowAmountAcrossPages(t *testing.T) {
	a := newAggregator(config.Report{})
	at := time.Date(2025, 3, 3, 9, 0, 0, 0, time.UTC)
	entry := func(id int64, h int) client.TimeEntry {
		return client.TimeEntry{ID: id, Seconds: 3600, Start: at.Add(time.Duration(h) * time.Hour)}
	}
	row := func(entries ...client.TimeEntry) *client.DetailedRow {
		return &client.DetailedRow{ProjectID: 5, ProjectName: "Site", Billable: true, Currency: "EUR",
			BillableAmountInCents: int64(len(entries)) * 1000, TimeEntries: entries}
	}
	rep := &client.Report{Type: "detailed", Block: client.BlockDetailed, Totals: &client.Totals{Seconds: 3 * 3600}}
	a.DetailedRow(row(entry(1, 0), entry(2, 1)))
	if _, more := a.endPage(rep, &client.Response{Next: at.Add(time.Hour).Unix()}); !more {
		t.Fatal("no next page")
	}
	a.DetailedRow(row(entry(2, 1), entry(3, 2)))
	s := a.finish(rep)
	if v, ok := value(s, projectAmountFamily, "5", "Site", "EUR"); !ok || v != 30 {
		t.Errorf("project amount = %v, %v; want 30 (EUR)", v, ok)
	}
	if v, ok := value(s, projectTrackedFamily, "5", "Site"); !ok || v != 3*3600 {
		t.Errorf("project tracked = %v, %v; want %d", v, ok, 3*3600)
	}
}
