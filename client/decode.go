package client

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
)

// Decode reads a shared report from r while streaming: the top-level object is walked
// with the scanner of scan.go, and each element of detailed_results.report,
// weekly_results.report and summary_results.report.groups is decoded alone and handed to
// sink (nil discards them), so memory does not grow with the number of rows. Everything
// else is returned in the Report. Keys may come in any order, unknown keys are skipped
// without being kept, and values are read tolerantly: null is a zero value, numbers may be
// integral floats or numeric strings, dictionaries and summary sub-groups may be objects
// keyed by id or arrays, weekly per-day lists may be JSON strings holding an array. A
// value of the wrong structure (an object where a number is expected, a string where rows
// are) is an error; fields the exporter does not use are never looked at.
//
// Rows of every non-null result block go to sink; Report.Block and Report.Totals name the
// block that answers the report (the one matching report_type when it is non-null).
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

// topLevelKeys are the fields of a report; an object with none of them is not one.
var topLevelKeys = map[string]bool{
	"report_name": true, "report_type": true, "public": true, "fixed_daterange": true,
	"hide_amounts": true, "is_commenting_enabled": true, "features": true,
	"input_params": true, "saved_params": true, "workspace_logo": true, "dictionaries": true,
	"detailed_results": true, "summary_results": true, "weekly_results": true,
}

// decodeError is a failure of decode: a message for Error.Message, and the cause.
type decodeError struct {
	msg   string
	cause error // the reader's error, io.ErrUnexpectedEOF, a *syntaxError, a *pathError...
}

func (e *decodeError) Error() string { return e.msg }
func (e *decodeError) Unwrap() error { return e.cause }

type blockState struct {
	name    string
	present bool // the block was a non-null object
	order   int  // position among the present blocks
	totals  *Totals
	rows    int
}

// decoder walks a report. The structure (top level, dictionaries, result blocks) is
// walked here; values that are small or rare are decoded whole (readAny) and converted
// by rows.go; detailed and weekly rows take the fast path of fastrows.go.
type decoder struct {
	s       *scanner
	sink    Sink
	rep     *Report
	blocks  [3]blockState
	present int
	started bool // the top-level '{' was read
	first   byte // the first non-space byte of the body
	fast    fastRows
}

// discard is the Sink used when Run or Decode get none.
type discard struct{}

func (discard) DetailedRow(*DetailedRow)   {}
func (discard) WeeklyRow(*WeeklyRow)       {}
func (discard) SummaryGroup(*SummaryGroup) {}

func decode(r io.Reader, sink Sink) (*Report, error) {
	if sink == nil {
		sink = discard{}
	}
	d := &decoder{s: newScanner(r), sink: sink, rep: &Report{}}
	d.blocks[0].name = BlockDetailed
	d.blocks[1].name = BlockSummary
	d.blocks[2].name = BlockWeekly
	if err := d.report(); err != nil {
		return nil, err
	}
	chooseBlock(d.rep, &d.blocks)
	return d.rep, nil
}

// noValue is the valueStart of fail for errors that are not within a value decoded whole.
const noValue = -1

// fail describes an error met at path: a syntax or read error of the stream, or a
// *pathError from the conversions. A syntax error within a value decoded whole is placed
// at the value's start (valueStart), any other at its byte.
func (d *decoder) fail(path string, valueStart int64, err error) error {
	var de *decodeError
	if errors.As(err, &de) {
		return err
	}
	where := "decode"
	if path != "" {
		where += " " + path
	}
	var syn *syntaxError
	var pe *pathError
	switch {
	case errors.As(err, &pe):
		full := joinPath(path, pe.path)
		if full != "" {
			where = "decode " + full
		}
		return &decodeError{msg: where + ": " + pe.msg, cause: err}
	case err == io.EOF && !d.started:
		return &decodeError{msg: "decode: empty body, expected a JSON report", cause: err}
	case err == io.EOF || err == io.ErrUnexpectedEOF:
		return &decodeError{
			msg:   fmt.Sprintf("%s: truncated JSON: the body ends at byte %d", where, d.s.read),
			cause: io.ErrUnexpectedEOF,
		}
	case errors.As(err, &syn):
		msg := fmt.Sprintf("%s: invalid JSON at byte %d: %s", where, syn.off, syn.msg)
		if valueStart != noValue {
			msg = fmt.Sprintf("%s: invalid JSON in the value starting at byte %d: %s", where, valueStart, syn.msg)
		}
		if d.first == '<' {
			msg = "decode: the body is not JSON (it starts with '<': an HTML page?): " + syn.msg
		}
		return &decodeError{msg: msg, cause: err}
	default:
		return &decodeError{msg: fmt.Sprintf("%s: reading the body at byte %d: %v", where, d.s.read, err), cause: err}
	}
}

// describeNext names the kind of the value starting at s.pos, with its value when short,
// consuming it unless it is an object or array.
func (d *decoder) describeNext() (string, error) {
	s := d.s
	switch c := s.buf[s.pos]; c {
	case '{':
		return "object", nil
	case '[':
		return "array", nil
	case '"':
		b, err := s.strValue()
		return describe(string(b)), err
	case 't':
		return "boolean", s.literal("true")
	case 'f':
		return "boolean", s.literal("false")
	case 'n':
		return "null", s.literal("null")
	default:
		if c == '-' || '0' <= c && c <= '9' {
			b, err := s.number()
			return describe(json.Number(b)), err
		}
		return "", s.syntax(s.pos, "looking for beginning of value")
	}
}

// open reads the start of a value expected to be an object or array (want is '{' or
// '['). It returns false for null; anything else is an error.
func (d *decoder) open(path string, want byte, what string) (bool, error) {
	c, err := d.s.wsIn()
	if err != nil {
		return false, d.fail(path, noValue, err)
	}
	switch c {
	case want:
		d.s.pos++
		return true, nil
	case 'n':
		if err := d.s.literal("null"); err != nil {
			return false, d.fail(path, noValue, err)
		}
		return false, nil
	}
	got, err := d.describeNext()
	if err != nil {
		return false, d.fail(path, noValue, err)
	}
	return false, d.fail(path, noValue, &pathError{msg: "expected " + what + ", got " + got})
}

// nextKey reads what follows the opening of an object (first) or one of its values: the
// next key, or the end of the object (more false).
func (d *decoder) nextKey(path string, first bool) (key string, more bool, err error) {
	s := d.s
	c, err := s.wsIn()
	if err != nil {
		return "", false, d.fail(path, noValue, err)
	}
	if c == '}' && first {
		s.pos++
		return "", false, nil
	}
	if !first {
		switch c {
		case '}':
			s.pos++
			return "", false, nil
		case ',':
			s.pos++
			if c, err = s.wsIn(); err != nil {
				return "", false, d.fail(path, noValue, err)
			}
		default:
			return "", false, d.fail(path, noValue, s.syntax(s.pos, "after object key:value pair"))
		}
	}
	if c != '"' {
		return "", false, d.fail(path, noValue, s.syntax(s.pos, "looking for beginning of object key string"))
	}
	k, err := s.strValue()
	if err != nil {
		return "", false, d.fail(path, noValue, err)
	}
	key = string(k)
	if err := s.colon(); err != nil {
		// The walk before the scanner read the colon with the value: name the key.
		if path != "" {
			key = path + "." + key
		}
		return "", false, d.fail(key, noValue, err)
	}
	return key, true, nil
}

// fields walks the fields of the object just opened, calling field with each key to read
// the value after it, and stops at the first error. The structure of a report is walked
// this way; rows, where a call per field would cost, take the loop of fastrows.go.
func (d *decoder) fields(path string, field func(key string) error) error {
	for first := true; ; first = false {
		k, more, err := d.nextKey(path, first)
		if err != nil || !more {
			return err
		}
		if err := field(k); err != nil {
			return err
		}
	}
}

// nextElement reads what follows the opening of an array or its element i-1: more is
// true when element i follows.
func (d *decoder) nextElement(path string, i int) (more bool, err error) {
	first := i == 0
	s := d.s
	c, err := s.wsIn()
	if err != nil {
		return false, d.fail(path, noValue, err)
	}
	switch {
	case c == ']':
		s.pos++
		return false, nil
	case first && c == '}':
		// Not an element: the walk before the scanner found it looking for the end.
		return false, d.fail(path, noValue, s.syntax(s.pos, "looking for beginning of value"))
	case first:
		return true, nil
	case c == ',':
		s.pos++
		return true, nil
	}
	if c != '}' {
		path += index(i) // the walk before the scanner found it reading the next element
	}
	return false, d.fail(path, noValue, s.syntax(s.pos, "after array element"))
}

// value decodes the next value whole.
func (d *decoder) value(path string) (any, error) {
	if _, err := d.s.wsIn(); err != nil {
		return nil, d.fail(path, noValue, err)
	}
	start := d.s.offset(d.s.pos)
	v, err := d.s.readAny(0)
	if err != nil {
		return nil, d.fail(path, start, err)
	}
	return v, nil
}

// valueAs decodes the next value whole and converts it with conv: the value and the
// conversion fail alike, with path in the message.
func valueAs[T any](d *decoder, path string, conv func(any) (T, error)) (T, error) {
	v, err := d.value(path)
	if err != nil {
		var zero T
		return zero, err
	}
	t, err := conv(v)
	if err != nil {
		return t, d.fail(path, noValue, err)
	}
	return t, nil
}

// skip consumes the next value, keeping none of it.
func (d *decoder) skip(path string) error {
	if err := d.s.skip(0); err != nil {
		return d.fail(path, noValue, err)
	}
	return nil
}

func (d *decoder) report() error {
	s := d.s
	c, err := s.ws()
	if err != nil {
		return d.fail("", noValue, err)
	}
	d.first = c
	if c != '{' {
		got, err := d.describeNext()
		if err != nil {
			return d.fail("", noValue, err)
		}
		return d.fail("", noValue, &pathError{msg: "expected a JSON object at the top level, got " + got})
	}
	s.pos++
	d.started = true
	known := false
	err = d.fields("", func(k string) error {
		known = known || topLevelKeys[k]
		return d.field(k)
	})
	if err != nil {
		return err
	}
	// The report is complete. More JSON after it, or a body over the limit, is an error;
	// a read error or the end of the body within what follows changes nothing that was
	// decoded.
	switch _, err := s.ws(); {
	case err == nil:
		got, err := d.describeNext()
		var syn *syntaxError
		switch {
		case err == nil:
			return d.fail("", noValue, &pathError{msg: "unexpected " + got + " after the report object"})
		case errors.As(err, &syn), errors.Is(err, errTooLarge):
			return d.fail("", noValue, err)
		}
	case errors.Is(err, errTooLarge):
		return d.fail("", noValue, err)
	}
	if !known {
		return d.fail("", noValue, &pathError{msg: "the JSON object has none of the fields of a report (report_type, report_name, detailed_results...)"})
	}
	return nil
}

// field decodes the value of the top-level key k.
func (d *decoder) field(k string) error {
	rep := d.rep
	switch k {
	case "report_name", "report_type":
		s, err := valueAs(d, k, toString)
		if err != nil {
			return err
		}
		if k == "report_name" {
			rep.Name = s
		} else {
			rep.Type = s
		}
	case "public", "fixed_daterange", "hide_amounts":
		b, err := valueAs(d, k, toBool)
		if err != nil {
			return err
		}
		switch k {
		case "public":
			rep.Public = b
		case "fixed_daterange":
			rep.FixedDaterange = b
		default:
			rep.HideAmounts = b
		}
	case "features":
		m, err := valueAs(d, k, toObject)
		if err != nil {
			return err
		}
		for _, name := range slices.Sorted(maps.Keys(m)) { // sorted: the same error every time
			e := m[name]
			b, err := toBool(e)
			if err != nil {
				return d.fail(k+mapKey(name), noValue, err)
			}
			if e == nil {
				continue
			}
			if rep.Features == nil {
				rep.Features = map[string]bool{}
			}
			rep.Features[name] = b
		}
	case "input_params", "saved_params":
		m, err := valueAs(d, k, toObject)
		if err != nil {
			return err
		}
		plain(m)
		if k == "input_params" {
			rep.InputParams = m
		} else {
			rep.SavedParams = m
		}
	case "dictionaries":
		return d.dictionaries()
	case "detailed_results":
		return d.block(&d.blocks[0])
	case "summary_results":
		return d.block(&d.blocks[1])
	case "weekly_results":
		return d.block(&d.blocks[2])
	default:
		return d.skip(k)
	}
	return nil
}

// dictionaryNames are the sub-dictionaries that are decoded; filters (a copy marked for
// removal) and unknown ones are skipped.
var dictionaryNames = map[string]bool{
	"projects": true, "clients": true, "users": true, "tasks": true, "tags": true, "user_groups": true,
}

func (d *decoder) dictionaries() error {
	const path = "dictionaries"
	ok, err := d.open(path, '{', "an object")
	if err != nil || !ok {
		return err
	}
	return d.fields(path, func(name string) error {
		p := path + "." + name
		if !dictionaryNames[name] {
			return d.skip(p)
		}
		// A sub-dictionary is bounded by the workspace's entities, and kept whole anyway.
		entries, err := valueAs(d, p, toEntries)
		if err != nil {
			return err
		}
		for _, e := range entries {
			if err := addDictEntry(&d.rep.Dictionaries, name, e); err != nil {
				return d.fail(p+e.path, noValue, err)
			}
		}
		return nil
	})
}

// block walks one of the three result blocks.
func (d *decoder) block(b *blockState) error {
	path := b.name + "_results"
	ok, err := d.open(path, '{', "an object")
	if err != nil || !ok {
		return err
	}
	if !b.present {
		b.present = true
		b.order = d.present
		d.present++
	}
	return d.fields(path, func(k string) error {
		p := path + "." + k
		switch {
		case k == "totals":
			t, err := valueAs(d, p, parseTotals)
			if err != nil {
				return err
			}
			if t != nil {
				b.totals = t
			}
			return nil
		case k == "report" && b.name == BlockSummary:
			return d.summaryReport(b, p)
		case k == "report":
			return d.rows(b, p)
		default:
			return d.skip(p)
		}
	})
}

// summaryReport walks summary_results.report, an object holding the groups array (an
// array in its place is taken as the groups themselves).
func (d *decoder) summaryReport(b *blockState, path string) error {
	c, err := d.s.wsIn()
	if err != nil {
		return d.fail(path, noValue, err)
	}
	if c == '[' {
		d.s.pos++
		return d.elements(b, path)
	}
	ok, err := d.open(path, '{', "an object")
	if err != nil || !ok {
		return err
	}
	return d.fields(path, func(k string) error {
		if k == "groups" {
			return d.rows(b, path+".groups")
		}
		return d.skip(path + "." + k)
	})
}

// rows walks an array of rows (or groups), or null.
func (d *decoder) rows(b *blockState, path string) error {
	ok, err := d.open(path, '[', "an array")
	if err != nil || !ok {
		return err
	}
	return d.elements(b, path)
}

// elements decodes the elements of the array just opened, one at a time, and hands each
// to the sink. Paths of elements are only built for error messages.
func (d *decoder) elements(b *blockState, path string) error {
	for i := 0; ; i++ {
		more, err := d.nextElement(path, i)
		if err != nil || !more {
			return err
		}
		if _, err := d.s.wsIn(); err != nil {
			return d.fail(path+index(i), noValue, err)
		}
		if err := d.element(b, path, i); err != nil {
			return err
		}
	}
}

// element decodes the element at s.pos and hands it to the sink. Rows and groups are
// first read by the fast path; when it meets anything but the plain shapes it knows (or
// invalid JSON), the scanner goes back to the start of the row, which it kept (pinned),
// and the row is decoded whole and converted by rows.go, so that both paths give the same
// rows and the same errors.
func (d *decoder) element(b *blockState, path string, i int) error {
	s := d.s
	s.pin = s.pos
	defer func() { s.pin = -1 }()
	switch b.name {
	case BlockDetailed:
		return readElement(d, b, path, i, d.fast.detailed, parseDetailedRow, d.sink.DetailedRow)
	case BlockWeekly:
		return readElement(d, b, path, i, d.fast.weekly, parseWeeklyRow, d.sink.WeeklyRow)
	default:
		return readElement(d, b, path, i, d.fast.summaryGroup, parseSummaryGroup, d.sink.SummaryGroup)
	}
}

// readElement is element for one kind of row: fast reads it, else parse converts it
// decoded whole; a row that is not null is counted in b and handed to sink.
func readElement[T any](d *decoder, b *blockState, path string, i int,
	fast func(*scanner) (*T, bool), parse func(any) (*T, error), sink func(*T)) error {
	s := d.s
	start := s.offset(s.pos)
	row, ok := fast(s)
	if !ok {
		s.pos = s.pin
		v, err := s.readAny(0)
		if err != nil {
			return d.fail(path+index(i), start, err)
		}
		if row, err = parse(v); err != nil {
			return d.fail(path+index(i), noValue, err)
		}
	}
	if row != nil {
		b.rows++
		sink(row)
	}
	return nil
}

// chooseBlock sets Report.Block and Report.Totals: the non-null block matching
// report_type, else the first non-null block with rows or totals, else the first
// non-null block.
func chooseBlock(rep *Report, blocks *[3]blockState) {
	want := strings.ToLower(strings.TrimSpace(rep.Type))
	var chosen *blockState
	for i := range blocks {
		if b := &blocks[i]; b.present && b.name == want {
			chosen = b
		}
	}
	for pass := 0; pass < 2 && chosen == nil; pass++ {
		for i := range blocks {
			b := &blocks[i]
			if !b.present || (pass == 0 && b.rows == 0 && b.totals == nil) {
				continue
			}
			if chosen == nil || b.order < chosen.order {
				chosen = b
			}
		}
	}
	if chosen != nil {
		rep.Block = chosen.name
		rep.Totals = chosen.totals
	}
}
