package togglfake

import (
	"fmt"
	"os"
	"slices"
	"testing"
	"time"
)

// agencyBody asks Agency a for a report of type typ at now with the given request body.
func agencyBody(t *testing.T, a Agency, typ string, now time.Time, request map[string]any) (map[string]any, figures) {
	t.Helper()
	body := a.Report(typ).BodyFunc(now, request)
	f := checkReport(t, body, typ)
	return decodeReport(t, body), f
}

// graph returns the seconds of a report's totals.graph, one per day.
func graph(t *testing.T, r map[string]any, typ string) []int64 {
	t.Helper()
	var out []int64
	for _, g := range arr(t, obj(t, obj(t, r[typ+"_results"], "")["totals"], "")["graph"], "graph") {
		out = append(out, num(t, obj(t, g, "")["seconds"], "seconds"))
	}
	return out
}

// TestAgencyHonoursDates: a report covers exactly the days its request asks for, up to the
// fake's clock, whatever its type; the expectations are the dates and the zeros a
// calendar gives, and the sums of one-day reports.
func TestAgencyHonoursDates(t *testing.T) {
	wednesday := time.Date(2025, 3, 12, 14, 0, 0, 0, time.UTC)
	day := func(d int) time.Time { return time.Date(2025, 3, d, 0, 0, 0, 0, time.UTC) }
	var a Agency
	oneDay := func(d int) int64 { return a.Tracked(day(d), day(d), wednesday) }
	if oneDay(10) == 0 || oneDay(11) == 0 || oneDay(12) == 0 || oneDay(12) >= oneDay(11) || oneDay(13) != 0 {
		t.Fatalf("one day's seconds: 10th %d, 11th %d, 12th by 14:00 %d, 13th %d: want the 12th begun, the 13th empty",
			oneDay(10), oneDay(11), oneDay(12), oneDay(13))
	}

	// Monday and Tuesday: two days, each its own, no running timer (it runs on the 12th).
	r, f := agencyBody(t, a, "detailed", wednesday, map[string]any{"start_date": "2025-03-10", "end_date": "2025-03-11"})
	if g := graph(t, r, "detailed"); !slices.Equal(g, []int64{oneDay(10), oneDay(11)}) || f.total["seconds"] != oneDay(10)+oneDay(11) {
		t.Errorf("10th-11th: graph %v, %d s; want [%d %d]", g, f.total["seconds"], oneDay(10), oneDay(11))
	}
	for _, row := range reportRows(t, r) {
		if s := time.Unix(row.start, 0); s.Before(day(10)) || !s.Before(day(12)) {
			t.Errorf("10th-11th: a row starts at %v", s)
		}
	}
	if n := runningEntries(t, a.Report("detailed").BodyFunc(wednesday, map[string]any{"start_date": "2025-03-10", "end_date": "2025-03-11"})); n != 0 {
		t.Errorf("10th-11th: %d running entries, want none", n)
	}

	// Through the 20th: the future is empty; the timer started at 12:00 runs.
	r, f = agencyBody(t, a, "detailed", wednesday, map[string]any{"start_date": "2025-03-10", "end_date": "2025-03-20", "grouped": true})
	want := []int64{oneDay(10), oneDay(11), oneDay(12), 0, 0, 0, 0, 0, 0, 0, 0}
	if g := graph(t, r, "detailed"); !slices.Equal(g, want) || f.total["seconds"] != a.Tracked(day(10), day(20), wednesday) {
		t.Errorf("10th-20th: graph %v, %d s; want %v", g, f.total["seconds"], want)
	}
	for _, row := range reportRows(t, r) {
		if time.Unix(row.start, 0).After(wednesday) {
			t.Errorf("10th-20th: a row starts at %v, after the clock", time.Unix(row.start, 0))
		}
	}
	body := a.Report("detailed").BodyFunc(wednesday, map[string]any{"start_date": "2025-03-10", "end_date": "2025-03-20"})
	if n := runningEntries(t, body); n != 1 {
		t.Errorf("10th-20th: %d running entries, want the timer", n)
	}
	if p := obj(t, r["input_params"], ""); p["start_date"] != "2025-03-10" || p["end_date"] != "2025-03-20" || p["grouped"] != true {
		t.Errorf("input_params %v, want the request's", p)
	}

	// The same days as a summary (by clients and users) and a weekly report (7 days from
	// start_date, end_date ignored) count the same seconds.
	_, f = agencyBody(t, a, "summary", wednesday, map[string]any{"start_date": "2025-03-10", "end_date": "2025-03-11", "grouping": "clients", "sub_grouping": "users"})
	if f.total["seconds"] != oneDay(10)+oneDay(11) {
		t.Errorf("summary 10th-11th: %d s, want %d", f.total["seconds"], oneDay(10)+oneDay(11))
	}
	r, f = agencyBody(t, a, "weekly", wednesday, map[string]any{"start_date": "2025-03-11", "end_date": "2025-03-11"})
	if g := graph(t, r, "weekly"); !slices.Equal(g, []int64{oneDay(11), oneDay(12), 0, 0, 0, 0, 0}) {
		t.Errorf("weekly from the 11th: graph %v, want the 11th, the 12th so far, five empty days", g)
	}
	for _, rv := range arr(t, obj(t, r["weekly_results"], "")["report"], "") {
		if s := arr(t, obj(t, rv, "")["seconds"], ""); len(s) != 7 || fmt.Sprint(s[2:]) != "[0 0 0 0 0]" {
			t.Errorf("weekly row seconds %v, want 7 days, the last five empty", s)
		}
	}

	// Without dates: this week, Monday to Sunday. At 04:00 on Monday nothing has ended.
	monday := time.Date(2025, 3, 10, 4, 0, 0, 0, time.UTC)
	r, f = agencyBody(t, a, "detailed", monday, nil)
	if p := obj(t, r["input_params"], ""); p["start_date"] != "2025-03-10" || p["end_date"] != "2025-03-16" || f.total["seconds"] != 0 {
		t.Errorf("Monday 04:00: %v, %d s; want this week, 0 s", p, f.total["seconds"])
	}
	if g := graph(t, r, "detailed"); len(g) != 7 {
		t.Errorf("Monday 04:00: graph of %d days, want 7", len(g))
	}

	// First and Last bound the days of a history, which runs no timer.
	b := Agency{First: day(11), Last: day(11)}
	r, f = agencyBody(t, b, "detailed", wednesday, map[string]any{"start_date": "2025-03-10", "end_date": "2025-03-12"})
	if g := graph(t, r, "detailed"); !slices.Equal(g, []int64{0, oneDay(11), 0}) || b.Tracked(day(1), day(31), wednesday) != oneDay(11) {
		t.Errorf("a history of the 11th: graph %v, want [0 %d 0]", g, oneDay(11))
	}
	if n := runningEntries(t, Agency{First: day(11), Last: day(12)}.Report("detailed").BodyFunc(wednesday, map[string]any{"start_date": "2025-03-12"})); n != 0 {
		t.Errorf("a history to the 12th runs %d timers on the 12th", n)
	}
}

// TestAgencyLocation: dates are read, and days cut, in the agency's location.
func TestAgencyLocation(t *testing.T) {
	tokyo := time.FixedZone("JST", 9*3600)
	a := Agency{Loc: tokyo}
	now := time.Date(2025, 3, 12, 12, 0, 0, 0, time.UTC) // 21:00 in Tokyo: the 12th is over there
	r, f := agencyBody(t, a, "detailed", now, map[string]any{"start_date": "2025-03-12", "end_date": "2025-03-12"})
	if f.total["seconds"] != a.Tracked(time.Date(2025, 3, 12, 0, 0, 0, 0, tokyo), time.Date(2025, 3, 12, 0, 0, 0, 0, tokyo), now) || f.total["seconds"] == 0 {
		t.Errorf("%d s on the 12th in Tokyo", f.total["seconds"])
	}
	for _, row := range reportRows(t, r) {
		if s := time.Unix(row.start, 0).In(tokyo); s.Day() != 12 || s.Hour() < 8 {
			t.Errorf("a row starts at %v, want the 12th from 08:00 in Tokyo", s)
		}
	}
}

// TestRehearsal: any token is a report of the agency, shaped by the request, and any
// workspace lists the demo's reports, whatever the credentials.
func TestRehearsal(t *testing.T) {
	f := Rehearsal()
	at := time.Date(2025, 3, 12, 15, 0, 0, 0, time.UTC)
	f.SetClock(func() time.Time { return at })
	srv := newServer(t, f)
	p := fetchPage(t, srv, "someone-elses-token-0123456789ab", map[string]any{"start_date": "2025-03-11", "end_date": "2025-03-11"})
	if p.status != 200 || p.body["report_type"] != "detailed" || p.header.Get(HeaderPageSize) != "50" {
		t.Fatalf("detailed: %d %v %q", p.status, p.body["report_type"], p.header.Get(HeaderPageSize))
	}
	if g := graph(t, p.body, "detailed"); !slices.Equal(g, []int64{Agency{}.Tracked(at.AddDate(0, 0, -1), at.AddDate(0, 0, -1), at)}) {
		t.Errorf("rehearsal graph %v, want the 11th's", g)
	}
	if p := fetchPage(t, srv, "another-token-0123456789abcdef01", map[string]any{"grouping": "users"}); p.status != 200 || p.body["report_type"] != "summary" {
		t.Errorf("a grouping: %d %v, want a summary", p.status, p.body["report_type"])
	}
	if p := fetchPage(t, srv, DemoReports[2].Token, nil); p.body["report_type"] != "weekly" {
		t.Errorf("the demo's own reports change: %v", p.body["report_type"])
	}
	a := do(t, t.Context(), srv, call{method: "GET", path: ListingPrefix + "77/reports/shared", auth: apiToken("whatever-token-0123456789abcdef")})
	if a.status != 200 || len(a.body) < 10 {
		t.Errorf("listing of any workspace: %d %s", a.status, a.body)
	}
}

// TestStandIns: what exists is read as it is; what is missing gets a stand-in, the same
// for the same name, long enough for any token, and is told of.
func TestStandIns(t *testing.T) {
	var told []string
	lookupEnv, readFile := StandIns(func(kind, name string, err error) { told = append(told, kind+" "+name) })
	t.Setenv("STANDIN_SET", "value")
	if v, ok := lookupEnv("STANDIN_SET"); v != "value" || !ok {
		t.Errorf("a set variable reads %q %v", v, ok)
	}
	a, okA := lookupEnv("STANDIN_UNSET_A")
	a2, _ := lookupEnv("STANDIN_UNSET_A")
	b, _ := lookupEnv("STANDIN_UNSET_B")
	if !okA || a != a2 || a == b || len(a) < 32 {
		t.Errorf("stand-ins %q %q %q: want set, the same for one name, 32 characters or more", a, a2, b)
	}
	path := t.TempDir() + "/token"
	if err := os.WriteFile(path, []byte("secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	if v, err := readFile(path); string(v) != "secret" || err != nil {
		t.Errorf("an existing file reads %q %v", v, err)
	}
	if v, err := readFile(path + "-missing"); len(v) < 32 || err != nil {
		t.Errorf("a missing file reads %q %v", v, err)
	}
	if _, err := readFile(t.TempDir()); err == nil {
		t.Error("a directory is read")
	}
	if want := []string{"variable STANDIN_UNSET_A", "variable STANDIN_UNSET_A", "variable STANDIN_UNSET_B", "file " + path + "-missing"}; !slices.Equal(told, want) {
		t.Errorf("told %v, want %v", told, want)
	}
}
