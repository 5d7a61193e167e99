//lint:file-ignore SA5008 the tags are go-json-experiment's: `embed` marks the fallback of unknown members.

package client

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// Decode reads a shared report from r while streaming: each element of
// detailed_results.report, weekly_results.report and summary_results.report.groups is
// decoded alone, with the library's struct decoding and the tolerant conversions of
// convert.go, and handed to sink (nil discards them), so memory does not grow with the
// number of rows. Everything else is returned in the Report. A field that toggl-api.md
// does not document is skipped, and its path noted in Report.Unknown.
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

// errNoTotals is the error of a 200 that holds no report.
var errNoTotals = errors.New("decode: no result block with totals (detailed_results, summary_results or weekly_results)")

// discard is the Sink used when Run or Decode get none.
type discard struct{}

func (discard) DetailedRow(*DetailedRow)   {}
func (discard) WeeklyRow(*WeeklyRow)       {}
func (discard) SummaryGroup(*SummaryGroup) {}

// The shapes of a report body. Each has an `embed` map that gets the members no field
// names: its values are unknownFields, whose unmarshaler notes their path (see note).
// The fields of rows that toggl-api.md documents and the exporter does not read are of
// type skip, so that skipping them costs nothing; elsewhere documented lists them.

type (
	reportJSON struct {
		Name         string           `json:"report_name"`
		Type         string           `json:"report_type"`
		Public       bool             `json:"public"`
		HideAmounts  bool             `json:"hide_amounts"`
		InputParams  map[string]any   `json:"input_params"`
		SavedParams  map[string]any   `json:"saved_params"`
		Dictionaries dictionariesJSON `json:"dictionaries"`
		Detailed     *blockJSON       `json:"detailed_results"`
		Summary      *blockJSON       `json:"summary_results"`
		Weekly       *blockJSON       `json:"weekly_results"`
		Unknown      unknownFields    `json:",embed"`
	}
	dictionariesJSON struct {
		Dictionaries
		Unknown unknownFields `json:",embed"`
	}
	blockJSON struct {
		Totals  *totalsJSON   `json:"totals"`
		Report  rowsJSON      `json:"report"`
		Unknown unknownFields `json:",embed"`
		order   int           // of the non-null blocks in the body, from 1
	}
	totalsJSON struct {
		Totals
		Unknown unknownFields `json:",embed"`
	}
	rateJSON struct {
		Rate
		Unknown unknownFields `json:",embed"`
	}
	detailedJSON struct {
		DetailedRow
		UserName     string        `json:"user_name"`
		Email        skip          `json:"email"`
		ProjectColor skip          `json:"project_color"`
		ProjectHex   skip          `json:"project_hex"`
		TaskName     skip          `json:"task_name"`
		Description  skip          `json:"description"`
		TagNames     skip          `json:"tag_names"`
		RowNumber    skip          `json:"row_number"`
		AccountsID   skip          `json:"toggl_accounts_id"`
		Unknown      unknownFields `json:",embed"`
	}
	entryJSON struct {
		ID      int64         `json:"id"`
		Seconds optInt        `json:"seconds"`
		Start   timeJSON      `json:"start"`
		Stop    present       `json:"stop"`
		At      skip          `json:"at"`
		AtTZ    skip          `json:"at_tz"`
		Unknown unknownFields `json:",embed"`
	}
	weeklyJSON struct {
		WeeklyRow
		Username     string        `json:"username"`
		ProjectColor skip          `json:"project_color"`
		ProjectHex   skip          `json:"project_hex_color"`
		PlannedTask  skip          `json:"planned_task_id"`
		Unknown      unknownFields `json:",embed"`
	}
	summaryJSON struct {
		Groups  groupsJSON    `json:"groups"`
		Unknown unknownFields `json:",embed"`
	}
	groupJSON struct {
		SummaryGroup
		ProjectColor skip          `json:"project_color"`
		ProjectHex   skip          `json:"project_hex_color"`
		Unknown      unknownFields `json:",embed"`
	}
	subGroupJSON struct {
		SummarySubGroup
		ID      seen[int64]   `json:"id"` // present, even null, they keep the key out
		Title   seen[string]  `json:"title"`
		Unknown unknownFields `json:",embed"`
		key     string        // in the object form of sub_groups
	}
	entityJSON struct {
		ID      optInt        `json:"id"`
		Name    string        `json:"name"`
		Unknown unknownFields `json:",embed"`
	}
	projectJSON struct {
		entityJSON
		ClientID         int64  `json:"client_id"`
		Currency         string `json:"currency"`
		EstimatedSeconds optInt `json:"estimated_seconds"`
		EstimatedHours   hours  `json:"estimated_hours"`
		Color            skip   `json:"color"`
		FixedFee         skip   `json:"fixed_fee"`
		ActualHours      skip   `json:"actual_hours"`
		ActualSeconds    skip   `json:"actual_seconds"`
	}
	taskJSON struct {
		entityJSON
		ProjectID        int64  `json:"project_id"`
		EstimatedSeconds optInt `json:"estimated_seconds"`
	}
	rowsJSON   struct{}
	groupsJSON struct{}
	skip       struct{}
	// unknownFields holds nothing; unknownValue's unmarshaler notes where it was.
	unknownFields map[string]unknownValue
	unknownValue  struct{}
)

func (*skip) UnmarshalJSONFrom(dec *jsontext.Decoder) error { return dec.SkipValue() }

// documented are the fields toggl-api.md documents that the decoder skips outside rows,
// by path: skipping them is no news, skipping any other is.
var documented = fields(`fixed_daterange is_commenting_enabled features workspace_logo dictionaries.filters
	detailed_results.totals.resolution detailed_results.totals.graph summary_results.totals.resolution
	summary_results.totals.graph weekly_results.totals.resolution weekly_results.totals.graph
	dictionaries.projects[].recurring dictionaries.projects[].recurring_period
	dictionaries.projects[].custom_period dictionaries.projects[].start_date dictionaries.projects[].end_date
	dictionaries.projects[].external_reference dictionaries.tasks[].tracked_seconds
	dictionaries.clients[].external_reference dictionaries.users[].email dictionaries.users[].avatar_url
	dictionaries.users[].group_ids dictionaries.users[].labour_cost`)

func fields(names string) map[string]bool {
	set := map[string]bool{}
	for _, n := range strings.Fields(names) {
		set[n] = true
	}
	return set
}

// maxUnknown bounds the unknown paths noted per body: a body of invented fields costs no
// more than this.
const maxUnknown = 64

func decode(r io.Reader, sink Sink) (*Report, error) {
	d := newBodyDecoder(r, sink, nil)
	defer d.release()
	var w reportJSON
	if err := d.top(&w, '{', "a JSON object at the top level", ""); err != nil {
		return nil, d.describe(err)
	}
	rep := &Report{Name: w.Name, Type: w.Type, Public: w.Public, HideAmounts: w.HideAmounts,
		InputParams: w.InputParams, SavedParams: w.SavedParams, Dictionaries: w.Dictionaries.Dictionaries}
	blocks := []struct {
		name string
		*blockJSON
	}{{BlockDetailed, w.Detailed}, {BlockSummary, w.Summary}, {BlockWeekly, w.Weekly}}
	blocks = slices.DeleteFunc(blocks, func(b struct {
		name string
		*blockJSON
	}) bool {
		return b.blockJSON == nil
	})
	slices.SortFunc(blocks, func(a, b struct {
		name string
		*blockJSON
	}) int {
		return a.order - b.order
	})
	want := strings.ToLower(strings.TrimSpace(rep.Type))
	for _, b := range blocks {
		if b.name == want || rep.Block == "" && b.Totals != nil {
			rep.Block, rep.Totals = b.name, nil
			if b.Totals != nil {
				rep.Totals = &b.Totals.Totals
				rep.Totals.Rates = orNil(rep.Totals.Rates)
			}
		}
	}
	if rep.Totals == nil {
		return nil, errNoTotals
	}
	rep.Unknown = slices.Sorted(maps.Keys(d.unknown))
	return rep, nil
}

// top decodes the body into v, a JSON value of kind k (what names it in errors), and
// checks that nothing follows it: after is the error if anything does ("" names what
// follows the report object).
func (d *bodyDecoder) top(v any, k jsontext.Kind, what, after string) error {
	if got := d.dec.PeekKind(); got != k && got != 'n' && got != 0 || got == 'n' && k == '{' {
		return d.fail(d.dec, what)
	}
	if err := json.UnmarshalDecode(d.dec, v); err != nil {
		return err
	}
	// The value is complete. More JSON after it, or a body over the limit, is an error;
	// a read error or the end of the body within what follows changes nothing.
	if k := d.dec.PeekKind(); k != 0 {
		v, _ := d.dec.ReadValue()
		return &pathError{msg: cmp.Or(after, "unexpected "+describe(k, v)+" after the report object")}
	}
	_, err := d.dec.ReadToken()
	var syn *jsontext.SyntacticError
	if errors.As(err, &syn) && !errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, errTooLarge) {
		return err
	}
	return nil
}

// rows reads the report of a result block, handing each row to the sink.
func (d *bodyDecoder) rows(dec *jsontext.Decoder, _ *rowsJSON) error {
	s := &d.scratch
	switch {
	case strings.HasPrefix(string(dec.StackPointer()), "/detailed_results/"):
		return d.array(dec, false, func() error {
			keep := s.detailed.DetailedRow
			s.detailed = detailedJSON{DetailedRow: DetailedRow{TagIDs: keep.TagIDs[:0], TimeEntries: keep.TimeEntries[:0]}}
			if err := d.object(dec, &s.detailed); err != nil {
				return err
			}
			w := &s.detailed.DetailedRow
			w.TagIDs = ids(w.TagIDs)
			row := &s.detailedRow
			*row = *w
			row.Username = cmp.Or(row.Username, s.detailed.UserName)
			row.TagIDs, row.TimeEntries, row.Entries = orNil(w.TagIDs), orNil(w.TimeEntries), len(w.TimeEntries)
			for _, e := range row.TimeEntries {
				if e.Seconds > 0 {
					row.Seconds = addSat(row.Seconds, e.Seconds)
				}
			}
			d.sink.DetailedRow(row)
			return nil
		})
	case strings.HasPrefix(string(dec.StackPointer()), "/weekly_results/"):
		return d.array(dec, false, func() error {
			k := s.weekly.WeeklyRow
			s.weekly = weeklyJSON{WeeklyRow: WeeklyRow{Seconds: k.Seconds[:0], BillableSeconds: k.BillableSeconds[:0],
				BillableAmountsInCents: k.BillableAmountsInCents[:0]}}
			if err := d.object(dec, &s.weekly); err != nil {
				return err
			}
			row := &s.weeklyRow
			*row = s.weekly.WeeklyRow
			row.UserName = cmp.Or(row.UserName, s.weekly.Username)
			row.Seconds, row.BillableSeconds = orNil(row.Seconds), orNil(row.BillableSeconds)
			row.BillableAmountsInCents = orNil(row.BillableAmountsInCents)
			d.sink.WeeklyRow(row)
			return nil
		})
	case dec.PeekKind() == '[': // the groups themselves in place of the object holding them
		return d.groups(dec, nil)
	}
	return d.object(dec, &summaryJSON{})
}

// groups reads summary_results.report.groups, handing each group to the sink.
func (d *bodyDecoder) groups(dec *jsontext.Decoder, _ *groupsJSON) error {
	s := &d.scratch
	return d.array(dec, false, func() error {
		k := s.group.SummaryGroup
		s.group = groupJSON{SummaryGroup: SummaryGroup{IDs: k.IDs[:0], Names: k.Names[:0], SubGroups: k.SubGroups[:0]}}
		if err := d.object(dec, &s.group); err != nil {
			return err
		}
		w := &s.group.SummaryGroup
		w.IDs = ids(w.IDs)
		g := &s.groupOut
		*g = *w
		g.IDs, g.Names, g.SubGroups = orNil(w.IDs), orNil(w.Names), orNil(w.SubGroups)
		d.sink.SummaryGroup(g)
		return nil
	})
}

// subGroups reads a group's sub_groups, an array or an object keyed by id or title. In
// the object form, a sub-group without an id takes it from a numeric key, one without a
// title takes a non-numeric key as its title, and they are ordered by key, numeric keys
// by value first, so that the order does not depend on Toggl's.
func (d *bodyDecoder) subGroups(dec *jsontext.Decoder, dst *[]SummarySubGroup) error {
	s := &d.scratch
	s.subs = s.subs[:0]
	sorted := false
	err := d.entries(dec, func(key string, keyed bool) error {
		sorted = keyed
		if len(s.subs) < cap(s.subs) { // reuse the lists of an earlier group's sub-group
			s.subs = s.subs[:len(s.subs)+1]
			k := s.subs[len(s.subs)-1].SummarySubGroup
			s.subs[len(s.subs)-1] = subGroupJSON{SummarySubGroup: SummarySubGroup{IDs: k.IDs[:0], Rates: k.Rates[:0]}}
		} else {
			s.subs = append(s.subs, subGroupJSON{})
		}
		sg := &s.subs[len(s.subs)-1]
		if err := d.object(dec, sg); err != nil {
			return err
		}
		sg.IDs, sg.key = ids(sg.IDs), key
		sg.SummarySubGroup.ID, sg.SummarySubGroup.Title = sg.ID.v, sg.Title.v
		if !keyed {
			return nil
		}
		if n, numeric := parseInt([]byte(strings.TrimSpace(key))); numeric && !sg.ID.had {
			sg.SummarySubGroup.ID = n
		} else if !numeric && !sg.Title.had {
			sg.SummarySubGroup.Title = d.keep([]byte(key))
		}
		return nil
	})
	slices.SortStableFunc(s.subs[:len(s.subs)*map[bool]int{true: 1}[sorted]], func(a, b subGroupJSON) int {
		na, ea := strconv.ParseInt(a.key, 10, 64)
		nb, eb := strconv.ParseInt(b.key, 10, 64)
		if (ea == nil) != (eb == nil) {
			return map[bool]int{true: -1, false: 1}[ea == nil]
		}
		return cmp.Or(cmp.Compare(na, nb), strings.Compare(a.key, b.key))
	})
	*dst = (*dst)[:0]
	for _, sg := range s.subs {
		sg.IDs, sg.Rates = orNil(sg.IDs), orNil(sg.Rates)
		*dst = append(*dst, sg.SummarySubGroup)
	}
	return err
}

// dictionary reads a sub-dictionary, an array or an object keyed by id, into *m, each
// entry decoded into a W and made a V with its id; an entry with id 0 is dropped. A
// sub-dictionary is bounded by the workspace's entities, and kept whole.
func dictionary[W, V any](d *bodyDecoder, dec *jsontext.Decoder, m *map[int64]V, entry func(w *W, key string, keyed bool) (int64, V)) error {
	return d.entries(dec, func(key string, keyed bool) error {
		var w W
		if err := d.object(dec, &w); err != nil {
			return err
		}
		if id, v := entry(&w, key, keyed); id != 0 {
			if *m == nil {
				*m = map[int64]V{}
			}
			(*m)[id] = v
		}
		return nil
	})
}

// id is the entry's id, else the key it is keyed by when that is a number.
func (e *entityJSON) id(key string, keyed bool) int64 {
	if !e.ID.set && keyed {
		n, _ := parseInt([]byte(strings.TrimSpace(key)))
		return n
	}
	return e.ID.n
}

func project(w *projectJSON, key string, keyed bool) (int64, Project) {
	p := Project{ID: w.id(key, keyed), Name: w.Name, ClientID: w.ClientID, Currency: w.Currency, EstimatedSeconds: w.EstimatedSeconds.n}
	if !w.EstimatedSeconds.set {
		p.EstimatedSeconds = int64(w.EstimatedHours)
	}
	return p.ID, p
}

func task(w *taskJSON, key string, keyed bool) (int64, Task) {
	id := w.id(key, keyed)
	return id, Task{ID: id, Name: w.Name, ProjectID: w.ProjectID, EstimatedSeconds: w.EstimatedSeconds.n}
}

func entity(w *entityJSON, key string, keyed bool) (int64, Entity) {
	id := w.id(key, keyed)
	return id, Entity{ID: id, Name: w.Name}
}

// timeEntry makes a TimeEntry of an element of a detailed row's time_entries.
func timeEntry(w *entryJSON) TimeEntry {
	return TimeEntry{ID: w.ID, Seconds: w.Seconds.n, Start: w.Start.t, NoStop: !bool(w.Stop), NoSeconds: !w.Seconds.set,
		Running: !bool(w.Stop) || !w.Seconds.set || w.Seconds.n < 0}
}

// ids drops the zero ids (sent as 0 or null) of a list of ids.
func ids(list []int64) []int64 {
	return slices.DeleteFunc(list, func(id int64) bool { return id == 0 })
}

// orNil is list, or nil when it is empty: what a Sink is handed is nil for an empty list,
// though the decoder keeps its space.
func orNil[T any](list []T) []T {
	if len(list) == 0 {
		return nil
	}
	return list
}

// note notes the path of the unknown member dec just read the name of, unless
// documented lists it, and skips its value.
func (d *bodyDecoder) note(dec *jsontext.Decoder, _ *unknownValue) error {
	if p := d.path(dec, dec.StackPointer(), true); !documented[p] && len(d.unknown) < maxUnknown {
		if d.unknown == nil {
			d.unknown = map[string]bool{}
		}
		d.unknown[p] = true
	}
	return dec.SkipValue()
}

// fieldName says whether n looks like a field name of Toggl's: letters, digits, _ and -,
// at most maxQuoted bytes.
func fieldName(n string) bool {
	return len(n) > 0 && len(n) <= maxQuoted && strings.Trim(n, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") == ""
}

// path is the JSON path of the value at p in dec, e.g. `detailed_results.report[3].foo`,
// after the path of the string being read as a list (see list). Keys of objects keyed by
// id or title are `["7"]`, and names longer than maxQuoted are `[…]`. In the generic
// form (for Report.Unknown), indexes and keys are [] so that a field is noted once
// however many rows hold it and no id or title is part of it, and a name that is not a
// field name is "(odd)", so that no user text is.
func (d *bodyDecoder) path(dec *jsontext.Decoder, p jsontext.Pointer, generic bool) string {
	s, i, prev, first := d.outer[0], 0, "", ""
	if generic {
		s = d.outer[1]
	}
	for tok := range p.Tokens() {
		i++
		var kind jsontext.Kind
		if i <= dec.StackDepth() {
			kind, _ = dec.StackIndex(i)
		}
		keyed := kind == '{' && (prev == "sub_groups" || i == 3 && first == "dictionaries")
		switch {
		case generic && (kind == '[' || keyed):
			tok = "[]"
		case generic && !fieldName(tok):
			tok = "(odd)"
		case kind == '[':
			tok = "[" + tok + "]"
		case keyed || len(tok) > maxQuoted:
			tok = mapKey(tok)
		}
		if s != "" && !strings.HasPrefix(tok, "[") {
			s += "."
		}
		s, prev, first = s+tok, tok, cmp.Or(first, tok)
	}
	return s
}

// describe turns an error of decoding into the error of decode: the message of Error
// beside the cause (a read error, io.ErrUnexpectedEOF, a *jsontext.SyntacticError...).
func (d *bodyDecoder) describe(err error) error {
	where, cause, msg := "decode", err, err.Error()
	var pe *pathError
	var se *json.SemanticError
	var syn *jsontext.SyntacticError
	switch {
	case errors.As(err, &pe):
		if pe.path != "" {
			where += " " + pe.path
		}
		cause, msg = pe.err, pe.msg
	case errors.As(err, &se) && se.Err == nil: // a kind the library's decoding refused
		where += " " + d.path(d.dec, se.JSONPointer, false)
		cause, msg = nil, "unexpected "+describe(se.JSONKind, nil)
	case errors.As(err, &syn) && d.dec.StackDepth() > 0: // at the value being read
		p := d.dec.StackPointer()
		if kind, n := d.dec.StackIndex(d.dec.StackDepth()); kind == '[' && n > 0 || kind == '{' && n%2 == 0 && n > 0 {
			p = p.Parent() // the last value is whole: the error is after it
			if kind == '[' && strings.HasPrefix(strings.TrimLeft(string(d.dec.UnreadBuffer()), " \t\r\n"), ",") {
				p = p.AppendToken(strconv.FormatInt(n, 10)) // a broken element after a comma
			}
		}
		where = strings.TrimSpace(where + " " + d.path(d.dec, p, false))
	}
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

// addSat adds non-negative b to a, saturating instead of overflowing.
func addSat(a, b int64) int64 {
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}
