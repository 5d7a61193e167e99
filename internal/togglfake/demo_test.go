package togglfake

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"
	_ "time/tzdata" // the sweep runs in Europe/Berlin, across a DST change

	"github.com/toggl-exporter/toggl_exporter/discovery"
)

// fetchDemo asks a Demo fake for every demo report at the given time, over HTTP, and
// returns the bodies by type; the detailed report's pages are walked and joined into one
// body (each row once), and returned too.
func fetchDemo(t *testing.T, at time.Time) (map[string][]byte, []page) {
	t.Helper()
	f := Demo()
	f.SetClock(func() time.Time { return at })
	srv := newServer(t, f)
	bodies := map[string][]byte{}
	var pages []page
	for _, d := range DemoReports {
		ps := walkPages(t, srv, d.Token, nil, 10)
		for _, p := range ps {
			if p.err != nil || p.status != 200 || p.header.Get("Content-Type") != "application/json" {
				t.Fatalf("%s: %d %s %v", d.Name, p.status, p.header.Get("Content-Type"), p.err)
			}
			if p.header.Get(HeaderQuotaRemaining) == "" || p.header.Get(HeaderQuotaResetsIn) != "3600" {
				t.Errorf("%s: quota headers %q %q", d.Name, p.header.Get(HeaderQuotaRemaining), p.header.Get(HeaderQuotaResetsIn))
			}
		}
		if d.Period != "" { // by period: keep bodies[d.Type] the type's own
			bodies[d.Period] = joinPages(t, ps)
			continue
		}
		bodies[d.Type] = joinPages(t, ps)
		if d.Type == "detailed" {
			pages = ps
		}
	}
	return bodies, pages
}

// demoBody renders the demo report of type typ (the first of DemoReports with no Period)
// as it stands at now, asked without dates.
func demoBody(typ string, now time.Time) []byte {
	f := Demo()
	for _, d := range DemoReports {
		if d.Type == typ && d.Period == "" {
			return f.reports[d.Token].BodyFunc(now, nil)
		}
	}
	panic("no demo report of type " + typ)
}

// joinPages returns the first page with the rows of every page, each row once.
func joinPages(t *testing.T, pages []page) []byte {
	t.Helper()
	body := pages[0].body
	if res, ok := body["detailed_results"].(map[string]any); ok {
		var rows []any
		seen := map[int64]bool{}
		for _, p := range pages {
			rs := arr(t, obj(t, p.body["detailed_results"], "")["report"], "")
			for i, r := range p.rows {
				if !seen[r.id] {
					seen[r.id] = true
					rows = append(rows, rs[i])
				}
			}
		}
		res["report"] = rows
	}
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDemoReports(t *testing.T) {
	names, tokens, types := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, d := range DemoReports {
		names[d.Name], tokens[d.Token], types[d.Type] = true, true, true
		if len(d.Token) != 32 {
			t.Errorf("%s: token of %d characters, want 32", d.Name, len(d.Token))
		}
	}
	if len(DemoReports) != 5 || len(names) != 5 || len(tokens) != 5 || !types["detailed"] || !types["summary"] || !types["weekly"] {
		t.Fatalf("DemoReports = %+v, want five distinct reports, of every type", DemoReports)
	}
}

// TestDemoListing: the demo's workspace lists its reports under titles that discovery
// makes into their names, with the tokens they are served under.
func TestDemoListing(t *testing.T) {
	srv := newServer(t, Demo())
	a := do(t, context.Background(), srv, call{method: http.MethodGet, path: ListingPrefix + strconv.Itoa(DemoWorkspaceID) + "/reports/shared", auth: apiToken(DemoAPIToken)})
	var got []SavedReport
	if err := json.Unmarshal([]byte(a.body), &got); err != nil || a.status != 200 || len(got) != len(DemoReports) {
		t.Fatalf("%d %q: %v", a.status, a.body, err)
	}
	for i, d := range DemoReports {
		if g := got[i]; g.ID != d.ID || g.Token != d.Token || discovery.LabelSafeName(g.Name) != d.Name || !g.Public {
			t.Errorf("listed %+v for %+v", g, d)
		}
	}
}

// TestDemoPaging: the detailed report comes in pages of 50 with the headers once the week
// holds more than 50 rows, and then its first boundary falls between two rows starting at
// the same second; early in the week it is one page.
func TestDemoPaging(t *testing.T) {
	for _, at := range []time.Time{
		time.Date(2025, 3, 15, 15, 0, 0, 0, time.UTC), // Saturday afternoon
		time.Date(2025, 3, 16, 0, 5, 0, 0, time.UTC),  // Sunday, before anyone works
	} {
		_, pages := fetchDemo(t, at)
		if len(pages) < 2 {
			t.Fatalf("%v: %d pages, want several", at, len(pages))
		}
		for i, p := range pages {
			if p.header.Get(HeaderPageSize) != "50" || (i < len(pages)-1) != (p.header.Get(HeaderNextTimestamp) != "") {
				t.Errorf("%v page %d: X-Page-Size %q, X-Next-Timestamp %q", at, i+1, p.header.Get(HeaderPageSize), p.header.Get(HeaderNextTimestamp))
			}
		}
		last, second := pages[0].rows[49], pages[1].rows
		if second[0].id != last.id || second[1].start != last.start || pages[0].header.Get(HeaderNextID) != strconv.FormatInt(second[1].id, 10) {
			t.Errorf("%v: page 2 starts with %v, want page 1's last row %v again, then a row starting with it", at, second[:2], last)
		}
	}
	monday := time.Date(2025, 3, 10, 4, 0, 0, 0, time.UTC)
	if _, pages := fetchDemo(t, monday); len(pages) != 1 || len(pages[0].rows) != 1 {
		t.Errorf("Monday 04:00: %d pages, want one holding the running timer alone", len(pages))
	}
}

func TestDemoShape(t *testing.T) {
	saturday := time.Date(2025, 3, 15, 15, 0, 0, 0, time.UTC)
	bodies, _ := fetchDemo(t, saturday)

	f := checkReport(t, bodies["detailed"], "detailed")
	if !f.currencies["USD"] || !f.currencies["EUR"] || f.total["labour"] == 0 {
		t.Errorf("currencies %v, labour %d: want USD and EUR, a labour cost", f.currencies, f.total["labour"])
	}
	r := decodeReport(t, bodies["detailed"])
	if p := obj(t, r["input_params"], ""); p["start_date"] != "2025-03-10" || p["end_date"] != "2025-03-16" {
		t.Errorf("detailed input_params %v, want this week, 2025-03-10 to 2025-03-16", p)
	}
	d := obj(t, r["dictionaries"], "")
	var grouped, noProject, twoTags bool
	var running []time.Time
	onTask := map[string]int{}
	rows := arr(t, obj(t, r["detailed_results"], "")["report"], "")
	for _, rv := range rows {
		row := obj(t, rv, "row")
		if id, ok := row["task_id"].(json.Number); ok {
			// The task of the row's project and description, as agency has it.
			task := obj(t, obj(t, d["tasks"], "")[string(id)], "task "+string(id))
			if task["project_id"] != row["project_id"] || agency.task[num(t, id, "")].description != row["description"] {
				t.Errorf("row %v on task %v", row, task)
			}
			onTask[string(id)]++
		}
		entries := arr(t, row["time_entries"], "")
		grouped = grouped || len(entries) >= 2
		noProject = noProject || row["project_id"] == nil
		twoTags = twoTags || len(arr(t, row["tag_ids"], "")) == 2
		for _, ev := range entries {
			if te := obj(t, ev, ""); te["stop"] == nil {
				start, _ := time.Parse(time.RFC3339, te["start"].(string))
				running = append(running, start)
				if s := num(t, te["seconds"], ""); s != -start.Unix() {
					t.Errorf("running entry with seconds %d, want minus its start", s)
				}
			}
		}
	}
	if len(rows) <= 50 || !grouped || !noProject || !twoTags {
		t.Errorf("%d rows: grouped %v, without project %v, with two tags %v: want over 50, all", len(rows), grouped, noProject, twoTags)
	}
	if len(running) != 1 || !running[0].Equal(saturday.Add(-2*time.Hour)) {
		t.Errorf("running entries started at %v, want one at 13:00", running)
	}
	if len(onTask) != 3 {
		t.Errorf("rows on tasks %v, want rows on each of the three", onTask)
	}

	for k, want := range map[string]int{"projects": 6, "clients": 3, "users": 5, "tags": 5, "tasks": 3, "user_groups": 0} {
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

	// The summary: the same team over 30 days, by project and task.
	summary := checkReport(t, bodies["summary"], "summary")
	r = decodeReport(t, bodies["summary"])
	if p := obj(t, r["input_params"], ""); p["grouping"] != "projects" || p["sub_grouping"] != "tasks" || p["start_date"] != "2025-02-14" {
		t.Errorf("summary input_params %v, want 30 days by projects and tasks", p)
	}
	if summary.total["seconds"] <= f.total["seconds"] || !summary.currencies["USD"] || !summary.currencies["EUR"] {
		t.Errorf("summary: %d s in %v, want more than the week's %d s, in USD and EUR", summary.total["seconds"], summary.currencies, f.total["seconds"])
	}
	// Each task's time is that of its project's entries with its description: the same
	// days by project and description say how much.
	byDescription := map[[2]string]int64{}
	for _, g := range summaryGroups(t, Agency{}.Report("summary").BodyFunc(saturday, map[string]any{
		"start_date": "2025-02-14", "end_date": "2025-03-15", "grouping": "projects", "sub_grouping": "time_entries"})) {
		for _, sg := range arr(t, g["sub_groups"], "") {
			sg := obj(t, sg, "")
			byDescription[[2]string{fmt.Sprint(g["id"]), sg["title"].(string)}] += num(t, sg["seconds"], "")
		}
	}
	var nullGroup bool
	tasks := 0
	for _, g := range summaryGroups(t, bodies["summary"]) {
		nullGroup = nullGroup || g["id"] == nil
		for _, sv := range arr(t, g["sub_groups"], "") {
			sg := obj(t, sv, "")
			if sg["id"] == nil {
				continue // time on no task
			}
			task := obj(t, obj(t, d["tasks"], "")[string(sg["id"].(json.Number))], "task")
			want := byDescription[[2]string{fmt.Sprint(g["id"]), agency.task[num(t, sg["id"], "")].description}]
			if task["project_id"] != g["id"] || sg["title"] != task["name"] || num(t, sg["seconds"], "") != want || want == 0 {
				t.Errorf("summary sub-group %v of project %v: want the task %v, %d s", sg, g["id"], task, want)
			}
			tasks++
		}
	}
	if !nullGroup || tasks != 3 {
		t.Errorf("summary: group without project %v, %d tasks: want one, 3", nullGroup, tasks)
	}

	// The weekly report: the same days for two clients, Acme and Initech, in dollars only.
	weekly := checkReport(t, bodies["weekly"], "weekly")
	if len(weekly.currencies) != 1 || !weekly.currencies["USD"] || weekly.total["labour"] == 0 || weekly.total["amount"] == 0 {
		t.Errorf("weekly: currencies %v, labour %d, amount %d: want USD alone, a labour cost, an amount", weekly.currencies, weekly.total["labour"], weekly.total["amount"])
	}
	if weekly.total["seconds"] >= f.total["seconds"] {
		t.Errorf("weekly: %d s, want less than the whole team's %d s", weekly.total["seconds"], f.total["seconds"])
	}
	r = decodeReport(t, bodies["weekly"])
	if p := obj(t, r["input_params"], ""); p["start_date"] != "2025-03-10" {
		t.Errorf("weekly input_params %v, want this week, from 2025-03-10", p)
	}
	for _, rv := range arr(t, obj(t, r["weekly_results"], "")["report"], "") {
		if row := obj(t, rv, ""); row["currency"] != "USD" || (row["client_name"] != "Acme Corp" && row["client_name"] != "Initech") {
			t.Errorf("weekly row for %v in %v, want Acme Corp or Initech in USD", row["client_name"], row["currency"])
		}
	}
}

func TestDemoGrowsThroughTheDay(t *testing.T) {
	morning, _ := fetchDemo(t, time.Date(2025, 3, 12, 10, 0, 0, 0, time.UTC))
	afternoon, _ := fetchDemo(t, time.Date(2025, 3, 12, 15, 0, 0, 0, time.UTC))
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
// within a day, and that the detailed report always has one running entry and, once the
// days before today hold over 50 rows, rows 50 and 51 (the first page boundary) starting
// at the same second.
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
			if typ != "detailed" {
				continue
			}
			rows := reportRows(t, decodeReport(t, body))
			weekday := (int(at.Weekday()) + 6) % 7 // days of the week before today
			if n := runningEntries(t, body); n != 1 || weekday*AgencyEntriesPerDay/2 > 50 && rows[49].start != rows[50].start {
				t.Errorf("at %v: %d running entries, %d rows, rows 50 and 51 start at %d and %d", at, n, len(rows), rows[49].start, rows[50].start)
			}
		}
		lastDay = at.Day()
		if t.Failed() {
			t.FailNow()
		}
	}
}

// summaryGroups returns the groups of a summary report's body.
func summaryGroups(t *testing.T, body []byte) []map[string]any {
	t.Helper()
	var gs []map[string]any
	for _, g := range arr(t, obj(t, obj(t, decodeReport(t, body)["summary_results"], "")["report"], "")["groups"], "") {
		gs = append(gs, obj(t, g, "group"))
	}
	return gs
}

func runningEntries(t *testing.T, body []byte) int {
	t.Helper()
	n := 0
	r := decodeReport(t, body)
	for _, rv := range arr(t, obj(t, r["detailed_results"], "")["report"], "") {
		for _, ev := range arr(t, obj(t, rv, "")["time_entries"], "") {
			if te := obj(t, ev, ""); te["stop"] == nil && num(t, te["seconds"], "") < 0 {
				n++
			}
		}
	}
	return n
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

// TestDemoPeriods: team-today is today's detailed report with the running timer;
// team-last-week the closed week before this one, where Farah, a member, has tracked
// nothing.
func TestDemoPeriods(t *testing.T) {
	wednesday := time.Date(2025, 3, 12, 15, 0, 0, 0, time.UTC)
	bodies, _ := fetchDemo(t, wednesday)

	checkReport(t, bodies["today"], "detailed")
	r := decodeReport(t, bodies["today"])
	if p := obj(t, r["input_params"], ""); p["start_date"] != "2025-03-12" || p["end_date"] != "2025-03-12" {
		t.Errorf("today: input_params %v, want 2025-03-12 only", p)
	}
	running := 0
	for _, rv := range arr(t, obj(t, r["detailed_results"], "")["report"], "") {
		for _, ev := range arr(t, obj(t, rv, "row")["time_entries"], "") {
			if obj(t, ev, "")["stop"] == nil {
				running++
			}
		}
	}
	if running != 1 {
		t.Errorf("today: %d running entries, want the on-call timer", running)
	}

	checkReport(t, bodies["last_week"], "detailed")
	r = decodeReport(t, bodies["last_week"])
	if p := obj(t, r["input_params"], ""); p["start_date"] != "2025-03-03" || p["end_date"] != "2025-03-09" {
		t.Errorf("last_week: input_params %v, want Monday 2025-03-03 to Sunday 2025-03-09", p)
	}
	tracked := map[string]bool{}
	for _, rv := range arr(t, obj(t, r["detailed_results"], "")["report"], "") {
		tracked[string(obj(t, rv, "row")["user_id"].(json.Number))] = true
	}
	var idle []string
	members := Demo().workspaces[DemoWorkspaceID].Members
	for _, m := range members {
		if !tracked[strconv.FormatInt(m.UserID, 10)] {
			idle = append(idle, m.Name)
		}
	}
	if len(members) != 6 || len(idle) != 1 || idle[0] != "Farah Haddad" {
		t.Errorf("members who tracked nothing last week: %v of %d, want Farah Haddad of 6", idle, len(members))
	}
}

// TestDemoEstimates: projects-month compares 30 days with estimates over a project's
// life, so no project may reach the 80 % of TogglProjectEstimateNearlyUsed on any day
// (issue 23: a window that does not span the project fires no estimate alert), while the
// task panels show tasks from barely started to used up.
func TestDemoEstimates(t *testing.T) {
	var lowest, highest float64 = 1, 0
	for day := range 120 {
		at := time.Date(2025, 1, 1, 23, 59, 0, 0, time.UTC).AddDate(0, 0, day)
		body := demoBody("summary", at)
		d := obj(t, decodeReport(t, body)["dictionaries"], "")
		for _, g := range summaryGroups(t, body) {
			var projectSeconds int64
			for _, sv := range arr(t, g["sub_groups"], "") {
				sg := obj(t, sv, "")
				projectSeconds += num(t, sg["seconds"], "")
				if sg["id"] != nil {
					used := float64(num(t, sg["seconds"], "")) / float64(num(t, obj(t, obj(t, d["tasks"], "")[string(sg["id"].(json.Number))], "")["estimated_seconds"], ""))
					lowest, highest = min(lowest, used), max(highest, used)
				}
			}
			if g["id"] == nil {
				continue
			}
			if est, ok := obj(t, obj(t, d["projects"], "")[string(g["id"].(json.Number))], "")["estimated_seconds"].(json.Number); ok {
				if limit := 0.8 * float64(num(t, est, "")); float64(projectSeconds) >= limit {
					t.Errorf("%v: project %v tracked %d s in 30 days, 80 %% of its estimate is %g s", at.Format(time.DateOnly), g["id"], projectSeconds, limit)
				}
			}
		}
	}
	if lowest > 0.2 || highest < 0.9 {
		t.Errorf("tasks use %.2f to %.2f of their estimates in 30 days, want from under 0.2 to over 0.9", lowest, highest)
	}
	t.Logf("tasks use %.2f to %.2f of their estimates in 30 days", lowest, highest)
}
