package config

import (
	"cmp"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

const (
	dateLayout    = "2006-01-02" // of Toggl's start_date and end_date
	maxPeriodDays = 3660         // ten years: far beyond what a saved report is for
)

// periodNames are the periods with a fixed name; last_N_days is the other kind.
var periodNames = []string{"today", "yesterday", "this_week", "last_week", "this_month", "last_month", "this_year", "last_year"}

// Period is a rolling date window, computed afresh at every fetch. The zero value means
// none: the report runs with its saved dates.
type Period struct {
	name string // one of periodNames, or "" for last_N_days
	days int    // N of last_N_days
}

var lastNDays = regexp.MustCompile(`^last_(0|[1-9][0-9]*)_days$`)

// ParsePeriod parses one of periodNames or last_N_days (1 <= N <= 3660).
func ParsePeriod(s string) (Period, error) {
	name := strings.ToLower(strings.TrimSpace(s))
	if slices.Contains(periodNames, name) {
		return Period{name: name}, nil
	}
	m := lastNDays.FindStringSubmatch(name)
	if m == nil {
		return Period{}, fmt.Errorf("unknown period (want %s or last_N_days)", strings.Join(choices["period"], ", "))
	}
	if n, err := strconv.Atoi(m[1]); err == nil && n >= 1 && n <= maxPeriodDays {
		return Period{days: n}, nil
	}
	return Period{}, fmt.Errorf("last_N_days: N must be between 1 and %d", maxPeriodDays)
}

// IsZero reports whether p is no period at all.
func (p Period) IsZero() bool { return p == Period{} }

// String returns the canonical name, e.g. "last_7_days"; "" for none.
func (p Period) String() string {
	if p.days > 0 {
		return "last_" + strconv.Itoa(p.days) + "_days"
	}
	return p.name
}

// Window returns the starts in loc (nil: UTC) of the first and the last day of the period
// at now, both inclusive as Toggl's start_date and end_date are. this_* are the whole
// calendar unit, future days included, weeks from weekStart; last_N_days ends today. The
// zero Period returns zero times.
func (p Period) Window(now time.Time, loc *time.Location, weekStart time.Weekday) (start, end time.Time) {
	if p.IsZero() {
		return time.Time{}, time.Time{}
	}
	loc = cmp.Or(loc, time.UTC)
	local := now.In(loc)
	y, m, d := local.Date()
	back := 0 // units before the one holding today
	if strings.HasPrefix(p.name, "last_") || p.name == "yesterday" {
		back = 1
	}
	switch _, unit, _ := strings.Cut(p.name, "_"); unit {
	case "week":
		d -= ((int(local.Weekday())-int(weekStart))%7+7)%7 + 7*back
		return startOfDay(y, m, d, loc), startOfDay(y, m, d+6, loc)
	case "month":
		return startOfDay(y, m-time.Month(back), 1, loc), startOfDay(y, m-time.Month(back)+1, 0, loc)
	case "year":
		return startOfDay(y-back, time.January, 1, loc), startOfDay(y-back, time.December, 31, loc)
	}
	// today, yesterday or last_N_days
	return startOfDay(y, m, d-back-max(p.days, 1)+1, loc), startOfDay(y, m, d-back, loc)
}

// Window returns the half-open window [start, end) of the report's period at now: from the
// first instant of its first day to that of the day after its last (not always 24 hours
// after the last day's start: midnight may be skipped); zero without a period.
func (r *Resolved) Window(now time.Time) (start, end time.Time) {
	if r.Period.IsZero() {
		return time.Time{}, time.Time{}
	}
	start, last := r.Period.Window(now, r.Location, r.WeekStart)
	y, m, d := last.Date()
	return start, startOfDay(y, m, d+1, last.Location())
}

// Body returns the request body for a fetch at now: a copy of Params (the caller may
// change it freely) plus, with a period, its start_date and end_date. Never nil; every
// value marshals to JSON.
func (r *Report) Body(now time.Time) map[string]any {
	body := make(map[string]any, len(r.Params)+2)
	for k, v := range r.Params {
		if ids, ok := v.([]any); ok {
			v = slices.Clone(ids)
		}
		body[k] = v
	}
	if res := r.Resolved; !res.Period.IsZero() {
		first, last := res.Period.Window(now, res.Location, res.WeekStart)
		body["start_date"], body["end_date"] = first.Format(dateLayout), last.Format(dateLayout)
	}
	return body
}

// Closed reports whether the report's period has ended at now: its last day lies before
// today in the report's timezone by more than one day (Toggl reads dates in each user's
// own zone, so the last user's day ends up to a day later), or a fixed params.end_date
// is that far in the past. A report with neither is open.
func (r *Report) Closed(now time.Time) bool {
	loc := cmp.Or(r.Resolved.Location, time.UTC)
	end, _ := r.Params["end_date"].(string) // none does not parse
	last, err := time.ParseInLocation(dateLayout, end, loc)
	if !r.Resolved.Period.IsZero() {
		_, last = r.Resolved.Period.Window(now, loc, r.Resolved.WeekStart)
	} else if err != nil {
		return false
	}
	y, m, d := last.Date()
	return !startOfDay(y, m, d+2, loc).After(DayStart(now.In(loc), loc))
}

// DayStart is the first instant of t's date (read in t's own location) in loc.
func DayStart(t time.Time, loc *time.Location) time.Time {
	y, m, d := t.Date()
	return startOfDay(y, m, d, loc)
}

// EndOfDay is the last second of day's date in loc: when the backfilled values of day
// are timestamped, and the clock at which the server would have served them.
func EndOfDay(day time.Time, loc *time.Location) time.Time {
	y, m, d := day.Date()
	return startOfDay(y, m, d+1, loc).Add(-time.Second)
}

// WindowAtEndOf is the days (first and last, inclusive) whose rows make the values the
// server served at the end of day: the period then, cut at day (later entries were not
// yet there); ok is false without a period.
func (r *Resolved) WindowAtEndOf(day time.Time) (first, last time.Time, ok bool) {
	if r.Period.IsZero() {
		return time.Time{}, time.Time{}, false
	}
	d := DayStart(day, r.Location) // never nil after Load
	if first, last = r.Period.Window(d, r.Location, r.WeekStart); last.After(d) {
		last = d
	}
	return first, last, true
}

// startOfDay returns the first instant of the civil date y-m-d in loc (normalised like
// time.Date). Where a DST change skips midnight (America/Sao_Paulo in 2018) time.Date may
// land on the evening before, and the day begins when that zone ends.
func startOfDay(y int, m time.Month, d int, loc *time.Location) time.Time {
	t := time.Date(y, m, d, 0, 0, 0, 0, loc)
	if t.Hour() >= 12 {
		_, t = t.ZoneBounds()
	}
	return t
}
