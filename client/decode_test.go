package client

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// recorder is a Sink that keeps copies of everything it is handed (the decoder reuses
// the rows and their slices).
type recorder struct {
	detailed []DetailedRow
	weekly   []WeeklyRow
	groups   []SummaryGroup
}

func (r *recorder) DetailedRow(row *DetailedRow) {
	c := *row
	c.TagIDs, c.TimeEntries = slices.Clone(row.TagIDs), slices.Clone(row.TimeEntries)
	r.detailed = append(r.detailed, c)
}

func (r *recorder) WeeklyRow(row *WeeklyRow) {
	c := *row
	c.Seconds, c.BillableSeconds = slices.Clone(row.Seconds), slices.Clone(row.BillableSeconds)
	c.BillableAmountsInCents = slices.Clone(row.BillableAmountsInCents)
	r.weekly = append(r.weekly, c)
}

func (r *recorder) SummaryGroup(g *SummaryGroup) {
	c := *g
	c.IDs, c.Names, c.SubGroups = slices.Clone(g.IDs), slices.Clone(g.Names), slices.Clone(g.SubGroups)
	for i, sg := range c.SubGroups {
		c.SubGroups[i].IDs, c.SubGroups[i].Rates = slices.Clone(sg.IDs), slices.Clone(sg.Rates)
	}
	r.groups = append(r.groups, c)
}

// utc is the time of an RFC 3339 string, for expected values.
func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

func ptr(n int64) *int64 { return &n }

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// decodeCase is the exact expected outcome of decoding one fixture.
type decodeCase struct {
	fixture    string
	report     Report
	detailed   []DetailedRow
	weekly     []WeeklyRow
	groups     []SummaryGroup
	grouping   [2]string
	dates      [2]string
	daySeconds []int64 // DaySum of each weekly row's Seconds
}

var usdRate = Rate{BillableSeconds: 5400, Currency: "USD", HourlyRateInCents: 10000}

var decodeCases = []decodeCase{
	{
		fixture: "detailed.json",
		report: Report{
			Name: "Team detailed", Type: "detailed", Public: true,
			InputParams: map[string]any{
				"start_date": "2025-06-02", "end_date": "2025-06-08", "grouped": true,
				"project_ids": []any{101.0, 102.0},
			},
			SavedParams: map[string]any{"start_date": "2025-01-01", "end_date": "2025-01-31", "period": "custom"},
			Dictionaries: Dictionaries{
				Projects: map[int64]Project{
					101: {ID: 101, Name: "Website", ClientID: 201, Currency: "USD", EstimatedSeconds: 144000},
					102: {ID: 102, Name: "Backend", Currency: "EUR"},
				},
				Clients: map[int64]Entity{201: {ID: 201, Name: "Acme Corp"}},
				Users: map[int64]Entity{
					301: {ID: 301, Name: "Ada Lovelace"},
					302: {ID: 302, Name: "Bob Builder"},
				},
				Tasks: map[int64]Task{401: {ID: 401, Name: "Landing page", ProjectID: 101, EstimatedSeconds: 36000}},
				Tags: map[int64]Entity{
					601: {ID: 601, Name: "meeting"},
					602: {ID: 602, Name: "urgent"},
				},
				UserGroups: map[int64]Entity{501: {ID: 501, Name: "Engineering"}},
			},
			Totals: &Totals{
				Seconds: 7200, TrackedDays: 4, BillableAmountInCents: ptr(17000), LabourCostInCents: ptr(48000),
				Rates: []Rate{
					usdRate,
					{BillableSeconds: 1200, Currency: "EUR", HourlyRateInCents: 6000},
				},
			},
			Block: "detailed",
		},
		detailed: []DetailedRow{
			{UserID: 301, Username: "Ada Lovelace", ProjectID: 101, TaskID: 401, Billable: true,
				BillableAmountInCents: 15000, HourlyRateInCents: 10000, Currency: "USD",
				TagIDs: []int64{601, 602}, Seconds: 5400, TimeEntries: []TimeEntry{
					{ID: 9001, Seconds: 3600, Start: utc("2025-06-02T09:00:00Z")},
					{ID: 9002, Seconds: 1800, Start: utc("2025-06-03T09:00:00Z")},
				}},
			{UserID: 302, Username: "Bob Builder", Seconds: 600, TimeEntries: []TimeEntry{
				{ID: 9003, Seconds: 600, Start: utc("2025-06-04T11:00:00Z")},
			}},
			// A running entry (negative seconds) and one with null seconds add nothing.
			{UserID: 301, Username: "Ada Lovelace", ProjectID: 102, Billable: true,
				BillableAmountInCents: 2000, HourlyRateInCents: 6000, Currency: "EUR",
				Seconds: 1200, TimeEntries: []TimeEntry{
					{ID: 9004, Seconds: 1200, Start: utc("2025-06-05T08:00:00Z")},
					{ID: 9005, Seconds: -1749110400, Start: utc("2025-06-05T09:00:00Z"), Running: true, NoStop: true},
					{ID: 9006, Start: utc("2025-06-05T09:05:00Z"), Running: true, NoStop: true, NoSeconds: true},
				}},
		},
		grouping: [2]string{"projects", "time_entries"},
		dates:    [2]string{"2025-06-02", "2025-06-08"},
	},
	{
		fixture: "detailed_hidden_amounts.json",
		report: Report{
			Name: "Hidden amounts", Type: "detailed", HideAmounts: true,
			SavedParams: map[string]any{"start_date": "2025-06-01", "end_date": "2025-06-30"},
			Dictionaries: Dictionaries{
				Projects: map[int64]Project{101: {ID: 101, Name: "Website"}},
				Users:    map[int64]Entity{301: {ID: 301, Name: "Ada Lovelace"}},
			},
			Totals: &Totals{Seconds: 900, TrackedDays: 1, Rates: []Rate{{BillableSeconds: 900}}},
			Block:  "detailed",
		},
		detailed: []DetailedRow{
			// No stop: by toggl-api.md, a running entry.
			{UserID: 301, Username: "Ada Lovelace", ProjectID: 101, Billable: true, Seconds: 900,
				TimeEntries: []TimeEntry{{ID: 1, Seconds: 900, Running: true, NoStop: true}}},
		},
		grouping: [2]string{"projects", "time_entries"},
		dates:    [2]string{"2025-06-01", "2025-06-30"},
	},
	{
		fixture: "summary_array.json",
		report: Report{
			Name: "Summary by project", Type: "summary", Public: true,
			InputParams: map[string]any{"start_date": "2025-06-01", "end_date": "2025-06-30"},
			SavedParams: map[string]any{"grouping": "projects", "sub_grouping": "time_entries"},
			Dictionaries: Dictionaries{
				Projects: map[int64]Project{101: {ID: 101, Name: "Website", ClientID: 201}},
				Clients:  map[int64]Entity{201: {ID: 201, Name: "Acme Corp"}},
			},
			Totals: &Totals{Seconds: 6900, TrackedDays: 3, BillableAmountInCents: ptr(15000), LabourCostInCents: ptr(0),
				Rates: []Rate{usdRate}},
			Block: "summary",
		},
		groups: []SummaryGroup{
			{ID: 101, Names: []string{"Website"}, SubGroups: []SummarySubGroup{
				{IDs: []int64{9001, 9002}, Title: "Build landing page", Seconds: 5400, Rates: []Rate{usdRate}},
				{Title: "Review", Seconds: 900},
			}},
			{Names: []string{"(no project)"}, SubGroups: []SummarySubGroup{{Seconds: 600}}},
		},
		grouping: [2]string{"projects", "time_entries"},
		dates:    [2]string{"2025-06-01", "2025-06-30"},
	},
	{
		fixture: "summary_map.json",
		report: Report{
			Name: "Summary, sub-groups as a map", Type: "summary",
			InputParams: map[string]any{"grouping": "users", "sub_grouping": "projects"},
			Totals:      &Totals{Seconds: 10800, TrackedDays: 2},
			Block:       "summary",
		},
		groups: []SummaryGroup{
			// Numeric keys in numeric order; a key gives the id only when the id field is absent.
			{ID: 301, Names: []string{"Ada Lovelace"}, SubGroups: []SummarySubGroup{
				{Title: "(no project)", Seconds: 1200},
				{ID: 101, Title: "Website", Seconds: 1800},
				{ID: 102, Title: "Backend", Seconds: 3600},
			}},
			// A non-numeric key is the title when the title field is absent.
			{ID: 302, Names: []string{"Bob Builder"}, SubGroups: []SummarySubGroup{{Title: "Email", Seconds: 4200}}},
		},
		grouping: [2]string{"users", "projects"},
	},
	{
		fixture: "summary_clients.json",
		report: Report{
			Name: "Summary by client", Type: "summary",
			InputParams: map[string]any{"grouping": "clients", "sub_grouping": "users"},
			SavedParams: map[string]any{"grouping": "projects", "sub_grouping": "time_entries", "start_date": "2025-05-01", "end_date": "2025-05-31"},
			Dictionaries: Dictionaries{
				Clients: map[int64]Entity{201: {ID: 201, Name: "Acme Corp"}},
				Users:   map[int64]Entity{301: {ID: 301, Name: "Ada Lovelace"}, 302: {ID: 302, Name: "Bob Builder"}},
			},
			Totals: &Totals{Seconds: 11400, TrackedDays: 5},
			Block:  "summary",
		},
		groups: []SummaryGroup{
			{ID: 201, Names: []string{"Acme Corp"}, SubGroups: []SummarySubGroup{
				{ID: 301, Title: "Ada Lovelace", Seconds: 7200},
				{ID: 302, Title: "Bob Builder", Seconds: 3600},
			}},
			{Names: []string{"(no client)"}, SubGroups: []SummarySubGroup{{ID: 302, Title: "Bob Builder", Seconds: 600}}},
		},
		grouping: [2]string{"clients", "users"},
		dates:    [2]string{"2025-05-01", "2025-05-31"},
	},
	{
		fixture: "summary_users.json",
		report: Report{
			Name: "Summary by user, tags", Type: "summary",
			InputParams: map[string]any{},
			SavedParams: map[string]any{"grouping": "users", "sub_grouping": "tasks"},
			Totals:      &Totals{Seconds: 3600, TrackedDays: 1},
			Block:       "summary",
		},
		groups: []SummaryGroup{
			{ID: 301, IDs: []int64{601, 602}, Names: []string{"Ada Lovelace"}, SubGroups: []SummarySubGroup{
				{ID: 401, Title: "Landing page", Seconds: 3000},
				{Seconds: 600},
			}},
		},
		grouping: [2]string{"users", "tasks"},
	},
	{
		fixture: "weekly.json",
		report: Report{
			Name: "Weekly", Type: "weekly", Public: true,
			InputParams: map[string]any{"start_date": "2025-06-02"},
			Dictionaries: Dictionaries{
				Projects: map[int64]Project{101: {ID: 101, Name: "Website"}},
				Users:    map[int64]Entity{301: {ID: 301, Name: "Ada Lovelace"}},
			},
			Totals: &Totals{Seconds: 13200, TrackedDays: 4, BillableAmountInCents: ptr(20000),
				Rates: []Rate{{BillableSeconds: 7200, Currency: "USD", HourlyRateInCents: 10000}}},
			Block: "weekly",
		},
		weekly: []WeeklyRow{
			{UserID: 301, UserName: "Ada Lovelace", ProjectID: 101, ProjectName: "Website", ClientName: "Acme Corp",
				Currency: "USD", HourlyRateInCents: 10000,
				Seconds:                []int64{3600, 7200, 0, 0, 1800, 0, 0},
				BillableSeconds:        []int64{3600, 3600, 0, 0, 0, 0, 0},
				BillableAmountsInCents: []int64{10000, 10000, 0, 0, 0, 0, 0}},
			{UserID: 302, UserName: "Bob Builder", Seconds: []int64{0, 0, 600, 0, 0, 0, 0}},
		},
		grouping:   [2]string{"projects", "time_entries"},
		dates:      [2]string{"2025-06-02", ""},
		daySeconds: []int64{12600, 600},
	},
	{
		fixture: "weekly_strings.json",
		report: Report{
			Name: "Weekly, per-day fields as strings", Type: "weekly",
			Totals: &Totals{Seconds: 5400, TrackedDays: 2},
			Block:  "weekly",
		},
		weekly: []WeeklyRow{
			{UserID: 301, UserName: "Ada Lovelace", ProjectID: 101,
				Seconds:         []int64{3600, 0, 0, 1800, 0, 0, 0},
				BillableSeconds: []int64{3600, 0, 0, 0, 0, 0, 0}},
		},
		grouping:   [2]string{"projects", "time_entries"},
		daySeconds: []int64{5400},
	},
	{
		fixture: "weekly_total.json",
		report: Report{
			Name: "Weekly, older API with a trailing total", Type: "weekly",
			Totals: &Totals{Seconds: 7200, TrackedDays: 2},
			Block:  "weekly",
		},
		weekly: []WeeklyRow{
			{UserID: 301, UserName: "Ada Lovelace", ProjectID: 101,
				Seconds:                []int64{3600, 3600, 0, 0, 0, 0, 0, 7200},
				BillableSeconds:        []int64{3600, 0, 0, 0, 0, 0, 0, 3600},
				BillableAmountsInCents: []int64{1000, 0, 0, 0, 0, 0, 0, 1000}},
		},
		grouping:   [2]string{"projects", "time_entries"},
		daySeconds: []int64{7200},
	},
	{
		fixture: "detailed_running.json",
		report: Report{
			Name: "Timers running", Type: "detailed", Public: true,
			Dictionaries: Dictionaries{
				Projects: map[int64]Project{101: {ID: 101, Name: "Website"}},
				Users:    map[int64]Entity{301: {ID: 301, Name: "Ada Lovelace"}, 302: {ID: 302, Name: "Bob Builder"}},
			},
			Totals: &Totals{Seconds: 4200, TrackedDays: 1},
			Block:  "detailed",
		},
		detailed: []DetailedRow{
			// A running entry (stop null, negative seconds) is kept as sent and adds nothing.
			{UserID: 301, Username: "Ada Lovelace", ProjectID: 101, Seconds: 3600, TimeEntries: []TimeEntry{
				{ID: 9101, Seconds: 3600, Start: utc("2025-06-05T07:00:00Z")},
				{ID: 9102, Seconds: -1749114000, Start: utc("2025-06-05T09:00:00.25Z"), Running: true, NoStop: true},
			}},
			// seconds null and no stop: running; start as Unix seconds, id as a string.
			{UserID: 302, Username: "Bob Builder", TimeEntries: []TimeEntry{
				{ID: 9103, Start: time.Unix(1749114000, 0).UTC(), Running: true, NoStop: true, NoSeconds: true},
			}},
			// A start with an offset is in UTC.
			{UserID: 302, Username: "Bob Builder", ProjectID: 101, Seconds: 600, TimeEntries: []TimeEntry{
				{ID: 9104, Seconds: 600, Start: utc("2025-06-05T09:30:00Z")},
			}},
		},
		grouping: [2]string{"projects", "time_entries"},
	},
	{
		fixture: "loose.json",
		report: Report{
			Name: "Loose numbers", Type: "detailed", Public: true,
			Dictionaries: Dictionaries{
				// estimated_seconds is null: 1.5 estimated_hours are used instead.
				Projects: map[int64]Project{101: {ID: 101, Name: "Website", ClientID: 201, EstimatedSeconds: 5400}},
				Clients:  map[int64]Entity{201: {ID: 201, Name: "Acme"}},
				Users:    map[int64]Entity{301: {ID: 301, Name: "Ada"}},
				Tasks:    map[int64]Task{401: {ID: 401, Name: "7", ProjectID: 101}},
				Tags:     map[int64]Entity{601: {ID: 601, Name: "meeting"}, 602: {ID: 602, Name: "urgent"}},
			},
			Totals: &Totals{Seconds: 5400, TrackedDays: 2, BillableAmountInCents: ptr(1500), LabourCostInCents: ptr(1000),
				Rates: []Rate{{BillableSeconds: 5400, Currency: "USD", HourlyRateInCents: 1000}}},
			Block:   "detailed",
			Unknown: []string{"detailed_results.extra", "detailed_results.report[].something_new", "detailed_results.totals.unknown_total", "dictionaries.brand_new", "unknown_top_level"},
		},
		detailed: []DetailedRow{
			{UserID: 301, Username: "Ada", ProjectID: 101, Billable: true, BillableAmountInCents: 1500,
				HourlyRateInCents: 1000, Currency: "USD", TagIDs: []int64{601, 602}, Seconds: 5400,
				TimeEntries: []TimeEntry{{Seconds: 3600, Running: true, NoStop: true}, {Seconds: 1800, Running: true, NoStop: true}}},
		},
		grouping: [2]string{"projects", "time_entries"},
	},
}

func TestDecodeFixtures(t *testing.T) {
	for _, tc := range decodeCases {
		t.Run(tc.fixture, func(t *testing.T) {
			rec := &recorder{}
			rep, err := Decode(bytes.NewReader(readFixture(t, tc.fixture)), rec)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			assertReport(t, rep, &tc.report)
			assertEqual(t, "detailed rows", rec.detailed, tc.detailed)
			assertEqual(t, "weekly rows", rec.weekly, tc.weekly)
			assertEqual(t, "summary groups", rec.groups, tc.groups)
			g, sg := rep.Grouping()
			assertEqual(t, "Grouping()", [2]string{g, sg}, tc.grouping)
			s, e := rep.Dates()
			assertEqual(t, "Dates()", [2]string{s, e}, tc.dates)
			var sums []int64
			for _, row := range rec.weekly {
				sums = append(sums, DaySum(row.Seconds))
			}
			assertEqual(t, "DaySum(weekly Seconds)", sums, tc.daySeconds)
		})
	}
}

// TestDecodeNilSink checks that rows are decoded and discarded without a sink.
func TestDecodeNilSink(t *testing.T) {
	for _, tc := range decodeCases {
		rep, err := Decode(bytes.NewReader(readFixture(t, tc.fixture)), nil)
		if err != nil {
			t.Fatalf("%s: %v", tc.fixture, err)
		}
		assertReport(t, rep, &tc.report)
	}
}

func assertReport(t *testing.T, got, want *Report) {
	t.Helper()
	assertEqual(t, "Report.Totals", got.Totals, want.Totals)
	assertEqual(t, "Report.Dictionaries", got.Dictionaries, want.Dictionaries)
	assertEqual(t, "Report", *got, *want)
}

func assertEqual(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got: %s\nwant: %s", what, show(got), show(want))
	}
}

// show prints a value with pointers followed, for readable failures.
func show(v any) string {
	switch x := v.(type) {
	case *Totals:
		if x == nil {
			return "nil"
		}
		return fmt.Sprintf("&%+v (amount %s, labour %s)", *x, showPtr(x.BillableAmountInCents), showPtr(x.LabourCostInCents))
	case Report:
		return fmt.Sprintf("%+v totals=%s", x, show(x.Totals))
	}
	return fmt.Sprintf("%+v", v)
}

func showPtr(p *int64) string {
	if p == nil {
		return "nil"
	}
	return fmt.Sprint(*p)
}

func TestDecodeBlockChoice(t *testing.T) {
	tests := []struct {
		name      string
		body      string
		block     string
		seconds   int64 // Totals.Seconds
		rows      int   // rows of every kind handed to the sink
		grouping  string
		subGroup  string
		startDate string
	}{
		{
			name:    "report_type picks among non-null blocks",
			body:    `{"detailed_results":{"report":[],"totals":{"seconds":1}},"report_type":"summary","summary_results":{"report":{"groups":[]},"totals":{"seconds":2}},"weekly_results":{"totals":{"seconds":3}}}`,
			block:   "summary",
			seconds: 2, grouping: "projects", subGroup: "time_entries",
		},
		{
			name:    "the only non-null block wins over report_type",
			body:    `{"report_type":"detailed","detailed_results":null,"weekly_results":{"report":[{"seconds":[1]}],"totals":{"seconds":1}}}`,
			block:   "weekly",
			seconds: 1, rows: 1, grouping: "projects", subGroup: "time_entries",
		},
		{
			name:    "a block with totals wins over one without",
			body:    `{"report_type":"","summary_results":{},"detailed_results":{"report":[{"time_entries":[{"seconds":5}]}],"totals":{"seconds":5}}}`,
			block:   "detailed",
			seconds: 5, rows: 1, grouping: "projects", subGroup: "time_entries",
		},
		{
			name:    "an empty report with totals is a report",
			body:    `{"report_type":"detailed","detailed_results":{"report":[],"totals":{"seconds":0}}}`,
			block:   "detailed",
			seconds: 0, grouping: "projects", subGroup: "time_entries",
		},
		{
			name:    "report_type is matched without case and space",
			body:    `{"report_type":" Summary ","summary_results":{"totals":{"seconds":9}},"detailed_results":{"totals":{"seconds":8}}}`,
			block:   "summary",
			seconds: 9, grouping: "projects", subGroup: "time_entries",
		},
		{
			name:    "summary report given as the groups array",
			body:    `{"report_type":"summary","summary_results":{"report":[{"id":1,"sub_groups":[{"seconds":3}]}],"totals":{"seconds":3}}}`,
			block:   "summary",
			seconds: 3, rows: 1, grouping: "projects", subGroup: "time_entries",
		},
		{
			name:    "params: input wins, blanks fall through, case folded",
			body:    `{"report_type":"summary","input_params":{"grouping":" ","sub_grouping":"Users","start_date":""},"saved_params":{"grouping":"clients","start_date":"2025-01-01"},"summary_results":{"totals":{}}}`,
			block:   "summary",
			seconds: 0, grouping: "clients", subGroup: "users", startDate: "2025-01-01",
		},
		{
			name:    "params of the wrong type are ignored",
			body:    `{"report_type":"summary","input_params":{"grouping":7,"start_date":["2025"]},"summary_results":{"totals":{}}}`,
			block:   "summary",
			seconds: 0, grouping: "projects", subGroup: "time_entries",
		},
		{
			name:    "a param named twice: the last value wins, whatever the types",
			body:    `{"report_type":"summary","input_params":{"grouping":{"a":1},"grouping":"Users","start_date":true,"start_date":"2025-02-01"},"summary_results":{"totals":{}}}`,
			block:   "summary",
			seconds: 0, grouping: "users", subGroup: "time_entries", startDate: "2025-02-01",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := &recorder{}
			rep, err := Decode(strings.NewReader(tc.body), rec)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Block != tc.block {
				t.Errorf("Block = %q, want %q", rep.Block, tc.block)
			}
			if rep.Totals == nil || rep.Totals.Seconds != tc.seconds {
				t.Errorf("Totals = %s, want seconds %d", show(rep.Totals), tc.seconds)
			}
			if n := len(rec.detailed) + len(rec.weekly) + len(rec.groups); n != tc.rows {
				t.Errorf("sink got %d rows, want %d", n, tc.rows)
			}
			g, sg := rep.Grouping()
			if g != tc.grouping || sg != tc.subGroup {
				t.Errorf("Grouping() = %q, %q, want %q, %q", g, sg, tc.grouping, tc.subGroup)
			}
			if s, _ := rep.Dates(); s != tc.startDate {
				t.Errorf("Dates() start = %q, want %q", s, tc.startDate)
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name string
		body string
		want string // the exact Message, or its start when it ends with "*"
	}{
		{"empty", "", "decode: empty body, expected a JSON report"},
		{"blank", " \n\t ", "decode: empty body, expected a JSON report"},
		{"html", "<!DOCTYPE html>\n<html><body>Maintenance</body></html>", "decode: the body is not JSON (it starts with '<': an HTML page?)*"},
		{"array", `[{"report_type":"detailed"}]`, "decode: expected a JSON object at the top level, got array"},
		{"string", `"detailed"`, `decode: expected a JSON object at the top level, got string "detailed"`},
		{"number", `42`, `decode: expected a JSON object at the top level, got number 42`},
		{"null", `null`, `decode: expected a JSON object at the top level, got null`},
		// A 200 that is not a report (SPEC "Fetch semantics").
		{"empty object", `{}`, noTotals},
		{"foreign object", `{"error":"maintenance","code":503}`, noTotals},
		{"null blocks", string(readFixture(t, "null_blocks.json")), noTotals},
		{"absent blocks", string(readFixture(t, "absent_blocks.json")), noTotals},
		{"chosen block without totals", `{"report_type":"weekly","weekly_results":{"report":[]},"detailed_results":{"totals":{"seconds":1}}}`, noTotals},
		{"null totals", `{"detailed_results":{"report":[{"time_entries":[{"seconds":5}]}],"totals":null}}`, noTotals},
		{"empty block", `{"report_type":"weekly","weekly_results":{}}`, noTotals},
		{"truncated top level", `{"report_type":"detailed","report_name":"x"`, "decode: truncated JSON: the body ends at byte 43"},
		{"truncated in a row", `{"report_type":"detailed","detailed_results":{"report":[{"user_id":1,"time_ent`, "decode detailed_results.report[0]: truncated JSON: the body ends at byte 78"},
		{"truncated between rows", `{"detailed_results":{"report":[{"user_id":1},`, "decode detailed_results.report[1]: truncated JSON: the body ends at byte 45"},
		{"syntax", `{"report_type":"detailed",}`, "decode: invalid JSON at byte 25: invalid character ',' at start of value"},
		{"syntax in a row", `{"detailed_results":{"report":[{"user_id":1,,}]}}`, "decode detailed_results.report[0]: invalid JSON at byte 44: invalid character ',' at start of value"},
		{"trailing object", `{"report_type":"detailed"} {}`, "decode: unexpected object after the report object"},
		{"trailing garbage", `{"report_type":"detailed"} x`, "decode: invalid JSON at byte 27: invalid character 'x' at start of value"},
		{"block is a string", `{"report_type":"detailed","detailed_results":"none"}`, `decode detailed_results: expected an object, got string "none"`},
		{"block is an array", `{"weekly_results":[]}`, `decode weekly_results: expected an object, got array`},
		{"rows are an object", `{"detailed_results":{"report":{"0":{}}}}`, `decode detailed_results.report: expected an array, got object`},
		{"groups are a number", `{"summary_results":{"report":{"groups":5}}}`, `decode summary_results.report.groups: expected an array, got number 5`},
		{"summary report is a string", `{"summary_results":{"report":"x"}}`, `decode summary_results.report: expected an object, got string "x"`},
		{"row is a string", `{"detailed_results":{"report":[{},"row"]}}`, `decode detailed_results.report[1]: expected an object, got string "row"`},
		{"id is an object", `{"detailed_results":{"report":[{},{},{},{"user_id":{}}]}}`, `decode detailed_results.report[3].user_id: expected an integer, got object`},
		{"fractional seconds", `{"detailed_results":{"report":[{"time_entries":[{"seconds":1.5}]}]}}`, `decode detailed_results.report[0].time_entries[0].seconds: expected an integer, got number 1.5`},
		{"huge number", `{"detailed_results":{"report":[{"user_id":1e300}]}}`, `decode detailed_results.report[0].user_id: expected an integer, got number 1e300`},
		{"time entries a number", `{"detailed_results":{"report":[{"time_entries":3}]}}`, `decode detailed_results.report[0].time_entries: expected an array, got number 3`},
		{"tag id is a word", `{"detailed_results":{"report":[{"tag_ids":[1,"two"]}]}}`, `decode detailed_results.report[0].tag_ids[1]: expected an integer, got string "two"`},
		{"long string value not shown", `{"detailed_results":{"report":[{"user_id":"` + strings.Repeat("x", 50) + `"}]}}`, `decode detailed_results.report[0].user_id: expected an integer, got a string of 50 bytes`},
		{"weekly days a word", `{"weekly_results":{"report":[{"seconds":"abc"}]}}`, `decode weekly_results.report[0].seconds: expected an array, got string "abc"`},
		{"weekly day an object", `{"weekly_results":{"report":[{"billable_seconds":[1,{}]}]}}`, `decode weekly_results.report[0].billable_seconds[1]: expected an integer, got object`},
		{"sub_groups a string", `{"summary_results":{"report":{"groups":[{"sub_groups":"x"}]}}}`, `decode summary_results.report.groups[0].sub_groups: expected an array or an object, got string "x"`},
		{"sub-group seconds", `{"summary_results":{"report":{"groups":[{"sub_groups":{"7":{"seconds":[]}}}]}}}`, `decode summary_results.report.groups[0].sub_groups["7"].seconds: expected an integer, got array`},
		{"totals a string", `{"detailed_results":{"totals":"x"}}`, `decode detailed_results.totals: expected an object, got string "x"`},
		{"totals rate", `{"detailed_results":{"totals":{"rates":[{"currency":{}}]}}}`, `decode detailed_results.totals.rates[0].currency: expected a string, got object`},
		{"dictionary entry", `{"dictionaries":{"projects":{"1":{"name":{}}}}}`, `decode dictionaries.projects["1"].name: expected a string, got object`},
		{"dictionary array entry", `{"dictionaries":{"tags":[{"id":1},{"id":[]}]}}`, `decode dictionaries.tags[1].id: expected an integer, got array`},
		{"dictionaries an array", `{"dictionaries":[]}`, `decode dictionaries: expected an object, got array`},
		{"sub-dictionary a string", `{"dictionaries":{"users":"x"}}`, `decode dictionaries.users: expected an array or an object, got string "x"`},
		{"report_type an object", `{"report_type":{}}`, `decode report_type: expected a string, got object`},
		{"public a word", `{"public":"maybe"}`, `decode public: expected a boolean, got string "maybe"`},
		{"input_params an array", `{"report_type":"detailed","input_params":[1]}`, `decode input_params: expected an object, got array`},
		{"control characters in a value", "{\"report_type\":{\"a\":1},\"x\":\"\t\"}", `decode report_type: expected a string, got object`},
		{"newline in a shown value", `{"public":"a\nb"}`, `decode public: expected a boolean, got string "a b"`},
		// Toggl cannot send a negative amount or rate.
		{"negative row amount", `{"detailed_results":{"report":[{"billable_amount_in_cents":-1}]}}`, `decode detailed_results.report[0].billable_amount_in_cents: expected a non-negative amount, got number -1`},
		{"negative row rate", `{"weekly_results":{"report":[{"hourly_rate_in_cents":"-100"}]}}`, `decode weekly_results.report[0].hourly_rate_in_cents: expected a non-negative amount, got number -100`},
		{"negative total amount", `{"detailed_results":{"totals":{"billable_amount_in_cents":-5.0}}}`, `decode detailed_results.totals.billable_amount_in_cents: expected a non-negative amount, got number -5`},
		{"negative labour cost", `{"summary_results":{"totals":{"labour_cost_in_cents":-5}}}`, `decode summary_results.totals.labour_cost_in_cents: expected a non-negative amount, got number -5`},
		{"negative rate", `{"detailed_results":{"totals":{"rates":[{"hourly_rate_in_cents":-9500}]}}}`, `decode detailed_results.totals.rates[0].hourly_rate_in_cents: expected a non-negative amount, got number -9500`},
		{"negative sub-group rate", `{"summary_results":{"report":{"groups":[{"sub_groups":[{"rates":[{"hourly_rate_in_cents":-1}]}]}]}}}`, `decode summary_results.report.groups[0].sub_groups[0].rates[0].hourly_rate_in_cents: expected a non-negative amount, got number -1`},
		// Time entries.
		{"start not a time", `{"detailed_results":{"report":[{"time_entries":[{"start":"yesterday"}]}]}}`, `decode detailed_results.report[0].time_entries[0].start: expected an RFC 3339 time, got string "yesterday"`},
		{"start without a zone", `{"detailed_results":{"report":[{"time_entries":[{"start":"2025-06-02T09:00:00"}]}]}}`, `decode detailed_results.report[0].time_entries[0].start: expected an RFC 3339 time, got string "2025-06-02T09:00:00"`},
		{"start an object", `{"detailed_results":{"report":[{"time_entries":[{},{"start":{}}]}]}}`, `decode detailed_results.report[0].time_entries[1].start: expected an RFC 3339 time, got object`},
		// Where the stream breaks: inside a skipped value, after an element.
		{"truncated in a skipped value", `{"detailed_results":{"report":[{"something":{"a":[1,`, "decode detailed_results.report[0].something.a[1]: truncated JSON: the body ends at byte 52"},
		{"broken end of the rows", `{"detailed_results":{"report":[{"user_id":1} x`, "decode detailed_results.report: invalid JSON at byte 45: invalid character 'x' after array element (expecting ',' or ']')"},
		{"long key not shown", `{"dictionaries":{"users":{"` + strings.Repeat("k", 50) + `":{"name":{}}}}}`, `decode dictionaries.users[…].name: expected a string, got object`},
		{"entry id a word", `{"detailed_results":{"report":[{"time_entries":[{"id":"x"}]}]}}`, `decode detailed_results.report[0].time_entries[0].id: expected an integer, got string "x"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := &recorder{}
			rep, err := Decode(strings.NewReader(tc.body), rec)
			if err == nil {
				t.Fatalf("Decode succeeded with %+v, want an error", rep)
			}
			if rep != nil {
				t.Errorf("Decode returned a report with its error")
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %T %v is not an *Error", err, err)
			}
			if e.Code != CodeDecode || Code(err) != CodeDecode || e.StatusCode != 0 {
				t.Errorf("Code = %q (Code() %q), StatusCode %d; want decode, 0", e.Code, Code(err), e.StatusCode)
			}
			if !matches(e.Message, tc.want) {
				t.Errorf("Message = %q\n      want %q", e.Message, tc.want)
			}
			if got := err.Error(); got != "toggl: "+e.Message {
				t.Errorf("Error() = %q, want %q", got, "toggl: "+e.Message)
			}
		})
	}
}

const noTotals = "decode: no result block with totals (detailed_results, summary_results or weekly_results)"

// matches compares exactly, or as a prefix when want ends with "*".
func matches(got, want string) bool {
	if p, ok := strings.CutSuffix(want, "*"); ok {
		return strings.HasPrefix(got, p)
	}
	return got == want
}

// TestDecodeReaderError checks that an error of the reader is reported, not hidden.
func TestDecodeReaderError(t *testing.T) {
	boom := errors.New("boom")
	r := io.MultiReader(strings.NewReader(`{"report_type":"detailed","detailed_results":{"report":[`), errReader{boom})
	_, err := Decode(r, nil)
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want it to wrap boom", err)
	}
	if Code(err) != CodeDecode {
		t.Errorf("Code = %q", Code(err))
	}
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

func TestDaySum(t *testing.T) {
	tests := []struct {
		days []int64
		want int64
	}{
		{nil, 0},
		{[]int64{}, 0},
		{[]int64{5}, 5},
		{[]int64{1, 2, 3, 4, 5, 6, 7}, 28},
		{[]int64{1, 2, 3, 4, 5, 6, 7, 28}, 28},      // trailing total
		{[]int64{1, 2, 3, 4, 5, 6, 7, 8}, 36},       // an eighth day, not a total
		{[]int64{0, 0, 0, 0, 0, 0, 0, 0}, 0},        // all zero: the same either way
		{[]int64{1, 2, 3, 4, 5, 6, 7, 28, 0}, 56},   // nine elements: no special case
		{[]int64{3600, 0, 0, 0, 0, 0, 3600}, 7200},  // seven days
		{[]int64{1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, 10}, // longer periods are summed
		{[]int64{-5, 0, 0, 0, 0, 0, 0, -5}, -5},     // as sent, even negative
		{[]int64{10, 0, 0, 0, 0, 0, 0, 7}, 17},      // last differs from the sum
		{[]int64{0, 0, 0, 0, 0, 0, 0}, 0},
	}
	for _, tc := range tests {
		if got := DaySum(tc.days); got != tc.want {
			t.Errorf("DaySum(%v) = %d, want %d", tc.days, got, tc.want)
		}
	}
}

// TestDecodeRowsAreStreamed checks that rows reach the sink while the body is still being
// read, i.e. that the decoder does not buffer the whole report.
func TestDecodeRowsAreStreamed(t *testing.T) {
	const rows = 20000
	pr, pw := io.Pipe()
	go func() {
		_, _ = io.WriteString(pw, `{"report_type":"detailed","detailed_results":{"report":[`)
		for i := 0; i < rows; i++ {
			if i > 0 {
				_, _ = io.WriteString(pw, ",")
			}
			_, _ = fmt.Fprintf(pw, `{"user_id":%d,"project_id":7,"time_entries":[{"seconds":60}]}`, i+1)
		}
		_, _ = io.WriteString(pw, `],"totals":{"seconds":1}}}`)
		_ = pw.Close()
	}()
	counter := &body{r: pr}
	sink := &streamProbe{in: counter}
	rep, err := Decode(counter, sink)
	if err != nil {
		t.Fatal(err)
	}
	if sink.rows != rows || rep.Block != "detailed" {
		t.Fatalf("rows %d, block %q", sink.rows, rep.Block)
	}
	// When the first row arrived, only a small part of the body had been read.
	if sink.readAtFirst > 64<<10 {
		t.Errorf("the first row arrived after %d bytes had been read", sink.readAtFirst)
	}
}

type streamProbe struct {
	in          *body
	rows        int
	readAtFirst int64
}

func (s *streamProbe) DetailedRow(*DetailedRow) {
	if s.rows == 0 {
		s.readAtFirst = s.in.n
	}
	s.rows++
}
func (s *streamProbe) WeeklyRow(*WeeklyRow)       {}
func (s *streamProbe) SummaryGroup(*SummaryGroup) {}

// estimated_hours is only a fallback: a value that is not a number of hours is 0, never an
// error.
func TestDecodeEstimatedHours(t *testing.T) {
	for v, want := range map[string]int64{`{"a":[1]}`: 0, `[1,2]`: 0, `true`: 0, `"x"`: 0, `null`: 0, `"2"`: 7200, `0.5`: 1800} {
		body := `{"dictionaries":{"projects":[{"id":1,"estimated_hours":` + v + `}]},"detailed_results":{"totals":{}}}`
		rep, err := Decode(strings.NewReader(body), nil)
		if err != nil {
			t.Fatalf("estimated_hours %s: %v", v, err)
		}
		if got := rep.Dictionaries.Projects[1].EstimatedSeconds; got != want {
			t.Errorf("estimated_hours %s: EstimatedSeconds = %d, want %d", v, got, want)
		}
	}
}

// TestDecodeUnknownFields checks that every field toggl-api.md does not document is noted
// once by its path, with indexes, ids and titles as [] and odd names hidden, wherever it
// is (in lists sent as strings too), and that documented fields the decoder skips are not.
func TestDecodeUnknownFields(t *testing.T) {
	body := `{"report_type": "summary", "features": {"x": true}, "workspace_logo": "", "new_top": 1,
	  "dictionaries": {"filters": {"projects": {}}, "projects": {"7": {"id": 7, "color": "#fff", "new_p": 1}},
	    "users": {"8": {"id": 8, "email": "a@example.com", "client_id": 3}}, "teams": {}},
	  "summary_results": {"report": {"groups": [
	      {"id": 1, "project_hex_color": "#fff", "sub_groups": {"Secret description": {"seconds": 60, "new_sg": 1}}},
	      {"id": 2, "new_g": [1], "sub_groups": [{"id": null, "title": "x", "seconds": 60, "new_sg": 2}]}],
	    "next": null},
	    "totals": {"seconds": 120, "graph": [{"seconds": 1, "new_in_graph": 1}], "rates": [{"currency": "USD", "new_r": 1}],
	      "bob@example.com": 1, "ünicode": 2}},
	  "detailed_results": {"report": [{"row_number": 1, "description": "d", "new_row": 1,
	    "time_entries": "[{\"id\": 1, \"seconds\": 60, \"at\": \"\", \"new_te\": 1}]"}], "totals": null}}`
	rep, err := Decode(strings.NewReader(body), nil)
	if err != nil {
		t.Fatal(err)
	}
	assertEqual(t, "Unknown", rep.Unknown, []string{
		"detailed_results.report[].new_row", "detailed_results.report[].time_entries[].new_te",
		"dictionaries.projects[].new_p", "dictionaries.teams", "dictionaries.users[].client_id", "new_top",
		"summary_results.report.groups[].new_g", "summary_results.report.groups[].sub_groups[].new_sg", "summary_results.report.next",
		"summary_results.totals.(odd)", "summary_results.totals.rates[].new_r",
	})

	var many strings.Builder
	many.WriteString(`{"weekly_results": {"totals": {}, "report": [{`)
	for i := range 2 * maxUnknown {
		fmt.Fprintf(&many, `"f%d": 1, `, i)
	}
	many.WriteString(`"project_color": ""}]}}`)
	rep, err = Decode(strings.NewReader(many.String()), nil)
	if err != nil || len(rep.Unknown) != maxUnknown {
		t.Errorf("with %d unknown fields: %d noted, error %v; want %d", 2*maxUnknown, len(rep.Unknown), err, maxUnknown)
	}
}

// TestDecodeSubGroupOrder checks that sub-groups sent as an object come ordered by id, then
// title, whatever Toggl's order, and those sent as an array in Toggl's order.
func TestDecodeSubGroupOrder(t *testing.T) {
	for body, want := range map[string][]SummarySubGroup{
		`{"b":{"seconds":1},"a":{"seconds":2},"7":{"title":"z"},"x":{"id":3}}`: {{Title: "a", Seconds: 2}, {Title: "b", Seconds: 1}, {ID: 3, Title: "x"}, {ID: 7, Title: "z"}},
		`[{"title":"b"},{"title":"a"},{"id":2},{"id":1}]`:                      {{Title: "b"}, {Title: "a"}, {ID: 2}, {ID: 1}},
	} {
		rec := &recorder{}
		_, err := Decode(strings.NewReader(`{"summary_results":{"report":[{"id":1,"sub_groups":`+body+`}],"totals":{}}}`), rec)
		if err != nil || len(rec.groups) != 1 {
			t.Fatalf("%s: %v, %d groups", body, err, len(rec.groups))
		}
		assertEqual(t, body, rec.groups[0].SubGroups, want)
	}
}
