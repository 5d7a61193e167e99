package collector

import (
	"cmp"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/toggl-exporter/toggl_exporter/client"
)

// Breakdown names, as configured in `breakdowns` and exported in the `breakdown` label.
const (
	Projects = "projects"
	Users    = "users"
	Clients  = "clients"
	Tags     = "tags"
	Tasks    = "tasks"
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

// maxLabelBytes bounds label values taken from Toggl (names are user input).
const maxLabelBytes = 200

// AggregateOptions select and bound the breakdowns of one report.
type AggregateOptions struct {
	// Breakdowns to emit; nil means projects and users.
	Breakdowns []string
	// MaxSeries per breakdown; beyond it the smallest entities fold into "(other)". <=0: 500.
	MaxSeries int
}

// series is one sample of a snapshot, without the `report` label.
type series struct {
	metric int
	labels []string
	value  float64
}

// Snapshot is what one successful fetch of a report yields: the series to serve and a
// few facts about the report. It is immutable once built.
type Snapshot struct {
	series    []series
	Name      string // report_name as Toggl has it
	Type      string
	Public    bool
	StartDate string // period start as Toggl's input or saved params give it, YYYY-MM-DD
	EndDate   string
	Entities  int // rows or groups seen, for logging
}

// Len is the number of value series in the snapshot.
func (s *Snapshot) Len() int { return len(s.series) }

// acc accumulates the figures of one entity of one breakdown.
type acc struct {
	id          int64
	name        string // name the rows gave, used when the dictionary has none
	client      string // client name the rows gave (projects only)
	projectID   int64  // tasks only
	tracked     float64
	billable    float64
	hasBillable bool
	amounts     map[string]int64 // currency -> amount in cents (summed exactly)
}

func (a *acc) addAmount(currency string, cents int64) {
	if a.amounts == nil {
		a.amounts = make(map[string]int64, 1)
	}
	a.amounts[currency] += cents
}

type dimension map[int64]*acc

func (d dimension) get(id int64) *acc {
	a := d[id]
	if a == nil {
		a = &acc{id: id}
		d[id] = a
	}
	return a
}

// Aggregator is a client.Sink that sums the rows of one report into breakdowns while they
// are decoded, so that no row is kept. Finish turns the sums into a Snapshot.
type Aggregator struct {
	opts AggregateOptions
	// dims are the breakdowns of the block being summed; byBlock keeps the detailed and
	// weekly blocks apart in case Toggl fills more than one, and Finish uses the one the
	// report names.
	dims    map[string]dimension
	byBlock map[string]map[string]dimension
	groups  []client.SummaryGroup
	rows    map[string]int
}

// NewAggregator returns an empty Aggregator.
func NewAggregator(opts AggregateOptions) *Aggregator {
	if opts.Breakdowns == nil {
		opts.Breakdowns = []string{Projects, Users}
	}
	if opts.MaxSeries <= 0 {
		opts.MaxSeries = 500
	}
	return &Aggregator{opts: opts, byBlock: map[string]map[string]dimension{}, rows: map[string]int{}}
}

// in makes block the one whose breakdowns a.dim returns, and counts a row of it.
func (a *Aggregator) in(block string) {
	a.rows[block]++
	a.dims = a.byBlock[block]
	if a.dims == nil {
		a.dims = map[string]dimension{}
		a.byBlock[block] = a.dims
	}
}

func (a *Aggregator) dim(name string) dimension {
	d := a.dims[name]
	if d == nil {
		d = dimension{}
		a.dims[name] = d
	}
	return d
}

// projectAndUser adds the time of a detailed or weekly row to its project and its user,
// keeping the first names the rows give (used when the dictionaries have none).
func (a *Aggregator) projectAndUser(projectID int64, project, clientName string, userID int64, user string, sec float64) (p, u *acc) {
	p = a.dim(Projects).get(projectID)
	p.tracked += sec
	p.name = cmp.Or(p.name, project)
	p.client = cmp.Or(p.client, clientName)
	u = a.dim(Users).get(userID)
	u.tracked += sec
	u.name = cmp.Or(u.name, user)
	return p, u
}

// DetailedRow implements client.Sink.
func (a *Aggregator) DetailedRow(r *client.DetailedRow) {
	a.in(client.BlockDetailed)
	sec := float64(max(r.Seconds, 0))
	p, u := a.projectAndUser(r.ProjectID, r.ProjectName, r.ClientName, r.UserID, r.Username, sec)
	p.hasBillable, u.hasBillable = true, true // every row says whether it is billable
	if r.Billable {
		p.billable += sec
		u.billable += sec
	}
	if r.BillableAmountInCents > 0 {
		p.addAmount(r.Currency, r.BillableAmountInCents)
	}
	tags := a.dim(Tags)
	for i, id := range r.TagIDs {
		if slices.Contains(r.TagIDs[:i], id) {
			continue // a tag listed twice still counts once
		}
		tags.get(id).tracked += sec
	}
	if r.TaskID != 0 {
		t := a.dim(Tasks).get(r.TaskID)
		t.tracked += sec
		t.projectID = r.ProjectID
	}
}

// WeeklyRow implements client.Sink.
func (a *Aggregator) WeeklyRow(r *client.WeeklyRow) {
	a.in(client.BlockWeekly)
	sec := float64(max(client.DaySum(r.Seconds), 0))
	bill := float64(max(client.DaySum(r.BillableSeconds), 0))
	cents := max(client.DaySum(r.BillableAmountsInCents), 0)
	p, u := a.projectAndUser(r.ProjectID, r.ProjectName, r.ClientName, r.UserID, r.UserName, sec)
	if r.BillableSeconds != nil {
		p.billable += bill
		p.hasBillable = true
		u.billable += bill
		u.hasBillable = true
	}
	if cents > 0 {
		p.addAmount(r.Currency, cents)
	}
}

// SummaryGroup implements client.Sink. Groups are kept (they are few: one per project,
// user or client) because their dimension is only known once input_params is decoded.
func (a *Aggregator) SummaryGroup(g *client.SummaryGroup) {
	a.rows[client.BlockSummary]++
	c := client.SummaryGroup{ID: g.ID, IDs: slices.Clone(g.IDs), Names: slices.Clone(g.Names)}
	c.SubGroups = make([]client.SummarySubGroup, len(g.SubGroups))
	for i, sg := range g.SubGroups {
		c.SubGroups[i] = client.SummarySubGroup{ID: sg.ID, IDs: slices.Clone(sg.IDs), Title: sg.Title, Seconds: sg.Seconds, Rates: slices.Clone(sg.Rates)}
	}
	a.groups = append(a.groups, c)
}

// summaryDims maps summary groupings to breakdowns; time_entries gives none.
var summaryDims = map[string]string{"projects": Projects, "users": Users, "clients": Clients, "tags": Tags, "tasks": Tasks}

// foldSummary distributes the kept summary groups over the breakdowns of the report's
// grouping and sub-grouping.
func (a *Aggregator) foldSummary(r *client.Report) {
	grouping, subGrouping := r.Grouping()
	gdim, subdim := summaryDims[grouping], summaryDims[subGrouping]
	if subdim == gdim {
		subdim = ""
	}
	for _, g := range a.groups {
		var sec, bill float64
		hasRates := false
		for _, sg := range g.SubGroups {
			sec += float64(max(sg.Seconds, 0))
			for _, rt := range sg.Rates {
				hasRates = true
				bill += float64(max(rt.BillableSeconds, 0))
			}
		}
		name := ""
		if len(g.Names) > 0 {
			name = g.Names[0]
		}
		switch {
		case gdim == Tags && len(g.IDs) > 0:
			for _, id := range g.IDs {
				a.dim(Tags).get(id).tracked += sec
			}
		case gdim == Tags && g.ID == 0:
			// Time without tags: not a tag.
		case gdim != "":
			e := a.dim(gdim).get(g.ID)
			e.tracked += sec
			if e.name == "" {
				e.name = name
			}
			if hasRates && (gdim == Projects || gdim == Users) {
				e.billable += bill
				e.hasBillable = true
			}
		}
		if subdim == "" {
			continue
		}
		for _, sg := range g.SubGroups {
			if subdim == Tasks && sg.ID == 0 {
				continue
			}
			e := a.dim(subdim).get(sg.ID)
			e.tracked += float64(max(sg.Seconds, 0))
			if e.name == "" {
				e.name = sg.Title
			}
			if subdim == Tasks && gdim == Projects {
				e.projectID = g.ID
			}
		}
	}
}

// Finish builds the snapshot of the report from the sums and the report's totals and
// dictionaries. The Aggregator must not be used afterwards.
func (a *Aggregator) Finish(r *client.Report) *Snapshot {
	a.dims = a.byBlock[r.Block]
	if a.dims == nil {
		a.dims = map[string]dimension{}
	}
	if r.Block == client.BlockSummary {
		a.foldSummary(r)
	}
	start, end := r.Dates()
	s := &Snapshot{Name: r.Name, Type: r.Type, Public: r.Public, StartDate: start, EndDate: end, Entities: a.rows[r.Block]}
	a.totals(s, r)
	dict := &r.Dictionaries
	if _, ok := a.dims[Clients]; !ok {
		a.deriveClients(dict)
	}
	for _, b := range a.opts.Breakdowns {
		a.breakdown(s, b, r)
	}
	return s
}

// deriveClients sums projects into their clients, when the rows name projects only.
func (a *Aggregator) deriveClients(dict *client.Dictionaries) {
	projects, ok := a.dims[Projects]
	if !ok {
		return
	}
	clients := a.dim(Clients)
	named := map[string]int64{} // rows that name a client the dictionary lacks
	for _, p := range projects {
		id := dict.Projects[p.id].ClientID
		if id == 0 && p.client != "" {
			if _, seen := named[p.client]; !seen {
				named[p.client] = -int64(len(named) + 2) // -1 is "(other)"
			}
			id = named[p.client]
		}
		c := clients.get(id)
		c.tracked += p.tracked
		if id < 0 {
			c.name = p.client
		}
	}
}

func (s *Snapshot) add(metric int, value float64, labels ...string) {
	s.series = append(s.series, series{metric: metric, labels: labels, value: value})
}

func (a *Aggregator) totals(s *Snapshot, r *client.Report) {
	t := r.Totals
	if t == nil {
		return
	}
	s.add(mTracked, float64(max(t.Seconds, 0)))
	s.add(mTrackedDates, float64(max(t.TrackedDays, 0)))
	var billable float64
	type rateKey struct{ currency, rate string }
	rates := map[rateKey]float64{}
	perCurrency := map[string]float64{}
	for _, rt := range t.Rates {
		bs := float64(max(rt.BillableSeconds, 0))
		billable += bs
		k := rateKey{rt.Currency, formatCents(rt.HourlyRateInCents)}
		rates[k] += bs
		// Toggl sends one total across currencies; per currency it is rate × time.
		perCurrency[rt.Currency] += bs / 3600 * float64(rt.HourlyRateInCents) / 100
	}
	// Without rates or amounts the report says nothing about billing: absent, not zero.
	if len(t.Rates) > 0 || t.BillableAmountInCents != nil {
		s.add(mBillable, billable)
	}
	for _, k := range sortedKeys(rates, func(a, b rateKey) int {
		return cmp.Or(cmp.Compare(a.currency, b.currency), cmp.Compare(a.rate, b.rate))
	}) {
		s.add(mRateBillable, rates[k], labelValue(k.currency), k.rate)
	}
	if r.HideAmounts {
		return
	}
	switch {
	case len(perCurrency) > 1:
		for _, c := range sortedKeys(perCurrency, cmp.Compare[string]) {
			s.add(mBillableAmount, math.Round(perCurrency[c]*100)/100, labelValue(c))
		}
	case t.BillableAmountInCents != nil:
		currency := ""
		for c := range perCurrency {
			currency = c
		}
		if currency != "" || *t.BillableAmountInCents != 0 {
			s.add(mBillableAmount, float64(*t.BillableAmountInCents)/100, labelValue(currency))
		}
	}
	if t.LabourCostInCents != nil {
		s.add(mLabourCost, float64(*t.LabourCostInCents)/100)
	}
}

// breakdown emits one breakdown, folding the smallest entities beyond MaxSeries.
func (a *Aggregator) breakdown(s *Snapshot, name string, r *client.Report) {
	dict := &r.Dictionaries
	d, ok := a.dims[name]
	if name == Projects {
		a.estimates(s, mProjectEstimated, len(dict.Projects), func(yield func(id int64, name string, est int64, projectID int64)) {
			for id, p := range dict.Projects {
				yield(id, p.Name, p.EstimatedSeconds, 0)
			}
		})
	}
	if name == Tasks {
		a.estimates(s, mTaskEstimated, len(dict.Tasks), func(yield func(id int64, name string, est int64, projectID int64)) {
			for id, t := range dict.Tasks {
				yield(id, t.Name, t.EstimatedSeconds, t.ProjectID)
			}
		})
	}
	if !ok {
		return // the data cannot give this breakdown
	}
	entities := make([]*acc, 0, len(d))
	for _, e := range d {
		entities = append(entities, e)
	}
	slices.SortFunc(entities, func(x, y *acc) int {
		return cmp.Or(cmp.Compare(y.tracked, x.tracked), cmp.Compare(x.id, y.id))
	})
	folded := 0
	if len(entities) > a.opts.MaxSeries {
		keep := max(a.opts.MaxSeries-1, 0)
		other := &acc{id: -1}
		for _, e := range entities[keep:] {
			other.tracked += e.tracked
			other.billable += e.billable
			other.hasBillable = other.hasBillable || e.hasBillable
			for c, v := range e.amounts {
				other.addAmount(c, v)
			}
		}
		folded = len(entities) - keep
		entities = append(entities[:keep], other)
	}
	s.add(mFolded, float64(folded), name)
	for _, e := range entities {
		a.emit(s, name, e, r)
	}
}

// emit writes the series of one entity of a breakdown.
func (a *Aggregator) emit(s *Snapshot, dim string, e *acc, r *client.Report) {
	dict := &r.Dictionaries
	id, label := strconv.FormatInt(e.id, 10), ""
	if e.id == -1 {
		id, label = otherID, otherName
	}
	switch dim {
	case Projects:
		client := ""
		if e.id == 0 {
			label = noProject
		} else if e.id > 0 {
			p, ok := dict.Projects[e.id]
			label = nameOr(p.Name, e.name)
			client = e.client
			if ok && p.ClientID != 0 {
				client = nameOr(dict.Clients[p.ClientID].Name, client)
			}
		}
		client = labelValue(client)
		s.add(mProjectTracked, e.tracked, id, label, client)
		if e.hasBillable {
			s.add(mProjectBillable, e.billable, id, label, client)
		}
		if !r.HideAmounts {
			amounts := make(map[string]int64, len(e.amounts))
			for c, cents := range e.amounts {
				amounts[cmp.Or(c, dict.Projects[e.id].Currency)] += cents // rows may omit it
			}
			for _, c := range sortedKeys(amounts, cmp.Compare[string]) {
				s.add(mProjectAmount, float64(amounts[c])/100, id, label, client, labelValue(c))
			}
		}
	case Users:
		if e.id == 0 {
			label = noUser
		} else if e.id > 0 {
			label = nameOr(dict.Users[e.id].Name, e.name)
		}
		s.add(mUserTracked, e.tracked, id, label)
		if e.hasBillable {
			s.add(mUserBillable, e.billable, id, label)
		}
	case Clients:
		switch {
		case e.id == 0:
			label = noClient
		case e.id < -1: // named by rows only; no id known
			id, label = "0", labelValue(e.name)
		case e.id > 0:
			label = nameOr(dict.Clients[e.id].Name, e.name)
		}
		s.add(mClientTracked, e.tracked, id, label)
	case Tags:
		if e.id >= 0 {
			label = nameOr(dict.Tags[e.id].Name, e.name)
		}
		s.add(mTagTracked, e.tracked, id, label)
	case Tasks:
		projectID := ""
		if e.id >= 0 {
			t := dict.Tasks[e.id]
			label = nameOr(t.Name, e.name)
			projectID = strconv.FormatInt(cmp.Or(e.projectID, t.ProjectID), 10)
		}
		s.add(mTaskTracked, e.tracked, id, label, projectID)
	}
}

// estimates emits the estimate of each dictionary entity that has one, at most MaxSeries
// of them (the largest).
func (a *Aggregator) estimates(s *Snapshot, metric, n int, all func(yield func(id int64, name string, est int64, projectID int64))) {
	type est struct {
		id, seconds, projectID int64
		name                   string
	}
	list := make([]est, 0, n)
	all(func(id int64, name string, seconds int64, projectID int64) {
		if seconds > 0 && id > 0 {
			list = append(list, est{id, seconds, projectID, name})
		}
	})
	slices.SortFunc(list, func(x, y est) int { return cmp.Or(cmp.Compare(y.seconds, x.seconds), cmp.Compare(x.id, y.id)) })
	if len(list) > a.opts.MaxSeries {
		list = list[:a.opts.MaxSeries]
	}
	for _, e := range list {
		id := strconv.FormatInt(e.id, 10)
		if metric == mTaskEstimated {
			s.add(metric, float64(e.seconds), id, nameOr(e.name, ""), strconv.FormatInt(e.projectID, 10))
		} else {
			s.add(metric, float64(e.seconds), id, nameOr(e.name, ""))
		}
	}
}

// nameOr returns the first non-empty name, made a valid label value; "(unknown)" if none.
func nameOr(names ...string) string {
	for _, n := range names {
		if n != "" {
			return labelValue(n)
		}
	}
	return unknown
}

// labelValue makes a name from Toggl a valid, bounded label value: valid UTF-8, no
// control characters, at most maxLabelBytes bytes (cut at a rune boundary, with "…").
func labelValue(s string) string {
	clean := true
	for _, r := range s {
		if r == utf8.RuneError || unicode.IsControl(r) {
			clean = false
			break
		}
	}
	if !clean {
		s = strings.Map(func(r rune) rune {
			if unicode.IsControl(r) {
				return ' '
			}
			return r
		}, strings.ToValidUTF8(s, "\uFFFD"))
	}
	if len(s) <= maxLabelBytes {
		return s
	}
	cut := maxLabelBytes - len("…")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// formatCents renders an amount in cents as currency units: 9550 -> "95.5".
func formatCents(c int64) string {
	return strconv.FormatFloat(float64(c)/100, 'f', -1, 64)
}

func sortedKeys[K comparable, V any](m map[K]V, compare func(a, b K) int) []K {
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, compare)
	return keys
}
