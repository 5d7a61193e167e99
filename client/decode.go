package client

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// Decode reads a shared report from r while streaming, on the tokens of a
// jsontext.Decoder: each element of detailed_results.report, weekly_results.report and
// summary_results.report.groups is decoded alone and handed to sink (nil discards them),
// so memory does not grow with the number of rows. Everything else is returned in the
// Report. Keys may come in any order, and values are read tolerantly (see convert.go);
// fields the exporter does not use are never looked at. A field that toggl-api.md does not
// document is skipped too, and its path noted in Report.Unknown.
//
// Rows of every non-null result block go to sink; Report.Block and Report.Totals name the
// block that answers the report: the one matching report_type when it is non-null, else
// the first with totals. A body with no such block, or whose block has no totals, is not
// a report: an error.
//
// Every error is an *Error with Code CodeDecode whose message names the JSON path or the
// byte offset of the problem. Decode does not limit the size of r.
func Decode(r io.Reader, sink Sink) (*Report, error) {
	rep, err := decode(r, sink)
	if err != nil {
		return nil, &Error{Code: CodeDecode, Message: oneLine(err.Error()), Err: err}
	}
	return rep, nil
}

// Names of the result blocks, as in Report.Block.
const (
	BlockDetailed = "detailed"
	BlockSummary  = "summary"
	BlockWeekly   = "weekly"
)

// discard is the Sink used when Run or Decode get none.
type discard struct{}

func (discard) DetailedRow(*DetailedRow)   {}
func (discard) WeeklyRow(*WeeklyRow)       {}
func (discard) SummaryGroup(*SummaryGroup) {}

// blockState is a non-null result block of the body.
type blockState struct {
	name   string
	totals *Totals
}

// rowState is the scratch space of the rows, reused from row to row: what a Sink is
// handed is only valid during the call.
type rowState struct {
	detailed DetailedRow
	weekly   WeeklyRow
	group    SummaryGroup
	ints     []int64 // the int lists of the current row
	entries  []TimeEntry
	names    []string
	subs     []SummarySubGroup
	keys     []string // keys of sub-groups sent as an object
	rates    []Rate
}

func decode(r io.Reader, sink Sink) (*Report, error) {
	if sink == nil {
		sink = discard{}
	}
	d := newBodyDecoder(r)
	rep := &Report{}
	if err := d.top(func(k string) error { return d.field(rep, k, sink) }); err != nil {
		return nil, d.describe(err)
	}
	want := strings.ToLower(strings.TrimSpace(rep.Type))
	for _, b := range d.blocks {
		if b.name == want || (rep.Block == "" && b.totals != nil) {
			rep.Block, rep.Totals = b.name, b.totals
		}
	}
	if rep.Totals == nil {
		return nil, errors.New("decode: no result block with totals (detailed_results, summary_results or weekly_results)")
	}
	rep.Unknown = slices.Sorted(maps.Keys(d.unknown))
	return rep, nil
}

func fields(names string) map[string]bool {
	set := map[string]bool{}
	for _, n := range strings.Fields(names) {
		set[n] = true
	}
	return set
}

// The fields toggl-api.md documents that the decoder skips, per kind of object: skipping
// them is no news, skipping any other is (see other). Fields the decoder reads are not
// listed: its switches name them.
var (
	topFields       = fields("fixed_daterange is_commenting_enabled features workspace_logo")
	totalsFields    = fields("resolution graph")
	detailedFields  = fields("email project_color project_hex task_name description tag_names row_number toggl_accounts_id")
	timeEntryFields = fields("at at_tz")
	weeklyFields    = fields("project_color project_hex_color planned_task_id")
	groupFields     = fields("project_color project_hex_color")
	dictFields      = map[string]map[string]bool{
		"projects": fields("color actual_hours actual_seconds fixed_fee recurring recurring_period custom_period start_date end_date external_reference"),
		"tasks":    fields("tracked_seconds"),
		"clients":  fields("external_reference"),
		"users":    fields("email avatar_url group_ids labour_cost"),
	}
)

// maxUnknown bounds the unknown paths noted per body: a body of invented fields costs no
// more than this.
const maxUnknown = 64

// other notes the member name being read as unknown unless known holds it; the caller
// leaves its value unread, to be skipped. It costs nothing for the fields the decoder
// reads, and a map lookup for the documented ones it skips.
func (d *bodyDecoder) other(known map[string]bool, name []byte) {
	if known[string(name)] {
		return
	}
	top := d
	for top.up != nil {
		top = top.up
	}
	if len(top.unknown) >= maxUnknown {
		return
	}
	if top.unknown == nil {
		top.unknown = map[string]bool{}
	}
	top.unknown[d.path()] = true
}

// fieldName says whether n looks like a field name of Toggl's: letters, digits, _ and -,
// at most maxQuoted bytes.
func fieldName(n []byte) bool {
	return len(n) > 0 && len(n) <= maxQuoted && !slices.ContainsFunc(n, func(c byte) bool {
		return !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-')
	})
}

// path is the JSON path of the value being read, e.g. `detailed_results.report[].foo`.
// Array indexes and the keys of objects keyed by id are [], so that a field is noted once
// however many rows hold it and no id or title is part of it; a name that is not a field
// name (letters, digits, _ and -, at most 40 bytes) is "(odd)", so that no user text is.
func (d *bodyDecoder) path() string {
	var s string
	if d.up != nil {
		s = d.up.path()
	}
	for i := 1; i <= d.dec.StackDepth(); i++ {
		if k, _ := d.dec.StackIndex(i); k == '[' || i < len(d.keyed) && d.keyed[i] {
			s += "[]"
			continue
		}
		name := "(odd)"
		if i < len(d.names) && fieldName(d.names[i]) {
			name = string(d.names[i])
		}
		if s != "" {
			s += "."
		}
		s += name
	}
	return s
}

// top reads the top-level object, calling field with each key to read its value, and
// checks that nothing follows it.
func (d *bodyDecoder) top(field func(k string) error) error {
	if k := d.dec.PeekKind(); k != '{' && k != 0 {
		return d.fail("a JSON object at the top level")
	}
	err := d.object(false, func(name []byte) error { return field(string(name)) })
	if err != nil {
		return err
	}
	// The report is complete. More JSON after it, or a body over the limit, is an error;
	// a read error or the end of the body within what follows changes nothing.
	if k := d.dec.PeekKind(); k != 0 {
		var v jsontext.Value
		if k != '{' && k != '[' {
			v, _ = d.dec.ReadValue()
		}
		return &pathError{msg: "unexpected " + describe(k, v) + " after the report object"}
	}
	_, err = d.dec.ReadToken()
	var syn *jsontext.SyntacticError
	if errors.As(err, &syn) && !errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, errTooLarge) {
		return err
	}
	return nil
}

// describe turns an error of the walk into the error of decode: the message of Error
// beside the cause (a read error, io.ErrUnexpectedEOF, a *jsontext.SyntacticError...).
func (d *bodyDecoder) describe(err error) error {
	where, cause, msg := "decode", err, err.Error()
	var pe *pathError
	if errors.As(err, &pe) {
		if pe.path != "" {
			where += " " + pe.path
		}
		cause, msg = pe.err, pe.msg
	}
	var syn *jsontext.SyntacticError
	switch {
	case cause == nil:
		msg = where + ": " + msg
	case d.in.first == 0 && (errors.Is(cause, io.EOF) || errors.Is(cause, io.ErrUnexpectedEOF)):
		msg = "decode: empty body, expected a JSON report"
	case errors.Is(cause, io.ErrUnexpectedEOF) || errors.Is(cause, io.EOF):
		msg, cause = fmt.Sprintf("%s: truncated JSON: the body ends at byte %d", where, d.in.n), io.ErrUnexpectedEOF
	case errors.As(cause, &syn) && syn.Err != nil:
		msg = fmt.Sprintf("%s: invalid JSON at byte %d: %v", where, syn.ByteOffset, syn.Err)
		if d.in.first == '<' {
			msg = "decode: the body is not JSON (it starts with '<': an HTML page?): " + syn.Err.Error()
		}
	default: // a read error, which client.Run reports itself
		msg = fmt.Sprintf("%s: reading the body at byte %d: %v", where, d.in.n, cmp.Or(errors.Unwrap(cause), cause))
	}
	return &pathError{msg: msg, err: cause}
}

func (d *bodyDecoder) field(rep *Report, k string, sink Sink) (err error) {
	switch k {
	case "detailed_results", "summary_results", "weekly_results":
		if d.dec.PeekKind() == 'n' {
			return d.dec.SkipValue()
		}
		name := strings.TrimSuffix(k, "_results")
		i := slices.IndexFunc(d.blocks, func(b *blockState) bool { return b.name == name })
		if i < 0 {
			i, d.blocks = len(d.blocks), append(d.blocks, &blockState{name: name})
		}
		return d.block(d.blocks[i], sink)
	case "report_name":
		rep.Name, err = d.str()
	case "report_type":
		rep.Type, err = d.str()
	case "public":
		rep.Public, err = d.bool()
	case "hide_amounts":
		rep.HideAmounts, err = d.bool()
	case "input_params", "saved_params":
		if kind := d.dec.PeekKind(); kind != '{' && kind != 'n' {
			return d.fail("an object")
		}
		m := &rep.InputParams
		if k == "saved_params" {
			m = &rep.SavedParams
		}
		err = json.UnmarshalDecode(d.dec, m, anyOptions)
	case "dictionaries":
		err = d.object(false, func(name []byte) error { return d.dictionary(&rep.Dictionaries, name) })
	default:
		d.other(topFields, []byte(k))
	}
	return err
}

// dictionary reads the sub-dictionary name into dict; filters (a copy marked for
// removal) and unknown ones are skipped. A sub-dictionary is bounded by the workspace's
// entities, and kept whole.
func (d *bodyDecoder) dictionary(dict *Dictionaries, key []byte) error {
	name := string(key)
	// e-mail addresses of users are deliberately not read
	entities := map[string]*map[int64]Entity{"clients": &dict.Clients, "users": &dict.Users, "tags": &dict.Tags, "user_groups": &dict.UserGroups}[name]
	proj, task := name == "projects", name == "tasks"
	if entities == nil && !proj && !task {
		if name != "filters" {
			d.other(nil, key)
		}
		return nil
	}
	known := dictFields[name]
	return d.entries(func(key []byte, keyed bool) error {
		var p Project
		var t Task
		hasID, hasEstimate := false, false
		var estimatedHours int64
		err := d.object(false, func(field []byte) (err error) {
			switch f := string(field); {
			case f == "id":
				p.ID, hasID, err = d.optInt()
			case f == "name":
				p.Name, err = d.str()
			case proj && f == "client_id":
				p.ClientID, err = d.int()
			case proj && f == "currency":
				p.Currency, err = d.str()
			case (proj || task) && f == "estimated_seconds":
				p.EstimatedSeconds, hasEstimate, err = d.optInt()
			case proj && f == "estimated_hours":
				estimatedHours, err = d.hours()
			case task && f == "project_id":
				t.ProjectID, err = d.int()
			default:
				d.other(known, field)
			}
			return err
		})
		if !hasID && keyed {
			p.ID, _ = parseInt(bytes.TrimSpace(key))
		}
		if err != nil || p.ID == 0 {
			return err
		}
		switch {
		case proj:
			if !hasEstimate {
				p.EstimatedSeconds = estimatedHours
			}
			put(&dict.Projects, p.ID, p)
		case task:
			t.ID, t.Name, t.EstimatedSeconds = p.ID, p.Name, p.EstimatedSeconds
			put(&dict.Tasks, t.ID, t)
		default:
			put(entities, p.ID, Entity{ID: p.ID, Name: p.Name})
		}
		return nil
	})
}

func (d *bodyDecoder) block(b *blockState, sink Sink) error {
	return d.object(false, func(name []byte) error {
		switch string(name) {
		case "totals":
			t, err := d.totals()
			if t != nil {
				b.totals = t
			}
			return err
		case "report":
			row := map[string]func(Sink) error{BlockDetailed: d.detailedRow, BlockWeekly: d.weeklyRow, BlockSummary: d.summaryGroup}[b.name]
			rows := func() error { return d.nonNull(func() error { return row(sink) }) }
			// summary: the groups themselves may come in place of the object holding them
			if b.name != BlockSummary || d.dec.PeekKind() == '[' {
				return d.array(rows)
			}
			return d.object(false, func(name []byte) error {
				if string(name) == "groups" {
					return d.array(rows)
				}
				d.other(nil, name)
				return nil
			})
		}
		d.other(nil, name)
		return nil
	})
}

// totals reads a totals object; nil for null.
func (d *bodyDecoder) totals() (*Totals, error) {
	if d.dec.PeekKind() == 'n' {
		return nil, d.dec.SkipValue()
	}
	t := &Totals{}
	err := d.object(false, func(name []byte) (err error) {
		var n int64
		var present bool
		switch string(name) {
		case "seconds":
			t.Seconds, err = d.int()
		case "tracked_days":
			t.TrackedDays, err = d.int()
		case "billable_amount_in_cents":
			if n, present, err = d.amount(); present {
				t.BillableAmountInCents = &n
			}
		case "labour_cost_in_cents":
			if n, present, err = d.amount(); present {
				t.LabourCostInCents = &n
			}
		case "rates":
			t.Rates, err = onSlab(d, new([]Rate), (*bodyDecoder).rate, false)
		default:
			d.other(totalsFields, name)
		}
		return err
	})
	return t, err
}

func (d *bodyDecoder) rate() (Rate, error) {
	var r Rate
	err := d.object(false, func(name []byte) (err error) {
		switch string(name) {
		case "billable_seconds":
			r.BillableSeconds, err = d.int()
		case "currency":
			r.Currency, err = d.str()
		case "hourly_rate_in_cents":
			r.HourlyRateInCents, _, err = d.amount()
		default:
			d.other(nil, name)
		}
		return err
	})
	return r, err
}

// cut returns the elements of *slab from start on (nil when there are none), with their
// capacity cut so that appending to them cannot touch what follows.
func cut[T any](slab []T, start int) []T {
	if len(slab) == start {
		return nil
	}
	return slab[start:len(slab):len(slab)]
}

func (d *bodyDecoder) detailedRow(sink Sink) error {
	s := &d.row
	row := &s.detailed
	*row = DetailedRow{}
	s.ints, s.entries = s.ints[:0], s.entries[:0]
	var userName string
	err := d.object(false, func(name []byte) (err error) {
		switch string(name) {
		case "user_id":
			row.UserID, err = d.int()
		case "username":
			row.Username, err = d.str()
		case "user_name":
			userName, err = d.str()
		case "project_id":
			row.ProjectID, err = d.int()
		case "project_name":
			row.ProjectName, err = d.str()
		case "client_name":
			row.ClientName, err = d.str()
		case "task_id":
			row.TaskID, err = d.int()
		case "billable":
			row.Billable, err = d.bool()
		case "billable_amount_in_cents":
			row.BillableAmountInCents, _, err = d.amount()
		case "hourly_rate_in_cents":
			row.HourlyRateInCents, _, err = d.amount()
		case "currency":
			row.Currency, err = d.str()
		case "tag_ids":
			err = d.ints(&row.TagIDs, true)
		case "time_entries":
			row.TimeEntries, err = onSlab(d, &s.entries, (*bodyDecoder).timeEntry, false)
		default:
			d.other(detailedFields, name)
		}
		return err
	})
	if err != nil {
		return err
	}
	row.Username = cmp.Or(row.Username, userName)
	row.Entries = len(row.TimeEntries)
	for _, e := range row.TimeEntries {
		if e.Seconds > 0 {
			row.Seconds = addSat(row.Seconds, e.Seconds)
		}
	}
	sink.DetailedRow(row)
	return nil
}

func (d *bodyDecoder) timeEntry() (TimeEntry, error) {
	var e TimeEntry
	stopped, timed := false, false
	err := d.object(false, func(name []byte) (err error) {
		switch string(name) {
		case "id":
			e.ID, err = d.int()
		case "seconds":
			e.Seconds, timed, err = d.optInt()
		case "start":
			e.Start, err = d.time()
		case "stop":
			stopped = d.dec.PeekKind() != 'n' // and skipped
		default:
			d.other(timeEntryFields, name)
		}
		return err
	})
	e.NoStop, e.NoSeconds = !stopped, !timed
	e.Running = !stopped || !timed || e.Seconds < 0
	return e, err
}

func (d *bodyDecoder) weeklyRow(sink Sink) error {
	s := &d.row
	row := &s.weekly
	*row = WeeklyRow{}
	s.ints = s.ints[:0]
	var username string
	err := d.object(false, func(name []byte) (err error) {
		switch string(name) {
		case "user_id":
			row.UserID, err = d.int()
		case "user_name":
			row.UserName, err = d.str()
		case "username":
			username, err = d.str()
		case "project_id":
			row.ProjectID, err = d.int()
		case "project_name":
			row.ProjectName, err = d.str()
		case "client_name":
			row.ClientName, err = d.str()
		case "currency":
			row.Currency, err = d.str()
		case "hourly_rate_in_cents":
			row.HourlyRateInCents, _, err = d.amount()
		case "seconds":
			err = d.ints(&row.Seconds, false)
		case "billable_seconds":
			err = d.ints(&row.BillableSeconds, false)
		case "billable_amounts_in_cents":
			err = d.ints(&row.BillableAmountsInCents, false)
		default:
			d.other(weeklyFields, name)
		}
		return err
	})
	if err != nil {
		return err
	}
	row.UserName = cmp.Or(row.UserName, username)
	sink.WeeklyRow(row)
	return nil
}

func (d *bodyDecoder) summaryGroup(sink Sink) error {
	s := &d.row
	g := &s.group
	*g = SummaryGroup{}
	s.ints, s.names, s.subs, s.keys, s.rates = s.ints[:0], s.names[:0], s.subs[:0], s.keys[:0], s.rates[:0]
	err := d.object(false, func(name []byte) (err error) {
		switch string(name) {
		case "id":
			g.ID, err = d.int()
		case "ids":
			err = d.ints(&g.IDs, true)
		case "names":
			g.Names, err = onSlab(d, &s.names, (*bodyDecoder).str, true)
		case "sub_groups":
			s.subs, s.keys = s.subs[:0], s.keys[:0]
			err = d.entries(func(key []byte, keyed bool) error {
				sg, err := d.subGroup(key, keyed)
				s.subs = append(s.subs, sg)
				if keyed {
					s.keys = append(s.keys, string(key))
				}
				return err
			})
			if len(s.keys) > 0 {
				sort.Stable(byKey{s.subs, s.keys})
			}
			g.SubGroups = cut(s.subs, 0)
		default:
			d.other(groupFields, name)
		}
		return err
	})
	if err != nil {
		return err
	}
	sink.SummaryGroup(g)
	return nil
}

// subGroup reads a sub-group. In the object form of sub_groups, a value without an id
// field takes its id from a numeric key, and one without a title takes a non-numeric key
// as its title.
func (d *bodyDecoder) subGroup(key []byte, keyed bool) (SummarySubGroup, error) {
	s := &d.row
	var sg SummarySubGroup
	hasID, hasTitle := false, false
	err := d.object(false, func(name []byte) (err error) {
		switch string(name) {
		case "id":
			sg.ID, err = d.int()
			hasID = true
		case "ids":
			err = d.ints(&sg.IDs, true)
		case "title":
			sg.Title, err = d.str()
			hasTitle = true
		case "seconds":
			sg.Seconds, err = d.int()
		case "rates":
			sg.Rates, err = onSlab(d, &s.rates, (*bodyDecoder).rate, false)
		default:
			d.other(nil, name)
		}
		return err
	})
	if keyed {
		n, numeric := parseInt(bytes.TrimSpace(key))
		if !hasID && numeric {
			sg.ID = n
		}
		if !hasTitle && !numeric {
			sg.Title = d.keep(key)
		}
	}
	return sg, err
}

// byKey orders sub-groups sent as an object by their keys, numeric keys by value first,
// so that the order does not depend on Toggl's.
type byKey struct {
	subs []SummarySubGroup
	keys []string
}

func (b byKey) Len() int { return len(b.keys) }
func (b byKey) Swap(i, j int) {
	b.subs[i], b.subs[j] = b.subs[j], b.subs[i]
	b.keys[i], b.keys[j] = b.keys[j], b.keys[i]
}
func (b byKey) Less(i, j int) bool {
	ni, ei := strconv.ParseInt(b.keys[i], 10, 64)
	nj, ej := strconv.ParseInt(b.keys[j], 10, 64)
	if (ei == nil) != (ej == nil) || ei == nil && ni != nj {
		return ei == nil && (ej != nil || ni < nj)
	}
	return b.keys[i] < b.keys[j]
}

// put sets m[k], making the map when it is nil: an absent dictionary stays nil.
func put[K comparable, V any](m *map[K]V, k K, v V) {
	if *m == nil {
		*m = map[K]V{}
	}
	(*m)[k] = v
}

// addSat adds non-negative b to a, saturating instead of overflowing.
func addSat(a, b int64) int64 {
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}
