package collector

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/toggl-exporter/toggl_exporter/client"
	"github.com/toggl-exporter/toggl_exporter/config"
)

// snapshotCollector serves one snapshot as a healthy report named "r".
type snapshotCollector struct{ s *Snapshot }

func (c snapshotCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, f := range families {
		ch <- f.desc
	}
}

func (c snapshotCollector) Collect(ch chan<- prometheus.Metric) {
	at := time.Unix(1700000000, 0)
	series, err := seriesMetrics("r", c.s)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(trackedFamily.desc, err) // fails the gathering
	}
	collectState(ch, "r", &state{snap: c.s, series: series, lastSuccess: at, lastAttempt: at})
}

func i64(v int64) *int64 { return &v }

// dictionaries shared by the aggregation tests.
func testDictionaries() client.Dictionaries {
	return client.Dictionaries{
		Projects: map[int64]client.Project{
			10: {ID: 10, Name: "Website", ClientID: 100, EstimatedSeconds: 36000},
			11: {ID: 11, Name: "Internal"},
		},
		Clients: map[int64]client.Entity{100: {ID: 100, Name: "Acme"}},
		Users:   map[int64]client.Entity{1: {ID: 1, Name: "Ada"}, 2: {ID: 2, Name: "Bob"}},
		Tags:    map[int64]client.Entity{7: {ID: 7, Name: "dev"}, 8: {ID: 8, Name: "meeting"}},
		Tasks:   map[int64]client.Task{55: {ID: 55, Name: "Design", ProjectID: 10, EstimatedSeconds: 7200}},
	}
}

func TestAggregateDetailed(t *testing.T) {
	a := newAggregator(config.Report{Breakdowns: []string{Projects, Users, Clients, Tags, Tasks}})
	rows := []client.DetailedRow{
		// Two time entries already summed by the decoder; two tags; billable in USD.
		{UserID: 1, ProjectID: 10, TaskID: 55, Billable: true, BillableAmountInCents: 15000, Currency: "USD", TagIDs: []int64{7, 8}, Seconds: 5400},
		// No project; not billable.
		{UserID: 2, ProjectID: 0, Seconds: 1800},
		// Billable in EUR on another project.
		{UserID: 2, ProjectID: 11, Billable: true, BillableAmountInCents: 4550, Currency: "EUR", TagIDs: []int64{7}, Seconds: 3600},
		// A running entry with negative seconds must not lower anything.
		{UserID: 1, ProjectID: 10, Seconds: -1700000000},
	}
	for i := range rows {
		a.DetailedRow(&rows[i])
	}
	rep := &client.Report{
		Name: "Team week", Type: "detailed", Block: client.BlockDetailed, Public: true, Dictionaries: testDictionaries(),
		InputParams: map[string]any{"start_date": "2026-11-23", "end_date": "2026-11-29"},
		Totals: &client.Totals{
			Seconds: 10800, TrackedDays: 3, BillableAmountInCents: i64(19550), LabourCostInCents: i64(12345),
			Rates: []client.Rate{{BillableSeconds: 5400, Currency: "USD", HourlyRateInCents: 10000}, {BillableSeconds: 3600, Currency: "EUR", HourlyRateInCents: 4550}},
		},
	}
	s := a.finish(rep)
	want := `
# HELP toggl_report_billable_amount Billable amount in the report's period, in currency units. Cached: refreshed from Toggl at most every min_refresh_interval.
# TYPE toggl_report_billable_amount gauge
toggl_report_billable_amount{currency="EUR",report="r"} 45.5
toggl_report_billable_amount{currency="USD",report="r"} 150
# HELP toggl_report_billable_seconds Billable time in the report's period. Cached: refreshed from Toggl at most every min_refresh_interval.
# TYPE toggl_report_billable_seconds gauge
toggl_report_billable_seconds{report="r"} 9000
# HELP toggl_report_client_tracked_seconds Tracked time per client. Cached: refreshed from Toggl at most every min_refresh_interval.
# TYPE toggl_report_client_tracked_seconds gauge
toggl_report_client_tracked_seconds{client="(no client)",client_id="0",report="r"} 5400
toggl_report_client_tracked_seconds{client="Acme",client_id="100",report="r"} 5400
# HELP toggl_report_labour_cost Labour cost in the report's period, in currency units. Cached: refreshed from Toggl at most every min_refresh_interval.
# TYPE toggl_report_labour_cost gauge
toggl_report_labour_cost{report="r"} 123.45
# HELP toggl_report_project_billable_amount Billable amount per project, in currency units. Cached: refreshed from Toggl at most every min_refresh_interval.
# TYPE toggl_report_project_billable_amount gauge
toggl_report_project_billable_amount{client="",currency="EUR",project="Internal",project_id="11",report="r"} 45.5
toggl_report_project_billable_amount{client="Acme",currency="USD",project="Website",project_id="10",report="r"} 150
# HELP toggl_report_project_billable_seconds Billable time per project. Cached: refreshed from Toggl at most every min_refresh_interval.
# TYPE toggl_report_project_billable_seconds gauge
toggl_report_project_billable_seconds{client="",project="(no project)",project_id="0",report="r"} 0
toggl_report_project_billable_seconds{client="",project="Internal",project_id="11",report="r"} 3600
toggl_report_project_billable_seconds{client="Acme",project="Website",project_id="10",report="r"} 5400
# HELP toggl_report_project_estimated_seconds Estimated time of the project, from its settings in Toggl. Cached: refreshed from Toggl at most every min_refresh_interval.
# TYPE toggl_report_project_estimated_seconds gauge
toggl_report_project_estimated_seconds{project="Website",project_id="10",report="r"} 36000
# HELP toggl_report_project_tracked_seconds Tracked time per project. Cached: refreshed from Toggl at most every min_refresh_interval.
# TYPE toggl_report_project_tracked_seconds gauge
toggl_report_project_tracked_seconds{client="",project="(no project)",project_id="0",report="r"} 1800
toggl_report_project_tracked_seconds{client="",project="Internal",project_id="11",report="r"} 3600
toggl_report_project_tracked_seconds{client="Acme",project="Website",project_id="10",report="r"} 5400
# HELP toggl_report_rate_billable_seconds Billable time per currency and hourly rate (in currency units). Cached: refreshed from Toggl at most every min_refresh_interval.
# TYPE toggl_report_rate_billable_seconds gauge
toggl_report_rate_billable_seconds{currency="EUR",hourly_rate="45.5",report="r"} 3600
toggl_report_rate_billable_seconds{currency="USD",hourly_rate="100",report="r"} 5400
# HELP toggl_report_tag_tracked_seconds Tracked time per tag; an entry with several tags counts for each. Cached: refreshed from Toggl at most every min_refresh_interval.
# TYPE toggl_report_tag_tracked_seconds gauge
toggl_report_tag_tracked_seconds{report="r",tag="dev",tag_id="7"} 9000
toggl_report_tag_tracked_seconds{report="r",tag="meeting",tag_id="8"} 5400
# HELP toggl_report_task_estimated_seconds Estimated time of the task, from its settings in Toggl. Cached: refreshed from Toggl at most every min_refresh_interval.
# TYPE toggl_report_task_estimated_seconds gauge
toggl_report_task_estimated_seconds{project_id="10",report="r",task="Design",task_id="55"} 7200
# HELP toggl_report_task_tracked_seconds Tracked time per task. Cached: refreshed from Toggl at most every min_refresh_interval.
# TYPE toggl_report_task_tracked_seconds gauge
toggl_report_task_tracked_seconds{project_id="10",report="r",task="Design",task_id="55"} 5400
# HELP toggl_report_tracked_dates Days with tracked time in the report's period. Cached: refreshed from Toggl at most every min_refresh_interval.
# TYPE toggl_report_tracked_dates gauge
toggl_report_tracked_dates{report="r"} 3
# HELP toggl_report_tracked_seconds Tracked time in the report's period. Cached: refreshed from Toggl at most every min_refresh_interval.
# TYPE toggl_report_tracked_seconds gauge
toggl_report_tracked_seconds{report="r"} 10800
# HELP toggl_report_user_billable_seconds Billable time per user. Cached: refreshed from Toggl at most every min_refresh_interval.
# TYPE toggl_report_user_billable_seconds gauge
toggl_report_user_billable_seconds{report="r",user="Ada",user_id="1"} 5400
toggl_report_user_billable_seconds{report="r",user="Bob",user_id="2"} 3600
# HELP toggl_report_user_tracked_seconds Tracked time per user. Cached: refreshed from Toggl at most every min_refresh_interval.
# TYPE toggl_report_user_tracked_seconds gauge
toggl_report_user_tracked_seconds{report="r",user="Ada",user_id="1"} 5400
toggl_report_user_tracked_seconds{report="r",user="Bob",user_id="2"} 5400
`
	c := snapshotCollector{s}
	names := []string{
		"toggl_report_billable_amount", "toggl_report_billable_seconds", "toggl_report_client_tracked_seconds",
		"toggl_report_labour_cost", "toggl_report_project_billable_amount", "toggl_report_project_billable_seconds",
		"toggl_report_project_estimated_seconds", "toggl_report_project_tracked_seconds", "toggl_report_rate_billable_seconds",
		"toggl_report_tag_tracked_seconds", "toggl_report_task_estimated_seconds", "toggl_report_task_tracked_seconds",
		"toggl_report_tracked_dates", "toggl_report_tracked_seconds", "toggl_report_user_billable_seconds", "toggl_report_user_tracked_seconds",
	}
	if err := testutil.CollectAndCompare(c, strings.NewReader(want), names...); err != nil {
		t.Error(err)
	}
	if problems, err := testutil.CollectAndLint(c); err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %v", problems, err)
	}
}

// value returns the value of the one series of metric m whose labels include want, and
// whether there is one.
func value(s *Snapshot, m *family, want ...string) (float64, bool) {
	for _, sr := range s.series {
		if sr.family != m {
			continue
		}
		match := true
		for _, w := range want {
			found := false
			for _, l := range sr.labels {
				found = found || l == w
			}
			match = match && found
		}
		if match {
			return sr.value, true
		}
	}
	return 0, false
}

func count(s *Snapshot, m *family) int {
	n := 0
	for _, sr := range s.series {
		if sr.family == m {
			n++
		}
	}
	return n
}

func TestAggregateHiddenAmounts(t *testing.T) {
	a := newAggregator(config.Report{})
	a.DetailedRow(&client.DetailedRow{UserID: 1, ProjectID: 10, Billable: true, BillableAmountInCents: 100, Currency: "USD", Seconds: 60})
	s := a.finish(&client.Report{Type: "detailed", Block: client.BlockDetailed, HideAmounts: true, Dictionaries: testDictionaries(),
		Totals: &client.Totals{Seconds: 60, BillableAmountInCents: i64(100), LabourCostInCents: i64(50), Rates: []client.Rate{{BillableSeconds: 60, Currency: "USD", HourlyRateInCents: 6000}}}})
	for _, m := range []*family{billableAmountFamily, labourCostFamily, projectAmountFamily} {
		if n := count(s, m); n != 0 {
			t.Errorf("%s: %d series with hide_amounts set, want none", m.name, n)
		}
	}
	if v, ok := value(s, billableFamily); !ok || v != 60 {
		t.Errorf("billable seconds = %v, %v; want 60 (seconds are not amounts)", v, ok)
	}
}

func TestAggregateSingleCurrencyUsesTotal(t *testing.T) {
	a := newAggregator(config.Report{})
	s := a.finish(&client.Report{Type: "detailed", Block: client.BlockDetailed,
		Totals: &client.Totals{Seconds: 3600, BillableAmountInCents: i64(12345), Rates: []client.Rate{{BillableSeconds: 3600, Currency: "EUR", HourlyRateInCents: 10000}}}})
	if v, ok := value(s, billableAmountFamily, "EUR"); !ok || v != 123.45 {
		t.Errorf("billable amount = %v, %v; want 123.45 EUR from billable_amount_in_cents", v, ok)
	}
	// Absent amounts are absent, not zero.
	s = newAggregator(config.Report{}).finish(&client.Report{Type: "detailed", Block: client.BlockDetailed, Totals: &client.Totals{Seconds: 3600}})
	if n := count(s, billableAmountFamily) + count(s, labourCostFamily); n != 0 {
		t.Errorf("%d amount series without amounts in the report, want none", n)
	}
}

func TestAggregateWeekly(t *testing.T) {
	a := newAggregator(config.Report{Breakdowns: []string{Projects, Users, Clients, Tags, Tasks}})
	a.WeeklyRow(&client.WeeklyRow{UserID: 1, ProjectID: 10, Currency: "USD",
		Seconds: []int64{3600, 0, 1800, 0, 0, 0, 0}, BillableSeconds: []int64{3600, 0, 0, 0, 0, 0, 0}, BillableAmountsInCents: []int64{10000, 0, 0, 0, 0, 0, 0}})
	// An older API version appended a total element: it must not be counted twice.
	a.WeeklyRow(&client.WeeklyRow{UserID: 2, ProjectID: 0, Seconds: []int64{600, 600, 0, 0, 0, 0, 0, 1200}})
	s := a.finish(&client.Report{Type: "weekly", Block: client.BlockWeekly, Dictionaries: testDictionaries(), InputParams: map[string]any{"start_date": "2026-11-23"}})
	checks := []struct {
		m      *family
		labels []string
		want   float64
	}{
		{projectTrackedFamily, []string{"10"}, 5400},
		{projectBillableFamily, []string{"10"}, 3600},
		{projectAmountFamily, []string{"10", "USD"}, 100},
		{projectTrackedFamily, []string{"0", noProject}, 1200},
		{userTrackedFamily, []string{"Bob"}, 1200},
		{userBillableFamily, []string{"Ada"}, 3600},
		{clientTrackedFamily, []string{"Acme"}, 5400},
		{clientTrackedFamily, []string{noClient}, 1200},
	}
	for _, c := range checks {
		if v, ok := value(s, c.m, c.labels...); !ok || v != c.want {
			t.Errorf("%s%v = %v (present %v), want %v", c.m.name, c.labels, v, ok, c.want)
		}
	}
	// Weekly rows carry neither tags nor tasks: those breakdowns are absent, not zero.
	if n := count(s, tagTrackedFamily) + count(s, taskTrackedFamily); n != 0 {
		t.Errorf("%d tag/task series from a weekly report, want none", n)
	}
	if s.StartDate != "2026-11-23" {
		t.Errorf("start date %q", s.StartDate)
	}
}

func TestAggregateSummary(t *testing.T) {
	groups := []client.SummaryGroup{
		{ID: 100, SubGroups: []client.SummarySubGroup{
			{ID: 10, Seconds: 3000, Rates: []client.Rate{{BillableSeconds: 2000, Currency: "USD", HourlyRateInCents: 10000}}},
			{ID: 11, Seconds: 600},
		}},
		{ID: 0, SubGroups: []client.SummarySubGroup{{ID: 0, Seconds: 400}}},
	}
	a := newAggregator(config.Report{Breakdowns: []string{Projects, Users, Clients}})
	for i := range groups {
		a.SummaryGroup(&groups[i])
	}
	groups[0].SubGroups[0].Seconds = 999999 // the aggregator must have copied what it keeps
	s := a.finish(&client.Report{Type: "summary", Block: client.BlockSummary, Dictionaries: testDictionaries(),
		InputParams: map[string]any{"grouping": "clients", "sub_grouping": "projects"}})
	checks := []struct {
		m      *family
		labels []string
		want   float64
	}{
		{clientTrackedFamily, []string{"100", "Acme"}, 3600},
		{clientTrackedFamily, []string{"0", noClient}, 400},
		{projectTrackedFamily, []string{"10", "Website"}, 3000},
		{projectTrackedFamily, []string{"11", "Internal"}, 600},
		{projectTrackedFamily, []string{"0", noProject}, 400},
	}
	for _, c := range checks {
		if v, ok := value(s, c.m, c.labels...); !ok || v != c.want {
			t.Errorf("%s%v = %v (present %v), want %v", c.m.name, c.labels, v, ok, c.want)
		}
	}
	if n := count(s, userTrackedFamily); n != 0 {
		t.Errorf("%d user series from a summary grouped by clients and projects, want none", n)
	}
}

func TestAggregateSummaryDefaultsAndTags(t *testing.T) {
	// Default grouping: projects by time entries (no sub-group dimension).
	a := newAggregator(config.Report{Breakdowns: []string{Projects, Tags}})
	a.SummaryGroup(&client.SummaryGroup{ID: 10, SubGroups: []client.SummarySubGroup{{Title: "coding", Seconds: 100}, {Title: "review", Seconds: 50}}})
	s := a.finish(&client.Report{Type: "summary", Block: client.BlockSummary, Dictionaries: testDictionaries()})
	if v, ok := value(s, projectTrackedFamily, "Website"); !ok || v != 150 {
		t.Errorf("project seconds = %v, %v; want 150 summed from sub-groups", v, ok)
	}
	// Tag grouping: a group lists several tag ids; each counts the group's time.
	a = newAggregator(config.Report{Breakdowns: []string{Tags}})
	a.SummaryGroup(&client.SummaryGroup{IDs: []int64{7, 8}, SubGroups: []client.SummarySubGroup{{Seconds: 100}}})
	a.SummaryGroup(&client.SummaryGroup{SubGroups: []client.SummarySubGroup{{Seconds: 40}}}) // untagged
	s = a.finish(&client.Report{Type: "summary", Block: client.BlockSummary, Dictionaries: testDictionaries(), SavedParams: map[string]any{"grouping": "tags"}})
	if v, ok := value(s, tagTrackedFamily, "meeting"); !ok || v != 100 {
		t.Errorf("tag seconds = %v, %v; want 100", v, ok)
	}
	if n := count(s, tagTrackedFamily); n != 2 {
		t.Errorf("%d tag series, want 2 (untagged time is no tag)", n)
	}
}

func TestAggregateFolding(t *testing.T) {
	a := newAggregator(config.Report{Breakdowns: []string{Projects}, MaxSeriesPerBreakdown: 3})
	var total int64
	for id := int64(1); id <= 10; id++ {
		a.DetailedRow(&client.DetailedRow{ProjectID: id, UserID: 1, Seconds: id * 100})
		total += id * 100
	}
	s := a.finish(&client.Report{Type: "detailed", Block: client.BlockDetailed})
	if n := count(s, projectTrackedFamily); n != 3 {
		t.Fatalf("%d project series, want 3 (2 largest + other)", n)
	}
	var sum float64
	for _, sr := range s.series {
		if sr.family == projectTrackedFamily {
			sum += sr.value
		}
	}
	if sum != float64(total) {
		t.Errorf("folded series sum to %v, want the total %d", sum, total)
	}
	if v, _ := value(s, projectTrackedFamily, otherID, otherName); v != 100+200+300+400+500+600+700+800 {
		t.Errorf("(other) = %v", v)
	}
	if v, ok := value(s, foldedFamily, Projects); !ok || v != 8 {
		t.Errorf("folded = %v, %v; want 8", v, ok)
	}
}

func TestAggregateSameNameProjects(t *testing.T) {
	a := newAggregator(config.Report{Breakdowns: []string{Projects}})
	a.DetailedRow(&client.DetailedRow{ProjectID: 1, Seconds: 10})
	a.DetailedRow(&client.DetailedRow{ProjectID: 2, Seconds: 20})
	dict := client.Dictionaries{Projects: map[int64]client.Project{1: {ID: 1, Name: "Same"}, 2: {ID: 2, Name: "Same"}}}
	c := snapshotCollector{a.finish(&client.Report{Type: "detailed", Block: client.BlockDetailed, Dictionaries: dict})}
	// Gathering fails on duplicate series; the ids keep them apart.
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(c)
	if _, err := reg.Gather(); err != nil {
		t.Fatal(err)
	}
}

func TestLabelValue(t *testing.T) {
	long := strings.Repeat("é", 300)
	tests := []struct{ in, want string }{
		{"plain", "plain"},
		{"quote \" and \\ backslash", "quote \" and \\ backslash"},
		{"new\nline\ttab", "new line tab"},
		{"bad \xff utf8", "bad \uFFFD utf8"},
	}
	for _, tc := range tests {
		if got := LabelValue(tc.in); got != tc.want {
			t.Errorf("LabelValue(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	got := LabelValue(long)
	if len(got) > maxLabelBytes || !strings.HasSuffix(got, "…") || !strings.HasPrefix(long, strings.TrimSuffix(got, "…")) {
		t.Errorf("long name cut to %d bytes: %q", len(got), got)
	}
}

func TestAggregateUsesTheReportsBlockOnly(t *testing.T) {
	// Should Toggl fill two result blocks, rows of the other one must not be mixed in.
	a := newAggregator(config.Report{})
	a.DetailedRow(&client.DetailedRow{ProjectID: 10, UserID: 1, Seconds: 100})
	a.WeeklyRow(&client.WeeklyRow{ProjectID: 10, UserID: 1, Seconds: []int64{999}})
	s := a.finish(&client.Report{Type: "weekly", Block: client.BlockWeekly, Dictionaries: testDictionaries()})
	if v, ok := value(s, projectTrackedFamily, "10"); !ok || v != 999 {
		t.Errorf("project seconds = %v, %v; want 999 from the weekly block only", v, ok)
	}
	if s.Entities != 1 {
		t.Errorf("entities = %d, want 1", s.Entities)
	}
}
