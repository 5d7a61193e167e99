package client

import (
	"cmp"
	"strings"
	"time"
)

// Report is everything of a shared report except its rows, which go to a Sink.
type Report struct {
	Name        string // report_name
	Type        string // report_type: "detailed", "summary", "weekly", or what Toggl sent
	Public      bool
	HideAmounts bool
	// Request is the body the report was asked with (Run sets it; nil from Decode):
	// what the exporter asked for comes before what Toggl echoes.
	Request      map[string]any
	InputParams  map[string]any
	SavedParams  map[string]any
	Dictionaries Dictionaries
	// Totals are those of the result block that answers the report. Decode never
	// returns a report without them: such a body is not a report.
	Totals *Totals
	// Block names the result block that answers the report: "detailed", "summary" or
	// "weekly".
	Block string
	// Unknown are the paths of the fields the decoder skipped because toggl-api.md does
	// not document them (`detailed_results.report[].foo`, indexes as []), sorted, at most
	// 64: what Toggl added or renamed.
	Unknown []string
}

// Totals is the totals object that each result block carries.
type Totals struct {
	Seconds     int64
	TrackedDays int64
	// BillableAmountInCents and LabourCostInCents are nil when absent or null
	// (hidden amounts, or a plan without rates).
	BillableAmountInCents *int64
	LabourCostInCents     *int64
	Rates                 []Rate
}

// Rate is one entry of totals.rates (also used by summary sub-groups).
type Rate struct {
	BillableSeconds   int64
	Currency          string
	HourlyRateInCents int64
}

// Dictionaries resolves ids found in rows to names. Maps are keyed by entity id;
// a null or missing id is 0 and never appears as a key.
type Dictionaries struct {
	Projects   map[int64]Project
	Clients    map[int64]Entity
	Users      map[int64]Entity // e-mail addresses are deliberately not decoded
	Tasks      map[int64]Task
	Tags       map[int64]Entity
	UserGroups map[int64]Entity
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
	ID               int64
	Name             string
	ProjectID        int64
	EstimatedSeconds int64
}

// DetailedRow is one row of detailed_results.report. Null ids are 0.
type DetailedRow struct {
	UserID    int64
	Username  string
	ProjectID int64
	// ProjectName and ClientName are usually absent; dictionaries are authoritative.
	ProjectName           string
	ClientName            string
	TaskID                int64
	Billable              bool
	BillableAmountInCents int64
	HourlyRateInCents     int64
	Currency              string
	TagIDs                []int64
	// Seconds is the sum of the row's time_entries[].seconds, each entry clamped at 0
	// so that a running entry (null or negative seconds) never lowers a total; it
	// saturates instead of overflowing.
	Seconds int64
	// Entries is the number of time entries the row groups.
	Entries int
	// TimeEntries are the row's entries in document order. The slice is reused from
	// row to row: a Sink copies what it keeps.
	TimeEntries []TimeEntry
}

// TimeEntry is one element of a detailed row's time_entries.
type TimeEntry struct {
	ID      int64     // time_entries[].id; 0 when absent or null
	Seconds int64     // as sent; 0 when null; negative while running
	Start   time.Time // start (RFC 3339 string, or Unix seconds as a number), in UTC; zero when absent or null
	Running bool      // stop is null or absent, or seconds is null or negative
	// NoStop and NoSeconds tell how a running entry was shown: stop null or absent,
	// seconds null or absent.
	NoStop, NoSeconds bool
}

// WeeklyRow is one row of weekly_results.report. Null ids are 0. The per-day slices are
// as Toggl sent them (one element per day, length not assumed).
type WeeklyRow struct {
	UserID                 int64
	UserName               string
	ProjectID              int64
	ProjectName            string
	ClientName             string
	Currency               string
	HourlyRateInCents      int64
	Seconds                []int64
	BillableSeconds        []int64
	BillableAmountsInCents []int64
}

// SummaryGroup is one element of summary_results.report.groups. Its dimension is the
// report's grouping (see Report.Grouping). A null id is 0.
type SummaryGroup struct {
	ID        int64
	IDs       []int64 // tag grouping only
	Names     []string
	SubGroups []SummarySubGroup
}

// SummarySubGroup is one sub-group of a summary group. Its dimension is the report's
// sub_grouping. A null id is 0.
type SummarySubGroup struct {
	ID      int64
	IDs     []int64
	Title   string
	Seconds int64
	Rates   []Rate
}

// Sink receives the rows of a report as they are decoded, in document order.
// The pointers, and the slices of the rows they point to, are only valid during the
// call (the decoder reuses them for the next row): a Sink copies what it keeps.
type Sink interface {
	DetailedRow(*DetailedRow)
	WeeklyRow(*WeeklyRow)
	SummaryGroup(*SummaryGroup)
}

// Grouping returns the dimensions of a summary report's groups and sub-groups, from the
// request, then input_params, then saved_params, defaulting to "projects" and
// "time_entries": Toggl may not echo an override of the request in its answer.
func (r *Report) Grouping() (grouping, subGrouping string) {
	return cmp.Or(strings.ToLower(r.param("grouping", r.Request)), "projects"),
		cmp.Or(strings.ToLower(r.param("sub_grouping", r.Request)), "time_entries")
}

// Dates returns the start_date and end_date parameters (as sent, normally YYYY-MM-DD)
// from input_params, then saved_params; "" when absent. The request's dates are not read:
// backfill rewrites input_params for the days it sums.
func (r *Report) Dates() (start, end string) {
	return r.param("start_date", nil), r.param("end_date", nil)
}

// param returns the non-empty string parameter key of request, else of input_params,
// else of saved_params.
func (r *Report) param(key string, request map[string]any) string {
	if r == nil {
		return ""
	}
	for _, m := range []map[string]any{request, r.InputParams, r.SavedParams} {
		if s, ok := m[key].(string); ok && strings.TrimSpace(s) != "" {
			return strings.TrimSpace(s)
		}
	}
	return ""
}

// DaySum returns the total of a weekly row's per-day values. Toggl sends one element per
// day, but an older API version appended the week's total as an eighth element: when
// there are 8 elements and the last equals the sum of the first 7, that last one is the
// total and is returned instead of being counted twice.
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
