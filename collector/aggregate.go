package collector

import (
	"cmp"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/toggl-exporter/toggl_exporter/client"
	"github.com/toggl-exporter/toggl_exporter/config"
)

// Breakdown names, as configured in `breakdowns` and exported in the `breakdown` label.
const (
	Projects     = config.BreakdownProjects
	Users        = config.BreakdownUsers
	Clients      = config.BreakdownClients
	Tags         = config.BreakdownTags
	Tasks        = config.BreakdownTasks
	ProjectUsers = config.BreakdownProjectUsers
)

// Placeholder names for entities that the report leaves unnamed.
const (
	noProject = "(no project)"
	noClient  = "(no client)"
	noUser    = "(no user)"
	unknown   = "(unknown)"
	otherName = "(other)"
	otherID   = "other"
)

const (
	maxLabelBytes   = 200 // bounds label values taken from Toggl (names are user input)
	defaultPageSize = 50  // the rows of a full page when Toggl does not say (X-Page-Size)
)

// series is one sample of a snapshot, without the `report` label.
type series struct {
	family *family
	labels []string
	value  float64
}

// Snapshot is what one successful fetch of a report yields: the series to serve and a
// few facts about the report. It is immutable once built.
type Snapshot struct {
	series             []series
	Name, Type         string // report_name and report_type as Toggl has them
	Public             bool
	StartDate, EndDate string // the period as Toggl's input or saved params give it, YYYY-MM-DD
	Entities           int    // rows or groups counted, for logging
	// Summed are the seconds the breakdowns were summed from, Total the report's
	// totals.seconds; Complete says they agree within a second per row or sub-group.
	Summed, Total int64
	Complete      bool
	Unknown       []string // fields of its pages the decoder did not know (client.Report.Unknown)
}

func (s *Snapshot) add(f *family, value float64, labels ...string) {
	s.series = append(s.series, series{family: f, labels: labels, value: value})
}

// acc accumulates one entity of a breakdown (project_users: id the project, sub the user).
// Ids are as Toggl sent them, negative ones included (an error for one odd id would hide
// every healthy figure), so no placeholder lives in the id space: a client that only rows
// name is id 0, sub numbering it.
type acc struct {
	id, sub int64
	// The names the rows gave, used when the dictionary has none: the entity's, and its
	// client's (projects) or its user's (project_users).
	name, subName     string
	projectID         int64 // tasks only
	tracked, billable float64
	hasBillable       bool
	amounts           map[string]int64 // currency -> amount in cents (summed exactly)
}

func (a *acc) addAmount(currency string, cents int64) {
	if a.amounts == nil {
		a.amounts = make(map[string]int64, 1)
	}
	a.amounts[currency] += cents
}

// bill adds billable time: the entity then has a billable series, 0 included.
func (a *acc) bill(sec float64) {
	a.billable += sec
	a.hasBillable = true
}

type running struct {
	user, project         int64
	userName, projectName string // what the row says, as for the other series
	entry                 client.TimeEntry
}

// Aggregator is a client.Sink that sums the rows of one report, page after page, into
// breakdowns while they are decoded, so that no row is kept; finish makes the Snapshot.
type Aggregator struct {
	breakdowns []string // to emit
	maxSeries  int      // per breakdown, currency or rate family; the smallest beyond fold into "(other)"
	pairs      bool     // project_users is among the breakdowns
	// dims are the breakdowns by result block and name: in case Toggl fills more than one
	// block, finish uses the one the report names. block is the one being summed.
	dims    map[[2]string]map[[2]int64]*acc // the entities by id and sub
	block   string
	groups  []client.SummaryGroup
	rows    map[string]int   // rows or groups counted, per block
	parts   map[string]int   // rows or sub-groups summed, per block: the rounding tolerance
	summed  map[string]int64 // seconds summed, per block
	running []running
	// entries counts the time entries of detailed rows, each once however many pages
	// hold it; untagged is the time of detailed rows with no tag.
	entries  int
	untagged float64
	// What the detailed pages sent, repeats included (describe tells them): rows, their
	// time entries, and those of the entries without an id.
	sentRows, sentEntries, withoutID int
	// Paging (see endPage): of the page being read, the rows sent before it, its rows'
	// latest first start and the cursor it was asked at; the ids of the entries counted.
	pageFirst int
	pageLast  time.Time
	seen      map[int64]struct{}
	cursor    time.Time
	dict      client.Dictionaries // of every page
	unknown   []string            // fields of the pages read that the decoder did not know, sorted
	also      client.Sink         // gets every row too: backfill's (see Read)
}

// newAggregator returns an empty Aggregator for the report's breakdowns (nil means the
// default; [] none) and max_series_per_breakdown (<= 0 means the default).
func newAggregator(cfg config.Report) *Aggregator {
	breakdowns := cfg.Breakdowns
	if breakdowns == nil {
		breakdowns = config.DefaultBreakdowns
	}
	return &Aggregator{breakdowns: breakdowns, maxSeries: cmp.Or(max(cfg.MaxSeriesPerBreakdown, 0), config.DefaultMaxSeriesPerBreakdown),
		pairs: slices.Contains(breakdowns, ProjectUsers), dims: map[[2]string]map[[2]int64]*acc{},
		rows: map[string]int{}, parts: map[string]int{}, summed: map[string]int64{}, seen: map[int64]struct{}{}}
}

func (a *Aggregator) countRow(block string, sec int64) {
	a.rows[block]++
	a.parts[block]++
	a.summed[block] += sec
	a.block = block
}

func (a *Aggregator) dim(name string) map[[2]int64]*acc {
	k := [2]string{a.block, name}
	if a.dims[k] == nil {
		a.dims[k] = map[[2]int64]*acc{}
	}
	return a.dims[k]
}

// add adds sec to entity id, sub of breakdown dim, keeping the first names the rows give.
func (a *Aggregator) add(dim string, id, sub int64, sec float64, name, subName string) *acc {
	d := a.dim(dim)
	e := d[[2]int64{id, sub}]
	if e == nil {
		e = &acc{id: id, sub: sub}
		d[[2]int64{id, sub}] = e
	}
	e.tracked += sec
	e.name, e.subName = cmp.Or(e.name, name), cmp.Or(e.subName, subName)
	return e
}

// projectAndUser adds the time of a detailed or weekly row to its project, its user and
// their pair.
func (a *Aggregator) projectAndUser(projectID int64, project, clientName string, userID int64, user string, sec float64) (p, u *acc) {
	if a.pairs { // as many as projects times users: only when asked for
		a.add(ProjectUsers, projectID, userID, sec, project, user)
	}
	return a.add(Projects, projectID, 0, sec, project, clientName), a.add(Users, userID, 0, sec, user, "")
}

// newEntries returns the seconds of the row's time entries not counted before and of
// all (each at least 0: a running entry never lowers a total), notes its running ones,
// and says false when every entry was counted before: once by its id on whatever page it
// comes again, or without one, when it starts before its page's cursor (an earlier page
// held it). Memory is the set of ids: a few bytes an entry (see docs/performance.md).
func (a *Aggregator) newEntries(r *client.DetailedRow) (sec, all int64, fresh bool) {
	if len(r.TimeEntries) == 0 {
		return max(r.Seconds, 0), max(r.Seconds, 0), true
	}
	if start := r.TimeEntries[0].Start; start.After(a.pageLast) {
		a.pageLast = start
	}
	for _, te := range r.TimeEntries {
		all += max(te.Seconds, 0)
		a.sentEntries++
		if te.ID == 0 {
			a.withoutID++
			if te.Start.Before(a.cursor) {
				continue
			}
		} else if _, dup := a.seen[te.ID]; dup {
			continue
		}
		a.seen[te.ID] = struct{}{} // 0 included: never looked up
		fresh = true
		a.entries++
		sec += max(te.Seconds, 0)
		if te.Running {
			a.running = append(a.running, running{user: r.UserID, project: r.ProjectID, userName: r.Username, projectName: r.ProjectName, entry: te})
		}
	}
	return sec, all, fresh
}

// DetailedRow implements client.Sink.
func (a *Aggregator) DetailedRow(r *client.DetailedRow) {
	if a.also != nil {
		a.also.DetailedRow(r)
	}
	a.sentRows++
	n, all, fresh := a.newEntries(r)
	if !fresh {
		return // a page boundary repeated it
	}
	cents := r.BillableAmountInCents
	if n < all {
		// A grouped row that came again with some entries already counted: only the new
		// entries' share of its amount is new (rounded to the cent).
		cents = int64(math.Round(float64(cents) * float64(n) / float64(all)))
	}
	a.countRow(client.BlockDetailed, n)
	sec := float64(n)
	p, u := a.projectAndUser(r.ProjectID, r.ProjectName, r.ClientName, r.UserID, r.Username, sec)
	p.bill(boolValue[r.Billable] * sec) // every row says whether it is billable
	u.bill(boolValue[r.Billable] * sec)
	if cents > 0 {
		p.addAmount(r.Currency, cents)
	}
	a.addTags(r.TagIDs, sec)
	if len(r.TagIDs) == 0 {
		a.untagged += sec
	}
	if r.TaskID != 0 {
		a.add(Tasks, r.TaskID, 0, sec, "", "").projectID = r.ProjectID
	}
}

// addTags adds sec to each tag of ids once: a tag listed twice still counts once. The
// breakdown is there even when no row has a tag.
func (a *Aggregator) addTags(ids []int64, sec float64) {
	a.dim(Tags)
	for i, id := range ids {
		if !slices.Contains(ids[:i], id) {
			a.add(Tags, id, 0, sec, "", "")
		}
	}
}

// WeeklyRow implements client.Sink.
func (a *Aggregator) WeeklyRow(r *client.WeeklyRow) {
	if a.also != nil {
		a.also.WeeklyRow(r)
	}
	n := max(client.DaySum(r.Seconds), 0)
	a.countRow(client.BlockWeekly, n)
	p, u := a.projectAndUser(r.ProjectID, r.ProjectName, r.ClientName, r.UserID, r.UserName, float64(n))
	if r.BillableSeconds != nil {
		bill := float64(max(client.DaySum(r.BillableSeconds), 0))
		p.bill(bill)
		u.bill(bill)
	}
	if cents := max(client.DaySum(r.BillableAmountsInCents), 0); cents > 0 {
		p.addAmount(r.Currency, cents)
	}
}

// SummaryGroup implements client.Sink. Groups are kept (they are few: one per project,
// user or client) because their dimension is only known once input_params is decoded.
func (a *Aggregator) SummaryGroup(g *client.SummaryGroup) {
	if a.also != nil {
		a.also.SummaryGroup(g)
	}
	a.rows[client.BlockSummary]++
	c := client.SummaryGroup{ID: g.ID, IDs: slices.Clone(g.IDs), Names: slices.Clone(g.Names), SubGroups: slices.Clone(g.SubGroups)}
	for i, sg := range g.SubGroups {
		c.SubGroups[i].IDs, c.SubGroups[i].Rates = nil, slices.Clone(sg.Rates) // foldSummary needs no sub-group ids
		a.parts[client.BlockSummary]++
		a.summed[client.BlockSummary] += max(sg.Seconds, 0)
	}
	a.groups = append(a.groups, c)
}

// endPage keeps the page's dictionaries and says where the next page starts (a Unix time
// for first_timestamp), or false: the report is not paged, the page was empty, or Toggl's
// headers say it was the last. Toggl may also page without saying so: a full page
// (X-Page-Size rows, or 50) short of the totals goes on from its latest entry's start.
func (a *Aggregator) endPage(rep *client.Report, resp *client.Response) (int64, bool) {
	a.noteUnknown(rep)
	rows, last := a.sentRows-a.pageFirst, a.pageLast
	a.pageFirst, a.pageLast = a.sentRows, time.Time{}
	mergeDictionaries(&a.dict, &rep.Dictionaries)
	if rep.Block != client.BlockDetailed || rows == 0 {
		return 0, false
	}
	next := last.Unix()
	if resp.Next > 0 { // the client reads both headers as positive, else 0
		next = resp.Next
	} else if rows < cmp.Or(resp.PageSize, defaultPageSize) || last.IsZero() || a.complete(rep) {
		return 0, false
	}
	a.cursor = time.Unix(next, 0)
	return next, true
}

func (a *Aggregator) noteUnknown(r *client.Report) []string {
	a.unknown = slices.Compact(slices.Sorted(slices.Values(append(a.unknown, r.Unknown...))))
	return a.unknown
}

// complete says whether the rows summed so far add up to the report's totals, within a
// second per row (Toggl rounds each).
func (a *Aggregator) complete(rep *client.Report) bool {
	if rep.Totals == nil {
		return false
	}
	diff := max(rep.Totals.Seconds, 0) - a.summed[rep.Block]
	return max(diff, -diff) <= int64(a.parts[rep.Block])
}

// summaryDims maps summary groupings to breakdowns; time_entries gives none.
var summaryDims = map[string]string{"projects": Projects, "users": Users, "clients": Clients, "tags": Tags, "tasks": Tasks}

// foldSummary distributes the kept summary groups over the breakdowns of the report's
// grouping and sub-grouping (and their pair, for projects with users).
func (a *Aggregator) foldSummary(r *client.Report) {
	grouping, subGrouping := r.Grouping()
	gdim, subdim := summaryDims[grouping], summaryDims[subGrouping]
	if subdim == gdim {
		subdim = ""
	}
	for _, g := range a.groups {
		name := ""
		if len(g.Names) > 0 {
			name = g.Names[0]
		}
		var sec, bill float64
		hasRates := false
		for _, sg := range g.SubGroups {
			sgSec := float64(max(sg.Seconds, 0))
			sec += sgSec
			for _, rt := range sg.Rates {
				hasRates = true
				bill += float64(max(rt.BillableSeconds, 0))
			}
			if subdim == "" || subdim == Tasks && sg.ID == 0 {
				continue
			}
			e := a.add(subdim, sg.ID, 0, sgSec, sg.Title, "")
			switch {
			case gdim == Projects && subdim == Tasks:
				e.projectID = g.ID
			case a.pairs && gdim == Projects && subdim == Users:
				a.add(ProjectUsers, g.ID, sg.ID, sgSec, name, sg.Title)
			case a.pairs && gdim == Users && subdim == Projects:
				a.add(ProjectUsers, sg.ID, g.ID, sgSec, sg.Title, name)
			}
		}
		switch {
		case gdim == Tags && len(g.IDs) > 0:
			a.addTags(g.IDs, sec)
		case gdim == Tags && g.ID == 0:
			// Time without tags: not a tag.
		case gdim != "":
			e := a.add(gdim, g.ID, 0, sec, name, "")
			if hasRates && (gdim == Projects || gdim == Users) {
				e.bill(bill)
			}
		}
	}
}

// finish builds the snapshot of the report from the sums, the report's totals and the
// dictionaries of every page. The Aggregator must not be used afterwards.
func (a *Aggregator) finish(r *client.Report) *Snapshot {
	mergeDictionaries(&a.dict, &r.Dictionaries) // again if the last page ended: no harm
	a.block = r.Block
	if r.Block == client.BlockSummary {
		a.foldSummary(r)
	}
	start, end := r.Dates()
	s := &Snapshot{Name: r.Name, Type: r.Type, Public: r.Public, StartDate: start, EndDate: end, Entities: a.rows[r.Block],
		Summed: a.summed[r.Block], Complete: a.complete(r), Unknown: a.noteUnknown(r)}
	if r.Totals != nil {
		s.Total = r.Totals.Seconds
		a.totals(s, r.Totals, r.HideAmounts)
	}
	if projects, ok := a.dims[[2]string{a.block, Projects}]; ok && a.dims[[2]string{a.block, Clients}] == nil {
		// The rows name projects only: their clients are summed from them.
		byName := map[string]int64{} // rows that name a client the dictionary lacks
		a.dim(Clients)
		for _, p := range projects {
			id, sub, name := a.dict.Projects[p.id].ClientID, int64(0), ""
			if id == 0 && p.subName != "" {
				if byName[p.subName] == 0 {
					byName[p.subName] = int64(len(byName) + 1)
				}
				sub, name = byName[p.subName], p.subName
			}
			a.add(Clients, id, sub, p.tracked, name, "")
		}
	}
	for _, b := range a.breakdowns {
		a.breakdown(s, b, r.HideAmounts)
	}
	if r.Block == client.BlockDetailed {
		s.add(timeEntriesFamily, float64(a.entries))
		s.add(untaggedFamily, a.untagged)
		a.runningEntries(s)
	}
	// Names equal once cleaned or cut, an entity named like a placeholder, a fold into an
	// "(other)": no two series clash, so that one report's data cannot fail a scrape.
	s.series = mergeSeries(s.series)
	return s
}

// mergeSeries sums the series of one family with the same labels into the first. Labels
// are valid UTF-8 (else the report fails as a decode error): "\xff" joins them safely.
func mergeSeries(list []series) []series {
	at := make(map[string]int, len(list))
	out := list[:0]
	for _, sr := range list {
		k := sr.family.name + "\xff" + strings.Join(sr.labels, "\xff")
		if i, ok := at[k]; ok {
			out[i].value += sr.value
			continue
		}
		at[k] = len(out)
		out = append(out, sr)
	}
	clear(list[len(out):])
	return out
}

// addCapped adds the series of one family: those with the same labels summed, then each
// divided by unit (sums of whole cents stay exact), at most max of them: the smallest
// beyond are labelled other, so that sums are kept.
func (s *Snapshot) addCapped(list []series, unit float64, max int, other ...string) {
	list = mergeSeries(list)
	if len(list) > max {
		slices.SortStableFunc(list, func(x, y series) int { return cmp.Compare(y.value, x.value) })
	}
	for i := range list {
		list[i].value /= unit
		if len(list) > max && i >= max-1 {
			list[i].labels = other // summed into one by finish
		}
	}
	s.series = append(s.series, list...)
}

// currencyLabel is a currency code as Toggl shows it (three letters, upper-cased), else
// "(other)", none included, so that a body cannot make a currency series per row.
func currencyLabel(c string) string {
	c = strings.TrimSpace(c)
	if len(c) != 3 || strings.IndexFunc(c, func(r rune) bool { return (r < 'A' || r > 'Z') && (r < 'a' || r > 'z') }) >= 0 {
		return otherName
	}
	return strings.ToUpper(c)
}

func (a *Aggregator) totals(s *Snapshot, t *client.Totals, hideAmounts bool) {
	s.add(trackedFamily, float64(max(t.Seconds, 0)))
	s.add(trackedDatesFamily, float64(max(t.TrackedDays, 0)))
	var billable float64
	var rates, amounts []series
	for _, rt := range t.Rates {
		bs := float64(max(rt.BillableSeconds, 0))
		billable += bs
		c := currencyLabel(rt.Currency)
		rates = append(rates, series{rateBillableFamily, []string{c, strconv.FormatFloat(float64(rt.HourlyRateInCents)/100, 'f', -1, 64)}, bs})
		// Toggl sends one amount across currencies; per currency it is the sum of seconds ×
		// hourly rate in cents (exact in a float64 below 2^53), divided once at the end.
		amounts = append(amounts, series{billableAmountFamily, []string{c}, bs * float64(rt.HourlyRateInCents)})
	}
	// Without rates or amounts the report says nothing about billing: absent, not zero.
	if len(t.Rates) > 0 || t.BillableAmountInCents != nil {
		s.add(billableFamily, billable)
	}
	s.addCapped(rates, 1, a.maxSeries, otherName, otherName)
	if hideAmounts {
		return
	}
	switch amounts = mergeSeries(amounts); {
	case len(amounts) > 1:
		s.addCapped(amounts, 3600*100, a.maxSeries, otherName)
	case t.BillableAmountInCents != nil && (len(amounts) > 0 || *t.BillableAmountInCents != 0):
		currency := otherName
		if len(amounts) > 0 {
			currency = amounts[0].labels[0]
		}
		s.add(billableAmountFamily, float64(*t.BillableAmountInCents)/100, currency)
	}
	if t.LabourCostInCents != nil {
		s.add(labourCostFamily, float64(*t.LabourCostInCents)/100)
	}
}

// breakdown emits one breakdown, the smallest entities beyond maxSeries as "(other)".
func (a *Aggregator) breakdown(s *Snapshot, name string, hideAmounts bool) {
	if name == Projects || name == Tasks {
		a.estimates(s, name)
	}
	d, ok := a.dims[[2]string{a.block, name}]
	if !ok {
		return // the data cannot give this breakdown
	}
	entities := slices.SortedFunc(maps.Values(d), func(x, y *acc) int {
		return cmp.Or(cmp.Compare(y.tracked, x.tracked), cmp.Compare(x.id, y.id), cmp.Compare(x.sub, y.sub))
	})
	keep := len(entities)
	if keep > a.maxSeries {
		keep = a.maxSeries - 1
	}
	s.add(foldedFamily, float64(len(entities)-keep), name)
	var amounts []series // of projects, in cents, capped as one family
	for i, e := range entities {
		labels := entityLabels(name, e, &a.dict, i >= keep) // the folded ones' series are summed (see finish)
		s.add(breakdownFamilies[name][0], e.tracked, labels...)
		if e.hasBillable { // projects and users only
			s.add(breakdownFamilies[name][1], e.billable, labels...)
		}
		for c, v := range e.amounts { // rows may omit the currency
			amounts = append(amounts, series{projectAmountFamily, append(labels[:3:3], currencyLabel(cmp.Or(c, a.dict.Projects[e.id].Currency))), float64(v)})
		}
	}
	if !hideAmounts {
		s.addCapped(amounts, 100, a.maxSeries, otherID, otherName, "", otherName)
	}
}

// breakdownFamilies are the tracked and billable (if any) families of each breakdown.
var breakdownFamilies = map[string][2]*family{Projects: {projectTrackedFamily, projectBillableFamily},
	Users: {userTrackedFamily, userBillableFamily}, Clients: {clientTrackedFamily}, Tags: {tagTrackedFamily},
	Tasks: {taskTrackedFamily}, ProjectUsers: {projectUserFamily}}

// entityLabels are the labels of one entity of a breakdown: named from the
// dictionaries, else from what the rows said; "(other)" when folded.
func entityLabels(dim string, e *acc, dict *client.Dictionaries, other bool) []string {
	if other {
		switch dim {
		case Projects, Tasks: // no client, no project
			return []string{otherID, otherName, ""}
		case ProjectUsers:
			return []string{otherID, otherName, otherID, otherName}
		}
		return []string{otherID, otherName}
	}
	id := strconv.FormatInt(e.id, 10)
	switch dim {
	case Projects:
		client := ""
		if c := dict.Projects[e.id].ClientID; e.id != 0 && c != 0 {
			client = nameOr(dict.Clients[c].Name, e.subName)
		} else if e.id != 0 {
			client = LabelValue(e.subName)
		}
		return []string{id, named(e.id, dict.Projects[e.id].Name, e.name, noProject), client}
	case Users:
		return []string{id, named(e.id, dict.Users[e.id].Name, e.name, noUser)}
	case Clients:
		if e.sub != 0 { // named by rows only; no id known
			return []string{id, LabelValue(e.name)}
		}
		return []string{id, named(e.id, dict.Clients[e.id].Name, e.name, noClient)}
	case Tags:
		return []string{id, nameOr(dict.Tags[e.id].Name, e.name)}
	case Tasks:
		t := dict.Tasks[e.id]
		return []string{id, nameOr(t.Name, e.name), strconv.FormatInt(cmp.Or(e.projectID, t.ProjectID), 10)}
	}
	return []string{id, named(e.id, dict.Projects[e.id].Name, e.name, noProject), strconv.FormatInt(e.sub, 10), named(e.sub, dict.Users[e.sub].Name, e.subName, noUser)}
}

// named names entity id from the dictionary, else the rows; id 0 is none.
func named(id int64, dict, rows, none string) string {
	if id == 0 {
		return none
	}
	return nameOr(dict, rows)
}

// runningEntries emits how many entries are running and, per user and project, when
// the earliest of them started (at most MaxSeries pairs: the longest running).
func (a *Aggregator) runningEntries(s *Snapshot) {
	s.add(runningFamily, float64(len(a.running)))
	slices.SortFunc(a.running, func(x, y running) int {
		return cmp.Or(x.entry.Start.Compare(y.entry.Start), cmp.Compare(x.user, y.user), cmp.Compare(x.project, y.project))
	})
	seen := map[[2]int64]bool{} // the earliest of each, sorted first; one without a start has no timestamp to give
	for _, e := range a.running {
		if k := [2]int64{e.user, e.project}; !e.entry.Start.IsZero() && !seen[k] && len(seen) < a.maxSeries {
			seen[k] = true
			s.add(runningStartFamily, float64(e.entry.Start.Unix()), strconv.FormatInt(e.user, 10), named(e.user, a.dict.Users[e.user].Name, e.userName, noUser),
				strconv.FormatInt(e.project, 10), named(e.project, a.dict.Projects[e.project].Name, e.projectName, noProject))
		}
	}
}

// estimates emits the estimate of each project or task of the dictionary that has one,
// at most MaxSeries of them (the largest; of equal ones, the smallest ids).
func (a *Aggregator) estimates(s *Snapshot, name string) {
	var list []series
	for _, id := range slices.Sorted(maps.Keys(a.dict.Projects)) {
		if p := a.dict.Projects[id]; name == Projects && p.EstimatedSeconds > 0 {
			list = append(list, series{projectEstFamily, []string{strconv.FormatInt(id, 10), nameOr(p.Name)}, float64(p.EstimatedSeconds)})
		}
	}
	for _, id := range slices.Sorted(maps.Keys(a.dict.Tasks)) {
		if t := a.dict.Tasks[id]; name == Tasks && t.EstimatedSeconds > 0 {
			list = append(list, series{taskEstFamily, []string{strconv.FormatInt(id, 10), nameOr(t.Name), strconv.FormatInt(t.ProjectID, 10)}, float64(t.EstimatedSeconds)})
		}
	}
	slices.SortStableFunc(list, func(x, y series) int { return cmp.Compare(y.value, x.value) })
	s.series = append(s.series, list[:min(len(list), a.maxSeries)]...)
}

// nameOr returns the first non-empty name, made a valid label value; "(unknown)" if none.
func nameOr(names ...string) string {
	for _, n := range names {
		if n != "" {
			return LabelValue(n)
		}
	}
	return unknown
}

// LabelValue makes a name from Toggl a valid, bounded label value, as the collector's
// series give it (valid UTF-8, no control characters, at most maxLabelBytes bytes, cut at
// a rune boundary with "…"), also for series made elsewhere that must join with them.
func LabelValue(s string) string {
	s = strings.Map(func(r rune) rune { // returns s itself when nothing changes
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
	if len(s) <= maxLabelBytes {
		return s
	}
	cut := maxLabelBytes - len("…")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
