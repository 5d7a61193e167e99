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
	"time"

	"github.com/toggl-exporter/toggl_exporter/config"
)

// object is a JSON object of a report body as toggl-api.md describes it: a field Toggl
// may send as null is nil or a nil pointer (see nonZero), never left out.
type object = map[string]any

// A world is a workspace. Report bodies aggregate its time entries entry by entry
// (amounts included), so that whatever the report type its totals agree with its rows.
// Its entities are kept by id, as its dictionaries list them: id 0, none, finds the zero value.
type world struct {
	project map[int64]projectDef
	client  map[int64]entityJSON
	user    map[int64]userJSON
	task    map[int64]taskJSON
	tag     map[int64]entityJSON
}

type projectDef struct {
	id, clientID          int64 // clientID 0: none
	name, color, currency string
	rate                  int64 // hourly rate in cents; 0: none (entries are not billable)
	estimated             int64 // seconds; 0: none
}

type rateJSON struct {
	BillableSeconds   int64  `json:"billable_seconds"`
	Currency          string `json:"currency"`
	HourlyRateInCents int64  `json:"hourly_rate_in_cents"`
}

type entityJSON struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

type userJSON struct {
	ID         int64  `json:"id"`
	Name       string `json:"name"`
	Email      string `json:"email"`
	LabourCost int64  `json:"labour_cost"` // per hour, in cents
}

// taskJSON leaves tracked_seconds (the task's whole life) null: a world has no beginning.
type taskJSON struct {
	ID               int64  `json:"id"`
	Name             string `json:"name"`
	ProjectID        int64  `json:"project_id"`
	EstimatedSeconds *int64 `json:"estimated_seconds"`
	TrackedSeconds   *int64 `json:"tracked_seconds"`
	description      string // the entries of its project with this description are on it
}

type entry struct {
	id, user, project, task int64 // project and task 0: none
	description             string
	tags                    []int64
	billable                bool
	start, stop             time.Time
	running                 bool // stop is unknown: sent as null with negative seconds
}

// nonZero returns a pointer to v, or nil (sent as null) for the zero value.
func nonZero[T comparable](v T) *T {
	if v == *new(T) {
		return nil
	}
	return &v
}

// seconds is what e adds to totals: a running entry adds nothing.
func (e *entry) seconds() int64 {
	if e.running {
		return 0
	}
	return int64(e.stop.Sub(e.start) / time.Second)
}

// bill returns e's rate (HourlyRateInCents 0: none), billable seconds and amount in
// cents: every sum of amounts is one of these, so that rows and totals agree to the cent.
func (w *world) bill(e *entry) (rate rateJSON, billable, amount int64) {
	p := w.project[e.project]
	if e.billable && p.rate != 0 {
		billable = e.seconds()
	}
	return rateJSON{Currency: cmp.Or(p.currency, "USD"), HourlyRateInCents: p.rate}, billable, perHour(billable, p.rate)
}

func perHour(seconds, centsPerHour int64) int64 {
	return (seconds*centsPerHour + 1800) / 3600
}

// period is a run of days from first, a midnight in its location.
type period struct {
	first time.Time
	days  int
}

// civilDay numbers t's date, free of DST.
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

// totals aggregates entries (all within p), with a graph bucket a day.
func (w *world) totals(p period, entries []entry) object {
	days := make([]int64, p.days)
	var seconds, amount, labour, tracked int64
	for _, e := range entries {
		_, _, a := w.bill(&e)
		seconds += e.seconds()
		amount += a
		labour += perHour(e.seconds(), w.user[e.user].LabourCost)
		days[p.day(e.start)] += e.seconds()
	}
	graph := []object{}
	for _, s := range days {
		graph = append(graph, object{"seconds": s})
		if s > 0 {
			tracked++
		}
	}
	return object{"seconds": seconds, "tracked_days": tracked, "billable_amount_in_cents": amount, "labour_cost_in_cents": labour,
		"resolution": "day", "rates": w.rates(entries), "graph": graph}
}

// rates sums the billable seconds of entries by rate, in a stable order.
func (w *world) rates(entries []entry) []rateJSON {
	billable := map[rateJSON]int64{}
	for _, e := range entries {
		if r, b, _ := w.bill(&e); b > 0 {
			billable[r] += b
		}
	}
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

// dictionaries renders the dictionaries (not the deprecated filters) keyed by id.
func (w *world) dictionaries() object {
	projects := map[int64]object{}
	for _, p := range w.project {
		projects[p.id] = object{"id": p.id, "name": p.name, "color": p.color, "client_id": nonZero(p.clientID), "currency": p.currency,
			"estimated_hours": nonZero(p.estimated / 3600), "estimated_seconds": nonZero(p.estimated), "fixed_fee": nil}
	}
	return object{"projects": projects, "clients": w.client, "users": w.user, "tasks": w.task, "tags": w.tag, "user_groups": object{}}
}

// groupRows groups entries as Toggl's grouped detailed report does: a row per day, user,
// project, description, tags and billability, a running entry alone.
func groupRows(p period, entries []entry) [][]entry {
	return groupBy(entries, func(e *entry) any {
		if e.running {
			return e.id
		}
		return [...]any{p.day(e.start), e.user, e.project, e.description, fmt.Sprint(e.tags), e.billable}
	})
}

// groupBy groups entries by key, in the order of each group's first entry.
func groupBy[K comparable](entries []entry, key func(*entry) K) [][]entry {
	var groups [][]entry
	index := map[K]int{}
	for i := range entries {
		k := key(&entries[i])
		if _, ok := index[k]; !ok {
			index[k] = len(groups)
			groups = append(groups, nil)
		}
		groups[index[k]] = append(groups[index[k]], entries[i])
	}
	return groups
}

// compareStart orders entries as a paged report does: by start, then by id.
func compareStart(a, b entry) int {
	return cmp.Or(a.start.Compare(b.start), cmp.Compare(a.id, b.id))
}

// detailedRows renders rows without names, as real rows come.
func (w *world) detailedRows(rows [][]entry) []object {
	out := []object{}
	for n, row := range rows {
		e := &row[0]
		rate, _, _ := w.bill(e)
		var amount int64
		var entries []object
		for _, e := range row {
			_, _, a := w.bill(&e)
			amount += a
			entries = append(entries, e.json())
		}
		j := object{"user_id": e.user, "username": w.user[e.user].Name, "project_id": nonZero(e.project),
			"project_color": nonZero(w.project[e.project].color), "task_id": nonZero(e.task), "description": e.description,
			"billable": e.billable, "billable_amount_in_cents": nil, "hourly_rate_in_cents": nonZero(rate.HourlyRateInCents),
			"currency": rate.Currency, "tag_ids": append([]int64{}, e.tags...), "row_number": n + 1, "time_entries": entries}
		if rate.HourlyRateInCents != 0 {
			j["billable_amount_in_cents"] = amount
		}
		out = append(out, j)
	}
	return out
}

const timeFormat = "2006-01-02T15:04:05-07:00"

// json renders e; running, with a null stop and minus its start's Unix time as seconds.
func (e entry) json() object {
	start := e.start.Format(timeFormat)
	if e.running {
		return object{"id": e.id, "seconds": -e.start.Unix(), "start": start, "stop": nil, "at": start, "at_tz": start}
	}
	stop := e.stop.Format(timeFormat)
	return object{"id": e.id, "seconds": e.seconds(), "start": start, "stop": stop, "at": stop, "at_tz": stop}
}

// weeklyRows renders a row per user and project, each with per-day arrays.
func (w *world) weeklyRows(p period, entries []entry) []object {
	out := []object{}
	for _, g := range groupBy(ended(entries), func(e *entry) [2]int64 { return [2]int64{e.user, e.project} }) {
		e := &g[0]
		rate, _, _ := w.bill(e)
		pr := w.project[e.project]
		seconds, billable, amounts := make([]int64, p.days), make([]int64, p.days), make([]int64, p.days)
		for _, e := range g {
			_, b, a := w.bill(&e)
			seconds[p.day(e.start)] += e.seconds()
			billable[p.day(e.start)] += b
			amounts[p.day(e.start)] += a
		}
		out = append(out, object{"user_id": e.user, "user_name": w.user[e.user].Name, "project_id": nonZero(pr.id),
			"project_name": nonZero(pr.name), "client_name": nonZero(w.client[pr.clientID].Name), "planned_task_id": nil,
			"currency": rate.Currency, "hourly_rate_in_cents": nonZero(rate.HourlyRateInCents),
			"seconds": seconds, "billable_seconds": billable, "billable_amounts_in_cents": amounts})
	}
	return out
}

// ended returns the entries that count in rows: not running, nor of zero seconds.
func ended(entries []entry) []entry {
	return slices.DeleteFunc(slices.Clone(entries), func(e entry) bool { return e.seconds() == 0 })
}

// summaryKey is an entry's entity in a summary's dimension ("time_entries": by
// description, id 0), by id (0: none) and title.
type summaryKey struct {
	id    int64
	title string
}

func (w *world) summaryKey(dim string, e *entry) summaryKey {
	p := w.project[e.project]
	switch dim {
	case "time_entries":
		return summaryKey{title: e.description}
	case "users":
		return summaryKey{e.user, w.user[e.user].Name}
	case "tasks":
		return summaryKey{w.task[e.task].ID, w.task[e.task].Name}
	case "clients":
		return summaryKey{w.client[p.clientID].ID, w.client[p.clientID].Name}
	}
	return summaryKey{p.id, p.name}
}

// summaryGroups renders a summary by grouping and subGrouping (see summaryKey).
func (w *world) summaryGroups(entries []entry, grouping, subGrouping string) []object {
	by := func(entries []entry, dim string) [][]entry {
		groups := groupBy(entries, func(e *entry) summaryKey { return w.summaryKey(dim, e) })
		slices.SortFunc(groups, func(a, b []entry) int {
			ka, kb := w.summaryKey(dim, &a[0]), w.summaryKey(dim, &b[0])
			return cmp.Or(cmp.Compare(ka.title, kb.title), cmp.Compare(ka.id, kb.id))
		})
		return groups
	}
	groups := []object{}
	for _, ge := range by(ended(entries), grouping) {
		gk := w.summaryKey(grouping, &ge[0])
		names, subGroups := []string{}, []object{}
		if gk.id != 0 {
			names = []string{gk.title}
		}
		for _, se := range by(ge, subGrouping) {
			sk := w.summaryKey(subGrouping, &se[0])
			var seconds int64
			var ids []int64
			for _, e := range se {
				seconds += e.seconds()
				ids = append(ids, e.id)
			}
			sg := object{"id": nonZero(sk.id), "title": nonZero(sk.title), "seconds": seconds, "rates": w.rates(se)}
			if subGrouping == "time_entries" {
				sg["ids"] = ids
			}
			subGroups = append(subGroups, sg)
		}
		groups = append(groups, object{"id": nonZero(gk.id), "names": names, "sub_groups": subGroups})
	}
	return groups
}

// marshalReport renders a report of type typ over rows, with params (nil: none) and p's dates.
func (w *world) marshalReport(name, typ string, params map[string]any, p period, rows [][]entry) []byte {
	params = maps.Collect(maps.All(params)) // a copy, never nil
	params["start_date"] = p.first.Format(time.DateOnly)
	if typ != "weekly" { // a weekly report runs 7 days from start_date
		params["end_date"] = p.first.AddDate(0, 0, p.days-1).Format(time.DateOnly)
	}
	entries := slices.Concat(rows...)
	results := object{"totals": w.totals(p, entries)}
	switch typ {
	case "detailed":
		results["report"] = w.detailedRows(rows)
	case "summary":
		grouping, _ := params["grouping"].(string)
		subGrouping, _ := params["sub_grouping"].(string)
		results["report"] = object{"groups": w.summaryGroups(entries, cmp.Or(grouping, "projects"), cmp.Or(subGrouping, "time_entries"))}
	case "weekly":
		results["report"] = w.weeklyRows(p, entries)
	}
	r := object{"report_name": name, "report_type": typ, "public": true, "fixed_daterange": false, "hide_amounts": false,
		"features":     map[string]bool{"rates": true, "labour_cost": true, "tasks": len(w.task) > 0},
		"input_params": params, "saved_params": params, "dictionaries": w.dictionaries(),
		"detailed_results": nil, "summary_results": nil, "weekly_results": nil}
	r[typ+"_results"] = results
	return mustMarshal(r)
}

// DetailedSpec sizes a generated report (see DetailedJSON).
type DetailedSpec struct {
	Entries      int // time entries in all
	PerRow       int // time entries grouped in one row (the last row may hold fewer); 0 means 1
	Projects     int // projects in the dictionary; one row in ten has no project (all if 0)
	Clients      int // clients; every fourth project has none; 0 means (Projects+2)/3
	Users        int // users, at least 1
	Tags         int // tags; a row carries up to two
	Descriptions int // "Ticket 1"...: many make a summary by time entries large; 0: seven fixed ones
	// SameStart, if above 1, makes each run of SameStart rows (in start order) start at the
	// same second, so that page boundaries fall inside runs and rows come twice in a walk.
	SameStart int
	Seed      int64
}

// DetailedJSON returns the body of a detailed report of spec's size, the same for the same
// spec: two currencies, non-billable rows, null project ids, no running entry, no tasks.
func DetailedJSON(spec DetailedSpec) []byte {
	return ReportJSON(spec, "detailed", map[string]any{"grouped": spec.PerRow > 1})
}

// ReportJSON returns the body of a report of type typ over the time entries of
// DetailedJSON(spec), with params (a summary's grouping...) as its input_params. Projects
// are billed in turn at USD 95.50/h, EUR 110/h and USD 120/h, every fifth not at all.
func ReportJSON(spec DetailedSpec, typ string, params map[string]any) []byte {
	rng := rand.New(rand.NewPCG(uint64(spec.Seed), 0x70991e))
	clients := cmp.Or(spec.Clients, (spec.Projects+2)/3)
	w := &world{project: map[int64]projectDef{}, client: map[int64]entityJSON{}, user: map[int64]userJSON{}, task: map[int64]taskJSON{},
		tag: map[int64]entityJSON{}}
	for i := range int64(clients) {
		w.client[100+i] = entityJSON{ID: 100 + i, Name: fmt.Sprintf("Client %d", i+1)}
	}
	for i := range spec.Projects {
		p := projectDef{id: int64(1000 + i), name: fmt.Sprintf("Project %d", i+1), color: fmt.Sprintf("#%06x", rng.IntN(1<<24)),
			currency: []string{"USD", "EUR", "USD"}[i%3], rate: []int64{9550, 11000, 12000}[i%3]}
		if clients > 0 && i%4 != 3 {
			p.clientID = int64(100 + i%clients)
		}
		if i%5 == 4 {
			p.rate = 0 // internal: not billable
		}
		if i%2 == 0 {
			p.estimated = int64(100+10*i) * 3600
		}
		w.project[p.id] = p
	}
	for i := range int64(max(spec.Users, 1)) {
		w.user[10000+i] = userJSON{ID: 10000 + i, Name: fmt.Sprintf("User %d", i+1), Email: fmt.Sprintf("user%d@example.com", i+1), LabourCost: 3000 + 100*(i%30)}
	}
	for i := range int64(spec.Tags) {
		w.tag[500+i] = entityJSON{ID: 500 + i, Name: fmt.Sprintf("tag-%d", i+1)}
	}
	week := period{first: time.Date(2025, 3, 3, 0, 0, 0, 0, time.UTC), days: 7}
	return w.marshalReport(fmt.Sprintf("Generated %s: %d entries", typ, spec.Entries), typ, params, week, w.generateRows(spec, week, 1e9, rng))
}

// LargeJSON returns the benchmark report of type typ with n time entries: a busy team's,
// with a description per 20 entries, so that a summary grows with it.
func LargeJSON(typ string, n int) []byte {
	params := map[string]object{"detailed": {"grouped": false}, "summary": {"grouping": "projects", "sub_grouping": "time_entries"}}[typ]
	return ReportJSON(DetailedSpec{Entries: n, Projects: 300, Clients: 60, Users: 40, Tags: 20, Descriptions: max(n/20, 7), Seed: int64(n)}, typ, params)
}

// generateRows draws the rows of spec over p, with time-entry ids from id on, by start.
func (w *world) generateRows(spec DetailedSpec, p period, id int64, rng *rand.Rand) [][]entry {
	descriptions := []string{"Development", "Code review", "Meeting", "Support", "Planning", "Testing", "Documentation"}
	if spec.Descriptions > 0 {
		descriptions = make([]string, spec.Descriptions)
		for i := range descriptions {
			descriptions[i] = fmt.Sprintf("Ticket %d", i+1)
		}
	}
	var rows [][]entry
	users, projects, tags := slices.Sorted(maps.Keys(w.user)), slices.Sorted(maps.Keys(w.project)), slices.Sorted(maps.Keys(w.tag))
	for left := spec.Entries; left > 0; left -= max(spec.PerRow, 1) {
		e := entry{user: users[rng.IntN(len(users))], description: descriptions[rng.IntN(len(descriptions))]}
		if len(projects) > 0 && len(rows)%10 != 9 {
			p := w.project[projects[rng.IntN(len(projects))]]
			e.project = p.id
			for _, t := range w.task {
				if t.ProjectID == p.id && t.description == e.description {
					e.task = t.ID
				}
			}
			e.billable = p.rate != 0 && rng.IntN(5) != 0
		}
		if n := min(len(tags), rng.IntN(3)); n > 0 {
			for _, t := range rng.Perm(len(tags))[:n] {
				e.tags = append(e.tags, tags[t])
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

// DemoReport names one of the demo's shared reports.
type DemoReport struct {
	Name   string // a name for the exporter's configuration (the `report` label)
	Title  string // its name in the workspace's listing, which Name comes from
	ID     int64  // its id in the listing
	Token  string // the shared report token the Fake serves it under
	Type   string // report_type: "detailed", "summary" or "weekly"
	Period string // the window it covers instead of its type's: "today" or "last_week"
	report Agency
}

// DemoReports are the reports Demo serves, of every type, all public.
var DemoReports = []DemoReport{
	// This week so far, grouped rows, paged, two currencies.
	{Name: "team-week", Title: "Team week", ID: 9001, Token: "demo-team-week-detailed-4f1c9a2e", Type: "detailed",
		report: Agency{name: "Team – this week", params: map[string]any{"grouped": true}, call: true}},
	// 30 days by project and task: long enough for the dashboard's estimates (see agency).
	{Name: "projects-month", Title: "Projects month", ID: 9002, Token: "demo-month-summary-8d03e6b15a7c2", Type: "summary",
		report: Agency{name: "Projects and tasks – last 30 days", saved: "last_30_days",
			params: map[string]any{"grouping": "projects", "sub_grouping": "tasks"}}},
	// This week for two clients, Acme and Initech, billed in dollars.
	{Name: "weekly-timesheet", Title: "Weekly timesheet", ID: 9003, Token: "demo-support-weekly-c27a90f4d1e5", Type: "weekly",
		report: Agency{name: "Acme and Initech – weekly timesheet", params: map[string]any{"client_ids": []int64{100, 102}}}},
	// Today, with the running timer: who is tracking now, nobody tracked yet.
	{Name: "team-today", Title: "Team today", ID: 9004, Token: "demo-team-today-detailed-5e82b1c", Type: "detailed", Period: "today",
		report: Agency{name: "Team – today", params: map[string]any{"grouped": true}}},
	// Last week, closed, so that under-expected hours can be judged, with figures when this
	// week has none yet (Monday morning).
	{Name: "team-last-week", Title: "Team last week", ID: 9005, Token: "demo-last-week-detailed-7a3d90e1", Type: "detailed", Period: "last_week",
		report: Agency{name: "Team – last week", params: map[string]any{"grouped": true}}},
}

// DemoWorkspaceID lists DemoReports to DemoAPIToken, for the demo to discover.
const (
	DemoWorkspaceID = 4242
	DemoAPIToken    = "demo-api-token-0b5e7c1d9a3f4e26"
)

// Demo returns a Fake serving DemoReports over the Agency's time entries, and listing them
// and the agency's members. Detailed reports come in pages of 50 rows; its quota is never
// spent at one request a second, and a long-running demo keeps only 1000 requests.
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
	for _, id := range slices.Sorted(maps.Keys(agency.user)) {
		u := agency.user[id]
		ws.Members = append(ws.Members, Member{UserID: u.ID, Name: u.Name, Email: u.Email, WorkingHoursInMinutes: 480})
	}
	ws.Members = append(ws.Members, Member{UserID: 10005, Name: "Farah Haddad", Email: "farah@example.com"})
	f.SetWorkspace(DemoWorkspaceID, ws)
	return f
}

// Rehearsal returns a Demo that also answers any token and workspace, whatever the
// credentials: a user's own configuration runs against it before the user has any token.
func Rehearsal() *Fake {
	f := Demo()
	rep := Agency{}.Report("")
	rep.Paging = &Paging{}
	ws := f.workspaces[DemoWorkspaceID]
	ws.APIToken = "" // any credentials list it
	f.reports[""], f.workspaces[anyWorkspace] = rep, ws
	return f
}

// StandIns returns what a rehearsal reads secrets with: an unset variable or an unreadable
// file gets a stand-in, the same for the same name, which missing is told of.
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

// Agency is the demo's workspace as a source of reports. Each day's entries are drawn
// from a generator seeded by the date and exist once ended by the Fake's clock, so that
// figures grow through the day; unless Last is set, one timer runs.
type Agency struct {
	Loc         *time.Location // the days of its entries and of requests' dates; nil: the Fake clock's
	First, Last time.Time      // bound the days on which it tracked time (inclusive); zero: no bound
	PerDay      int            // time entries a day; 0 means AgencyEntriesPerDay (fewer serve long histories quickly)
	// One of its reports (see Report and DemoReports); the request's params override params.
	typ, name string
	params    map[string]any // client_ids keeps those clients' entries
	saved     string         // the period without dates: "" (this week), "today", "last_week" or "last_30_days"
	call      bool           // add the call at the first page boundary (see Demo)
}

// AgencyEntriesPerDay is how many time entries the Agency tracks a day by default.
const AgencyEntriesPerDay = 24

// Report returns a Report of type typ ("": a summary if the request names a grouping, else
// detailed) over its start_date to end_date, else this week; filters are not applied.
func (a Agency) Report(typ string) Report {
	a.typ, a.name = typ, "Agency"
	return Report{BodyFunc: a.body}
}

// Tracked returns the totals.seconds of a report of the days from first to last
// (inclusive, in a.Loc, else in now's location) at now.
func (a Agency) Tracked(first, last, now time.Time) int64 {
	loc := cmp.Or(a.Loc, now.Location())
	p := period{first: config.DayStart(first.In(loc), loc), days: int(civilDay(last.In(loc)) - civilDay(first.In(loc)) + 1)}
	return agency.totals(p, a.entries(p, now.In(loc)))["seconds"].(int64)
}

// body renders the report that request asks for at now.
func (a Agency) body(now time.Time, request map[string]any) []byte {
	now = now.In(cmp.Or(a.Loc, now.Location()))
	params := maps.Collect(maps.All(a.params))
	maps.Copy(params, request)
	delete(params, "first_timestamp")
	typ := cmp.Or(a.typ, "detailed")
	if a.typ == "" && (params["grouping"] != nil || params["sub_grouping"] != nil) {
		typ = "summary"
	}
	p := a.period(now, params, typ)
	entries := a.entries(p, now)
	if typ == "detailed" && a.call {
		entries = withBoundaryCall(p, entries, now)
	}
	rows := [][]entry{entries}
	switch {
	case typ == "detailed" && params["grouped"] == true:
		rows = groupRows(p, entries)
	case typ == "detailed": // a row an entry
		rows = groupBy(entries, func(e *entry) int64 { return e.id })
	}
	return agency.marshalReport(a.name, typ, params, p, rows)
}

// period returns the days params ask for at now, else a.saved's window.
func (a Agency) period(now time.Time, params map[string]any, typ string) period {
	date := func(key string, t time.Time) time.Time {
		s, _ := params[key].(string)
		if d, err := time.ParseInLocation(time.DateOnly, s, now.Location()); err == nil {
			return d
		}
		return t
	}
	saved, _ := config.ParsePeriod(cmp.Or(a.saved, "this_week"))
	first, last := saved.Window(now, now.Location(), time.Monday)
	if start := date("start_date", time.Time{}); !start.IsZero() {
		first, last = start, date("end_date", now)
		if typ == "weekly" {
			last = start.AddDate(0, 0, 6)
		}
	}
	return period{first, max(int(civilDay(last)-civilDay(first))+1, 1)}
}

// agency is the Agency's world. A project's 30 days use under half its estimate (a budget
// for its life: no alert on a window not spanning it, issue 23); a task's, a tenth to all.
var agency = &world{
	client: map[int64]entityJSON{100: {100, "Acme Corp"}, 101: {101, "Globex GmbH"}, 102: {102, "Initech"}},
	project: map[int64]projectDef{
		1000: {1000, 100, "Website Relaunch", "#816261", "USD", 9550, 600 * 3600},
		1001: {1001, 101, "SAP Integration", "#d0d121", "EUR", 11000, 0},
		1002: {1002, 102, "Support Retainer", "#ed5f36", "USD", 12000, 800 * 3600},
		1003: {1003, 0, "Internal Tooling", "#927492", "USD", 9550, 0},
		1004: {1004, 101, "Workshops", "#af9e76", "EUR", 0, 400 * 3600},
		1005: {1005, 102, "Data Platform", "#5fdd37", "USD", 12000, 0},
	},
	user: map[int64]userJSON{10000: {10000, "Alice Moreau", "alice@example.com", 3000}, 10001: {10001, "Bao Nguyen", "bao@example.com", 3100},
		10002: {10002, "Carla Jensen", "carla@example.com", 3200}, 10003: {10003, "Dmitri Volkov", "dmitri@example.com", 3300},
		10004: {10004, "Emeka Okafor", "emeka@example.com", 3400}},
	tag: map[int64]entityJSON{500: {500, "design"}, 501: {501, "backend"}, 502: {502, "frontend"}, 503: {503, "meeting"}, 504: {504, "bugfix"}},
	task: map[int64]taskJSON{
		3000: {ID: 3000, ProjectID: 1000, Name: "Build", description: "Development", EstimatedSeconds: new(int64(120 * 3600))},
		3001: {ID: 3001, ProjectID: 1000, Name: "QA", description: "Testing", EstimatedSeconds: new(int64(40 * 3600))},
		3002: {ID: 3002, ProjectID: 1005, Name: "Pipelines", description: "Development", EstimatedSeconds: new(int64(60 * 3600))},
	},
}

// entries returns the Agency's entries of p (of a's client_ids) ended by now, in order of
// start, and the timer. Ids are day*1000 + k; the timer's is 10^9 + its start in hours.
func (a Agency) entries(p period, now time.Time) []entry {
	inBounds := func(t time.Time) bool {
		return (a.First.IsZero() || civilDay(t) >= civilDay(a.First)) && (a.Last.IsZero() || civilDay(t) <= civilDay(a.Last))
	}
	clients, _ := a.params["client_ids"].([]int64)
	drop := func(e entry) bool {
		return e.stop.After(now) || clients != nil && !slices.Contains(clients, agency.project[e.project].clientID)
	}
	var entries []entry
	for d := range p.days {
		if day := p.first.AddDate(0, 0, d); inBounds(day) {
			civil := civilDay(day)
			rows := agency.generateRows(DetailedSpec{Entries: cmp.Or(a.PerDay, AgencyEntriesPerDay), PerRow: 2},
				period{day, 1}, civil*1000, rand.New(rand.NewPCG(uint64(civil), 0)))
			entries = append(entries, slices.DeleteFunc(slices.Concat(rows...), drop)...)
		}
	}
	// Started two to three hours ago (but today), the same all hour long.
	timer := entry{user: 10003, project: 1002, description: "On-call: production incident", billable: true, running: true,
		start: now.Truncate(time.Hour).Add(-2 * time.Hour)}
	if today := config.DayStart(now, now.Location()); timer.start.Before(today) {
		timer.start = today
	}
	timer.id = 1e9 + timer.start.Unix()/3600
	if p.day(timer.start) >= 0 && a.Last.IsZero() && inBounds(timer.start) && !drop(timer) {
		entries = append(entries, timer)
	}
	slices.SortFunc(entries, compareStart)
	return entries
}

// withBoundaryCall adds a call joined at the second the first page's last row starts, so
// that the second page repeats it; only past a page of rows before today, to stay put.
func withBoundaryCall(p period, entries []entry, now time.Time) []entry {
	today := config.DayStart(now, now.Location())
	rows := groupRows(p, slices.DeleteFunc(slices.Clone(entries), func(e entry) bool { return !e.start.Before(today) }))
	if len(rows) <= pageSize {
		return entries
	}
	a := rows[pageSize-1][0]
	call := entry{id: a.id + 5e8, user: 10000 + (a.user+1-10000)%int64(len(agency.user)), project: a.project,
		description: "Call with " + agency.user[a.user].Name, billable: a.billable, start: a.start, stop: a.start.Add(10 * time.Minute)}
	i, _ := slices.BinarySearchFunc(entries, call, compareStart)
	return slices.Insert(slices.Clone(entries), i, call)
}
