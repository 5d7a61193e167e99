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
	"strings"

	"github.com/go-json-experiment/json/jsontext"
)

// Decode reads a shared report from r while streaming: each element of
// detailed_results.report, weekly_results.report and summary_results.report.groups is
// decoded alone and handed to sink (nil discards them), so memory does not grow with the
// number of rows. Everything else is returned in the Report. Keys may come in any order,
// and values are read tolerantly (see convert.go). A field that toggl-api.md does not
// document is skipped, and its path noted in Report.Unknown.
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

func decode(r io.Reader, sink Sink) (*Report, error) {
	d := newBodyDecoder(r)
	rep := &Report{}
	var blocks []string            // the non-null result blocks, in document order
	totals := map[string]*Totals{} // of each block
	dicts := table{"filters": nil} // the same again, marked for removal
	for _, kind := range []string{"projects", "tasks", "clients", "users", "tags", "user_groups"} {
		dicts[kind] = dictionary(kind, &rep.Dictionaries)
	}
	top := table{
		"report_name": &rep.Name, "report_type": &rep.Type, "public": &rep.Public, "hide_amounts": &rep.HideAmounts,
		"input_params": &rep.InputParams, "saved_params": &rep.SavedParams, "dictionaries": dicts,
	}.skipping("fixed_daterange is_commenting_enabled features workspace_logo")
	for _, name := range []string{BlockDetailed, BlockSummary, BlockWeekly} {
		top[name+"_results"] = func(d *bodyDecoder) error {
			if d.dec.PeekKind() != 'n' {
				blocks = append(blocks, name)
			}
			return d.block(name, totals, sink)
		}
	}
	if k := d.dec.PeekKind(); k != '{' && k != 0 {
		return nil, d.describe(d.fail("a JSON object at the top level"))
	}
	if err := d.fill(top); err != nil {
		return nil, d.describe(err)
	}
	// The report is complete. More JSON after it is an error (and a body over the limit, to
	// client.do); a read error or the end of the body within what follows changes nothing.
	if k := d.dec.PeekKind(); k != 0 {
		var v jsontext.Value
		if k != '{' && k != '[' {
			v, _ = d.dec.ReadValue()
		}
		return nil, d.describe(&pathError{msg: "unexpected " + describe(k, v) + " after the report object"})
	}
	var syn *jsontext.SyntacticError
	if _, err := d.dec.ReadToken(); errors.As(err, &syn) && !errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, d.describe(err)
	}
	want := strings.ToLower(strings.TrimSpace(rep.Type))
	for _, name := range blocks {
		if name == want || rep.Block == "" && totals[name] != nil {
			rep.Block, rep.Totals = name, totals[name]
		}
	}
	if rep.Totals == nil {
		return nil, errors.New("decode: no result block with totals (detailed_results, summary_results or weekly_results)")
	}
	rep.Unknown = slices.Sorted(maps.Keys(d.unknown))
	return rep, nil
}

// Names of the result blocks, as in Report.Block.
const (
	BlockDetailed = "detailed"
	BlockSummary  = "summary"
	BlockWeekly   = "weekly"
)

// rowState is the scratch space of the rows, reused from row to row (what a Sink is
// handed is only valid during the call), and the tables that fill it.
type rowState struct {
	detailed DetailedRow
	weekly   WeeklyRow
	group    SummaryGroup
	sub      SummarySubGroup
	alias    string // the user name under its other spelling (username, user_name)
	ints     []int64
	entries  []TimeEntry
	names    []string
	subs     []SummarySubGroup
	rates    []Rate
	rows     map[string]table // by block name
	subT     table
	entry    func(*bodyDecoder) (TimeEntry, error)
	rate     func(*bodyDecoder) (Rate, error)
}

func newRowState() *rowState {
	s := &rowState{}
	r, w, g, sg, e, rt := &s.detailed, &s.weekly, &s.group, &s.sub, new(TimeEntry), new(Rate)
	detailed := table{
		"user_id": &r.UserID, "username": &r.Username, "user_name": &s.alias,
		"project_id": &r.ProjectID, "project_name": &r.ProjectName, "client_name": &r.ClientName, "task_id": &r.TaskID,
		"billable": &r.Billable, "billable_amount_in_cents": amount(&r.BillableAmountInCents),
		"hourly_rate_in_cents": amount(&r.HourlyRateInCents), "currency": &r.Currency,
		"tag_ids": &r.TagIDs, "time_entries": &r.TimeEntries,
	}.skipping("email project_color project_hex task_name description tag_names row_number toggl_accounts_id")
	s.entry = filled(e, TimeEntry{NoStop: true, NoSeconds: true},
		table{"id": &e.ID, "seconds": opt{&e.Seconds, &e.NoSeconds}, "start": &e.Start, "stop": isNull(&e.NoStop)}.skipping("at at_tz"))
	weekly := table{
		"user_id": &w.UserID, "user_name": &w.UserName, "username": &s.alias,
		"project_id": &w.ProjectID, "project_name": &w.ProjectName, "client_name": &w.ClientName,
		"currency": &w.Currency, "hourly_rate_in_cents": amount(&w.HourlyRateInCents),
		"seconds": days(&w.Seconds), "billable_seconds": days(&w.BillableSeconds), "billable_amounts_in_cents": days(&w.BillableAmountsInCents),
	}.skipping("project_color project_hex_color planned_task_id")
	group := table{"id": &g.ID, "ids": &g.IDs, "names": &g.Names, "sub_groups": (*bodyDecoder).subGroups}.skipping("project_color project_hex_color")
	s.subT = table{"id": &sg.ID, "ids": &sg.IDs, "title": &sg.Title, "seconds": &sg.Seconds, "rates": &sg.Rates}
	s.rate = filled(rt, Rate{}, table{"billable_seconds": &rt.BillableSeconds, "currency": &rt.Currency, "hourly_rate_in_cents": amount(&rt.HourlyRateInCents)})
	s.rows = map[string]table{BlockDetailed: detailed, BlockWeekly: weekly, BlockSummary: group}
	return s
}

// describe turns an error of the walk into the error of decode: the message of Error
// beside the cause (a read error, io.ErrUnexpectedEOF, a *jsontext.SyntacticError...).
func (d *bodyDecoder) describe(err error) error {
	pe, ok := err.(*pathError)
	if !ok {
		pe = &pathError{path: d.path(true, false), err: err}
	}
	where, cause, msg := strings.TrimSpace("decode "+pe.path), pe.err, pe.msg
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

// dictionary returns the reader of the sub-dictionary kind into dict. Entries without an
// id are dropped; a sub-dictionary is bounded by the workspace's entities, and kept whole.
func dictionary(kind string, dict *Dictionaries) func(*bodyDecoder) error {
	var p Project
	var projectID, hours int64
	var noID, noEstimate bool
	t := table{"id": opt{&p.ID, &noID}, "name": &p.Name}
	estimate := opt{&p.EstimatedSeconds, &noEstimate}
	maps.Copy(t, map[string]table{
		"projects": {"client_id": &p.ClientID, "currency": &p.Currency, "estimated_seconds": estimate, "estimated_hours": inHours(&hours)},
		"tasks":    {"project_id": &projectID, "estimated_seconds": estimate},
	}[kind])
	t.skipping(map[string]string{
		"projects": "color actual_hours actual_seconds fixed_fee recurring recurring_period custom_period start_date end_date external_reference",
		"tasks":    "tracked_seconds",
		"clients":  "external_reference",
		"users":    "email avatar_url group_ids labour_cost", // e-mail addresses are deliberately not read
	}[kind])
	entities := map[string]*map[int64]Entity{"clients": &dict.Clients, "users": &dict.Users, "tags": &dict.Tags, "user_groups": &dict.UserGroups}[kind]
	return func(d *bodyDecoder) error {
		return d.entries(func(key []byte, keyed bool) error {
			p, projectID, hours, noID, noEstimate = Project{}, 0, 0, true, true
			if err := d.fill(t); err != nil {
				return err
			}
			if noID && keyed {
				p.ID, _ = parseInt(bytes.TrimSpace(key))
			}
			if noEstimate {
				p.EstimatedSeconds = hours
			}
			switch {
			case p.ID == 0:
			case kind == "projects":
				put(&dict.Projects, p.ID, p)
			case kind == "tasks":
				put(&dict.Tasks, p.ID, Task{ID: p.ID, Name: p.Name, ProjectID: projectID, EstimatedSeconds: p.EstimatedSeconds})
			default:
				put(entities, p.ID, Entity{ID: p.ID, Name: p.Name})
			}
			return nil
		})
	}
}

// put sets m[k], making the map when it is nil: an absent dictionary stays nil.
func put[K comparable, V any](m *map[K]V, k K, v V) {
	if *m == nil {
		*m = map[K]V{}
	}
	(*m)[k] = v
}

// block reads the result block name: its totals into totals[name], and its rows, each
// handed to sink.
func (d *bodyDecoder) block(name string, totals map[string]*Totals, sink Sink) error {
	s := d.row
	row := func() error {
		s.ints, s.entries, s.names, s.rates = s.ints[:0], s.entries[:0], s.names[:0], s.rates[:0]
		s.detailed, s.weekly, s.group, s.alias = DetailedRow{}, WeeklyRow{}, SummaryGroup{}, ""
		if err := d.fill(s.rows[name]); err != nil || sink == nil { // nil: the rows are discarded
			return err
		}
		switch r := &s.detailed; name {
		case BlockDetailed:
			r.Username = cmp.Or(r.Username, s.alias)
			for i, e := range r.TimeEntries {
				r.TimeEntries[i].Running = e.NoStop || e.NoSeconds || e.Seconds < 0
				if e.Seconds > 0 { // saturating instead of overflowing
					r.Seconds = min(r.Seconds, math.MaxInt64-e.Seconds) + e.Seconds
				}
			}
			sink.DetailedRow(r)
		case BlockWeekly:
			s.weekly.UserName = cmp.Or(s.weekly.UserName, s.alias)
			sink.WeeklyRow(&s.weekly)
		default:
			sink.SummaryGroup(&s.group)
		}
		return nil
	}
	rows := func(d *bodyDecoder) error { return d.walk('[', "an array", func() error { return d.nonNull(row) }) }
	report := any(rows)
	if name == BlockSummary { // the groups, or the groups themselves
		report = func(d *bodyDecoder) error {
			if d.dec.PeekKind() == '[' {
				return rows(d)
			}
			return d.fill(table{"groups": rows})
		}
	}
	return d.fill(table{"report": report, "totals": func(d *bodyDecoder) error {
		if d.dec.PeekKind() == 'n' {
			return d.dec.SkipValue()
		}
		t := &Totals{}
		totals[name] = t
		err := d.fill(table{"seconds": &t.Seconds, "tracked_days": &t.TrackedDays, "rates": &t.Rates,
			"billable_amount_in_cents": &t.BillableAmountInCents, "labour_cost_in_cents": &t.LabourCostInCents,
		}.skipping("resolution graph"))
		t.Rates = slices.Clone(t.Rates) // off the rows' scratch space
		return err
	}})
}

// filled returns the reader of an element into *v, from zero, through t.
func filled[T any](v *T, zero T, t table) func(*bodyDecoder) (T, error) {
	return func(d *bodyDecoder) (T, error) {
		*v = zero
		err := d.fill(t)
		return *v, err
	}
}

// subGroups reads the sub_groups of a group, an array or an object keyed by id or title.
// Those of an object come ordered by id, then title, so that their order does not depend
// on Toggl's.
func (d *bodyDecoder) subGroups() error {
	s, keyed := d.row, false
	s.subs = s.subs[:0]
	err := d.entries(func(key []byte, isKey bool) error {
		// In the object form, a numeric key is the id of a sub-group without an id
		// member, and another key the title of one without a title member.
		s.sub, keyed = SummarySubGroup{}, isKey
		if isKey {
			if n, numeric := parseInt(bytes.TrimSpace(key)); numeric {
				s.sub.ID = n
			} else {
				s.sub.Title = d.keep(key)
			}
		}
		err := d.fill(s.subT)
		s.subs = append(s.subs, s.sub)
		return err
	})
	if keyed {
		slices.SortStableFunc(s.subs, func(a, b SummarySubGroup) int {
			return cmp.Or(cmp.Compare(a.ID, b.ID), strings.Compare(a.Title, b.Title))
		})
	}
	s.group.SubGroups = cut(s.subs, 0)
	return err
}
