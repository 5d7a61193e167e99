package client

import (
	"cmp"
	"strings"
)

// Grouping returns the dimensions of a summary report's groups and sub-groups, from
// input_params, then saved_params, defaulting to "projects" and "time_entries".
func (r *Report) Grouping() (grouping, subGrouping string) {
	return cmp.Or(strings.ToLower(r.param("grouping")), "projects"),
		cmp.Or(strings.ToLower(r.param("sub_grouping")), "time_entries")
}

// Dates returns the start_date and end_date parameters (as sent, normally YYYY-MM-DD)
// from input_params, then saved_params; "" when absent.
func (r *Report) Dates() (start, end string) {
	return r.param("start_date"), r.param("end_date")
}

// param returns the non-empty string parameter key of input_params, else of saved_params.
func (r *Report) param(key string) string {
	if r == nil {
		return ""
	}
	for _, m := range []map[string]any{r.InputParams, r.SavedParams} {
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
