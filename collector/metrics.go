package collector

import "github.com/prometheus/client_golang/prometheus"

// family is one report metric family: its descriptor, with the `report` label first,
// and its type.
type family struct {
	name      string
	desc      *prometheus.Desc
	valueType prometheus.ValueType
}

// families lists every report family, in declaration order, for Describe.
var families []*family

func newFamily(t prometheus.ValueType, name, help string, labels ...string) *family {
	f := &family{name, prometheus.NewDesc(name, help, append([]string{"report"}, labels...), nil), t}
	families = append(families, f)
	return f
}

// metric is a sample of f for the report. One that cannot be built is an invalid
// metric, which the exposition logs and leaves out, never a panic.
func (f *family) metric(report string, value float64, labels ...string) prometheus.Metric {
	m, err := prometheus.NewConstMetric(f.desc, f.valueType, value, append([]string{report}, labels...)...)
	if err != nil {
		return prometheus.NewInvalidMetric(f.desc, err)
	}
	return m
}

func gauge(name, help string, labels ...string) *family {
	return newFamily(prometheus.GaugeValue, name, help, labels...)
}

// cached is appended to the HELP of every value metric: the figures come from the cache.
const cached = " Cached: refreshed from Toggl at most every min_refresh_interval."

// The health of a report's fetches.
var (
	upFamily              = gauge("toggl_report_up", "1 if the latest fetch attempt of the report succeeded.")
	errorFamily           = gauge("toggl_report_error", "1 for the code of the latest fetch attempt if it failed, 0 for every other code.", "code")
	failuresFamily        = newFamily(prometheus.CounterValue, "toggl_report_fetch_failures_total", "Failed fetches of the report by code.", "code")
	fetchesFamily         = newFamily(prometheus.CounterValue, "toggl_report_fetches_total", "Upstream requests made for the report, every page counted (each costs API quota).")
	lastSuccessFamily     = gauge("toggl_report_last_success_timestamp_seconds", "When the served values were fetched from Toggl.")
	fetchDurationFamily   = gauge("toggl_report_fetch_duration_seconds", "Duration of the latest upstream request for the report.")
	fetchPagesFamily      = gauge("toggl_report_fetch_pages", "Pages read by the latest fetch of the report (a detailed report may come in pages).")
	completeFamily        = gauge("toggl_report_breakdowns_complete", "1 when the breakdowns of the served values add up to the report's totals (every page read), else 0."+cached)
	infoFamily            = gauge("toggl_report_info", "Information about the report as Toggl describes it; always 1.", "report_name", "report_type", "public")
	periodStartFamily     = gauge("toggl_report_period_start_timestamp_seconds", "Start of the period the values cover."+cached)
	periodEndFamily       = gauge("toggl_report_period_end_timestamp_seconds", "End of the period the values cover (exclusive)."+cached)
	quotaRemainingFamily  = gauge("toggl_api_quota_remaining", "X-Toggl-Quota-Remaining of the latest response for the report's credentials, when sent.")
	quotaResetFamily      = gauge("toggl_api_quota_reset_timestamp_seconds", "When the API quota window of the report's credentials resets (now + X-Toggl-Quota-Resets-In at the latest response), when sent.")
	refreshIntervalFamily = gauge("toggl_report_refresh_interval_seconds", "The refresh interval the quota plan gives the report now: min_refresh_interval, closed_refresh_interval for an ended period, or longer to fit the credentials' hourly API quota.")
)

// The values of a report: totals, breakdowns, estimates, running entries.
var (
	trackedFamily         = gauge("toggl_report_tracked_seconds", "Tracked time in the report's period."+cached)
	billableFamily        = gauge("toggl_report_billable_seconds", "Billable time in the report's period."+cached)
	billableAmountFamily  = gauge("toggl_report_billable_amount", "Billable amount in the report's period, in currency units."+cached, "currency")
	labourCostFamily      = gauge("toggl_report_labour_cost", "Labour cost in the report's period, in currency units."+cached)
	trackedDatesFamily    = gauge("toggl_report_tracked_dates", "Days with tracked time in the report's period."+cached)
	rateBillableFamily    = gauge("toggl_report_rate_billable_seconds", "Billable time per currency and hourly rate (in currency units)."+cached, "currency", "hourly_rate")
	projectTrackedFamily  = gauge("toggl_report_project_tracked_seconds", "Tracked time per project."+cached, "project_id", "project", "client")
	projectBillableFamily = gauge("toggl_report_project_billable_seconds", "Billable time per project."+cached, "project_id", "project", "client")
	projectAmountFamily   = gauge("toggl_report_project_billable_amount", "Billable amount per project, in currency units."+cached, "project_id", "project", "client", "currency")
	projectEstFamily      = gauge("toggl_report_project_estimated_seconds", "Estimated time of the project, from its settings in Toggl."+cached, "project_id", "project")
	userTrackedFamily     = gauge("toggl_report_user_tracked_seconds", "Tracked time per user."+cached, "user_id", "user")
	userBillableFamily    = gauge("toggl_report_user_billable_seconds", "Billable time per user."+cached, "user_id", "user")
	clientTrackedFamily   = gauge("toggl_report_client_tracked_seconds", "Tracked time per client."+cached, "client_id", "client")
	tagTrackedFamily      = gauge("toggl_report_tag_tracked_seconds", "Tracked time per tag; an entry with several tags counts for each."+cached, "tag_id", "tag")
	taskTrackedFamily     = gauge("toggl_report_task_tracked_seconds", "Tracked time per task."+cached, "task_id", "task", "project_id")
	taskEstFamily         = gauge("toggl_report_task_estimated_seconds", "Estimated time of the task, from its settings in Toggl."+cached, "task_id", "task", "project_id")
	projectUserFamily     = gauge("toggl_report_project_user_tracked_seconds", "Tracked time per project and user: who tracked what."+cached, "project_id", "project", "user_id", "user")
	runningFamily         = gauge("toggl_report_running_entries", "Time entries of the report still running (their timer is on)."+cached)
	runningStartFamily    = gauge("toggl_report_user_running_entry_start_timestamp_seconds", "Start of the running time entry of a user on a project (the earliest, if several)."+cached, "user_id", "user", "project_id", "project")
	timeEntriesFamily     = gauge("toggl_report_time_entries", "Time entries of a detailed report, each counted once however many pages hold it."+cached)
	untaggedFamily        = gauge("toggl_report_untagged_tracked_seconds", "Tracked time of the time entries with no tag (detailed reports)."+cached)
	foldedFamily          = gauge("toggl_report_breakdown_folded", "Entities folded into the \"(other)\" series of a breakdown because of max_series_per_breakdown."+cached, "breakdown")
)

// errorCodes are always exported by toggl_report_error, so that alerts can match on them
// before they first happen.
var errorCodes = []string{"400", "401", "402", "403", "404", "429", "500", "502", "503", "504", "timeout", "network", "decode"}
