package togglfake

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"time"
)

// A world is a workspace: clients, projects, users... Report bodies are aggregations of
// its time entries, computed entry by entry (amounts included), so that whatever the
// report type its totals agree with its rows, and reports over the same days agree.
type world struct {
	currency string // the workspace's, for entries without a project
	clients  []entityJSON
	projects []projectDef
	users    []userDef
	tags     []entityJSON
	tasks    []taskDef

	project map[int64]*projectDef
	client  map[int64]*entityJSON
	user    map[int64]*userDef
	task    map[int64]*taskDef
}

type projectDef struct {
	id        int64
	name      string
	color     string
	clientID  int64 // 0: none
	currency  string
	rate      int64 // hourly rate in cents; 0: none (entries are not billable)
	estimated int64 // seconds; 0: none
}

// taskDef is a task of a project: the entries of that project with its description are
// on it, so that assigning tasks draws nothing from the generator.
type taskDef struct {
	id, project int64
	name        string
	description string
	estimated   int64 // seconds; 0: none
}

type userDef struct {
	id     int64
	name   string
	email  string
	labour int64 // labour cost per hour, in cents
}

// entry is one time entry.
type entry struct {
	id          int64
	user        int64
	project     int64 // 0: no project
	task        int64 // 0: no task
	description string
	tags        []int64
	billable    bool
	start, stop time.Time
	running     bool // stop is unknown: sent as null with negative seconds
}

// index builds the lookup maps; call it once the slices are complete.
func (w *world) index() {
	w.project = byID(w.projects, func(p *projectDef) int64 { return p.id })
	w.client = byID(w.clients, func(c *entityJSON) int64 { return c.ID })
	w.user = byID(w.users, func(u *userDef) int64 { return u.id })
	w.task = byID(w.tasks, func(t *taskDef) int64 { return t.id })
}

// taskOf returns the id of the task an entry of project with description is on, 0 for none.
func (w *world) taskOf(project int64, description string) int64 {
	for _, t := range w.tasks {
		if t.project == project && t.description == description {
			return t.id
		}
	}
	return 0
}

func byID[T any](s []T, id func(*T) int64) map[int64]*T {
	m := make(map[int64]*T, len(s))
	for i := range s {
		m[id(&s[i])] = &s[i]
	}
	return m
}

// seconds is what the entry adds to totals: a running entry adds nothing.
func (e *entry) seconds() int64 {
	if e.running {
		return 0
	}
	return int64(e.stop.Sub(e.start) / time.Second)
}

// rate returns the currency and hourly rate (0 for none) the entry is billed at.
func (w *world) rate(e *entry) rateJSON {
	if p := w.project[e.project]; p != nil {
		return rateJSON{Currency: p.currency, HourlyRateInCents: p.rate}
	}
	return rateJSON{Currency: w.currency}
}

// billableSeconds is the part of the entry's seconds billed at a rate.
func (w *world) billableSeconds(e *entry) int64 {
	if !e.billable || w.rate(e).HourlyRateInCents == 0 {
		return 0
	}
	return e.seconds()
}

// amount is the entry's billable amount in cents. Every sum of amounts in a report is a sum
// of these, so that rows, days and totals agree to the cent.
func (w *world) amount(e *entry) int64 {
	return perHour(w.billableSeconds(e), w.rate(e).HourlyRateInCents)
}

// userName returns the name of user id, "" for an unknown user.
func (w *world) userName(id int64) string {
	if u := w.user[id]; u != nil {
		return u.name
	}
	return ""
}

// labour is the entry's labour cost in cents.
func (w *world) labour(e *entry) int64 {
	if u := w.user[e.user]; u != nil {
		return perHour(e.seconds(), u.labour)
	}
	return 0
}

// perHour returns seconds worth of centsPerHour, rounded to the nearest cent.
func perHour(seconds, centsPerHour int64) int64 {
	return (seconds*centsPerHour + 1800) / 3600
}

// period is a run of whole days starting at midnight of first (in first's location).
type period struct {
	first time.Time
	days  int
}

// periodEnding returns the days-long period whose last day is the day of t.
func periodEnding(t time.Time, days int) period {
	y, m, d := t.Date()
	return period{first: time.Date(y, m, d-days+1, 0, 0, 0, 0, t.Location()), days: days}
}

// civilDay returns the number of days since the epoch of t's date, free of DST.
func civilDay(t time.Time) int64 {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400
}

// day returns the index of t's day in p, or -1 when t is outside p.
func (p period) day(t time.Time) int {
	i := int(civilDay(t.In(p.first.Location())) - civilDay(p.first))
	if i < 0 || i >= p.days {
		return -1
	}
	return i
}

// totals aggregates entries (all within p) into a totals object with one graph bucket per day.
func (w *world) totals(p period, entries []entry) totalsJSON {
	t := totalsJSON{Resolution: "day", Graph: make([]graphJSON, p.days)}
	billable := map[rateJSON]int64{}
	for _, e := range ended(entries) {
		t.Seconds += e.seconds()
		t.BillableAmountInCents += w.amount(&e)
		t.LabourCostInCents += w.labour(&e)
		t.Graph[p.day(e.start)].Seconds += e.seconds()
		if b := w.billableSeconds(&e); b > 0 {
			billable[w.rate(&e)] += b
		}
	}
	t.Rates = sortedRates(billable)
	for _, g := range t.Graph {
		if g.Seconds > 0 {
			t.TrackedDays++
		}
	}
	return t
}

// dictionaries renders the world's dictionaries.
func (w *world) dictionaries() dictionariesJSON {
	key := func(id int64) string { return strconv.FormatInt(id, 10) }
	d := dictionariesJSON{
		Projects:   make(map[string]projectJSON, len(w.projects)),
		Clients:    entities(w.clients),
		Users:      make(map[string]userJSON, len(w.users)),
		Tasks:      make(map[string]taskJSON, len(w.tasks)),
		Tags:       entities(w.tags),
		UserGroups: map[string]entityJSON{},
	}
	for _, p := range w.projects {
		j := projectJSON{ID: p.id, Name: p.name, Color: p.color, ClientID: nonZero(p.clientID), Currency: &p.currency}
		if p.estimated != 0 {
			j.EstimatedHours, j.EstimatedSeconds = ptr(p.estimated/3600), ptr(p.estimated)
		}
		d.Projects[key(p.id)] = j
	}
	for _, t := range w.tasks {
		d.Tasks[key(t.id)] = taskJSON{ID: t.id, Name: t.name, ProjectID: t.project, EstimatedSeconds: nonZero(t.estimated)}
	}
	for _, u := range w.users {
		d.Users[key(u.id)] = userJSON{ID: u.id, Name: u.name, Email: u.email, LabourCost: ptr(u.labour)}
	}
	return d
}

// entities keys es by id, as dictionaries do.
func entities(es []entityJSON) map[string]entityJSON {
	m := make(map[string]entityJSON, len(es))
	for _, e := range es {
		m[strconv.FormatInt(e.ID, 10)] = e
	}
	return m
}

// groupRows groups entries as Toggl's grouped detailed report does: one row per day,
// user, project, description, tags and billability, a running entry alone.
func groupRows(p period, entries []entry) [][]entry {
	type rowKey struct {
		day               int
		user, project     int64
		description, tags string
		billable          bool
		running           int64 // a running entry's id: never shared
	}
	return groupBy(entries, func(e *entry) rowKey {
		k := rowKey{p.day(e.start), e.user, e.project, e.description, fmt.Sprint(e.tags), e.billable, 0}
		if e.running {
			k.running = e.id
		}
		return k
	})
}

// groupBy groups entries by key, in the order of each group's first entry.
func groupBy[K comparable](entries []entry, key func(*entry) K) [][]entry {
	var groups [][]entry
	index := map[K]int{}
	for i := range entries {
		k := key(&entries[i])
		n, ok := index[k]
		if !ok {
			n = len(groups)
			index[k] = n
			groups = append(groups, nil)
		}
		groups[n] = append(groups[n], entries[i])
	}
	return groups
}

// compareStart orders entries as a paged report lists them: by start, then by id.
func compareStart(a, b entry) int {
	return cmp.Or(a.start.Compare(b.start), cmp.Compare(a.id, b.id))
}

// detailedRows renders rows (each a group of entries sharing everything but their times).
func (w *world) detailedRows(rows [][]entry) []detailedRowJSON {
	out := make([]detailedRowJSON, 0, len(rows))
	for n, row := range rows {
		e := &row[0]
		rate := w.rate(e).HourlyRateInCents
		j := detailedRowJSON{
			UserID: e.user, Username: w.userName(e.user), Description: e.description,
			Billable: e.billable, Currency: w.rate(e).Currency, TagIDs: e.tags, RowNumber: n + 1,
		}
		if j.TagIDs == nil {
			j.TagIDs = []int64{}
		}
		if p := w.project[e.project]; p != nil {
			j.ProjectID, j.ProjectColor = ptr(p.id), ptr(p.color)
		}
		j.TaskID = nonZero(e.task)
		if rate != 0 {
			var amount int64
			for i := range row {
				amount += w.amount(&row[i])
			}
			j.HourlyRateInCents, j.BillableAmountInCents = ptr(rate), ptr(amount)
		}
		for i := range row {
			j.TimeEntries = append(j.TimeEntries, renderTimeEntry(row[i]))
		}
		out = append(out, j)
	}
	return out
}

const timeFormat = "2006-01-02T15:04:05-07:00"

func renderTimeEntry(e entry) timeEntryJSON {
	j := timeEntryJSON{ID: e.id, Start: e.start.Format(timeFormat)}
	if e.running {
		j.Seconds = -e.start.Unix()
		j.At = j.Start
	} else {
		j.Seconds = e.seconds()
		j.Stop = ptr(e.stop.Format(timeFormat))
		j.At = *j.Stop
	}
	j.AtTz = j.At
	return j
}

// weeklyRows renders one row per user and project, in the order of their first entry, with
// one element per day of p in each per-day array. Running entries are left out.
func (w *world) weeklyRows(p period, entries []entry) []weeklyRowJSON {
	out := []weeklyRowJSON{}
	for _, g := range groupBy(ended(entries), func(e *entry) [2]int64 { return [2]int64{e.user, e.project} }) {
		e := &g[0]
		r := weeklyRowJSON{
			UserID: e.user, UserName: w.userName(e.user),
			Currency: w.rate(e).Currency, HourlyRateInCents: nonZero(w.rate(e).HourlyRateInCents),
			Seconds: make([]int64, p.days), BillableSeconds: make([]int64, p.days), BillableAmountsInCents: make([]int64, p.days),
		}
		if pr := w.project[e.project]; pr != nil {
			r.ProjectID, r.ProjectName = ptr(pr.id), ptr(pr.name)
			if c := w.client[pr.clientID]; c != nil {
				r.ClientName = ptr(c.Name)
			}
		}
		for i := range g {
			d := p.day(g[i].start)
			r.Seconds[d] += g[i].seconds()
			r.BillableSeconds[d] += w.billableSeconds(&g[i])
			r.BillableAmountsInCents[d] += w.amount(&g[i])
		}
		out = append(out, r)
	}
	return out
}

// ended returns the entries that count in figures: not running, nor of zero seconds.
func ended(entries []entry) []entry {
	return slices.DeleteFunc(slices.Clone(entries), func(e entry) bool { return e.seconds() == 0 })
}

// Summary dimensions: the groupings and sub-groupings summaryGroups renders.
const (
	dimProjects    = "projects"
	dimClients     = "clients"
	dimUsers       = "users"
	dimTasks       = "tasks"        // sub-grouping only
	dimTimeEntries = "time_entries" // sub-grouping only: by description, with the entries' ids
)

// summaryKey is an entry's place in one dimension of a summary: its entity's id (0: none,
// always for time entries) and title.
type summaryKey struct {
	id    int64
	title string
}

func (w *world) summaryKey(dim string, e *entry) summaryKey {
	switch dim {
	case dimTimeEntries:
		return summaryKey{title: e.description}
	case dimUsers:
		return summaryKey{e.user, w.userName(e.user)}
	case dimTasks:
		if t := w.task[e.task]; t != nil {
			return summaryKey{t.id, t.name}
		}
	case dimClients:
		if p := w.project[e.project]; p != nil {
			if c := w.client[p.clientID]; c != nil {
				return summaryKey{c.ID, c.Name}
			}
		}
	default:
		if p := w.project[e.project]; p != nil {
			return summaryKey{p.id, p.name}
		}
	}
	return summaryKey{}
}

// summaryGroups renders a summary grouped by grouping and sub-grouped by subGrouping
// (summary dimensions). A null id stands for none (no project, client or task); time-entry
// sub-groups have a null id, the description as title, and the ids of their entries.
func (w *world) summaryGroups(entries []entry, grouping, subGrouping string) []summaryGroupJSON {
	// by groups entries by their key in dim, ordered by title, then id.
	by := func(entries []entry, dim string) [][]entry {
		groups := groupBy(entries, func(e *entry) summaryKey { return w.summaryKey(dim, e) })
		slices.SortFunc(groups, func(a, b []entry) int {
			ka, kb := w.summaryKey(dim, &a[0]), w.summaryKey(dim, &b[0])
			return cmp.Or(cmp.Compare(ka.title, kb.title), cmp.Compare(ka.id, kb.id))
		})
		return groups
	}
	groups := []summaryGroupJSON{}
	for _, ge := range by(ended(entries), grouping) {
		g := summaryGroupJSON{Names: []string{}, SubGroups: []summarySubGroupJSON{}}
		if gk := w.summaryKey(grouping, &ge[0]); gk.id != 0 {
			g.ID, g.Names = ptr(gk.id), []string{gk.title}
		}
		for _, se := range by(ge, subGrouping) {
			sk := w.summaryKey(subGrouping, &se[0])
			j := summarySubGroupJSON{ID: nonZero(sk.id)}
			billable := map[rateJSON]int64{}
			for i := range se {
				j.Seconds += se[i].seconds()
				if subGrouping == dimTimeEntries {
					j.IDs = append(j.IDs, se[i].id)
				}
				if b := w.billableSeconds(&se[i]); b > 0 {
					billable[w.rate(&se[i])] += b
				}
			}
			j.Rates = sortedRates(billable)
			if sk.id != 0 || subGrouping == dimTimeEntries {
				j.Title = ptr(sk.title)
			}
			g.SubGroups = append(g.SubGroups, j)
		}
		groups = append(groups, g)
	}
	return groups
}

// sortedRates turns billable seconds per rate into a sub-group's rates, in a stable order.
func sortedRates(billable map[rateJSON]int64) []rateJSON {
	rates := make([]rateJSON, 0, len(billable))
	for r, b := range billable {
		r.BillableSeconds = b
		rates = append(rates, r)
	}
	slices.SortFunc(rates, func(a, b rateJSON) int {
		return cmp.Or(cmp.Compare(a.Currency, b.Currency), cmp.Compare(a.HourlyRateInCents, b.HourlyRateInCents))
	})
	return rates
}

// reportData is what a report body is computed from. A summary is grouped as params'
// grouping and sub_grouping say (Toggl's defaults: projects, time_entries);
// marshalReport adds the period's dates to params.
type reportData struct {
	name, typ string
	params    map[string]any
	period    period
	entries   []entry   // the entries that started in period
	rows      [][]entry // detailed reports only: the same entries grouped into rows
}

// marshalReport renders a full report body of d.typ.
func (w *world) marshalReport(d reportData) []byte {
	d.params["start_date"] = d.period.first.Format(time.DateOnly)
	if d.typ != "weekly" { // a weekly report runs 7 days from start_date
		d.params["end_date"] = d.period.first.AddDate(0, 0, d.period.days-1).Format(time.DateOnly)
	}
	r := reportJSON{
		ReportName: d.name, ReportType: d.typ, Public: true,
		Features:     map[string]bool{"rates": true, "labour_cost": true, "tasks": len(w.tasks) > 0},
		InputParams:  d.params,
		SavedParams:  d.params,
		Dictionaries: w.dictionaries(),
	}
	totals := w.totals(d.period, d.entries)
	switch d.typ {
	case "detailed":
		r.DetailedResults = &results[[]detailedRowJSON]{w.detailedRows(d.rows), totals}
	case "summary":
		grouping, _ := d.params["grouping"].(string)
		subGrouping, _ := d.params["sub_grouping"].(string)
		groups := w.summaryGroups(d.entries, cmp.Or(grouping, dimProjects), cmp.Or(subGrouping, dimTimeEntries))
		r.SummaryResults = &results[summaryReportJSON]{summaryReportJSON{groups}, totals}
	case "weekly":
		r.WeeklyResults = &results[[]weeklyRowJSON]{w.weeklyRows(d.period, d.entries), totals}
	}
	return mustMarshal(r)
}
