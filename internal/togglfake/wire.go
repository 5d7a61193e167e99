package togglfake

// The JSON shape of a shared report as toggl-api.md describes it. Nullable fields are
// pointers so that they are sent as null, like Toggl does, rather than left out.

type reportJSON struct {
	ReportName      string                      `json:"report_name"`
	ReportType      string                      `json:"report_type"`
	Public          bool                        `json:"public"`
	FixedDaterange  bool                        `json:"fixed_daterange"`
	HideAmounts     bool                        `json:"hide_amounts"`
	Features        map[string]bool             `json:"features"`
	InputParams     map[string]any              `json:"input_params"`
	SavedParams     map[string]any              `json:"saved_params"`
	Dictionaries    dictionariesJSON            `json:"dictionaries"`
	DetailedResults *results[[]detailedRowJSON] `json:"detailed_results"`
	SummaryResults  *results[summaryReportJSON] `json:"summary_results"`
	WeeklyResults   *results[[]weeklyRowJSON]   `json:"weekly_results"`
}

// results is a result block: its report and totals.
type results[T any] struct {
	Report T          `json:"report"`
	Totals totalsJSON `json:"totals"`
}

type summaryReportJSON struct {
	Groups []summaryGroupJSON `json:"groups"`
}

type totalsJSON struct {
	Seconds               int64       `json:"seconds"`
	TrackedDays           int64       `json:"tracked_days"`
	BillableAmountInCents int64       `json:"billable_amount_in_cents"`
	LabourCostInCents     int64       `json:"labour_cost_in_cents"`
	Resolution            string      `json:"resolution"`
	Rates                 []rateJSON  `json:"rates"`
	Graph                 []graphJSON `json:"graph"`
}

type rateJSON struct {
	BillableSeconds   int64  `json:"billable_seconds"`
	Currency          string `json:"currency"`
	HourlyRateInCents int64  `json:"hourly_rate_in_cents"`
}

// graphJSON is a day's bucket; Toggl's also carry its amounts.
type graphJSON struct {
	Seconds int64 `json:"seconds"`
}

// dictionariesJSON leaves out the deprecated filters, a copy of the same maps. Its keys
// are ids, which encoding/json sends as strings, as Toggl does, in the same order.
type dictionariesJSON struct {
	Projects   map[int64]projectJSON `json:"projects"`
	Clients    map[int64]entityJSON  `json:"clients"`
	Users      map[int64]userJSON    `json:"users"`
	Tasks      map[int64]taskJSON    `json:"tasks"`
	Tags       map[int64]entityJSON  `json:"tags"`
	UserGroups map[int64]entityJSON  `json:"user_groups"`
}

type projectJSON struct {
	ID               int64    `json:"id"`
	Name             string   `json:"name"`
	Color            string   `json:"color"`
	ClientID         *int64   `json:"client_id"`
	Currency         *string  `json:"currency"`
	EstimatedHours   *int64   `json:"estimated_hours"`
	EstimatedSeconds *int64   `json:"estimated_seconds"`
	FixedFee         *float64 `json:"fixed_fee"`
}

// taskJSON leaves tracked_seconds (the task's whole life) null: a world has no beginning.
type taskJSON struct {
	ID               int64  `json:"id"`
	Name             string `json:"name"`
	ProjectID        int64  `json:"project_id"`
	EstimatedSeconds *int64 `json:"estimated_seconds"`
	TrackedSeconds   *int64 `json:"tracked_seconds"`
	description      string // the entries of its project with this description are on it
}

type userJSON struct {
	ID         int64  `json:"id"`
	Name       string `json:"name"`
	Email      string `json:"email"`
	LabourCost int64  `json:"labour_cost"` // per hour, in cents
}

type entityJSON struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// detailedRowJSON leaves out project_name, client_name, task_name, tag_names and email,
// as real rows do: names come from the dictionaries.
type detailedRowJSON struct {
	UserID                int64           `json:"user_id"`
	Username              string          `json:"username"`
	ProjectID             *int64          `json:"project_id"`
	ProjectColor          *string         `json:"project_color"`
	TaskID                *int64          `json:"task_id"`
	Description           string          `json:"description"`
	Billable              bool            `json:"billable"`
	BillableAmountInCents *int64          `json:"billable_amount_in_cents"`
	HourlyRateInCents     *int64          `json:"hourly_rate_in_cents"`
	Currency              string          `json:"currency"`
	TagIDs                []int64         `json:"tag_ids"`
	RowNumber             int             `json:"row_number"`
	TimeEntries           []timeEntryJSON `json:"time_entries"`
}

type timeEntryJSON struct {
	ID      int64   `json:"id"`
	Seconds int64   `json:"seconds"` // negative while running: minus the start's Unix time
	Start   string  `json:"start"`
	Stop    *string `json:"stop"` // null while running
	At      string  `json:"at"`
	AtTz    string  `json:"at_tz"`
}

type summaryGroupJSON struct {
	ID        *int64                `json:"id"`
	Names     []string              `json:"names"`
	SubGroups []summarySubGroupJSON `json:"sub_groups"`
}

type summarySubGroupJSON struct {
	ID      *int64     `json:"id"`
	Title   *string    `json:"title"`
	Seconds int64      `json:"seconds"`
	IDs     []int64    `json:"ids,omitempty"` // time-entry sub-groups only
	Rates   []rateJSON `json:"rates"`
}

type weeklyRowJSON struct {
	UserID                 int64   `json:"user_id"`
	UserName               string  `json:"user_name"`
	ProjectID              *int64  `json:"project_id"`
	ProjectName            *string `json:"project_name"`
	ClientName             *string `json:"client_name"`
	PlannedTaskID          *int64  `json:"planned_task_id"`
	Currency               string  `json:"currency"`
	HourlyRateInCents      *int64  `json:"hourly_rate_in_cents"`
	Seconds                []int64 `json:"seconds"`
	BillableSeconds        []int64 `json:"billable_seconds"`
	BillableAmountsInCents []int64 `json:"billable_amounts_in_cents"`
}

// nonZero returns a pointer to v, or nil (sent as null) for the zero value.
func nonZero[T comparable](v T) *T {
	if v == *new(T) {
		return nil
	}
	return &v
}
