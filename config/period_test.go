package config

import (
	"strings"
	"testing"
	"time"
)

func mustLocation(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestPeriodWindow(t *testing.T) {
	tests := []struct {
		name      string
		period    string
		now       string // RFC 3339, any offset
		tz        string
		weekStart time.Weekday
		start     string // RFC 3339 in tz
		end       string
	}{
		// Europe/Berlin, spring forward on Sunday 2024-03-31 at 02:00.
		{"berlin spring today", "today", "2024-03-31T12:00:00+02:00", "Europe/Berlin", time.Monday,
			"2024-03-31T00:00:00+01:00", "2024-03-31T00:00:00+01:00"},
		{"berlin spring yesterday", "yesterday", "2024-03-31T12:00:00+02:00", "Europe/Berlin", time.Monday,
			"2024-03-30T00:00:00+01:00", "2024-03-30T00:00:00+01:00"},
		{"berlin spring this_week monday", "this_week", "2024-03-31T12:00:00+02:00", "Europe/Berlin", time.Monday,
			"2024-03-25T00:00:00+01:00", "2024-03-31T00:00:00+01:00"},
		{"berlin spring this_week sunday", "this_week", "2024-03-31T12:00:00+02:00", "Europe/Berlin", time.Sunday,
			"2024-03-31T00:00:00+01:00", "2024-04-06T00:00:00+02:00"},
		{"berlin spring last_week", "last_week", "2024-03-31T12:00:00+02:00", "Europe/Berlin", time.Monday,
			"2024-03-18T00:00:00+01:00", "2024-03-24T00:00:00+01:00"},
		{"berlin spring last_7_days", "last_7_days", "2024-03-31T12:00:00+02:00", "Europe/Berlin", time.Monday,
			"2024-03-25T00:00:00+01:00", "2024-03-31T00:00:00+01:00"},
		{"berlin monday after spring, just past midnight", "last_week", "2024-03-31T22:30:00Z", "Europe/Berlin", time.Monday,
			"2024-03-25T00:00:00+01:00", "2024-03-31T00:00:00+01:00"},
		{"berlin monday after spring, yesterday", "yesterday", "2024-03-31T22:30:00Z", "Europe/Berlin", time.Monday,
			"2024-03-31T00:00:00+01:00", "2024-03-31T00:00:00+01:00"},
		// Europe/Berlin, fall back on Sunday 2024-10-27 at 03:00 (02:30 happens twice).
		{"berlin fall second 02:30 today", "today", "2024-10-27T02:30:00+01:00", "Europe/Berlin", time.Monday,
			"2024-10-27T00:00:00+02:00", "2024-10-27T00:00:00+02:00"},
		{"berlin fall this_month", "this_month", "2024-10-27T02:30:00+01:00", "Europe/Berlin", time.Monday,
			"2024-10-01T00:00:00+02:00", "2024-10-31T00:00:00+01:00"},
		{"berlin fall last_30_days", "last_30_days", "2024-10-27T02:30:00+01:00", "Europe/Berlin", time.Monday,
			"2024-09-28T00:00:00+02:00", "2024-10-27T00:00:00+02:00"},
		{"berlin fall next day this_week", "this_week", "2024-10-28T08:00:00+01:00", "Europe/Berlin", time.Monday,
			"2024-10-28T00:00:00+01:00", "2024-11-03T00:00:00+01:00"},
		// America/New_York: spring forward 2024-03-10, fall back 2024-11-03 (both Sundays).
		{"new york spring today", "today", "2024-03-10T03:30:00-04:00", "America/New_York", time.Sunday,
			"2024-03-10T00:00:00-05:00", "2024-03-10T00:00:00-05:00"},
		{"new york spring this_week sunday", "this_week", "2024-03-10T03:30:00-04:00", "America/New_York", time.Sunday,
			"2024-03-10T00:00:00-05:00", "2024-03-16T00:00:00-04:00"},
		{"new york fall first 01:30", "yesterday", "2024-11-03T05:30:00Z", "America/New_York", time.Monday,
			"2024-11-02T00:00:00-04:00", "2024-11-02T00:00:00-04:00"},
		{"new york fall second 01:30", "this_week", "2024-11-03T06:30:00Z", "America/New_York", time.Monday,
			"2024-10-28T00:00:00-04:00", "2024-11-03T00:00:00-04:00"},
		{"new york fall last_7_days", "last_7_days", "2024-11-05T12:00:00-05:00", "America/New_York", time.Monday,
			"2024-10-30T00:00:00-04:00", "2024-11-05T00:00:00-05:00"},
		// Month ends.
		{"jan 31 last_month", "last_month", "2024-01-31T10:00:00Z", "UTC", time.Monday,
			"2023-12-01T00:00:00Z", "2023-12-31T00:00:00Z"},
		{"jan 31 this_month", "this_month", "2024-01-31T10:00:00Z", "UTC", time.Monday,
			"2024-01-01T00:00:00Z", "2024-01-31T00:00:00Z"},
		{"mar 31 last_month non-leap", "last_month", "2023-03-31T10:00:00Z", "UTC", time.Monday,
			"2023-02-01T00:00:00Z", "2023-02-28T00:00:00Z"},
		{"feb 28 non-leap this_month", "this_month", "2023-02-28T23:59:59Z", "UTC", time.Monday,
			"2023-02-01T00:00:00Z", "2023-02-28T00:00:00Z"},
		{"leap year last_month", "last_month", "2028-03-15T10:00:00Z", "UTC", time.Monday,
			"2028-02-01T00:00:00Z", "2028-02-29T00:00:00Z"},
		{"leap day today", "today", "2028-02-29T10:00:00Z", "UTC", time.Monday,
			"2028-02-29T00:00:00Z", "2028-02-29T00:00:00Z"},
		{"leap day this_month", "this_month", "2028-02-29T10:00:00Z", "UTC", time.Monday,
			"2028-02-01T00:00:00Z", "2028-02-29T00:00:00Z"},
		{"leap day last_365_days", "last_365_days", "2028-02-29T10:00:00Z", "UTC", time.Monday,
			"2027-03-02T00:00:00Z", "2028-02-29T00:00:00Z"},
		{"leap year this_year", "this_year", "2028-02-29T10:00:00Z", "UTC", time.Monday,
			"2028-01-01T00:00:00Z", "2028-12-31T00:00:00Z"},
		{"last_year", "last_year", "2028-02-29T10:00:00Z", "UTC", time.Monday,
			"2027-01-01T00:00:00Z", "2027-12-31T00:00:00Z"},
		// Year end.
		{"dec 31 this_year", "this_year", "2024-12-31T23:59:59Z", "UTC", time.Monday,
			"2024-01-01T00:00:00Z", "2024-12-31T00:00:00Z"},
		{"dec 31 this_week spans new year", "this_week", "2024-12-31T23:59:59Z", "UTC", time.Monday,
			"2024-12-30T00:00:00Z", "2025-01-05T00:00:00Z"},
		{"jan 1 yesterday", "yesterday", "2025-01-01T00:00:00Z", "UTC", time.Monday,
			"2024-12-31T00:00:00Z", "2024-12-31T00:00:00Z"},
		{"jan 1 last_month", "last_month", "2025-01-01T08:00:00Z", "UTC", time.Monday,
			"2024-12-01T00:00:00Z", "2024-12-31T00:00:00Z"},
		{"jan 1 last_7_days", "last_7_days", "2025-01-01T08:00:00Z", "UTC", time.Monday,
			"2024-12-26T00:00:00Z", "2025-01-01T00:00:00Z"},
		{"last_week across the year, monday", "last_week", "2025-01-07T12:00:00Z", "UTC", time.Monday,
			"2024-12-30T00:00:00Z", "2025-01-05T00:00:00Z"},
		{"last_week across the year, sunday", "last_week", "2025-01-07T12:00:00Z", "UTC", time.Sunday,
			"2024-12-29T00:00:00Z", "2025-01-04T00:00:00Z"},
		{"last_week in the previous year", "last_week", "2025-01-02T12:00:00Z", "UTC", time.Monday,
			"2024-12-23T00:00:00Z", "2024-12-29T00:00:00Z"},
		// Week starts, on a Sunday.
		{"sunday, monday start this_week", "this_week", "2024-06-16T12:00:00Z", "UTC", time.Monday,
			"2024-06-10T00:00:00Z", "2024-06-16T00:00:00Z"},
		{"sunday, sunday start this_week", "this_week", "2024-06-16T12:00:00Z", "UTC", time.Sunday,
			"2024-06-16T00:00:00Z", "2024-06-22T00:00:00Z"},
		{"sunday, monday start last_week", "last_week", "2024-06-16T12:00:00Z", "UTC", time.Monday,
			"2024-06-03T00:00:00Z", "2024-06-09T00:00:00Z"},
		{"sunday, sunday start last_week", "last_week", "2024-06-16T12:00:00Z", "UTC", time.Sunday,
			"2024-06-09T00:00:00Z", "2024-06-15T00:00:00Z"},
		{"sunday, saturday start this_week", "this_week", "2024-06-16T12:00:00Z", "UTC", time.Saturday,
			"2024-06-15T00:00:00Z", "2024-06-21T00:00:00Z"},
		{"monday, monday start this_week", "this_week", "2024-06-17T00:00:00Z", "UTC", time.Monday,
			"2024-06-17T00:00:00Z", "2024-06-23T00:00:00Z"},
		// last_N_days.
		{"last_1_days is today", "last_1_days", "2024-06-16T12:00:00Z", "UTC", time.Monday,
			"2024-06-16T00:00:00Z", "2024-06-16T00:00:00Z"},
		{"last_2_days", "last_2_days", "2024-03-01T12:00:00Z", "UTC", time.Monday,
			"2024-02-29T00:00:00Z", "2024-03-01T00:00:00Z"},
		{"last_90_days", "last_90_days", "2024-06-16T12:00:00Z", "UTC", time.Monday,
			"2024-03-19T00:00:00Z", "2024-06-16T00:00:00Z"},
		// now in UTC, local date in loc differs.
		{"tokyo is already tomorrow", "today", "2024-03-10T23:30:00Z", "Asia/Tokyo", time.Monday,
			"2024-03-11T00:00:00+09:00", "2024-03-11T00:00:00+09:00"},
		{"tokyo this_week starts that monday", "this_week", "2024-03-10T23:30:00Z", "Asia/Tokyo", time.Monday,
			"2024-03-11T00:00:00+09:00", "2024-03-17T00:00:00+09:00"},
		{"utc is still the sunday", "this_week", "2024-03-10T23:30:00Z", "UTC", time.Monday,
			"2024-03-04T00:00:00Z", "2024-03-10T00:00:00Z"},
		{"los angeles is still the leap day", "this_month", "2024-03-01T05:00:00Z", "America/Los_Angeles", time.Monday,
			"2024-02-01T00:00:00-08:00", "2024-02-29T00:00:00-08:00"},
		{"kiritimati +14", "today", "2024-12-31T10:00:00Z", "Pacific/Kiritimati", time.Monday,
			"2025-01-01T00:00:00+14:00", "2025-01-01T00:00:00+14:00"},
		// Midnight skipped by DST: the day starts at 01:00.
		{"sao paulo midnight gap today", "today", "2018-11-04T12:00:00-02:00", "America/Sao_Paulo", time.Monday,
			"2018-11-04T01:00:00-02:00", "2018-11-04T01:00:00-02:00"},
		{"sao paulo midnight gap last_2_days", "last_2_days", "2018-11-05T12:00:00-02:00", "America/Sao_Paulo", time.Monday,
			"2018-11-04T01:00:00-02:00", "2018-11-05T00:00:00-02:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := ParsePeriod(tt.period)
			if err != nil {
				t.Fatal(err)
			}
			loc := mustLocation(t, tt.tz)
			start, end := p.Window(mustTime(t, tt.now), loc, tt.weekStart)
			if got := start.Format(time.RFC3339); got != tt.start {
				t.Errorf("start %s, want %s", got, tt.start)
			}
			if got := end.Format(time.RFC3339); got != tt.end {
				t.Errorf("end   %s, want %s", got, tt.end)
			}
			if start.Location() != loc || end.Location() != loc {
				t.Errorf("window not in %s: %v %v", loc, start.Location(), end.Location())
			}
		})
	}
}

// TestPeriodWindowProperties walks two years hour by hour in zones with
// and without DST and checks what must hold for every period.
func TestPeriodWindowProperties(t *testing.T) {
	periods := []string{"today", "yesterday", "this_week", "last_week", "this_month", "last_month",
		"this_year", "last_year", "last_7_days", "last_30_days", "last_1_days", "last_400_days"}
	zones := []string{"UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo", "Australia/Lord_Howe", "America/Sao_Paulo"}
	dayOf := func(t time.Time) time.Time { // civil date as a UTC midnight, to count days
		y, m, d := t.Date()
		return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	}
	for _, zone := range zones {
		loc := mustLocation(t, zone)
		for _, name := range periods {
			p, err := ParsePeriod(name)
			if err != nil {
				t.Fatal(err)
			}
			for _, ws := range []time.Weekday{time.Monday, time.Sunday} {
				for now := mustTime(t, "2023-06-01T00:17:00Z"); now.Year() < 2025 || now.Month() < 7; now = now.Add(7 * time.Hour) {
					start, end := p.Window(now, loc, ws)
					today := dayOf(now.In(loc))
					s, e := dayOf(start), dayOf(end)
					days := int(e.Sub(s).Hours()/24) + 1
					bad := func(why string) {
						t.Fatalf("%s %s weekStart=%v now=%s: %s (window %s .. %s)", zone, name, ws, now.In(loc), why, start, end)
					}
					if start.After(end) {
						bad("start after end")
					}
					// The window starts at the first instant of its first day.
					if prev := start.Add(-time.Minute); dayOf(prev.In(loc)) == s {
						bad("start is not the first instant of its day")
					}
					includesToday := !today.Before(s) && !today.After(e)
					switch name {
					case "today", "this_week", "this_month", "this_year", "last_7_days", "last_30_days", "last_1_days", "last_400_days":
						if !includesToday {
							bad("does not include today")
						}
					default:
						if !e.Before(today) {
							bad("does not end before today")
						}
					}
					switch name {
					case "today", "yesterday", "last_1_days":
						if days != 1 {
							bad("not one day")
						}
					case "this_week", "last_week":
						if days != 7 || s.Weekday() != ws {
							bad("not a week from its first day")
						}
					case "last_7_days", "last_30_days", "last_400_days":
						if days != p.days || e != today {
							bad("not N days ending today")
						}
					case "this_month", "last_month":
						if s.Day() != 1 || e.AddDate(0, 0, 1).Day() != 1 || s.Month() != e.Month() {
							bad("not a calendar month")
						}
					case "this_year", "last_year":
						if s.YearDay() != 1 || e.Month() != time.December || e.Day() != 31 || s.Year() != e.Year() {
							bad("not a calendar year")
						}
					}
				}
			}
		}
	}
}

func TestParsePeriod(t *testing.T) {
	for _, s := range []string{"today", "yesterday", "this_week", "last_week", "this_month", "last_month",
		"this_year", "last_year", "last_7_days", "last_30_days", "last_1_days", "last_3660_days"} {
		p, err := ParsePeriod(s)
		if err != nil {
			t.Errorf("ParsePeriod(%q): %v", s, err)
			continue
		}
		if p.IsZero() || p.String() != s {
			t.Errorf("ParsePeriod(%q) = %v (zero %v)", s, p, p.IsZero())
		}
	}
	if p, err := ParsePeriod(" This_Week "); err != nil || p.String() != "this_week" {
		t.Errorf("case and space: %v %v", p, err)
	}
	for _, s := range []string{"", "fortnight", "last_days", "last_x_days", "last_-1_days", "last_+7_days", "last_07_days",
		"last_0_days", "last_3661_days", "last_99999999999999999999_days", "last_7_day", "next_week"} {
		if _, err := ParsePeriod(s); err == nil {
			t.Errorf("ParsePeriod(%q): no error", s)
		}
	}
	var zero Period
	if !zero.IsZero() || zero.String() != "" {
		t.Error("zero Period")
	}
	if s, e := zero.Window(time.Now(), time.UTC, time.Monday); !s.IsZero() || !e.IsZero() {
		t.Error("zero Period has a window")
	}
	// A nil location means UTC.
	p, _ := ParsePeriod("today")
	if s, _ := p.Window(mustTime(t, "2024-03-10T23:30:00-05:00"), nil, time.Monday); s.Format(time.RFC3339) != "2024-03-11T00:00:00Z" {
		t.Errorf("nil location: %v", s)
	}
}

func TestWeekStart(t *testing.T) {
	parse := func(s string) (*Config, error) {
		return Parse([]byte("reports:\n  - name: x\n    token: abc1234567890abcdef1234567890abc\n    week_start: \""+s+"\"\n"), "", envMap(nil))
	}
	for s, want := range map[string]time.Weekday{"monday": time.Monday, "Sunday": time.Sunday, "SATURDAY": time.Saturday,
		" wednesday ": time.Wednesday, "tuesday": time.Tuesday, "thursday": time.Thursday, "friday": time.Friday} {
		if c, err := parse(s); err != nil || c.Reports[0].Resolved.WeekStart != want || c.Reports[0].WeekStart != strings.TrimSpace(strings.ToLower(s)) {
			t.Errorf("week_start %q: %v", s, err)
		}
	}
	for _, s := range []string{"", "mon", "funday", "1", "ſunday"} {
		if _, err := parse(s); err == nil {
			t.Errorf("week_start %q: no error", s)
		}
	}
}

// TestResolvedWindow checks the half-open window [start, end): end is the
// first instant of the day after the last, even where that day's midnight
// is skipped by daylight saving (adding a day to the last day's start, as
// the collector did, was an hour late there).
func TestResolvedWindow(t *testing.T) {
	tests := []struct {
		period, now, tz, start, end string
	}{
		// Chile: 2026-09-06 begins at 01:00 (-03).
		{"today", "2026-09-06T12:00:00-03:00", "America/Santiago", "2026-09-06T01:00:00-03:00", "2026-09-07T00:00:00-03:00"},
		{"yesterday", "2026-09-07T12:00:00-03:00", "America/Santiago", "2026-09-06T01:00:00-03:00", "2026-09-07T00:00:00-03:00"},
		{"today", "2026-09-05T12:00:00-04:00", "America/Santiago", "2026-09-05T00:00:00-04:00", "2026-09-06T01:00:00-03:00"},
		// Cuba: 2026-03-08 begins at 01:00 (CDT).
		{"today", "2026-03-08T12:00:00-04:00", "America/Havana", "2026-03-08T01:00:00-04:00", "2026-03-09T00:00:00-04:00"},
		{"last_7_days", "2026-03-08T12:00:00-04:00", "America/Havana", "2026-03-02T00:00:00-05:00", "2026-03-09T00:00:00-04:00"},
		// Lebanon: 2026-03-29 begins at 01:00 (+03).
		{"today", "2026-03-29T12:00:00+03:00", "Asia/Beirut", "2026-03-29T01:00:00+03:00", "2026-03-30T00:00:00+03:00"},
		{"this_week", "2026-03-29T12:00:00+03:00", "Asia/Beirut", "2026-03-23T00:00:00+02:00", "2026-03-30T00:00:00+03:00"},
		// Cook Islands: 1979-10-28 began at 00:30 (-09:30), after a gap of half an hour.
		{"today", "1979-10-28T12:00:00-09:30", "Pacific/Rarotonga", "1979-10-28T00:30:00-09:30", "1979-10-29T00:00:00-09:30"},
		// Ordinary days, and a day of 25 hours.
		{"this_month", "2024-02-10T12:00:00Z", "UTC", "2024-02-01T00:00:00Z", "2024-03-01T00:00:00Z"},
		{"today", "2024-10-27T12:00:00+01:00", "Europe/Berlin", "2024-10-27T00:00:00+02:00", "2024-10-28T00:00:00+01:00"},
	}
	for _, tt := range tests {
		p, err := ParsePeriod(tt.period)
		if err != nil {
			t.Fatal(err)
		}
		r := Resolved{Period: p, Location: mustLocation(t, tt.tz), WeekStart: time.Monday}
		start, end := r.Window(mustTime(t, tt.now))
		if got := start.Format(time.RFC3339); got != tt.start {
			t.Errorf("%s %s %s: start %s, want %s", tt.tz, tt.period, tt.now, got, tt.start)
		}
		if got := end.Format(time.RFC3339); got != tt.end {
			t.Errorf("%s %s %s: end %s, want %s", tt.tz, tt.period, tt.now, got, tt.end)
		}
	}
	if start, end := (&Resolved{}).Window(time.Now()); !start.IsZero() || !end.IsZero() {
		t.Error("no period, but a window")
	}
}

// TestClosed: a period is closed once its last day lies more than a day before today in
// the report's timezone; a fixed end_date likewise; no period and no end_date is open.
func TestClosed(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	report := func(period string, params map[string]any) *Report {
		r := &Report{Params: params, Resolved: Resolved{Location: berlin, WeekStart: time.Monday}}
		if period != "" {
			p, err := ParsePeriod(period)
			if err != nil {
				t.Fatal(err)
			}
			r.Resolved.Period = p
		}
		return r
	}
	for _, tc := range []struct {
		period string
		params map[string]any
		now    time.Time // in Berlin
		want   bool
	}{
		{"last_month", nil, time.Date(2026, 3, 1, 12, 0, 0, 0, berlin), false}, // February ended yesterday
		{"last_month", nil, time.Date(2026, 3, 1, 23, 59, 0, 0, berlin), false},
		{"last_month", nil, time.Date(2026, 3, 2, 0, 0, 0, 0, berlin), true}, // more than a day ago
		// 2 March 00:30 in Berlin is still 1 March in UTC: the timezone's day counts.
		{"last_month", nil, time.Date(2026, 3, 1, 23, 30, 0, 0, time.UTC), true},
		{"last_week", nil, time.Date(2026, 3, 3, 9, 0, 0, 0, berlin), true},  // Tuesday: Sunday is two days back
		{"last_week", nil, time.Date(2026, 3, 2, 9, 0, 0, 0, berlin), false}, // Monday
		{"yesterday", nil, time.Date(2026, 3, 2, 9, 0, 0, 0, berlin), false},
		{"this_month", nil, time.Date(2026, 3, 31, 9, 0, 0, 0, berlin), false},
		{"last_7_days", nil, time.Date(2026, 3, 31, 9, 0, 0, 0, berlin), false},
		{"", map[string]any{"end_date": "2026-02-27"}, time.Date(2026, 3, 1, 9, 0, 0, 0, berlin), true},
		{"", map[string]any{"end_date": "2026-02-28"}, time.Date(2026, 3, 1, 9, 0, 0, 0, berlin), false},
		{"", map[string]any{"start_date": "2026-02-01"}, time.Date(2027, 3, 1, 9, 0, 0, 0, berlin), false},
		{"", nil, time.Date(2026, 3, 1, 9, 0, 0, 0, berlin), false},
	} {
		if got := report(tc.period, tc.params).Closed(tc.now); got != tc.want {
			t.Errorf("%s %v at %s: Closed = %v, want %v", tc.period, tc.params, tc.now, got, tc.want)
		}
	}
}

// TestDayCalendar: the days of backfill. A day starts at its first instant and ends at
// its last second in the zone, also across a change of summer time and where midnight
// is skipped (Sao Paulo, 2018-11-04 began at 01:00); the values of a day are those of
// the period at its end, cut at the day.
func TestDayCalendar(t *testing.T) {
	berlin, sp := mustLocation(t, "Europe/Berlin"), mustLocation(t, "America/Sao_Paulo")
	date := func(s string) time.Time { d, _ := time.Parse(time.DateOnly, s); return d }
	for _, tc := range []struct {
		day        string
		loc        *time.Location
		start, end string
	}{
		{"2026-10-24", berlin, "2026-10-24T00:00:00+02:00", "2026-10-24T23:59:59+02:00"},
		{"2026-10-25", berlin, "2026-10-25T00:00:00+02:00", "2026-10-25T23:59:59+01:00"},
		{"2018-11-03", sp, "2018-11-03T00:00:00-03:00", "2018-11-03T23:59:59-03:00"},
		{"2018-11-04", sp, "2018-11-04T01:00:00-02:00", "2018-11-04T23:59:59-02:00"},
	} {
		if got := DayStart(date(tc.day), tc.loc).Format(time.RFC3339); got != tc.start {
			t.Errorf("DayStart(%s) = %s, want %s", tc.day, got, tc.start)
		}
		if got := EndOfDay(date(tc.day), tc.loc).Format(time.RFC3339); got != tc.end {
			t.Errorf("EndOfDay(%s) = %s, want %s", tc.day, got, tc.end)
		}
	}
	for _, tc := range []struct{ period, day, first, last string }{
		{"this_week", "2026-10-21", "2026-10-19", "2026-10-21"},   // a Wednesday: from its Monday, cut at the day
		{"last_month", "2026-11-03", "2026-10-01", "2026-10-31"},  // closed: the whole of October
		{"last_7_days", "2026-10-26", "2026-10-20", "2026-10-26"}, // six days before
		{"yesterday", "2026-11-30", "2026-11-29", "2026-11-29"},
	} {
		p, err := ParsePeriod(tc.period)
		if err != nil {
			t.Fatal(err)
		}
		r := Resolved{Period: p, Location: berlin, WeekStart: time.Monday}
		first, last, ok := r.WindowAtEndOf(date(tc.day))
		if !ok || first.Format(time.DateOnly) != tc.first || last.Format(time.DateOnly) != tc.last || first.Location() != berlin {
			t.Errorf("%s at the end of %s: %s to %s (%v), want %s to %s in Berlin", tc.period, tc.day, first, last, ok, tc.first, tc.last)
		}
	}
	if _, _, ok := (&Resolved{}).WindowAtEndOf(date("2026-10-21")); ok {
		t.Error("a report without a period has a window")
	}
}
