package client

import (
	"cmp"
	"strings"
	"time"
)

// Report is everything of a shared report except its rows, which go to a Sink.
type Report struct {
	Name                string // report_name
	Type                string // report_type: "detailed", "summary", "weekly", or what Toggl sent
	Public, HideAmounts bool
	// Request is the body asked with (set by Run): it comes before what Toggl echoes.
	Request, InputParams, SavedParams map[string]any
	Dictionaries                      Dictionaries
	// Totals are those of the result block Block ("detailed", "summary" or "weekly").
	Totals *Totals
	Block  string
	// Unknown are the paths of undocumented fields skipped (`detailed_results.report[].foo`),
	// sorted, at most 64: what Toggl added.
	Unknown []string
}

// Totals is the totals object that each result block carries.
type Totals struct {
	Seconds, TrackedDays                     int64
	BillableAmountInCents, LabourCostInCents *int64 // nil when hidden, or a plan without rates
	Rates                                    []Rate
}

// Rate is one entry of totals.rates (also used by summary sub-groups).
type Rate struct {
	BillableSeconds   int64
	Currency          string
	HourlyRateInCents int64
}

// Dictionaries resolves the ids of rows to names; id 0 (null, missing) is never a key.
type Dictionaries struct {
	Projects         map[int64]Project
	Clients          map[int64]Entity
	Users            map[int64]Entity // e-mail addresses are deliberately not decoded
	Tasks            map[int64]Task
	Tags, UserGroups map[int64]Entity
}

// Entity is a dictionary entry that has only an id and a name.
type Entity struct {
	ID   int64
	Name string
}

// Project is an entry of dictionaries.projects.
type Project struct {
	ID               int64
	Name             string
	ClientID         int64 // 0 when none
	Currency         string
	EstimatedSeconds int64
}

// Task is an entry of dictionaries.tasks.
type Task struct {
	ID                          int64
	Name                        string
	ProjectID, EstimatedSeconds int64
}

// DetailedRow is one row of detailed_results.report. In rows and groups a null id is 0.
type DetailedRow struct {
	UserID                                   int64
	Username                                 string
	ProjectID                                int64
	ProjectName, ClientName                  string // usually absent: dictionaries are authoritative
	TaskID                                   int64
	Billable                                 bool
	BillableAmountInCents, HourlyRateInCents int64
	Currency                                 string
	TagIDs                                   []int64
	Seconds                                  int64       // of time_entries, each at least 0 (a running entry lowers nothing), saturating
	Entries                                  int         // the time entries the row groups
	TimeEntries                              []TimeEntry // reused from row to row: a Sink copies what it keeps
}

// TimeEntry is one element of a detailed row's time_entries.
type TimeEntry struct {
	ID      int64     // 0 when absent or null
	Seconds int64     // as sent; 0 when null; negative while running
	Start   time.Time // RFC 3339, or Unix seconds as a number, in UTC; zero when absent or null
	Running bool      // stop is null or absent, or seconds is null or negative
	// NoStop and NoSeconds tell how a running entry was shown: stop, seconds null or absent.
	NoStop, NoSeconds bool
}

// WeeklyRow is one row of weekly_results.report; its per-day slices are as sent.
type WeeklyRow struct {
	UserID                                           int64
	UserName                                         string
	ProjectID                                        int64
	ProjectName, ClientName, Currency                string
	HourlyRateInCents                                int64
	Seconds, BillableSeconds, BillableAmountsInCents []int64
}

// SummaryGroup is one of summary_results.report.groups, of the report's Grouping.
type SummaryGroup struct {
	ID        int64
	IDs       []int64 // tag grouping only
	Names     []string
	SubGroups []SummarySubGroup
}

// SummarySubGroup is one sub-group of a summary group, of the report's sub-grouping.
type SummarySubGroup struct {
	ID      int64
	IDs     []int64
	Title   string
	Seconds int64
	Rates   []Rate
}

// Sink receives the rows of a report as they are decoded, in document order, valid only
// during the call (the decoder reuses them): a Sink copies what it keeps.
type Sink interface {
	DetailedRow(*DetailedRow)
	WeeklyRow(*WeeklyRow)
	SummaryGroup(*SummaryGroup)
}

// Grouping returns the dimensions of a summary report's groups and sub-groups, from the
// request (Toggl may not echo it), input_params, saved_params, or the defaults.
func (r *Report) Grouping() (grouping, subGrouping string) {
	return cmp.Or(strings.ToLower(r.param("grouping", r.Request)), "projects"),
		cmp.Or(strings.ToLower(r.param("sub_grouping", r.Request)), "time_entries")
}

// Dates returns start_date and end_date as sent, from input_params (which backfill
// rewrites for the days it sums, not the request), then saved_params; "" when absent.
func (r *Report) Dates() (start, end string) {
	return r.param("start_date", nil), r.param("end_date", nil)
}

// param returns the first non-empty string key of request, input_params, saved_params.
func (r *Report) param(key string, request map[string]any) string {
	for _, m := range []map[string]any{request, r.InputParams, r.SavedParams} {
		if s, ok := m[key].(string); ok && strings.TrimSpace(s) != "" {
			return strings.TrimSpace(s)
		}
	}
	return ""
}

// DaySum returns the total of a weekly row's per-day values. An older API appended the
// week's total: an eighth element equal to the sum of the first 7 is not counted twice.
func DaySum(days []int64) int64 {
	var sum, week int64
	for i, d := range days {
		sum += d
		if i < 7 {
			week += d
		}
	}
	if len(days) == 8 && days[7] == week {
		return week
	}
	return sum
}
