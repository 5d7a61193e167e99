package togglfake

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"
)

// DetailedSpec sizes a generated report (see DetailedJSON).
type DetailedSpec struct {
	Entries  int // time entries in all
	PerRow   int // time entries grouped in one row (the last row may hold fewer); 0 means 1
	Projects int // projects in the dictionary; one row in ten has no project (all if 0)
	Clients  int // clients; every fourth project has none; 0 means (Projects+2)/3
	Users    int // users, at least 1
	Tags     int // tags; a row carries up to two
	// Descriptions is the number of distinct descriptions ("Ticket 1"...); 0 means seven
	// fixed ones ("Development"...). Many make a summary by time entries large.
	Descriptions int
	// SameStart, if above 1, makes each run of SameStart rows (in start order) start at the
	// same second, so that page boundaries fall inside runs and rows come twice in a walk.
	SameStart int
	Seed      int64
}

// generatedWeek is the week generated entries fall in: fixed, so that bodies are
// reproducible.
var generatedWeek = period{first: time.Date(2025, 3, 3, 0, 0, 0, 0, time.UTC), days: 7}

// DetailedJSON returns the body of a detailed report of spec's size, its rows in order of
// start; the same spec gives the same bytes. Like the demo's, it has two currencies,
// non-billable rows, null project ids, and totals that agree with the rows; unlike them,
// no running entry and no tasks.
func DetailedJSON(spec DetailedSpec) []byte {
	return ReportJSON(spec, "detailed", map[string]any{"grouped": spec.PerRow > 1})
}

// ReportJSON returns the body of a report of type typ over the time entries of
// DetailedJSON(spec), with params as its input_params: a summary is grouped by their
// grouping and sub_grouping ("projects", "clients", "users" or "time_entries": one
// sub-group per description), a weekly report has a row per user and project.
func ReportJSON(spec DetailedSpec, typ string, params map[string]any) []byte {
	rng := rand.New(rand.NewPCG(uint64(spec.Seed), 0x70991e))
	w := generateWorld(spec, rng)
	rows := w.generateRows(spec, generatedWeek, 1_000_000_000, rng)
	return w.marshalReport(reportData{name: fmt.Sprintf("Generated %s: %d entries", typ, spec.Entries), typ: typ, params: params,
		period: generatedWeek, entries: slices.Concat(rows...), rows: rows})
}

// LargeJSON returns the benchmark report of type typ ("summary" by projects and time
// entries, "weekly", any other detailed) with n time entries, a row each: 300 projects over
// 60 clients, 40 users, 20 tags, and a description per 20 entries or so, so that a summary
// by time entries (Toggl's default sub-grouping) grows with the report as in a busy team.
func LargeJSON(typ string, n int) []byte {
	spec := DetailedSpec{Entries: n, Projects: 300, Clients: 60, Users: 40, Tags: 20, Descriptions: max(n/20, 7), Seed: int64(n)}
	switch typ {
	case "summary":
		return ReportJSON(spec, typ, map[string]any{"grouping": "projects", "sub_grouping": "time_entries"})
	case "weekly":
		return ReportJSON(spec, typ, map[string]any{})
	}
	return DetailedJSON(spec)
}

// generateRows draws the rows of spec over the days of p from rng, with time-entry ids
// from id on, in order of start.
func (w *world) generateRows(spec DetailedSpec, p period, id int64, rng *rand.Rand) [][]entry {
	descriptions := []string{"Development", "Code review", "Meeting", "Support", "Planning", "Testing", "Documentation"}
	if spec.Descriptions > 0 {
		descriptions = make([]string, spec.Descriptions)
		for i := range descriptions {
			descriptions[i] = fmt.Sprintf("Ticket %d", i+1)
		}
	}
	var rows [][]entry
	for left := spec.Entries; left > 0; left -= max(spec.PerRow, 1) {
		// A row: entries sharing everything but their times.
		e := entry{
			user:        w.users[rng.IntN(len(w.users))].ID,
			description: descriptions[rng.IntN(len(descriptions))],
		}
		if len(w.projects) > 0 && len(rows)%10 != 9 {
			p := &w.projects[rng.IntN(len(w.projects))]
			e.project = p.id
			if i := slices.IndexFunc(w.tasks, func(t taskJSON) bool { return t.ProjectID == p.id && t.description == e.description }); i >= 0 {
				e.task = w.tasks[i].ID
			}
			e.billable = p.rate != 0 && rng.IntN(5) != 0
		}
		if n := min(len(w.tags), rng.IntN(3)); n > 0 {
			for _, t := range rng.Perm(len(w.tags))[:n] {
				e.tags = append(e.tags, w.tags[t].ID)
			}
		}
		row := make([]entry, min(max(spec.PerRow, 1), left))
		day := p.first.AddDate(0, 0, rng.IntN(p.days))
		for i := range row {
			row[i] = e
			row[i].id = id
			id++
			row[i].start = day.Add(8*time.Hour + time.Duration(rng.IntN(10*3600))*time.Second)
			row[i].stop = row[i].start.Add(time.Duration(300+rng.IntN(3*3600)) * time.Second)
		}
		slices.SortFunc(row, compareStart)
		rows = append(rows, row)
	}
	byStart := func(a, b []entry) int { return compareStart(a[0], b[0]) }
	slices.SortFunc(rows, byStart)
	if k := spec.SameStart; k > 1 {
		for i := range rows {
			rows[i][0].start = rows[i-i%k][0].start
		}
		slices.SortFunc(rows, byStart) // ties by id
	}
	return rows
}

// generateWorld returns the clients, projects, users and tags of spec. Projects are billed
// in turn at USD 95.50/h, EUR 110/h and USD 120/h, every fifth not at all.
func generateWorld(spec DetailedSpec, rng *rand.Rand) *world {
	clients := cmp.Or(spec.Clients, (spec.Projects+2)/3)
	w := &world{currency: "USD"}
	for i := range clients {
		w.clients = append(w.clients, entityJSON{ID: int64(100 + i), Name: fmt.Sprintf("Client %d", i+1)})
	}
	rates := []rateJSON{{Currency: "USD", HourlyRateInCents: 9550}, {Currency: "EUR", HourlyRateInCents: 11000}, {Currency: "USD", HourlyRateInCents: 12000}}
	for i := range spec.Projects {
		r := rates[i%len(rates)]
		p := projectDef{
			id: int64(1000 + i), name: fmt.Sprintf("Project %d", i+1), color: fmt.Sprintf("#%06x", rng.IntN(1<<24)),
			currency: r.Currency, rate: r.HourlyRateInCents,
		}
		if clients > 0 && i%4 != 3 {
			p.clientID = int64(100 + i%clients)
		}
		if i%5 == 4 {
			p.rate = 0 // internal: not billable
		}
		if i%2 == 0 {
			p.estimated = int64(100+10*i) * 3600
		}
		w.projects = append(w.projects, p)
	}
	for i := range max(spec.Users, 1) {
		w.users = append(w.users, userJSON{ID: int64(10000 + i), Name: fmt.Sprintf("User %d", i+1),
			Email: fmt.Sprintf("user%d@example.com", i+1), LabourCost: int64(3000 + 100*(i%30))})
	}
	for i := range spec.Tags {
		w.tags = append(w.tags, entityJSON{ID: int64(500 + i), Name: fmt.Sprintf("tag-%d", i+1)})
	}
	w.index()
	return w
}
