package collector

import "github.com/prometheus/client_golang/prometheus"

// metric describes one report metric family. Every report metric carries the `report`
// label first; labels lists the others.
type metric struct {
	name      string
	help      string
	valueType prometheus.ValueType
	labels    []string
}

// cached is appended to the HELP of every value metric: the figures come from the cache.
const cached = " Cached: refreshed from Toggl at most every min_refresh_interval."

// The report metrics, by index into metrics. Snapshot series refer to these indexes.
const (
	mUp = iota
	mError
	mFailures
	mFetches
	mLastSuccess
	mFetchDuration
	mInfo
	mPeriodStart
	mPeriodEnd
	mQuotaRemaining
	mQuotaReset
	mTracked
	mBillable
	mBillableAmount
	mLabourCost
	mTrackedDates
	mRateBillable
	mProjectTracked
	mProjectBillable
	mProjectAmount
	mProjectEstimated
	mUserTracked
	mUserBillable
	mClientTracked
	mTagTracked
	mTaskTracked
	mTaskEstimated
	mFolded
	numMetrics
)

var metrics = [numMetrics]metric{
	mUp:             {"toggl_report_up", "1 if the latest fetch attempt of the report succeeded.", prometheus.GaugeValue, nil},
	mError:          {"toggl_report_error", "1 for the code of the latest fetch attempt if it failed, 0 for every other code.", prometheus.GaugeValue, []string{"code"}},
	mFailures:       {"toggl_report_fetch_failures_total", "Failed fetches of the report by code.", prometheus.CounterValue, []string{"code"}},
	mFetches:        {"toggl_report_fetches_total", "Upstream requests made for the report (each costs API quota).", prometheus.CounterValue, nil},
	mLastSuccess:    {"toggl_report_last_success_timestamp_seconds", "When the served values were fetched from Toggl.", prometheus.GaugeValue, nil},
	mFetchDuration:  {"toggl_report_fetch_duration_seconds", "Duration of the latest upstream request for the report.", prometheus.GaugeValue, nil},
	mInfo:           {"toggl_report_info", "Information about the report as Toggl describes it; always 1.", prometheus.GaugeValue, []string{"report_name", "report_type", "public"}},
	mPeriodStart:    {"toggl_report_period_start_timestamp_seconds", "Start of the period the values cover." + cached, prometheus.GaugeValue, nil},
	mPeriodEnd:      {"toggl_report_period_end_timestamp_seconds", "End of the period the values cover (exclusive)." + cached, prometheus.GaugeValue, nil},
	mQuotaRemaining: {"toggl_api_quota_remaining", "X-Toggl-Quota-Remaining of the latest response for the report's credentials, when sent.", prometheus.GaugeValue, nil},
	mQuotaReset:     {"toggl_api_quota_reset_timestamp_seconds", "When the API quota window of the report's credentials resets (now + X-Toggl-Quota-Resets-In at the latest response), when sent.", prometheus.GaugeValue, nil},

	mTracked:        {"toggl_report_tracked_seconds", "Tracked time in the report's period." + cached, prometheus.GaugeValue, nil},
	mBillable:       {"toggl_report_billable_seconds", "Billable time in the report's period." + cached, prometheus.GaugeValue, nil},
	mBillableAmount: {"toggl_report_billable_amount", "Billable amount in the report's period, in currency units." + cached, prometheus.GaugeValue, []string{"currency"}},
	mLabourCost:     {"toggl_report_labour_cost", "Labour cost in the report's period, in currency units." + cached, prometheus.GaugeValue, nil},
	mTrackedDates:   {"toggl_report_tracked_dates", "Days with tracked time in the report's period." + cached, prometheus.GaugeValue, nil},
	mRateBillable:   {"toggl_report_rate_billable_seconds", "Billable time per currency and hourly rate (in currency units)." + cached, prometheus.GaugeValue, []string{"currency", "hourly_rate"}},

	mProjectTracked:   {"toggl_report_project_tracked_seconds", "Tracked time per project." + cached, prometheus.GaugeValue, []string{"project_id", "project", "client"}},
	mProjectBillable:  {"toggl_report_project_billable_seconds", "Billable time per project." + cached, prometheus.GaugeValue, []string{"project_id", "project", "client"}},
	mProjectAmount:    {"toggl_report_project_billable_amount", "Billable amount per project, in currency units." + cached, prometheus.GaugeValue, []string{"project_id", "project", "client", "currency"}},
	mProjectEstimated: {"toggl_report_project_estimated_seconds", "Estimated time of the project, from its settings in Toggl." + cached, prometheus.GaugeValue, []string{"project_id", "project"}},
	mUserTracked:      {"toggl_report_user_tracked_seconds", "Tracked time per user." + cached, prometheus.GaugeValue, []string{"user_id", "user"}},
	mUserBillable:     {"toggl_report_user_billable_seconds", "Billable time per user." + cached, prometheus.GaugeValue, []string{"user_id", "user"}},
	mClientTracked:    {"toggl_report_client_tracked_seconds", "Tracked time per client." + cached, prometheus.GaugeValue, []string{"client_id", "client"}},
	mTagTracked:       {"toggl_report_tag_tracked_seconds", "Tracked time per tag; an entry with several tags counts for each." + cached, prometheus.GaugeValue, []string{"tag_id", "tag"}},
	mTaskTracked:      {"toggl_report_task_tracked_seconds", "Tracked time per task." + cached, prometheus.GaugeValue, []string{"task_id", "task", "project_id"}},
	mTaskEstimated:    {"toggl_report_task_estimated_seconds", "Estimated time of the task, from its settings in Toggl." + cached, prometheus.GaugeValue, []string{"task_id", "task", "project_id"}},
	mFolded:           {"toggl_report_breakdown_folded", "Entities folded into the \"(other)\" series of a breakdown because of max_series_per_breakdown." + cached, prometheus.GaugeValue, []string{"breakdown"}},
}

// descs are built once; the `report` label comes first.
var descs = func() [numMetrics]*prometheus.Desc {
	var d [numMetrics]*prometheus.Desc
	for i, m := range metrics {
		d[i] = prometheus.NewDesc(m.name, m.help, append([]string{"report"}, m.labels...), nil)
	}
	return d
}()

// errorCodes are always exported by toggl_report_error, so that alerts can match on them
// before they first happen.
var errorCodes = []string{"400", "401", "402", "403", "404", "429", "500", "502", "503", "504", "timeout", "network", "decode"}
