package togglfake

import (
	"math/rand/v2"
	"slices"
	"time"
)

// DemoReport names one of the demo's shared reports.
type DemoReport struct {
	Name  string // a name for the exporter's configuration (the `report` label)
	Token string // the shared report token the Fake serves it under
	Type  string // report_type: "detailed", "summary" or "weekly"
}

// DemoReports are the reports Demo serves, one per report type, all public. They are
// rolling windows ending today, by the Fake's clock.
var DemoReports = []DemoReport{
	{Name: "team-week", Token: "demo-detailed-4f1c9a2e7b", Type: "detailed"},    // last 7 days, grouped rows
	{Name: "clients-month", Token: "demo-summary-8d03e6b15a", Type: "summary"},  // last 30 days, clients x projects
	{Name: "weekly-timesheet", Token: "demo-weekly-c27a90f4d1", Type: "weekly"}, // the 7 days ending today
}

// demoTitles are the report_name of each demo report, by type.
var demoTitles = map[string]string{
	"detailed": "Team – last 7 days",
	"summary":  "Clients – last 30 days",
	"weekly":   "Weekly timesheet",
}

// Demo returns a Fake serving DemoReports: a small agency whose five people track time on
// six projects for three clients. The bodies are computed at each request from the Fake's
// clock: entries of past days are complete, today's appear as the working day advances
// (09:00-17:30 in the clock's location; one on-call person also works weekends), so the
// figures grow through the day. The on-call person's latest entry is always running
// (null stop, negative seconds): it counts in no total. The Fake keeps only the latest
// recorded requests, so a long-running demo does not grow.
func Demo() *Fake {
	f := New()
	f.maxRequests = 1000
	for _, d := range DemoReports {
		f.Set(d.Token, Report{BodyFunc: func(now time.Time) []byte { return demoBody(d.Type, now) }})
	}
	return f
}

// demoBody renders the demo report of type typ as it stands at now.
func demoBody(typ string, now time.Time) []byte {
	w := demoWorld()
	history := periodEnding(now, 30)
	entries := demoEntries(history, now)
	p := history
	if typ != "summary" {
		p = periodEnding(now, 7)
	}
	start, end := p.dates()
	params := map[string]any{"start_date": start, "end_date": end}
	switch typ {
	case "detailed":
		params["grouped"] = true
	case "summary":
		params["grouping"], params["sub_grouping"] = "clients", "projects"
	case "weekly":
		delete(params, "end_date") // the weekly report runs 7 days from start_date
	}
	d := reportData{period: p, entries: p.within(entries), history: entries}
	if typ == "detailed" {
		d.rows = groupRows(p, d.entries)
	}
	return w.marshalReport(reportHead{name: demoTitles[typ], typ: typ, params: params}, d)
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
	onCall     bool       // works weekends too, and always has a timer running
}

const (
	acme, globex, initech                                  = 101, 102, 103
	website, mobileApp, sapIntegration, dataPlatform       = 201, 202, 203, 204
	supportRetainer, internalTooling                       = 205, 206
	tagDesign, tagBackend, tagFrontend, tagMeeting, tagFix = 701, 702, 703, 704, 705
)

var demoUsers = []demoUser{
	{userDef{301, "Alice Moreau", "alice@example.com", 5200, []int64{602}}, []activity{
		{website, 501, "Landing page mockups", []int64{tagDesign, tagFrontend}},
		{mobileApp, 0, "Onboarding screens", []int64{tagDesign}},
		{website, 501, "Landing page mockups", []int64{tagDesign, tagFrontend}},
		{0, 0, "Email and admin", nil},
	}, false},
	{userDef{302, "Bao Nguyen", "bao@example.com", 4800, []int64{601}}, []activity{
		{mobileApp, 503, "Offline sync", []int64{tagBackend}},
		{sapIntegration, 504, "Order import mapping", []int64{tagBackend}},
		{dataPlatform, 505, "Nightly ETL", []int64{tagBackend, tagFix}},
		{0, 0, "Team meeting", []int64{tagMeeting}},
	}, false},
	{userDef{303, "Carla Jensen", "carla@example.com", 4500, []int64{601}}, []activity{
		{website, 502, "Checkout flow", []int64{tagFrontend}},
		{website, 502, "Checkout flow", []int64{tagFrontend}},
		{internalTooling, 506, "CI pipeline", []int64{tagBackend}},
		{mobileApp, 503, "Offline sync", []int64{tagFrontend, tagFix}},
	}, false},
	{userDef{304, "Dmitri Volkov", "dmitri@example.com", 5000, []int64{601}}, []activity{
		{supportRetainer, 0, "Customer tickets", []int64{tagFix}},
		{supportRetainer, 0, "Server maintenance", []int64{tagBackend}},
		{dataPlatform, 505, "Nightly ETL", []int64{tagBackend, tagFix}},
	}, true},
	{userDef{305, "Emeka Okafor", "emeka@example.com", 4300, []int64{602}}, []activity{
		{sapIntegration, 0, "Client workshop", []int64{tagMeeting}},
		{mobileApp, 0, "Sprint planning", []int64{tagMeeting}},
		{0, 0, "Team meeting", []int64{tagMeeting}},
		{internalTooling, 0, "Hiring interviews", nil},
	}, false},
}

// demoWorld returns the demo's workspace. Rates: Acme USD 95.50/h, Globex EUR 110/h,
// Initech USD 120/h; Internal Tooling and entries without a project are not billable.
func demoWorld() *world {
	w := &world{
		currency: "USD",
		clients:  []clientDef{{acme, "Acme Corp"}, {globex, "Globex GmbH"}, {initech, "Initech"}},
		projects: []projectDef{
			{id: website, name: "Website Relaunch", color: "#0b83d9", clientID: acme, currency: "USD", rate: 9550, estimated: 900 * 3600, before: 211 * 3600, startDate: "2024-11-04"},
			{id: mobileApp, name: "Mobile App", color: "#9e5bd9", clientID: acme, currency: "USD", rate: 9550, estimated: 1200 * 3600, before: 157 * 3600, startDate: "2025-01-13"},
			{id: sapIntegration, name: "SAP Integration", color: "#d94182", clientID: globex, currency: "EUR", rate: 11000, estimated: 600 * 3600, before: 64 * 3600, startDate: "2025-02-03"},
			{id: dataPlatform, name: "Data Platform", color: "#e36a00", clientID: globex, currency: "EUR", rate: 11000, before: 402 * 3600, startDate: "2024-06-17"},
			{id: supportRetainer, name: "Support Retainer", color: "#2da608", clientID: initech, currency: "USD", rate: 12000, before: 1290 * 3600, startDate: "2023-09-01"},
			{id: internalTooling, name: "Internal Tooling", color: "#525266", currency: "USD", estimated: 400 * 3600, before: 37 * 3600, startDate: "2025-01-06"},
		},
		tasks: []taskDef{
			{id: 501, name: "Homepage mockups", projectID: website, estimated: 160 * 3600, before: 22 * 3600},
			{id: 502, name: "Checkout flow", projectID: website, estimated: 180 * 3600, before: 18 * 3600},
			{id: 503, name: "Offline sync", projectID: mobileApp, estimated: 240 * 3600, before: 31 * 3600},
			{id: 504, name: "Order import", projectID: sapIntegration, estimated: 120 * 3600, before: 9 * 3600},
			{id: 505, name: "Nightly ETL", projectID: dataPlatform, before: 120 * 3600},
			{id: 506, name: "CI pipeline", projectID: internalTooling, estimated: 90 * 3600, before: 4 * 3600},
		},
		tags: []entityJSON{
			{ID: tagDesign, Name: "design"}, {ID: tagBackend, Name: "backend"}, {ID: tagFrontend, Name: "frontend"},
			{ID: tagMeeting, Name: "meeting"}, {ID: tagFix, Name: "bugfix"},
		},
		groups: []entityJSON{{ID: 601, Name: "Engineering"}, {ID: 602, Name: "Design & Product"}},
	}
	for _, u := range demoUsers {
		w.users = append(w.users, u.userDef)
	}
	w.index()
	return w
}

// demoEntries returns the entries of p that started by now, in order of start. Entries in
// progress at now are running, and so is the on-call user's latest entry.
func demoEntries(p period, now time.Time) []entry {
	var entries []entry
	latestOnCall := -1
	for d := range p.days {
		day := p.first.AddDate(0, 0, d)
		for ui, u := range demoUsers {
			for _, e := range demoDay(u, ui, day) {
				if e.start.After(now) {
					break
				}
				e.running = now.Before(e.stop)
				if u.onCall {
					latestOnCall = len(entries)
				}
				entries = append(entries, e)
			}
		}
	}
	if latestOnCall >= 0 {
		entries[latestOnCall].running = true
	}
	// Entries were made day by day, user by user; a report lists them by start.
	slices.SortFunc(entries, compareStart)
	return entries
}

// demoDay returns user u's entries on day (midnight), the same whenever asked: the
// schedule is drawn from a generator seeded by the date and the user.
func demoDay(u demoUser, ui int, day time.Time) []entry {
	weekend := day.Weekday() == time.Saturday || day.Weekday() == time.Sunday
	if weekend && !u.onCall {
		return nil
	}
	y, m, d := day.Date()
	civil := time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400
	rng := rand.New(rand.NewPCG(uint64(civil), uint64(u.id)))
	at := func(minutes int) time.Time { return time.Date(y, m, d, 0, minutes, 0, 0, day.Location()) }

	begin, end := 9*60, 17*60+30
	if weekend {
		begin, end = 10*60, 15*60
	}
	t := at(begin + rng.IntN(20))
	noon, dayEnd := at(12*60), at(end)
	lunch := weekend // no lunch break to take
	var entries []entry
	for k := 0; ; k++ {
		if !lunch && !t.Before(noon) {
			t = t.Add(time.Duration(30+rng.IntN(20)) * time.Minute)
			lunch = true
		}
		if dayEnd.Sub(t) <= 15*time.Minute {
			return entries
		}
		a := u.activities[rng.IntN(len(u.activities))]
		stop := t.Add(time.Duration(20*60+rng.IntN(100*60)) * time.Second)
		if !lunch && stop.After(noon) {
			stop = noon.Add(time.Duration(rng.IntN(15*60)) * time.Second)
		}
		if stop.After(dayEnd) {
			stop = dayEnd
		}
		entries = append(entries, entry{
			id:   4_000_000_000 + civil*1000 + int64(ui)*100 + int64(k),
			user: u.id, project: a.project, task: a.task, description: a.description, tags: a.tags,
			billable: a.project != 0 && a.project != internalTooling,
			start:    t, stop: stop,
		})
		t = stop.Add(time.Duration(rng.IntN(10*60)) * time.Second)
	}
}
