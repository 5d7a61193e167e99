package togglfake

import (
	"io"
	"net/http"
	"testing"
	"time"
	_ "time/tzdata" // the sweep runs in Europe/Berlin, across a DST change
)

// fetchDemo asks a Demo fake for every demo report at the given time, over HTTP.
func fetchDemo(t *testing.T, at time.Time) map[string][]byte {
	t.Helper()
	f := Demo()
	f.SetClock(func() time.Time { return at })
	srv := newServer(t, f)
	bodies := map[string][]byte{}
	for _, d := range DemoReports {
		resp, err := http.Post(srv.URL+PathPrefix+d.Token, "application/json", nil)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" {
			t.Fatalf("%s: %d %s %v", d.Name, resp.StatusCode, resp.Header.Get("Content-Type"), err)
		}
		bodies[d.Type] = body
	}
	return bodies
}

func TestDemoReports(t *testing.T) {
	names, tokens, types := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, d := range DemoReports {
		names[d.Name], tokens[d.Token], types[d.Type] = true, true, true
	}
	if len(DemoReports) != 3 || len(names) != 3 || len(tokens) != 3 || !types["detailed"] || !types["summary"] || !types["weekly"] {
		t.Fatalf("DemoReports = %+v, want three distinct reports, one per type", DemoReports)
	}
}

func TestDemoShape(t *testing.T) {
	wednesday := time.Date(2025, 3, 12, 15, 0, 0, 0, time.UTC)
	bodies := fetchDemo(t, wednesday)

	f := checkReport(t, bodies["detailed"], "detailed")
	if !f.currencies["USD"] || !f.currencies["EUR"] {
		t.Errorf("currencies %v, want USD and EUR", f.currencies)
	}
	r := decodeReport(t, bodies["detailed"])
	if p := obj(t, r["input_params"], ""); p["start_date"] != "2025-03-06" || p["end_date"] != "2025-03-12" {
		t.Errorf("detailed input_params %v, want the 7 days to 2025-03-12", p)
	}
	var grouped, running, noProject, twoTags bool
	for _, rv := range arr(t, obj(t, r["detailed_results"], "")["report"], "") {
		row := obj(t, rv, "row")
		entries := arr(t, row["time_entries"], "")
		grouped = grouped || len(entries) >= 2
		noProject = noProject || row["project_id"] == nil
		twoTags = twoTags || len(arr(t, row["tag_ids"], "")) == 2
		for _, ev := range entries {
			if te := obj(t, ev, ""); te["stop"] == nil {
				running = true
				if s := num(t, te["seconds"], ""); s >= 0 {
					t.Errorf("running entry with seconds %d", s)
				}
			}
		}
	}
	if !grouped || !running || !noProject || !twoTags {
		t.Errorf("rows: grouped %v, running %v, without project %v, with two tags %v: want all", grouped, running, noProject, twoTags)
	}

	d := obj(t, r["dictionaries"], "")
	for k, want := range map[string]int{"projects": 6, "clients": 3, "users": 5, "tags": 5, "tasks": 6, "user_groups": 2} {
		if n := len(obj(t, d[k], k)); n != want {
			t.Errorf("%d %s, want %d", n, k, want)
		}
	}
	var estimated, noClient int
	for _, pv := range obj(t, d["projects"], "") {
		p := obj(t, pv, "")
		if p["estimated_seconds"] != nil {
			estimated++
		}
		if p["client_id"] == nil {
			noClient++
		}
	}
	if estimated == 0 || estimated == 6 || noClient != 1 {
		t.Errorf("%d projects with an estimate, %d without client; want some, 1", estimated, noClient)
	}

	checkReport(t, bodies["summary"], "summary")
	r = decodeReport(t, bodies["summary"])
	if p := obj(t, r["input_params"], ""); p["grouping"] != "clients" || p["sub_grouping"] != "projects" {
		t.Errorf("summary input_params %v, want clients/projects", p)
	}
	var nullGroup, nullSub bool
	for _, gv := range arr(t, obj(t, obj(t, r["summary_results"], "")["report"], "")["groups"], "") {
		g := obj(t, gv, "")
		nullGroup = nullGroup || g["id"] == nil
		for _, sv := range arr(t, g["sub_groups"], "") {
			nullSub = nullSub || obj(t, sv, "")["id"] == nil
		}
	}
	if !nullGroup || !nullSub {
		t.Errorf("summary: group without client %v, sub-group without project %v: want both", nullGroup, nullSub)
	}

	weekly := checkReport(t, bodies["weekly"], "weekly")
	if weekly.total["seconds"] != f.total["seconds"] || weekly.total["amount"] != f.total["amount"] {
		t.Errorf("weekly and detailed cover the same 7 days but differ: %v vs %v", weekly.total, f.total)
	}
}

func TestDemoGrowsThroughTheDay(t *testing.T) {
	morning := fetchDemo(t, time.Date(2025, 3, 12, 10, 0, 0, 0, time.UTC))
	afternoon := fetchDemo(t, time.Date(2025, 3, 12, 15, 0, 0, 0, time.UTC))
	for _, d := range DemoReports {
		am := checkReport(t, morning[d.Type], d.Type).total
		pm := checkReport(t, afternoon[d.Type], d.Type).total
		for _, k := range []string{"seconds", "amount", "labour", "rates"} {
			if pm[k] <= am[k] {
				t.Errorf("%s: %s %d at 15:00, %d at 10:00: want growth", d.Name, k, pm[k], am[k])
			}
		}
		t.Logf("%s at 10:00 %v, at 15:00 %v", d.Name, am, pm)
	}
}

// TestDemoSweep checks, every 253 minutes (to land on varied times) over nine days across
// a weekend and a DST change, that each report is consistent, that figures never drop
// within a day, and that a running entry is always there.
func TestDemoSweep(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2025, 3, 24, 0, 0, 0, 0, berlin) // Monday; clocks go forward on the 30th
	last := map[string]int64{}
	lastDay := -1
	step := 253 * time.Minute
	if testing.Short() {
		step = 12 * time.Hour
	}
	for at := start; at.Before(start.AddDate(0, 0, 9)); at = at.Add(step) {
		for _, typ := range []string{"detailed", "summary", "weekly"} {
			body := demoBody(typ, at)
			f := checkReport(t, body, typ)
			// The window moves at midnight: figures only compare within a day.
			if at.Day() == lastDay && f.total["seconds"] < last[typ] {
				t.Errorf("%s at %v: seconds dropped from %d to %d", typ, at, last[typ], f.total["seconds"])
			}
			last[typ] = f.total["seconds"]
			if typ == "detailed" && !hasRunningEntry(t, body) {
				t.Errorf("no running entry at %v", at)
			}
		}
		lastDay = at.Day()
		if t.Failed() {
			t.FailNow()
		}
	}
}

func hasRunningEntry(t *testing.T, body []byte) bool {
	t.Helper()
	r := decodeReport(t, body)
	for _, rv := range arr(t, obj(t, r["detailed_results"], "")["report"], "") {
		for _, ev := range arr(t, obj(t, rv, "")["time_entries"], "") {
			if te := obj(t, ev, ""); te["stop"] == nil && num(t, te["seconds"], "") < 0 {
				return true
			}
		}
	}
	return false
}

func TestDemoIsPublicAndBounded(t *testing.T) {
	f := Demo()
	srv := newServer(t, f)
	for range 1500 {
		post(t, srv, "not-a-demo-token") // cheap: 404
	}
	if n := len(f.Requests()); n > 1000 {
		t.Errorf("Demo keeps %d requests", n)
	}
	if n := f.Count("not-a-demo-token"); n != 1500 {
		t.Errorf("Count = %d, want 1500", n)
	}
	f.Reset()
	for _, d := range DemoReports {
		wantStatus(t, post(t, srv, d.Token), 200)
	}
	for _, r := range f.Requests() {
		if !r.AuthOK || r.AuthKind != AuthNone {
			t.Errorf("anonymous demo request recorded as %+v", r)
		}
	}
}

func wantStatus(t *testing.T, got answer, status int) {
	t.Helper()
	if got.err != nil || got.status != status {
		t.Fatalf("got %d %v, want %d", got.status, got.err, status)
	}
}
