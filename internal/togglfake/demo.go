package togglfake

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/toggl-exporter/toggl_exporter/config"
)

// DemoReport names one of the demo's shared reports.
type DemoReport struct {
	Name   string // a name for the exporter's configuration (the `report` label)
	Title  string // its name in the workspace's listing, which Name comes from
	ID     int64  // its id in the listing
	Token  string // the shared report token the Fake serves it under
	Type   string // report_type: "detailed", "summary" or "weekly"
	Period string // the window it covers instead of its type's: "today" or "last_week"
	report agencyReport
}

// DemoReports are the reports Demo serves, of every type, all public. Asked without
// dates, each covers its saved period as of the Fake's clock.
var DemoReports = []DemoReport{
	// This week so far, grouped rows, paged, two currencies.
	{Name: "team-week", Title: "Team week", ID: 9001, Token: "demo-team-week-detailed-4f1c9a2e", Type: "detailed",
		report: agencyReport{name: "Team – this week", params: map[string]any{"grouped": true}, call: true}},
	// 30 days by project and task: long enough for the dashboard's estimates (see agency).
	{Name: "projects-month", Title: "Projects month", ID: 9002, Token: "demo-month-summary-8d03e6b15a7c2", Type: "summary",
		report: agencyReport{name: "Projects and tasks – last 30 days", saved: "last_30_days",
			params: map[string]any{"grouping": "projects", "sub_grouping": "tasks"}}},
	// This week for two clients, Acme and Initech, billed in dollars.
	{Name: "weekly-timesheet", Title: "Weekly timesheet", ID: 9003, Token: "demo-support-weekly-c27a90f4d1e5", Type: "weekly",
		report: agencyReport{name: "Acme and Initech – weekly timesheet", params: map[string]any{"client_ids": []int64{100, 102}}}},
	// Today, with the running timer: who is tracking now, nobody tracked yet.
	{Name: "team-today", Title: "Team today", ID: 9004, Token: "demo-team-today-detailed-5e82b1c", Type: "detailed", Period: "today",
		report: agencyReport{name: "Team – today", params: map[string]any{"grouped": true}}},
	// Last week, closed, so that under-expected hours can be judged, with figures when this
	// week has none yet (Monday morning).
	{Name: "team-last-week", Title: "Team last week", ID: 9005, Token: "demo-last-week-detailed-7a3d90e1", Type: "detailed", Period: "last_week",
		report: agencyReport{name: "Team – last week", params: map[string]any{"grouped": true}}},
}

// DemoWorkspaceID lists DemoReports to DemoAPIToken, so that the demo discovers its
// reports as a user would.
const (
	DemoWorkspaceID = 4242
	DemoAPIToken    = "demo-api-token-0b5e7c1d9a3f4e26"
)

// Demo returns a Fake serving DemoReports over the Agency's time entries (in the Fake
// clock's location) and listing them and the agency's members. Its quota, 3600 requests an
// hour, is never spent by an exporter pacing one request a second. Detailed reports come
// in pages of 50 rows, and team-week's first page boundary falls between two rows that
// start at the same second, so that a walk sees a row twice. It records only the latest
// 1000 requests, so that a long-running demo does not grow.
func Demo() *Fake {
	f := New()
	f.maxRequests = 1000
	f.SetQuota(3600, time.Hour)
	ws := Workspace{APIToken: DemoAPIToken}
	for _, d := range DemoReports {
		r := d.report
		r.typ, r.saved = d.Type, cmp.Or(r.saved, d.Period)
		rep := Report{BodyFunc: r.body}
		if d.Type == "detailed" {
			rep.Paging = &Paging{}
		}
		f.Set(d.Token, rep)
		ws.Reports = append(ws.Reports, SavedReport{ID: d.ID, Name: d.Title, Token: d.Token, Public: true})
	}
	// The five who track time every day, with working hours, and Farah, who joined this
	// month, has none set and has tracked nothing.
	for _, u := range agency.users {
		ws.Members = append(ws.Members, Member{UserID: u.ID, Name: u.Name, Email: u.Email, WorkingHoursInMinutes: 480})
	}
	ws.Members = append(ws.Members, Member{UserID: 10005, Name: "Farah Haddad", Email: "farah@example.com"})
	f.SetWorkspace(DemoWorkspaceID, ws)
	return f
}

// Rehearsal returns a Demo that also answers any other token, whatever the credentials,
// with Agency.Report(""), paged, and lists the demo's reports in any workspace: a user's
// own configuration runs against it before the user has any token.
func Rehearsal() *Fake {
	f := Demo()
	rep := Agency{}.Report("")
	rep.Paging = &Paging{}
	ws := f.workspaces[DemoWorkspaceID]
	ws.APIToken = "" // any credentials list it
	f.reports[""], f.workspaces[anyWorkspace] = rep, ws
	return f
}

// StandIns returns what a rehearsal reads a configuration's secrets with: the environment
// and the disk, but an unset variable or an unreadable file gets a stand-in, the same for
// the same name, which missing is told of (kind "variable" or "file").
func StandIns(missing func(kind, name string, err error)) (lookupEnv func(string) (string, bool), readFile func(string) ([]byte, error)) {
	standIn := func(kind, name string, err error) string {
		missing(kind, name, err)
		sum := sha256.Sum256([]byte(kind + name))
		return "rehearsal" + hex.EncodeToString(sum[:12])
	}
	lookupEnv = func(name string) (string, bool) {
		if v, ok := os.LookupEnv(name); ok {
			return v, ok
		}
		return standIn("variable", name, errors.New("not set")), true
	}
	readFile = func(path string) ([]byte, error) {
		if st, err := os.Stat(path); err == nil && !st.Mode().IsRegular() {
			return nil, fmt.Errorf("%s: not a regular file", path) // a pipe would block the reload
		}
		b, err := os.ReadFile(path)
		if err != nil {
			b = []byte(standIn("file", path, err))
		}
		return b, nil
	}
	return lookupEnv, readFile
}

// Agency is the demo's workspace as a source of reports: five people, six projects for
// three clients (USD and EUR), three tasks with estimates. Each day's entries are drawn
// from a generator seeded by the date, between 08:00 and 18:00, and exist once ended by
// the Fake's clock, so that figures grow through the day. Unless Last is set, one timer
// runs, started two to three hours ago but today.
type Agency struct {
	Loc         *time.Location // the days of its entries and of requests' dates; nil: the Fake clock's
	First, Last time.Time      // bound the days on which it tracked time (inclusive); zero: no bound
	PerDay      int            // time entries a day; 0 means AgencyEntriesPerDay (fewer serve long histories quickly)
}

// AgencyEntriesPerDay is how many time entries the Agency tracks a day by default.
const AgencyEntriesPerDay = 24

// Report returns a Report of type typ ("": a summary when the request names a grouping or
// sub_grouping, else detailed) over the days from the request's start_date to its end_date
// (or today; a weekly report: seven days), else this week. grouped, grouping and
// sub_grouping shape it as Toggl's; other filters are not applied.
func (a Agency) Report(typ string) Report {
	return Report{BodyFunc: agencyReport{Agency: a, typ: typ, name: "Agency"}.body}
}

// Tracked returns the totals.seconds of a report of the days from first to last
// (inclusive, in a.Loc, else in now's location) at now.
func (a Agency) Tracked(first, last, now time.Time) int64 {
	loc := cmp.Or(a.Loc, now.Location())
	p := period{first: midnight(first.In(loc)), days: int(civilDay(last.In(loc)) - civilDay(first.In(loc)) + 1)}
	var sum int64
	for _, e := range (agencyReport{Agency: a}).entries(p, now.In(loc)) {
		sum += e.seconds()
	}
	return sum
}

// agencyReport is one of the Agency's reports; the request's params override its own.
type agencyReport struct {
	Agency
	typ, name string
	params    map[string]any // client_ids keeps those clients' entries
	saved     string         // the period without dates: "" (this week), "today", "last_week" or "last_30_days"
	call      bool           // add the call at the first page boundary (see Demo)
}

// body renders the report that request asks for at now.
func (r agencyReport) body(now time.Time, request map[string]any) []byte {
	now = now.In(cmp.Or(r.Loc, now.Location()))
	params := map[string]any{}
	maps.Copy(params, r.params)
	maps.Copy(params, request)
	delete(params, "first_timestamp")
	typ := r.typ
	if typ == "" && (params["grouping"] != nil || params["sub_grouping"] != nil) {
		typ = "summary"
	}
	typ = cmp.Or(typ, "detailed")
	p := r.period(now, params, typ)
	entries := r.entries(p, now)
	if typ == "detailed" && r.call {
		entries = withBoundaryCall(p, entries, now)
	}
	rows := [][]entry{entries}
	switch {
	case typ == "detailed" && params["grouped"] == true:
		rows = groupRows(p, entries)
	case typ == "detailed": // a row an entry
		rows = groupBy(entries, func(e *entry) int64 { return e.id })
	}
	return agency.marshalReport(r.name, typ, params, p, rows)
}

// period returns the days params ask for at now (see Agency.Report), else r.saved's
// window as the exporter's own period computes it.
func (r agencyReport) period(now time.Time, params map[string]any, typ string) period {
	date := func(key string, t time.Time) time.Time {
		s, _ := params[key].(string)
		if d, err := time.ParseInLocation(time.DateOnly, s, now.Location()); err == nil {
			return d
		}
		return t
	}
	saved, _ := config.ParsePeriod(cmp.Or(r.saved, "this_week"))
	first, last := saved.Window(now, now.Location(), time.Monday)
	if start := date("start_date", time.Time{}); !start.IsZero() {
		first, last = start, date("end_date", now)
		if typ == "weekly" {
			last = start.AddDate(0, 0, 6)
		}
	}
	return period{first, max(int(civilDay(last)-civilDay(first))+1, 1)}
}

// midnight returns the start of t's day in its location.
func midnight(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, t.Location())
}

// agency is the Agency's world. A project's estimate is a budget over its life: its 30
// days (130 to 190 hours) use under half of it, so that no estimate alert fires on a
// window that does not span the project (issue 23). A task's 30 days (10 to 40 hours)
// use a tenth of its estimate to all of it, so that the task panels show every shade.
var agency = func() *world {
	w := generateWorld(DetailedSpec{Projects: 6, Clients: 3, Users: 5, Tags: 5}, rand.New(rand.NewPCG(4242, 0)))
	for i, name := range []string{"Acme Corp", "Globex GmbH", "Initech"} {
		w.clients[i].Name = name
	}
	for i, name := range []string{"Website Relaunch", "SAP Integration", "Support Retainer", "Internal Tooling", "Workshops", "Data Platform"} {
		w.projects[i].name = name
		w.projects[i].estimated = map[int]int64{0: 600, 2: 800, 4: 400}[i] * 3600
	}
	for i, name := range []string{"Alice Moreau", "Bao Nguyen", "Carla Jensen", "Dmitri Volkov", "Emeka Okafor"} {
		w.users[i].Name, w.users[i].Email = name, strings.ToLower(strings.Fields(name)[0])+"@example.com"
	}
	for i, name := range []string{"design", "backend", "frontend", "meeting", "bugfix"} {
		w.tags[i].Name = name
	}
	w.tasks = []taskJSON{
		{ID: 3000, ProjectID: 1000, Name: "Build", description: "Development", EstimatedSeconds: new(int64(120 * 3600))},
		{ID: 3001, ProjectID: 1000, Name: "QA", description: "Testing", EstimatedSeconds: new(int64(40 * 3600))},
		{ID: 3002, ProjectID: 1005, Name: "Pipelines", description: "Development", EstimatedSeconds: new(int64(60 * 3600))},
	}
	w.index()
	return w
}()

// entries returns the Agency's entries of p (within First and Last, of the clients r's
// client_ids name) that have ended by now, in order of start, and the timer, so that only
// one runs. Time-entry ids are day*1000 + k; the timer's is 10^9 + its start in hours.
func (r agencyReport) entries(p period, now time.Time) []entry {
	inBounds := func(t time.Time) bool {
		return (r.First.IsZero() || civilDay(t) >= civilDay(r.First)) && (r.Last.IsZero() || civilDay(t) <= civilDay(r.Last))
	}
	clients, _ := r.params["client_ids"].([]int64)
	drop := func(e entry) bool {
		return e.stop.After(now) || clients != nil && !slices.Contains(clients, agency.project[e.project].clientID)
	}
	var entries []entry
	for d := range p.days {
		if day := p.first.AddDate(0, 0, d); inBounds(day) {
			civil := civilDay(day)
			rows := agency.generateRows(DetailedSpec{Entries: cmp.Or(r.PerDay, AgencyEntriesPerDay), PerRow: 2},
				period{day, 1}, civil*1000, rand.New(rand.NewPCG(uint64(civil), 0)))
			entries = append(entries, slices.DeleteFunc(slices.Concat(rows...), drop)...)
		}
	}
	// Started two to three hours ago (but today), the same all hour long.
	timer := entry{user: 10003, project: 1002, description: "On-call: production incident", billable: true, running: true,
		start: now.Truncate(time.Hour).Add(-2 * time.Hour)}
	if today := midnight(now); timer.start.Before(today) {
		timer.start = today
	}
	timer.id = 1e9 + timer.start.Unix()/3600
	if p.day(timer.start) >= 0 && r.Last.IsZero() && inBounds(timer.start) && !drop(timer) {
		entries = append(entries, timer)
	}
	slices.SortFunc(entries, compareStart)
	return entries
}

// withBoundaryCall adds to entries (of p, in order of start) a call that the next user
// joins at the very second the last row of the first page starts: the second page then
// repeats that row. Only when the days before today hold more than a page of rows, so
// that the call is the same all day long.
func withBoundaryCall(p period, entries []entry, now time.Time) []entry {
	today := midnight(now)
	rows := groupRows(p, slices.DeleteFunc(slices.Clone(entries), func(e entry) bool { return !e.start.Before(today) }))
	if len(rows) <= DefaultPageSize {
		return entries
	}
	a := rows[DefaultPageSize-1][0]
	call := entry{id: a.id + 5e8, user: agency.users[(a.user+1-agency.users[0].ID)%int64(len(agency.users))].ID, project: a.project,
		description: "Call with " + agency.user[a.user].Name, billable: a.billable, start: a.start, stop: a.start.Add(10 * time.Minute)}
	i, _ := slices.BinarySearchFunc(entries, call, compareStart)
	return slices.Insert(slices.Clone(entries), i, call)
}
