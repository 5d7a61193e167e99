package togglfake

import (
	"math/rand/v2"
	"slices"
	"time"
)

// DemoReport names one of the demo's shared reports.
type DemoReport struct {
	Name  string // a name for the exporter's configuration (the `report` label)
	Title string // its name in Toggl, as the workspace's listing shows it: Name comes from it
	ID    int64  // its id in the listing
	Token string // the shared report token the Fake serves it under
	Type  string // report_type: "detailed", "summary" or "weekly"
}

// DemoReports are the reports Demo serves, one per report type, all public, each with data
// of its own. They are rolling windows ending today, by the Fake's clock.
var DemoReports = []DemoReport{
	// The agency's last 7 days, grouped rows, paged (see Demo), two currencies.
	{Name: "team-week", Title: "Team week", ID: 9001, Token: "demo-team-week-detailed-4f1c9a2e", Type: "detailed"},
	// The agency's last 30 days by project and person: who tracked what.
	{Name: "clients-month", Title: "Clients month", ID: 9002, Token: "demo-month-summary-8d03e6b15a7c2", Type: "summary"},
	// The agency's 7 days ending today for one client, Globex, billed in euros only.
	{Name: "weekly-timesheet", Title: "Weekly timesheet", ID: 9003, Token: "demo-support-weekly-c27a90f4d1e5", Type: "weekly"},
}

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
// An agency of five people tracks time on six projects for three clients (USD and EUR).
// The bodies are computed
// at each request from the Fake's clock: past days are complete, today's entries appear as
// they end through the working day (09:00-17:30 in the clock's location; the agency's
// on-call person also works weekends), so the figures grow through the day. The on-call
// person always has one timer running, started two to three hours ago (null stop,
// negative seconds): it counts in no total. The detailed report comes in pages of 50
// rows, and its first page boundary always falls between two rows that start at the same
// second (someone joins a colleague's call), so a walk sees a row twice. The Fake keeps
// only the latest recorded requests, so a long-running demo does not grow.
func Demo() *Fake {
	f := New()
	f.maxRequests = 1000
	f.SetQuota(demoQuota, time.Hour)
	var listed []SavedReport
	for _, d := range DemoReports {
		r := Report{BodyFunc: func(now time.Time) []byte { return demoBody(d.Type, now) }}
		if d.Type == "detailed" {
			r.Paging = &Paging{}
		}
		f.Set(d.Token, r)
		listed = append(listed, SavedReport{ID: d.ID, Name: d.Title, Token: d.Token, Public: true})
	}
	f.SetWorkspace(DemoWorkspaceID, Workspace{APIToken: DemoAPIToken, Reports: listed})
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
		d.name, d.params = "Globex – weekly timesheet", map[string]any{"client_ids": []int64{globex}}
	}
	p := periodEnding(now, days)
	d.period, d.entries = p, agency.entries(p, now)
	switch typ {
	case "detailed":
		d.entries = agency.withBoundaryCall(p, d.entries, now)
		d.rows = groupRows(p, d.entries)
	case "weekly":
		d.entries = slices.DeleteFunc(d.entries, func(e entry) bool {
			p := agency.world.project[e.project]
			return p == nil || p.clientID != globex
		})
	}
	return agency.world.marshalReport(d)
}

// activity is something a demo user works on.
type activity struct {
	project, task int64
	description   string
	tags          []int64
}

type demoUser struct {
	userDef
	activities []activity // drawn at random: one listed twice comes twice as often
	// onCall, if set, is what the user's timer runs for: on call, the user works weekends
	// too and always has a timer running, restarted every hour so that it was started two
	// to three hours ago.
	onCall *activity
}

// demoTeam is a workspace and the people tracking time in it. Time-entry ids are
// user*10^8 + day*100 + k, the timer's user*10^8 + 9*10^7 + its start in hours.
type demoTeam struct {
	world *world
	users []demoUser
}

const (
	acme, globex, initech                                  = 101, 102, 103
	website, mobileApp, sapIntegration, dataPlatform       = 201, 202, 203, 204
	supportRetainer, internalTooling                       = 205, 206
	tagDesign, tagBackend, tagFrontend, tagMeeting, tagFix = 701, 702, 703, 704, 705
)

// agency is the workspace of the demo reports. Rates: Acme USD
// 95.50/h, Globex EUR 110/h, Initech USD 120/h; Internal Tooling and entries without a
// project are not billable.
var agency = newDemoTeam(&world{
	currency: "USD",
	clients:  []entityJSON{{acme, "Acme Corp"}, {globex, "Globex GmbH"}, {initech, "Initech"}},
	projects: []projectDef{
		{id: website, name: "Website Relaunch", color: "#0b83d9", clientID: acme, currency: "USD", rate: 9550, estimated: 900 * 3600},
		{id: mobileApp, name: "Mobile App", color: "#9e5bd9", clientID: acme, currency: "USD", rate: 9550, estimated: 1200 * 3600},
		{id: sapIntegration, name: "SAP Integration", color: "#d94182", clientID: globex, currency: "EUR", rate: 11000, estimated: 600 * 3600},
		{id: dataPlatform, name: "Data Platform", color: "#e36a00", clientID: globex, currency: "EUR", rate: 11000},
		{id: supportRetainer, name: "Support Retainer", color: "#2da608", clientID: initech, currency: "USD", rate: 12000},
		{id: internalTooling, name: "Internal Tooling", color: "#525266", currency: "USD", estimated: 400 * 3600},
	},
	tasks: []taskDef{
		{id: 501, name: "Homepage mockups", projectID: website, estimated: 160 * 3600},
		{id: 502, name: "Checkout flow", projectID: website, estimated: 180 * 3600},
		{id: 503, name: "Offline sync", projectID: mobileApp, estimated: 240 * 3600},
		{id: 504, name: "Order import", projectID: sapIntegration, estimated: 120 * 3600},
		{id: 505, name: "Nightly ETL", projectID: dataPlatform},
		{id: 506, name: "CI pipeline", projectID: internalTooling, estimated: 90 * 3600},
	},
	tags: []entityJSON{
		{ID: tagDesign, Name: "design"}, {ID: tagBackend, Name: "backend"}, {ID: tagFrontend, Name: "frontend"},
		{ID: tagMeeting, Name: "meeting"}, {ID: tagFix, Name: "bugfix"},
	},
	groups: []entityJSON{{ID: 601, Name: "Engineering"}, {ID: 602, Name: "Design & Product"}},
}, []demoUser{
	{userDef{301, "Alice Moreau", "alice@example.com", 5200}, []activity{
		{website, 501, "Landing page mockups", []int64{tagDesign, tagFrontend}},
		{mobileApp, 0, "Onboarding screens", []int64{tagDesign}},
		{website, 501, "Landing page mockups", []int64{tagDesign, tagFrontend}},
		{0, 0, "Email and admin", nil},
	}, nil},
	{userDef{302, "Bao Nguyen", "bao@example.com", 4800}, []activity{
		{mobileApp, 503, "Offline sync", []int64{tagBackend}},
		{sapIntegration, 504, "Order import mapping", []int64{tagBackend}},
		{dataPlatform, 505, "Nightly ETL", []int64{tagBackend, tagFix}},
		{0, 0, "Team meeting", []int64{tagMeeting}},
	}, nil},
	{userDef{303, "Carla Jensen", "carla@example.com", 4500}, []activity{
		{website, 502, "Checkout flow", []int64{tagFrontend}},
		{website, 502, "Checkout flow", []int64{tagFrontend}},
		{internalTooling, 506, "CI pipeline", []int64{tagBackend}},
		{mobileApp, 503, "Offline sync", []int64{tagFrontend, tagFix}},
	}, nil},
	{userDef{304, "Dmitri Volkov", "dmitri@example.com", 5000}, []activity{
		{supportRetainer, 0, "Customer tickets", []int64{tagFix}},
		{supportRetainer, 0, "Server maintenance", []int64{tagBackend}},
		{dataPlatform, 505, "Nightly ETL", []int64{tagBackend, tagFix}},
	}, &activity{supportRetainer, 0, "On-call: production incident", []int64{tagFix}}},
	{userDef{305, "Emeka Okafor", "emeka@example.com", 4300}, []activity{
		{sapIntegration, 0, "Client workshop", []int64{tagMeeting}},
		{mobileApp, 0, "Sprint planning", []int64{tagMeeting}},
		{0, 0, "Team meeting", []int64{tagMeeting}},
		{internalTooling, 0, "Hiring interviews", nil},
	}, nil},
})

func newDemoTeam(w *world, users []demoUser) *demoTeam {
	for _, u := range users {
		w.users = append(w.users, u.userDef)
	}
	w.index()
	return &demoTeam{world: w, users: users}
}

// entries returns the team's entries of p that have ended by now, plus the on-call
// user's running timer, in order of start. Entries in progress at now are left out (they
// appear when they end), so that only the timer is running.
func (t *demoTeam) entries(p period, now time.Time) []entry {
	// Started two to three hours ago, the same all hour long.
	timerStart := now.Truncate(time.Hour).Add(-2 * time.Hour)
	var entries []entry
	for d := range p.days {
		for _, u := range t.users {
			for _, e := range t.day(u, p.first.AddDate(0, 0, d)) {
				if e.stop.After(now) || (u.onCall != nil && e.stop.After(timerStart)) {
					break
				}
				entries = append(entries, e)
			}
		}
	}
	for _, u := range t.users {
		if a := u.onCall; a != nil && p.day(timerStart) >= 0 {
			entries = append(entries, entry{
				id:   u.id*1e8 + 9e7 + timerStart.Unix()/3600,
				user: u.id, project: a.project, description: a.description, tags: a.tags,
				billable: true, start: timerStart, running: true,
			})
		}
	}
	slices.SortFunc(entries, compareStart)
	return entries
}

// withBoundaryCall adds to entries (of p, in order of start) a short call that the user
// after A (in team order) joins at the very second A started, A being the last row of the
// first page of p's detailed report: the call's row is the first of the second page and
// shares its start with the row before, so the second page repeats that row. The last 7
// days hold far more than a page before today, so the call is the same all day long.
func (t *demoTeam) withBoundaryCall(p period, entries []entry, now time.Time) []entry {
	rows := groupRows(p, entries)
	if len(rows) <= DefaultPageSize {
		return entries
	}
	a := rows[DefaultPageSize-1][0]
	ui := slices.IndexFunc(t.users, func(u demoUser) bool { return u.id == a.user })
	call := entry{
		id: a.id + 5e7, user: t.users[(ui+1)%len(t.users)].id, project: a.project,
		description: "Call with " + t.world.userName(a.user), billable: a.billable,
		start: a.start, stop: a.start.Add(10 * time.Minute),
	}
	if a.running || call.stop.After(now) {
		return entries
	}
	entries = append(entries, call)
	slices.SortFunc(entries, compareStart)
	return entries
}

// day returns user u's entries on day (midnight), the same whenever asked: the schedule
// is drawn from a generator seeded by the date and the user.
func (t *demoTeam) day(u demoUser, day time.Time) []entry {
	weekend := day.Weekday() == time.Saturday || day.Weekday() == time.Sunday
	if weekend && u.onCall == nil {
		return nil
	}
	civil := civilDay(day)
	y, m, d := day.Date()
	rng := rand.New(rand.NewPCG(uint64(civil), uint64(u.id)))
	at := func(minutes int) time.Time { return time.Date(y, m, d, 0, minutes, 0, 0, day.Location()) }

	begin, end := 9*60, 17*60+30
	if weekend {
		begin, end = 10*60, 15*60
	}
	start := at(begin + rng.IntN(20))
	noon, dayEnd := at(12*60), at(end)
	lunch := weekend // no lunch break to take
	var entries []entry
	for k := 0; ; k++ {
		if !lunch && !start.Before(noon) {
			start = start.Add(time.Duration(30+rng.IntN(20)) * time.Minute)
			lunch = true
		}
		if dayEnd.Sub(start) <= 15*time.Minute {
			return entries
		}
		a := u.activities[rng.IntN(len(u.activities))]
		stop := start.Add(time.Duration(20*60+rng.IntN(100*60)) * time.Second)
		if !lunch && stop.After(noon) {
			stop = noon.Add(time.Duration(rng.IntN(15*60)) * time.Second)
		}
		if stop.After(dayEnd) {
			stop = dayEnd
		}
		p := t.world.project[a.project]
		entries = append(entries, entry{
			id:   u.id*1e8 + civil*100 + int64(k),
			user: u.id, project: a.project, task: a.task, description: a.description, tags: a.tags,
			billable: p != nil && p.rate != 0,
			start:    start, stop: stop,
		})
		start = stop.Add(time.Duration(rng.IntN(10*60)) * time.Second)
	}
}
