package togglfake

import (
	"math/rand/v2"
	"slices"
	"strings"
	"time"
)

// DemoReport names one of the demo's shared reports.
type DemoReport struct {
	Name  string // a name for the exporter's configuration (the `report` label)
	Title string // its name in Toggl, as the workspace's listing shows it: Name comes from it
	ID    int64  // its id in the listing
	Token string // the shared report token the Fake serves it under
	Type  string // report_type: "detailed", "summary" or "weekly"
	// Period, when set, is the window the report covers instead of its type's: "today"
	// or "last_week" (Monday to Sunday before this week, a closed period).
	Period string
}

// DemoReports are the reports Demo serves, one per report type, all public, each with data
// of its own. They are rolling windows ending today, by the Fake's clock.
var DemoReports = []DemoReport{
	// The agency's last 7 days, grouped rows, paged (see Demo), two currencies.
	{Name: "team-week", Title: "Team week", ID: 9001, Token: "demo-team-week-detailed-4f1c9a2e", Type: "detailed"},
	// The agency's last 30 days by project and person: who tracked what.
	{Name: "clients-month", Title: "Clients month", ID: 9002, Token: "demo-month-summary-8d03e6b15a7c2", Type: "summary"},
	// The agency's 7 days ending today for two clients, Acme and Initech, billed in dollars.
	{Name: "weekly-timesheet", Title: "Weekly timesheet", ID: 9003, Token: "demo-support-weekly-c27a90f4d1e5", Type: "weekly"},
	// The agency today, with the running timer: who is tracking now, nobody tracked yet.
	{Name: "team-today", Title: "Team today", ID: 9004, Token: "demo-team-today-detailed-5e82b1c", Type: "detailed", Period: "today"},
	// Last week by person and project: closed, so under-expected hours can be judged.
	{Name: "team-last-week", Title: "Team last week", ID: 9005, Token: "demo-last-week-summary-7a3d90e1b", Type: "summary", Period: "last_week"},
}

// DemoMembers are the active members of DemoWorkspaceID, as its member listing shows
// them: the agency's five people, who track time every day, and Farah, who joined this
// month and has tracked nothing.
var DemoMembers = func() []Member {
	var m []Member
	for _, u := range agency.users {
		m = append(m, Member{UserID: u.id, Name: u.name, Email: u.email})
	}
	return append(m, Member{UserID: 10005, Name: "Farah Haddad", Email: "farah@example.com"})
}()

// DemoWorkspaceID is the demo's workspace: its listing (see SetWorkspace) shows
// DemoReports to DemoAPIToken, so that the demo discovers its reports as a user would.
const (
	DemoWorkspaceID = 4242
	DemoAPIToken    = "demo-api-token-0b5e7c1d9a3f4e26"
)

// demoQuota is the demo's hourly API quota: one request a second on average, which an
// exporter pacing one request a second per credential can never exhaust, so that the
// quota figures move but the demo never goes down.
const demoQuota = 3600

// Demo returns a Fake serving DemoReports with quota headers (see SetQuota, demoQuota),
// and listing them in workspace DemoWorkspaceID.
// An agency of five people tracks time on six projects for three clients (USD and EUR):
// the generator's (see DetailedSpec) with names. The bodies are computed at each request
// from the Fake's clock: each day's entries are drawn from a generator seeded by the date,
// start between 08:00 and 18:00 in the clock's location, and appear as they end, so the
// figures grow through the day. The on-call person always has one timer running, started
// two to three hours ago (null stop, negative seconds): it counts in no total. The
// detailed report comes in pages of 50 rows, and its first page boundary always falls
// between two rows that start at the same second (someone joins a colleague's call), so a
// walk sees a row twice. The Fake keeps only the latest recorded requests, so a
// long-running demo does not grow.
func Demo() *Fake {
	f := New()
	f.maxRequests = 1000
	f.SetQuota(demoQuota, time.Hour)
	var listed []SavedReport
	for _, d := range DemoReports {
		r := Report{BodyFunc: func(now time.Time) []byte { return demoBody(d.Type, now) }}
		if d.Period != "" {
			r.BodyFunc = func(now time.Time) []byte { return demoPeriodBody(d, now) }
		}
		if d.Type == "detailed" {
			r.Paging = &Paging{}
		}
		f.Set(d.Token, r)
		listed = append(listed, SavedReport{ID: d.ID, Name: d.Title, Token: d.Token, Public: true})
	}
	f.SetWorkspace(DemoWorkspaceID, Workspace{APIToken: DemoAPIToken, Reports: listed, Members: DemoMembers})
	return f
}

// demoBody renders the demo report of type typ as it stands at now: the detailed and
// weekly reports cover the last 7 days, the summary the last 30.
func demoBody(typ string, now time.Time) []byte {
	days := 7
	d := reportData{name: "Team – last 7 days", typ: typ, params: map[string]any{"grouped": true}}
	switch typ {
	case "summary":
		days = 30
		d.name = "Projects by person – last 30 days"
		d.params = map[string]any{"grouping": dimProjects, "sub_grouping": dimUsers}
	case "weekly":
		d.name, d.params = "Acme and Initech – weekly timesheet", map[string]any{"client_ids": []int64{acme, initech}}
	}
	p := periodEnding(now, days)
	d.period, d.entries = p, demoEntries(p, now)
	switch typ {
	case "detailed":
		d.entries = withBoundaryCall(p, d.entries, now)
		d.rows = groupRows(p, d.entries)
	case "weekly":
		d.entries = slices.DeleteFunc(d.entries, func(e entry) bool {
			p := agency.project[e.project]
			return p == nil || (p.clientID != acme && p.clientID != initech)
		})
	}
	return agency.marshalReport(d)
}

// acme and initech are the clients of the weekly demo report: they are billed in dollars.
const acme, initech = 100, 102

// agency is the workspace of the demo reports, with the generator's rates: Acme and
// Internal Tooling USD 95.50/h, Globex EUR 110/h (its Workshops are not billable),
// Initech USD 120/h.
var agency = func() *world {
	w := generateWorld(DetailedSpec{Projects: 6, Clients: 3, Users: 5, Tags: 5}, rand.New(rand.NewPCG(4242, 0)))
	for i, name := range []string{"Acme Corp", "Globex GmbH", "Initech"} {
		w.clients[i].Name = name
	}
	for i, name := range []string{"Website Relaunch", "SAP Integration", "Support Retainer", "Internal Tooling", "Workshops", "Data Platform"} {
		w.projects[i].name = name
	}
	for i, name := range []string{"Alice Moreau", "Bao Nguyen", "Carla Jensen", "Dmitri Volkov", "Emeka Okafor"} {
		w.users[i].name, w.users[i].email = name, strings.ToLower(strings.Fields(name)[0])+"@example.com"
	}
	for i, name := range []string{"design", "backend", "frontend", "meeting", "bugfix"} {
		w.tags[i].Name = name
	}
	return w
}()

// onCall is the demo user whose timer always runs, for the Support Retainer.
var onCall = entry{user: 10003, project: 1002, description: "On-call: production incident", billable: true, running: true}

// demoEntries returns the agency's entries of p that have ended by now, plus the on-call
// user's running timer, in order of start. Entries in progress at now are left out (they
// appear when they end), so that only the timer is running. Time-entry ids are
// day*1000 + k; the timer's is 10^9 + its start in hours.
func demoEntries(p period, now time.Time) []entry {
	var entries []entry
	for d := range p.days {
		day := p.first.AddDate(0, 0, d)
		civil := civilDay(day)
		rows := agency.generateRows(DetailedSpec{Entries: 24, PerRow: 2}, period{first: day, days: 1}, civil*1000, rand.New(rand.NewPCG(uint64(civil), 0)))
		for _, e := range slices.Concat(rows...) {
			if !e.stop.After(now) {
				entries = append(entries, e)
			}
		}
	}
	// Started two to three hours ago, the same all hour long.
	timer := onCall
	timer.start = now.Truncate(time.Hour).Add(-2 * time.Hour)
	timer.id = 1e9 + timer.start.Unix()/3600
	if p.day(timer.start) >= 0 {
		entries = append(entries, timer)
	}
	slices.SortFunc(entries, compareStart)
	return entries
}

// withBoundaryCall adds to entries (of p, in order of start) a short call that the next
// user (by id) joins at the very second A started, A being the last row of the first page of p's
// detailed report: the call's row is the first of the second page and shares its start
// with the row before, so the second page repeats that row. The last 7 days hold far more
// than a page before today, so the call is the same all day long.
func withBoundaryCall(p period, entries []entry, now time.Time) []entry {
	rows := groupRows(p, entries)
	if len(rows) <= DefaultPageSize {
		return entries
	}
	a := rows[DefaultPageSize-1][0]
	call := entry{
		id: a.id + 5e8, user: agency.users[(a.user+1-agency.users[0].id)%int64(len(agency.users))].id, project: a.project,
		description: "Call with " + agency.userName(a.user), billable: a.billable,
		start: a.start, stop: a.start.Add(10 * time.Minute),
	}
	if a.running || call.stop.After(now) {
		return entries
	}
	entries = append(entries, call)
	slices.SortFunc(entries, compareStart)
	return entries
}

// demoPeriodBody renders a demo report of a named period (see DemoReport.Period): today
// as a detailed report, last week as a summary by person and project.
func demoPeriodBody(r DemoReport, now time.Time) []byte {
	y, m, d := now.Date()
	p := period{first: time.Date(y, m, d, 0, 0, 0, 0, now.Location()), days: 1}
	if r.Period == "last_week" {
		monday := d - (int(now.Weekday())+6)%7
		p = period{first: time.Date(y, m, monday-7, 0, 0, 0, 0, now.Location()), days: 7}
	}
	data := reportData{name: r.Title, typ: r.Type, period: p, entries: demoEntries(p, now), params: map[string]any{}}
	switch r.Type {
	case "detailed":
		data.params["grouped"] = true
		data.rows = groupRows(p, data.entries)
	case "summary":
		data.params = map[string]any{"grouping": dimUsers, "sub_grouping": dimProjects}
	}
	return agency.marshalReport(data)
}
