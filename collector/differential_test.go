package collector

import (
	"context"
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-json-experiment/json"

	"github.com/toggl-exporter/toggl_exporter/client"
	"github.com/toggl-exporter/toggl_exporter/config"
)

// The differential test: random report bodies, in every shape toggl-api.md allows, are
// served to the real client and aggregated; every series is compared with a reference
// computed here from the generator's own model by reading SPEC.md, sharing no code with
// the aggregator. A case is a report; the reference never sees the JSON.

// Toggl's dimensions of a summary (toggl-api.md; tags as the decoder also accepts it).
var (
	diffGroupings    = []string{"projects", "users", "clients", "tags"}
	diffSubGroupings = []string{"time_entries", "users", "clients", "projects", "tasks"}
)

// diffCase is one generated report: the world its ids come from, what the body says, and
// the body itself.
type diffCase struct {
	typ         string // detailed, summary, weekly
	request     map[string]any
	body        map[string]any
	hide        bool
	totals      diffTotals
	dict        diffDict
	detailed    []diffRow
	weekly      []diffWeek
	groups      []diffGroup
	grouping    string // the dimensions SPEC says the summary has
	subGrouping string
}

type diffTotals struct {
	seconds, days  int64
	amount, labour *int64
	rates          []diffRate
}

type diffRate struct {
	seconds, cents int64
	currency       *string // nil: null
}

// diffDict is what the body's dictionaries hold; an id absent here is absent there.
type diffDict struct {
	projects map[int64]diffProject
	clients  map[int64]string
	users    map[int64]string
	tags     map[int64]string
	tasks    map[int64]diffTask
}

type diffProject struct {
	name, currency string
	client, est    int64
}

type diffTask struct {
	name         string
	project, est int64
}

type diffRow struct {
	user, project, task int64
	userName, projName  string // what the row says; "" when absent
	billable            bool
	cents               int64
	currency            string
	tags                []int64
	entries             []diffEntry
}

type diffEntry struct {
	id      int64
	seconds *int64 // nil: null
	stopped bool
	start   time.Time
}

type diffWeek struct {
	user, project      int64
	userName, projName string
	currency           string
	seconds, billable  []int64 // billable nil: absent
	cents              []int64
}

type diffGroup struct {
	id    int64
	ids   []int64
	names []string
	subs  []diffSub
}

type diffSub struct {
	id      int64
	title   string
	seconds int64
	rates   []diffRate
}

// world is the entities a case draws from: some are in the dictionaries, some only in
// rows, with a name or not.
type diffWorld struct {
	projects, users, clients, tags, tasks []int64
	names                                 map[int64]string
	rowNames                              map[int64]bool // the rows carry this entity's name
}

func generateCase(rng *rand.Rand) *diffCase {
	c := &diffCase{typ: []string{"detailed", "summary", "weekly"}[rng.IntN(3)], hide: rng.IntN(5) == 0}
	w := &diffWorld{names: map[int64]string{}, rowNames: map[int64]bool{}}
	c.dict = diffDict{map[int64]diffProject{}, map[int64]string{}, map[int64]string{}, map[int64]string{}, map[int64]diffTask{}}
	name := func(kind string, id int64) string {
		switch rng.IntN(8) {
		case 0:
			return "" // null or empty name
		case 1:
			return fmt.Sprintf("%s \"%d\" ü", kind, id)
		}
		return fmt.Sprintf("%s %d", kind, id)
	}
	ids := func(kind string, base int64, n int) []int64 {
		var out []int64
		for i := range n {
			id := base + int64(i)
			out = append(out, id)
			w.names[id] = name(kind, id)
			w.rowNames[id] = rng.IntN(3) == 0
		}
		return out
	}
	inDict := func() bool { return rng.IntN(6) != 0 }
	w.clients = ids("Client", 100, rng.IntN(4))
	for _, id := range w.clients {
		if inDict() {
			c.dict.clients[id] = w.names[id]
		}
	}
	w.projects = ids("Project", 1000, 1+rng.IntN(5))
	for _, id := range w.projects {
		if inDict() {
			p := diffProject{name: w.names[id], currency: pick(rng, "USD", "eur", "", "US$")}
			if len(w.clients) > 0 && rng.IntN(3) != 0 {
				p.client = w.clients[rng.IntN(len(w.clients))]
			}
			if rng.IntN(2) == 0 {
				p.est = int64(rng.IntN(100)) * 3600
			}
			c.dict.projects[id] = p
		}
	}
	w.users = ids("User", 10, 1+rng.IntN(4))
	for _, id := range w.users {
		if inDict() {
			c.dict.users[id] = w.names[id]
		}
	}
	w.tags = ids("Tag", 500, rng.IntN(4))
	for _, id := range w.tags {
		if inDict() {
			c.dict.tags[id] = w.names[id]
		}
	}
	w.tasks = ids("Task", 7000, rng.IntN(4))
	taskProject := map[int64]int64{}
	for _, id := range w.tasks {
		taskProject[id] = w.projects[rng.IntN(len(w.projects))]
		if inDict() {
			c.dict.tasks[id] = diffTask{name: w.names[id], project: taskProject[id], est: int64(rng.IntN(3)) * 1800}
		}
	}
	entity := func(pool []int64) int64 { // null one time in five
		if len(pool) == 0 || rng.IntN(5) == 0 {
			return 0
		}
		return pool[rng.IntN(len(pool))]
	}
	rowName := func(id int64) string {
		if w.rowNames[id] {
			return w.names[id]
		}
		return ""
	}
	var summed int64
	switch c.typ {
	case "detailed":
		var nextID int64 = 1
		for range rng.IntN(12) {
			r := diffRow{user: entity(w.users), project: entity(w.projects), billable: rng.IntN(2) == 0,
				currency: pick(rng, "USD", "usd", "EUR", "", "dollars")}
			r.userName, r.projName = rowName(r.user), rowName(r.project)
			if rng.IntN(2) == 0 {
				r.cents = int64(rng.IntN(50000))
			}
			for range rng.IntN(4) {
				if len(w.tags) > 0 {
					r.tags = append(r.tags, w.tags[rng.IntN(len(w.tags))]) // may repeat
				}
			}
			if len(w.tasks) > 0 && rng.IntN(3) == 0 {
				r.task = w.tasks[rng.IntN(len(w.tasks))]
				r.project = taskProject[r.task]
				r.projName = rowName(r.project)
			}
			for range rng.IntN(4) {
				e := diffEntry{stopped: true, start: time.Date(2025, 3, 3, 8, 0, 0, 0, time.UTC).Add(time.Duration(rng.IntN(5*86400)) * time.Second)}
				if rng.IntN(6) != 0 {
					e.id, nextID = nextID, nextID+1+int64(rng.IntN(3))
				}
				s := int64(rng.IntN(20000))
				switch rng.IntN(10) {
				case 0: // running: null stop
					e.stopped = false
				case 1: // running: negative seconds
					s = -e.start.Unix()
				case 2: // running: null seconds
					s = -1
				}
				if s != -1 {
					e.seconds = &s
				}
				summed += max(s, 0)
				r.entries = append(r.entries, e)
			}
			c.detailed = append(c.detailed, r)
		}
	case "weekly":
		for range rng.IntN(8) {
			r := diffWeek{user: entity(w.users), project: entity(w.projects), currency: pick(rng, "USD", "usd", "EUR", "", "dollars")}
			r.userName, r.projName = rowName(r.user), rowName(r.project)
			days := func() []int64 {
				d := make([]int64, []int{0, 1, 5, 7, 7, 7, 8}[rng.IntN(7)])
				for i := range d {
					if rng.IntN(2) == 0 {
						d[i] = int64(rng.IntN(30000))
					}
				}
				if len(d) == 8 && rng.IntN(2) == 0 {
					d[7] = 0
					for _, v := range d[:7] {
						d[7] += v // the older API's trailing week total
					}
				}
				return d
			}
			r.seconds = days()
			if rng.IntN(3) != 0 {
				r.billable = days()
				if len(r.billable) == 0 {
					r.billable = []int64{0}
				}
			}
			if rng.IntN(2) == 0 {
				r.cents = days()
			}
			summed += max(refDaySum(r.seconds), 0)
			c.weekly = append(c.weekly, r)
		}
	case "summary":
		c.grouping, c.subGrouping = pick(rng, diffGroupings...), pick(rng, diffSubGroupings...)
		pool := map[string][]int64{"projects": w.projects, "users": w.users, "clients": w.clients, "tags": w.tags, "tasks": w.tasks}
		seen := map[int64]bool{}
		for range rng.IntN(6) {
			g := diffGroup{id: entity(pool[c.grouping])}
			if seen[g.id] {
				continue // one group per entity, as Toggl groups
			}
			seen[g.id] = true
			if c.grouping == "tags" && len(w.tags) > 0 && rng.IntN(2) == 0 {
				g.id = 0
				for range 1 + rng.IntN(3) {
					g.ids = append(g.ids, w.tags[rng.IntN(len(w.tags))]) // may repeat
				}
			}
			if n := w.names[g.id]; g.id != 0 && n != "" && rng.IntN(2) == 0 {
				g.names = []string{n}
			}
			subSeen := map[int64]bool{}
			for range rng.IntN(4) {
				sg := diffSub{id: entity(pool[c.subGrouping]), seconds: int64(rng.IntN(20000))}
				if c.subGrouping == "time_entries" {
					sg.id, sg.title = 0, pick(rng, "Development", "Meeting", "")
				} else if subSeen[sg.id] {
					continue
				} else if rng.IntN(2) == 0 {
					sg.title = w.names[sg.id]
				}
				subSeen[sg.id] = true
				if c.subGrouping == "tasks" && c.grouping == "projects" && sg.id != 0 && taskProject[sg.id] != g.id {
					continue // a task is under its own project only
				}
				if rng.IntN(6) == 0 {
					sg.seconds = -sg.seconds
				}
				for range rng.IntN(3) {
					sg.rates = append(sg.rates, genRate(rng))
				}
				summed += max(sg.seconds, 0)
				g.subs = append(g.subs, sg)
			}
			c.groups = append(c.groups, g)
		}
	}
	c.totals = diffTotals{seconds: summed, days: int64(rng.IntN(8))}
	if rng.IntN(4) == 0 {
		c.totals.seconds += int64(rng.IntN(5000)) // rows missing: breakdowns incomplete
	}
	for range rng.IntN(4) {
		c.totals.rates = append(c.totals.rates, genRate(rng))
	}
	if rng.IntN(3) != 0 {
		a := int64(rng.IntN(1_000_000))
		c.totals.amount = &a
	}
	if rng.IntN(2) == 0 {
		l := int64(rng.IntN(1_000_000))
		c.totals.labour = &l
	}
	c.render(rng)
	return c
}

func pick[T any](rng *rand.Rand, from ...T) T { return from[rng.IntN(len(from))] }

func genRate(rng *rand.Rand) diffRate {
	r := diffRate{seconds: int64(rng.IntN(40000)), cents: int64(rng.IntN(20000))}
	if rng.IntN(6) != 0 {
		c := pick(rng, "USD", "usd", "EUR", "", "Dollars", " chf")
		r.currency = &c
	}
	return r
}

// render writes the case as a body and a request, in one of the shapes toggl-api.md
// allows for each part.
func (c *diffCase) render(rng *rand.Rand) {
	maybeString := func(v []int64) any { // weekly arrays may come as JSON strings
		if v == nil || rng.IntN(3) != 0 {
			return v
		}
		b, _ := json.Marshal(v)
		return string(b)
	}
	nullable := func(id int64) any {
		if id == 0 {
			return nil
		}
		return id
	}
	rates := func(rs []diffRate) []any {
		out := []any{}
		for _, r := range rs {
			m := map[string]any{"billable_seconds": r.seconds, "hourly_rate_in_cents": r.cents, "currency": nil}
			if r.currency != nil {
				m["currency"] = *r.currency
			}
			out = append(out, m)
		}
		return out
	}
	totals := map[string]any{"seconds": c.totals.seconds, "tracked_days": c.totals.days, "rates": rates(c.totals.rates),
		"billable_amount_in_cents": nil, "labour_cost_in_cents": nil}
	if c.totals.amount != nil {
		totals["billable_amount_in_cents"] = *c.totals.amount
	}
	if c.totals.labour != nil {
		totals["labour_cost_in_cents"] = *c.totals.labour
	}
	entry := func(id int64, fields map[string]any) map[string]any {
		if rng.IntN(3) != 0 { // else the id is the key only
			fields["id"] = id
		}
		return fields
	}
	dict := map[string]any{}
	sub := func(name string, m map[string]any) {
		if len(m) > 0 || rng.IntN(2) == 0 {
			dict[name] = m
		}
	}
	strName := func(s string) any {
		if s == "" && rng.IntN(2) == 0 {
			return nil
		}
		return s
	}
	m := map[string]any{}
	for id, p := range c.dict.projects {
		f := map[string]any{"name": strName(p.name), "currency": p.currency, "client_id": nullable(p.client), "color": "#06aaf5"}
		if p.est > 0 || rng.IntN(2) == 0 {
			f["estimated_seconds"] = p.est
		}
		m[strconv.FormatInt(id, 10)] = entry(id, f)
	}
	sub("projects", m)
	m = map[string]any{}
	for id, t := range c.dict.tasks {
		m[strconv.FormatInt(id, 10)] = entry(id, map[string]any{"name": strName(t.name), "project_id": t.project, "estimated_seconds": t.est})
	}
	sub("tasks", m)
	for name, src := range map[string]map[int64]string{"clients": c.dict.clients, "users": c.dict.users, "tags": c.dict.tags} {
		m = map[string]any{}
		for id, n := range src {
			m[strconv.FormatInt(id, 10)] = entry(id, map[string]any{"name": strName(n)})
		}
		sub(name, m)
	}
	c.body = map[string]any{"report_name": "diff", "report_type": c.typ, "public": true, "hide_amounts": c.hide,
		"dictionaries": dict, "input_params": map[string]any{}, "saved_params": nil}
	var report any
	switch c.typ {
	case "detailed":
		rows := []any{}
		for _, r := range c.detailed {
			row := map[string]any{"user_id": nullable(r.user), "project_id": nullable(r.project), "task_id": nullable(r.task),
				"billable": r.billable, "billable_amount_in_cents": r.cents, "currency": r.currency, "tag_ids": r.tags, "row_number": 1}
			if r.cents == 0 && rng.IntN(2) == 0 {
				row["billable_amount_in_cents"] = nil // hidden amounts
			}
			if r.userName != "" {
				row["username"] = r.userName
			}
			if r.projName != "" {
				row["project_name"] = r.projName
			}
			entries := []any{}
			for _, e := range r.entries {
				te := map[string]any{"id": nullable(e.id), "seconds": nil, "stop": nil}
				if e.seconds != nil {
					te["seconds"] = *e.seconds
				}
				if rng.IntN(2) == 0 {
					te["start"] = e.start.Format(time.RFC3339)
				} else {
					te["start"] = e.start.Unix()
				}
				if e.stopped {
					te["stop"] = e.start.Add(time.Hour).Format(time.RFC3339)
				} else if rng.IntN(2) == 0 {
					delete(te, "stop")
				}
				entries = append(entries, te)
			}
			row["time_entries"] = entries
			rows = append(rows, row)
		}
		report = rows
	case "weekly":
		rows := []any{}
		for _, r := range c.weekly {
			row := map[string]any{"user_id": nullable(r.user), "project_id": nullable(r.project), "currency": r.currency,
				"seconds": maybeString(r.seconds), "billable_amounts_in_cents": maybeString(r.cents)}
			if r.billable != nil {
				row["billable_seconds"] = maybeString(r.billable)
			}
			if r.userName != "" {
				row["user_name"] = r.userName
			}
			if r.projName != "" {
				row["project_name"] = r.projName
			}
			rows = append(rows, row)
		}
		report = rows
	case "summary":
		groups := []any{}
		for _, g := range c.groups {
			gm := map[string]any{"id": nullable(g.id), "names": g.names}
			if g.ids != nil {
				gm["ids"] = g.ids
			}
			subs := make([]map[string]any, len(g.subs))
			for i, sg := range g.subs {
				subs[i] = map[string]any{"id": nullable(sg.id), "title": sg.title, "seconds": sg.seconds, "rates": rates(sg.rates)}
				if sg.title == "" {
					subs[i]["title"] = nil
				}
			}
			if rng.IntN(2) == 0 {
				gm["sub_groups"] = subs
			} else { // an object map, keyed by id or by position
				keyed := map[string]any{}
				for i, s := range subs {
					keyed[fmt.Sprintf("k%d", i)] = s
				}
				gm["sub_groups"] = keyed
			}
			groups = append(groups, gm)
		}
		report = map[string]any{"groups": groups}
		if rng.IntN(4) == 0 {
			report = groups
		}
		// Where the dimensions are said: the request, the echo, the saved ones, or nowhere
		// (Toggl's defaults).
		say := func(m map[string]any) {
			m["grouping"], m["sub_grouping"] = c.grouping, c.subGrouping
		}
		switch rng.IntN(5) {
		case 0:
			c.request = map[string]any{}
			say(c.request)
			c.body["input_params"] = map[string]any{"grouping": "clients", "sub_grouping": "users"} // not echoed right
		case 1:
			c.request = map[string]any{}
			say(c.request)
		case 2:
			say(c.body["input_params"].(map[string]any))
		case 3:
			saved := map[string]any{}
			say(saved)
			c.body["saved_params"] = saved
		default:
			if c.grouping != "projects" || c.subGrouping != "time_entries" {
				c.request = map[string]any{}
				say(c.request)
				c.request["grouping"] = strings.ToUpper(c.grouping) // case does not matter
			}
		}
	}
	c.body[c.typ+"_results"] = map[string]any{"report": report, "totals": totals}
}

// refDaySum is the time of a weekly row's per-day array (toggl-api.md: an older API
// appended the week's total as an eighth element).
func refDaySum(days []int64) int64 {
	var all, week int64
	for i, d := range days {
		all += d
		if i < 7 {
			week += d
		}
	}
	if len(days) == 8 && days[7] == week {
		return week
	}
	return all
}

// refCurrency reads a currency as SPEC.md says Toggl shows it.
func refCurrency(c string) string {
	c = strings.ToUpper(strings.TrimSpace(c))
	if len(c) == 3 && strings.Trim(c, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") == "" {
		return c
	}
	return "(other)"
}

// refRate formats an hourly rate in cents as currency units, the shortest way: 9550 is 95.5.
func refRate(cents int64) string {
	s := fmt.Sprintf("%d.%02d", cents/100, cents%100)
	return strings.TrimSuffix(strings.TrimRight(s, "0"), ".")
}

// refNamed is the first non-empty name of a list, "(unknown)" when none.
func refNamed(names ...string) string {
	for _, n := range names {
		if n != "" {
			return n
		}
	}
	return "(unknown)"
}

// expected are the series of a case: family name and label values (in SPEC.md's order,
// report left out), and the value.
type expected map[string]float64

func (e expected) add(family string, v float64, labels ...string) {
	e[family+"{"+strings.Join(labels, ",")+"}"] += v
}

// reference computes the series SPEC.md asks for from the case's model, all breakdowns on
// and no cap reached.
func reference(c *diffCase) (out expected, complete bool) {
	out = expected{}
	d := c.dict
	id := func(n int64) string { return strconv.FormatInt(n, 10) }
	projectName := func(p int64, row string) string {
		if p == 0 {
			return "(no project)"
		}
		return refNamed(d.projects[p].name, row)
	}
	userName := func(u int64, row string) string {
		if u == 0 {
			return "(no user)"
		}
		return refNamed(d.users[u], row)
	}
	projectClient := func(p int64) string {
		if cl := d.projects[p].client; p != 0 && cl != 0 {
			return refNamed(d.clients[cl])
		}
		return ""
	}
	clientName := func(cl int64, row string) string {
		if cl == 0 {
			return "(no client)"
		}
		return refNamed(d.clients[cl], row)
	}

	// Totals.
	t := c.totals
	out.add("toggl_report_tracked_seconds", float64(max(t.seconds, 0)))
	out.add("toggl_report_tracked_dates", float64(max(t.days, 0)))
	if len(t.rates) > 0 || t.amount != nil {
		var bs float64
		for _, r := range t.rates {
			bs += float64(max(r.seconds, 0))
		}
		out.add("toggl_report_billable_seconds", bs)
	}
	perCurrency := map[string]*big.Rat{}
	for _, r := range t.rates {
		cur := refCurrency(deref(r.currency))
		out.add("toggl_report_rate_billable_seconds", float64(max(r.seconds, 0)), cur, refRate(r.cents))
		if perCurrency[cur] == nil {
			perCurrency[cur] = new(big.Rat)
		}
		perCurrency[cur].Add(perCurrency[cur], big.NewRat(max(r.seconds, 0)*r.cents, 3600*100))
	}
	if !c.hide {
		switch {
		case len(perCurrency) > 1:
			for cur, v := range perCurrency {
				f, _ := v.Float64()
				out.add("toggl_report_billable_amount", f, cur)
			}
		case t.amount != nil && (len(perCurrency) == 1 || *t.amount != 0):
			cur := "(other)"
			for k := range perCurrency {
				cur = k
			}
			out.add("toggl_report_billable_amount", float64(*t.amount)/100, cur)
		}
		if t.labour != nil {
			out.add("toggl_report_labour_cost", float64(*t.labour)/100)
		}
	}
	for p, v := range d.projects {
		if v.est > 0 {
			out.add("toggl_report_project_estimated_seconds", float64(v.est), id(p), refNamed(v.name))
		}
	}
	for k, v := range d.tasks {
		if v.est > 0 {
			out.add("toggl_report_task_estimated_seconds", float64(v.est), id(k), refNamed(v.name), id(v.project))
		}
	}

	// Breakdowns: the time of each entity, and the names the rows give.
	type ent struct {
		sec, bill   float64
		hasBill     bool
		name        string
		project     int64 // tasks
		cents       map[string]int64
		userName    string
		projectName string
	}
	dims := map[string]map[[2]int64]*ent{}
	get := func(dim string, a, b int64) *ent {
		if dims[dim] == nil {
			dims[dim] = map[[2]int64]*ent{}
		}
		e := dims[dim][[2]int64{a, b}]
		if e == nil {
			e = &ent{}
			dims[dim][[2]int64{a, b}] = e
		}
		return e
	}
	addPair := func(p, u int64, pn, un string, sec float64) {
		e := get("project_users", p, u)
		e.sec += sec
		e.projectName, e.userName = refFirst(e.projectName, pn), refFirst(e.userName, un)
	}
	var summed int64
	parts := 0
	switch c.typ {
	case "detailed":
		entries, running := 0, 0
		type run struct {
			start   time.Time
			name    string
			project string
		}
		earliest := map[[2]int64]run{}
		var untagged float64
		for _, r := range c.detailed {
			var n int64
			for _, e := range r.entries {
				entries++
				s := deref(e.seconds)
				n += max(s, 0)
				if !e.stopped || e.seconds == nil || s < 0 {
					running++
					k := [2]int64{r.user, r.project}
					if prev, ok := earliest[k]; !ok || e.start.Before(prev.start) {
						earliest[k] = run{e.start, r.userName, r.projName}
					}
				}
			}
			summed += n
			parts++
			sec := float64(n)
			p := get("projects", r.project, 0)
			p.sec += sec
			p.name = refFirst(p.name, r.projName)
			p.hasBill = true
			u := get("users", r.user, 0)
			u.sec += sec
			u.name = refFirst(u.name, r.userName)
			u.hasBill = true
			if r.billable {
				p.bill += sec
				u.bill += sec
			}
			if r.cents > 0 {
				if p.cents == nil {
					p.cents = map[string]int64{}
				}
				p.cents[refCurrency(refFirst(r.currency, d.projects[r.project].currency))] += r.cents
			}
			addPair(r.project, r.user, r.projName, r.userName, sec)
			get("tags", -2, 0) // the data can give tags
			for _, tag := range slicesCompact(r.tags) {
				get("tags", tag, 0).sec += sec
			}
			if len(r.tags) == 0 {
				untagged += sec
			}
			if r.task != 0 {
				e := get("tasks", r.task, 0)
				e.sec += sec
				e.project = r.project
			}
		}
		delete(dims["tags"], [2]int64{-2, 0})
		out.add("toggl_report_time_entries", float64(entries))
		out.add("toggl_report_untagged_tracked_seconds", untagged)
		out.add("toggl_report_running_entries", float64(running))
		for k, r := range earliest {
			out.add("toggl_report_user_running_entry_start_timestamp_seconds", float64(r.start.Unix()),
				id(k[0]), userName(k[0], r.name), id(k[1]), projectName(k[1], r.project))
		}
	case "weekly":
		for _, r := range c.weekly {
			n := max(refDaySum(r.seconds), 0)
			summed += n
			parts++
			sec := float64(n)
			p := get("projects", r.project, 0)
			p.sec += sec
			p.name = refFirst(p.name, r.projName)
			u := get("users", r.user, 0)
			u.sec += sec
			u.name = refFirst(u.name, r.userName)
			if r.billable != nil {
				b := float64(max(refDaySum(r.billable), 0))
				p.bill += b
				u.bill += b
				p.hasBill, u.hasBill = true, true
			}
			if cents := max(refDaySum(r.cents), 0); cents > 0 {
				if p.cents == nil {
					p.cents = map[string]int64{}
				}
				p.cents[refCurrency(refFirst(r.currency, d.projects[r.project].currency))] += cents
			}
			addPair(r.project, r.user, r.projName, r.userName, sec)
		}
	case "summary":
		gdim, sdim := c.grouping, c.subGrouping
		if sdim == gdim || sdim == "time_entries" {
			sdim = ""
		}
		cross := gdim == "projects" && sdim == "users" || gdim == "users" && sdim == "projects"
		for _, g := range c.groups {
			var sec, bill float64
			hasRates := false
			for _, sg := range g.subs {
				summed += max(sg.seconds, 0)
				parts++
				sec += float64(max(sg.seconds, 0))
				for _, r := range sg.rates {
					hasRates = true
					bill += float64(max(r.seconds, 0))
				}
			}
			name := ""
			if len(g.names) > 0 {
				name = g.names[0]
			}
			switch {
			case gdim == "tags" && len(g.ids) > 0:
				for _, tag := range slicesCompact(g.ids) {
					get("tags", tag, 0).sec += sec
				}
			case gdim == "tags" && g.id == 0: // time without a tag is no tag
			default:
				e := get(gdim, g.id, 0)
				e.sec += sec
				e.name = refFirst(e.name, name)
				if hasRates && (gdim == "projects" || gdim == "users") {
					e.bill += bill
					e.hasBill = true
				}
			}
			for _, sg := range g.subs {
				if sdim == "" || sdim == "tasks" && sg.id == 0 {
					continue
				}
				s := float64(max(sg.seconds, 0))
				e := get(sdim, sg.id, 0)
				e.sec += s
				e.name = refFirst(e.name, sg.title)
				if sdim == "tasks" && gdim == "projects" {
					e.project = g.id
				}
				if cross && gdim == "projects" {
					addPair(g.id, sg.id, name, sg.title, s)
				} else if cross {
					addPair(sg.id, g.id, sg.title, name, s)
				}
			}
		}
	}
	// Clients from the projects' clients, when the report has no client dimension.
	if _, ok := dims["clients"]; !ok && dims["projects"] != nil {
		for k, p := range dims["projects"] {
			var cl int64
			if k[0] != 0 {
				cl = d.projects[k[0]].client
			}
			get("clients", cl, 0).sec += p.sec
		}
	}
	for dim, es := range dims {
		out.add("toggl_report_breakdown_folded", 0, dim)
		for k, e := range es {
			switch dim {
			case "projects":
				pn, cl := projectName(k[0], e.name), projectClient(k[0])
				out.add("toggl_report_project_tracked_seconds", e.sec, id(k[0]), pn, cl)
				if e.hasBill {
					out.add("toggl_report_project_billable_seconds", e.bill, id(k[0]), pn, cl)
				}
				if !c.hide {
					for cur, cents := range e.cents {
						out.add("toggl_report_project_billable_amount", float64(cents)/100, id(k[0]), pn, cl, cur)
					}
				}
			case "users":
				out.add("toggl_report_user_tracked_seconds", e.sec, id(k[0]), userName(k[0], e.name))
				if e.hasBill {
					out.add("toggl_report_user_billable_seconds", e.bill, id(k[0]), userName(k[0], e.name))
				}
			case "clients":
				out.add("toggl_report_client_tracked_seconds", e.sec, id(k[0]), clientName(k[0], e.name))
			case "tags":
				out.add("toggl_report_tag_tracked_seconds", e.sec, id(k[0]), refNamed(d.tags[k[0]], e.name))
			case "tasks":
				p := e.project
				if p == 0 {
					p = d.tasks[k[0]].project
				}
				out.add("toggl_report_task_tracked_seconds", e.sec, id(k[0]), refNamed(d.tasks[k[0]].name, e.name), id(p))
			case "project_users":
				out.add("toggl_report_project_user_tracked_seconds", e.sec, id(k[0]), projectName(k[0], e.projectName), id(k[1]), userName(k[1], e.userName))
			}
		}
	}
	diff := max(t.seconds, 0) - summed
	return out, max(diff, -diff) <= int64(parts)
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func refFirst(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// slicesCompact returns the distinct values of ids.
func slicesCompact(ids []int64) []int64 {
	s := slices.Clone(ids)
	slices.Sort(s)
	return slices.Compact(s)
}

// diffServer serves each case's body at its own token, so that cases may run at once.
type diffServer struct {
	srv    *httptest.Server
	cl     *client.Client
	bodies sync.Map // token -> []byte
}

func newDiffServer(tb testing.TB) *diffServer {
	s := &diffServer{}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token := r.URL.Path[strings.LastIndexByte(r.URL.Path, '/')+1:]
		b, ok := s.bodies.Load(token)
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(b.([]byte))
	}))
	tb.Cleanup(s.srv.Close)
	s.cl = client.New(client.Options{BaseURL: s.srv.URL, RequestsPerSecond: 1e9})
	return s
}

// check generates the case of seed, has the exporter read it through the client and the
// aggregator, and reports every series that differs from the reference.
func (s *diffServer) check(t *testing.T, seed uint64) (seen []string) {
	t.Helper()
	c := generateCase(rand.New(rand.NewPCG(seed, 0xd1ff)))
	body, err := json.Marshal(c.body, json.Deterministic(true))
	if err != nil {
		t.Fatal(err)
	}
	token := fmt.Sprintf("case-%d-%p", seed, c)
	s.bodies.Store(token, body)
	defer s.bodies.Delete(token)
	agg := newAggregator(config.Report{Breakdowns: []string{Projects, Users, Clients, Tags, Tasks, ProjectUsers}, MaxSeriesPerBreakdown: 1 << 20})
	rep, resp, err := s.cl.Run(context.Background(), client.Request{Token: token, Body: c.request}, agg)
	if err != nil {
		t.Fatalf("seed %d: %v\n%s", seed, err, body)
	}
	if _, more := agg.endPage(rep, resp); more {
		t.Fatalf("seed %d: a page of fewer than 50 rows asks for another", seed)
	}
	snap := agg.finish(rep)
	got := expected{}
	for _, sr := range snap.series {
		k := sr.family.name + "{" + strings.Join(sr.labels, ",") + "}"
		if _, dup := got[k]; dup {
			t.Fatalf("seed %d: series %s twice: the snapshot must sum them", seed, k)
		}
		got[k] = sr.value
	}
	want, complete := reference(c)
	for k := range want {
		seen = append(seen, k[:strings.IndexByte(k, '{')])
	}
	var diffs []string
	for k, w := range want {
		if g, ok := got[k]; !ok {
			diffs = append(diffs, fmt.Sprintf("missing %s %v", k, w))
		} else if math.Abs(g-w) > 1e-9*max(math.Abs(g), math.Abs(w)) {
			diffs = append(diffs, fmt.Sprintf("%s = %v, want %v", k, g, w))
		}
	}
	for k, g := range got {
		if _, ok := want[k]; !ok {
			diffs = append(diffs, fmt.Sprintf("unexpected %s %v", k, g))
		}
	}
	if snap.Complete != complete {
		diffs = append(diffs, fmt.Sprintf("complete = %v, want %v", snap.Complete, complete))
	}
	if len(diffs) > 0 {
		slices.Sort(diffs)
		t.Errorf("seed %d (%s %s/%s, request %v):\n%s\nbody: %s", seed, c.typ, c.grouping, c.subGrouping, c.request, strings.Join(diffs, "\n"), body)
	}
	return seen
}

// TestDifferential compares a few hundred random reports of every type with the reference.
func TestDifferential(t *testing.T) {
	s := newDiffServer(t)
	covered := map[string]bool{}
	for seed := range uint64(600) {
		for _, f := range s.check(t, seed) {
			covered[f] = true
		}
		if t.Failed() {
			return // one case at a time is enough to read
		}
	}
	// The cases must reach every value family, or the comparison proves little; the
	// roster's expected time comes from the members listing, not the body (roster_test.go).
	for _, f := range families {
		if !covered[f.name] && !slices.Contains([]*family{upFamily, errorFamily, failuresFamily, fetchesFamily, lastSuccessFamily,
			fetchDurationFamily, fetchPagesFamily, completeFamily, infoFamily, periodStartFamily, periodEndFamily, quotaRemainingFamily, quotaResetFamily, expectedFamily, refreshIntervalFamily}, f) {
			t.Errorf("no case has a series of %s", f.name)
		}
	}
}

// FuzzDifferential is TestDifferential's comparison over seeds the fuzzer chooses:
// go test ./collector -run '^$' -fuzz FuzzDifferential -fuzztime 3m -parallel 1
func FuzzDifferential(f *testing.F) {
	s := newDiffServer(f)
	for seed := range uint64(8) {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, seed uint64) { s.check(t, seed) })
}
