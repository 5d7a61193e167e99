package collector

import (
	"slices"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/toggl-exporter/toggl_exporter/client"
	"github.com/toggl-exporter/toggl_exporter/config"
)

var expectedFamily = gauge("toggl_report_user_expected_seconds",
	"Time a member of the report's roster is expected to track over the report's whole period: its Monday-Friday days times expected_hours_per_week / 5.", "user_id", "user")

// SetRoster makes members the roster of the workspace from the next scrape on; after a
// failed listing, do not call it: the last roster stays.
func (e *Exporter) SetRoster(workspaceID int64, members []client.Member) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.rosters[workspaceID] = slices.Clone(members)
}

// collectRoster writes the roster series of one report, at each scrape so that a roster
// listed after the fetch counts at once: 0 in the user breakdowns for a member who
// tracked nothing, and every member's expected time over the period (when known).
func (e *Exporter) collectRoster(ch chan<- prometheus.Metric, t *target, v *state) {
	e.mu.RLock()
	entry, members := e.cfg.MembersOf(t.cfg.Roster), e.rosters[t.cfg.Roster]
	e.mu.RUnlock()
	if v.snap == nil || entry == nil || len(members) == 0 {
		return
	}
	days := weekdays(v.periodStart, v.periodEnd)
	tracked, billable, fill := userSeries(v.snap, t.cfg.Breakdowns)
	for _, m := range members {
		id, name := strconv.FormatInt(m.UserID, 10), nameOr(m.Name)
		if fill && !tracked[id] {
			ch <- userTrackedFamily.metric(t.name, 0, id, name)
			if billable {
				ch <- userBillableFamily.metric(t.name, 0, id, name)
			}
		}
		if days > 0 {
			ch <- expectedFamily.metric(t.name, float64(days)*entry.WeeklyHours(m.UserID)/5*3600, id, name)
		}
	}
}

// userSeries returns the users with a tracked series in s, whether s has billable series
// per user, and whether members who tracked nothing are added: only when the report has a
// users breakdown and folded none into "(other)" (where a member may have time).
func userSeries(s *Snapshot, breakdowns []string) (tracked map[string]bool, billable, fill bool) {
	// Detailed and weekly rows always name their user; a summary only when grouped by users.
	users := slices.Contains(breakdowns, Users) || breakdowns == nil && slices.Contains(config.DefaultBreakdowns, Users)
	fill = users && (s.Type == "detailed" || s.Type == "weekly")
	tracked = map[string]bool{}
	for _, sr := range s.series {
		switch sr.family {
		case userTrackedFamily:
			tracked[sr.labels[0]] = true
		case userBillableFamily:
			billable = true
		case foldedFamily:
			if sr.labels[0] == Users {
				fill = sr.value == 0
			}
		}
	}
	return tracked, billable, fill
}

// weekdays counts the Monday-Friday days of [start, end), days' starts; 0 when unknown.
func weekdays(start, end time.Time) int {
	if start.IsZero() || end.IsZero() {
		return 0
	}
	n := 0 // civil dates (in UTC): a day of 23 or 25 hours still counts as one
	for day, last := config.DayStart(start, time.UTC), config.DayStart(end, time.UTC); day.Before(last); day = day.AddDate(0, 0, 1) {
		if wd := day.Weekday(); wd != time.Saturday && wd != time.Sunday {
			n++
		}
	}
	return n
}
