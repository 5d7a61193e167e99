// Package bigreport generates large Toggl reports (up to 100k time entries) for
// benchmarks, with the figures they must decode and aggregate to. It is for tests and
// benchmarks only: nothing in the exporter imports it.
package bigreport

import (
	"encoding/json"
	"fmt"

	"github.com/toggl-exporter/toggl_exporter/internal/togglfake"
)

// Report types LargeJSON writes.
const (
	TypeDetailed = "detailed"
	TypeSummary  = "summary"
	TypeWeekly   = "weekly"
)

// LargeSpec is the spec of the benchmark reports with n time entries: 300 projects over
// 60 clients, 40 users, 20 tags, one entry per row (an ungrouped detailed report), and
// about one distinct description per 20 entries, so that a summary sub-grouped by time
// entries (Toggl's default) grows with the report as it does in a busy workspace.
func LargeSpec(n int) togglfake.DetailedSpec {
	return togglfake.DetailedSpec{Entries: n, PerRow: 1, Projects: 300, Clients: 60, Users: 40, Tags: 20,
		Descriptions: max(n/20, 7), Seed: int64(n)}
}

// Expected are the figures a generated report must decode and aggregate to. They are
// computed from the time entries of the spec's detailed report, not from the body of the
// report they describe.
type Expected struct {
	Rows      int // detailed rows, weekly rows or summary groups
	SubGroups int // summary sub-groups (summary only)
	Entries   int // time entries
	// Seconds is the tracked time of all entries: totals.seconds, and the sum over rows.
	Seconds               int64
	BillableSeconds       int64
	BillableAmountInCents int64
	// ProjectSeconds and UserSeconds are the tracked time by project id (0: no project)
	// and by user id.
	ProjectSeconds map[int64]int64
	UserSeconds    map[int64]int64
}

// LargeJSON returns a report of type typ (TypeDetailed, TypeSummary or TypeWeekly) over
// the time entries of spec, and the figures it must decode to: the detailed report of
// togglfake.DetailedJSON, a summary grouped by projects and sub-grouped by time entries
// (togglfake.SummaryJSON), or a weekly report (togglfake.WeeklyJSON). The same spec and
// type give the same bytes. It panics on an unknown type.
func LargeJSON(typ string, spec togglfake.DetailedSpec) ([]byte, Expected) {
	detailed := togglfake.DetailedJSON(spec)
	body := detailed
	switch typ {
	case TypeDetailed:
	case TypeSummary:
		body = togglfake.SummaryJSON(spec, "projects", "time_entries")
	case TypeWeekly:
		body = togglfake.WeeklyJSON(spec)
	default:
		panic(fmt.Sprintf("bigreport: unknown report type %q", typ))
	}
	return body, expected(typ, detailed)
}

// expected computes the figures of a report of type typ from the time entries of the
// detailed report of the same spec, read with encoding/json.
func expected(typ string, detailed []byte) Expected {
	var r struct {
		DetailedResults struct {
			Report []struct {
				UserID                int64  `json:"user_id"`
				ProjectID             *int64 `json:"project_id"`
				Description           string `json:"description"`
				Billable              bool   `json:"billable"`
				HourlyRateInCents     *int64 `json:"hourly_rate_in_cents"`
				BillableAmountInCents *int64 `json:"billable_amount_in_cents"`
				TimeEntries           []struct {
					Seconds int64 `json:"seconds"`
				} `json:"time_entries"`
			} `json:"report"`
		} `json:"detailed_results"`
	}
	if err := json.Unmarshal(detailed, &r); err != nil {
		panic(err) // togglfake writes valid JSON
	}
	exp := Expected{ProjectSeconds: map[int64]int64{}, UserSeconds: map[int64]int64{}}
	type pair struct {
		id  int64
		sub string
	}
	summaryGroups, weeklyRows := map[int64]bool{}, map[pair]bool{}
	subGroups := map[pair]bool{}
	for _, row := range r.DetailedResults.Report {
		var project int64
		if row.ProjectID != nil {
			project = *row.ProjectID
		}
		var seconds int64
		for _, te := range row.TimeEntries {
			seconds += te.Seconds
		}
		exp.Entries += len(row.TimeEntries)
		exp.Seconds += seconds
		exp.ProjectSeconds[project] += seconds
		exp.UserSeconds[row.UserID] += seconds
		if row.Billable && row.HourlyRateInCents != nil && *row.HourlyRateInCents != 0 {
			exp.BillableSeconds += seconds
		}
		if row.BillableAmountInCents != nil {
			exp.BillableAmountInCents += *row.BillableAmountInCents
		}
		summaryGroups[project] = true
		subGroups[pair{project, row.Description}] = true
		weeklyRows[pair{project, fmt.Sprint(row.UserID)}] = true
	}
	switch typ {
	case TypeDetailed:
		exp.Rows = len(r.DetailedResults.Report)
	case TypeSummary:
		exp.Rows, exp.SubGroups = len(summaryGroups), len(subGroups)
	case TypeWeekly:
		exp.Rows = len(weeklyRows)
	}
	return exp
}
