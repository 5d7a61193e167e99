package discovery

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/toggl-exporter/toggl_exporter/collector"
)

var (
	reportsDesc = prometheus.NewDesc("toggl_discovery_reports",
		"Reports served from the latest good listing of the workspace's saved reports (after include, exclude and name clashes).", []string{"workspace_id"}, nil)
	reportsUpDesc = prometheus.NewDesc("toggl_discovery_up",
		"1 if the latest listing of the workspace's saved reports succeeded; while 0, the reports listed before keep serving.", []string{"workspace_id"}, nil)
	reportsLastSuccessDesc = prometheus.NewDesc("toggl_discovery_last_success_timestamp_seconds",
		"When the workspace's saved reports were last listed successfully.", []string{"workspace_id"}, nil)
	membersUpDesc = prometheus.NewDesc("toggl_members_up",
		"1 if the latest listing of the workspace's members succeeded; while 0, the roster listed before stays.", []string{"workspace_id"}, nil)
	membersLastSuccessDesc = prometheus.NewDesc("toggl_members_last_success_timestamp_seconds",
		"When the workspace's members were last listed successfully.", []string{"workspace_id"}, nil)
	// working_hours_in_minutes is shown as Toggl sends it ("" when null) and used for
	// nothing: Toggl does not document whether it is per day or per week.
	memberInfoDesc = prometheus.NewDesc("toggl_workspace_member_info",
		"1 for each active member of the workspace, as last listed; working_hours_in_minutes as Toggl sends it (unit undocumented, unused).", []string{"workspace_id", "user_id", "user", "working_hours_in_minutes"}, nil)
)

// Describe implements prometheus.Collector.
func (d *Discovery) Describe(ch chan<- *prometheus.Desc) {
	for _, desc := range []*prometheus.Desc{reportsDesc, reportsUpDesc, reportsLastSuccessDesc, membersUpDesc, membersLastSuccessDesc, memberInfoDesc} {
		ch <- desc
	}
}

// Collect implements prometheus.Collector: the state of each listing, and the members.
func (d *Discovery) Collect(ch chan<- prometheus.Metric) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for ws, l := range d.reports {
		id := strconv.FormatInt(ws, 10)
		ch <- prometheus.MustNewConstMetric(reportsDesc, prometheus.GaugeValue, float64(l.served), id)
		collectState(ch, l, reportsUpDesc, reportsLastSuccessDesc, id)
	}
	for ws, l := range d.members {
		id := strconv.FormatInt(ws, 10)
		collectState(ch, l, membersUpDesc, membersLastSuccessDesc, id)
		for _, m := range l.items {
			hours := ""
			if m.WorkingHoursInMinutes != 0 {
				hours = strconv.FormatInt(m.WorkingHoursInMinutes, 10)
			}
			ch <- prometheus.MustNewConstMetric(memberInfoDesc, prometheus.GaugeValue, 1, id, strconv.FormatInt(m.UserID, 10), collector.LabelValue(m.Name), hours)
		}
	}
}

// collectState sends l's up (once a listing has ended) and last success (once one has
// succeeded).
func collectState[T any](ch chan<- prometheus.Metric, l *listing[T], up, lastSuccess *prometheus.Desc, ws string) {
	if l.attempts > 0 {
		ch <- prometheus.MustNewConstMetric(up, prometheus.GaugeValue, l.up, ws)
	}
	if !l.lastSuccess.IsZero() {
		ch <- prometheus.MustNewConstMetric(lastSuccess, prometheus.GaugeValue, float64(l.lastSuccess.UnixMilli())/1000, ws)
	}
}
