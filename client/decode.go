package client

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Decode reads a shared report from r while streaming: the top-level object is walked
// token by token, and each element of detailed_results.report, weekly_results.report and
// summary_results.report.groups is decoded alone and handed to sink (nil discards them),
// so memory does not grow with the number of rows. Everything else is returned in the
// Report. Keys may come in any order, unknown keys are skipped without being kept, and
// values are read tolerantly: null is a zero value, numbers may be integral floats or
// numeric strings, dictionaries and summary sub-groups may be objects keyed by id or
// arrays, weekly per-day lists may be JSON strings holding an array. A value of the wrong
// structure (an object where a number is expected, a string where rows are) is an error;
// fields the exporter does not use are never looked at.
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
	cause error // the reader's error, a *json.SyntaxError, a *pathError...
}

func (e *decodeError) Error() string { return e.msg }
func (e *decodeError) Unwrap() error { return e.cause }

// countingReader counts the bytes read and remembers the first non-space one, for error
// messages.
type countingReader struct {
	r     io.Reader
	n     int64
	first byte
	eof   bool // the reader said io.EOF
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if err == io.EOF {
		c.eof = true
	}
	if c.first == 0 {
		for _, b := range p[:n] {
			if b != ' ' && b != '\t' && b != '\r' && b != '\n' {
				c.first = b
				break
			}
		}
	}
	c.n += int64(n)
	return n, err
}

type blockState struct {
	name    string
	present bool // the block was a non-null object
	order   int  // position among the present blocks
	totals  *Totals
	rows    int
}

type decoder struct {
	dec     *json.Decoder
	in      *countingReader
	sink    Sink
	rep     *Report
	blocks  [3]blockState
	present int
	started bool // the top-level '{' was read
	inValue bool // within Decode of a whole value, for error offsets
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
	in := &countingReader{r: r}
	dec := json.NewDecoder(in)
	dec.UseNumber()
	d := &decoder{dec: dec, in: in, sink: sink, rep: &Report{}}
	d.blocks[0].name = BlockDetailed
	d.blocks[1].name = BlockSummary
	d.blocks[2].name = BlockWeekly
	if err := d.report(); err != nil {
		return nil, err
	}
	d.chooseBlock()
	return d.rep, nil
}

// fail describes an error met at path: a syntax or read error of the stream, or a
// *pathError from the conversions.
func (d *decoder) fail(path string, err error) error {
	var de *decodeError
	if errors.As(err, &de) {
		return err
	}
	where := "decode"
	if path != "" {
		where += " " + path
	}
	var syn *json.SyntaxError
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
	case err == io.EOF || err == io.ErrUnexpectedEOF ||
		// encoding/json v2 (GOEXPERIMENT=jsonv2) reports the end of input as syntax.
		(errors.As(err, &syn) && d.in.eof && strings.Contains(syn.Error(), "unexpected end of JSON input")):
		return &decodeError{
			msg:   fmt.Sprintf("%s: truncated JSON: the body ends at byte %d", where, d.in.n),
			cause: io.ErrUnexpectedEOF,
		}
	case errors.As(err, &syn):
		// After a failed Token the decoder stands at the offending byte; after a failed
		// Decode it stands at the start of that value.
		at := "at"
		if d.inValue {
			at = "in the value starting at"
		}
		msg := fmt.Sprintf("%s: invalid JSON %s byte %d: %v", where, at, d.dec.InputOffset(), syn)
		if d.in.first == '<' {
			msg = fmt.Sprintf("decode: the body is not JSON (it starts with '<': an HTML page?): %v", syn)
		}
		return &decodeError{msg: msg, cause: err}
	default:
		return &decodeError{msg: fmt.Sprintf("%s: reading the body at byte %d: %v", where, d.in.n, err), cause: err}
	}
}

// open reads the next token of a value expected to be an object or array (want is '{' or
// '['). It returns false for null; anything else is an error.
func (d *decoder) open(path string, want json.Delim, what string) (bool, error) {
	tok, err := d.dec.Token()
	if err != nil {
		return false, d.fail(path, err)
	}
	switch tok {
	case nil:
		return false, nil
	case want:
		return true, nil
	}
	return false, d.fail(path, &pathError{msg: "expected " + what + ", got " + describeToken(tok)})
}

func delimKind(d json.Delim) string {
	if d == '{' {
		return "object"
	}
	return "array"
}

// close reads the closing delimiter of the current object or array.
func (d *decoder) close(path string) error {
	if _, err := d.dec.Token(); err != nil {
		return d.fail(path, err)
	}
	return nil
}

// key reads the next key of the current object.
func (d *decoder) key(path string) (string, error) {
	tok, err := d.dec.Token()
	if err != nil {
		return "", d.fail(path, err)
	}
	k, ok := tok.(string)
	if !ok {
		return "", d.fail(path, &pathError{msg: "expected an object key, got " + describeToken(tok)})
	}
	return k, nil
}

// value decodes the next whole value.
func (d *decoder) value(path string) (any, error) {
	var v any
	d.inValue = true
	err := d.dec.Decode(&v)
	if err != nil {
		err = d.fail(path, err)
	}
	d.inValue = false
	return v, err
}

// skip consumes the next value token by token, keeping none of it.
func (d *decoder) skip(path string) error {
	depth := 0
	for {
		tok, err := d.dec.Token()
		if err != nil {
			return d.fail(path, err)
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			depth++
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
		if depth <= 0 {
			return nil
		}
	}
}

func (d *decoder) report() error {
	tok, err := d.dec.Token()
	if err != nil {
		return d.fail("", err)
	}
	if tok != json.Delim('{') {
		return d.fail("", &pathError{msg: "expected a JSON object at the top level, got " + describeToken(tok)})
	}
	d.started = true
	known := false
	for d.dec.More() {
		k, err := d.key("")
		if err != nil {
			return err
		}
		known = known || topLevelKeys[k]
		if err := d.field(k); err != nil {
			return err
		}
	}
	if err := d.close(""); err != nil {
		return err
	}
	// The report is complete. More JSON after it, or a body over the limit, is an error;
	// a read error while looking for the end changes nothing that was decoded.
	var syn *json.SyntaxError
	switch tok, err := d.dec.Token(); {
	case err == nil:
		return d.fail("", &pathError{msg: "unexpected " + describeToken(tok) + " after the report object"})
	case errors.As(err, &syn), errors.Is(err, errTooLarge):
		return d.fail("", err)
	}
	if !known {
		return d.fail("", &pathError{msg: "the JSON object has none of the fields of a report (report_type, report_name, detailed_results...)"})
	}
	return nil
}

func describeToken(tok json.Token) string {
	if delim, ok := tok.(json.Delim); ok {
		if delim == '{' || delim == '[' {
			return delimKind(delim)
		}
		return fmt.Sprintf("%q", string(delim))
	}
	return describe(tok)
}

// field decodes the value of the top-level key k.
func (d *decoder) field(k string) error {
	rep := d.rep
	switch k {
	case "report_name", "report_type":
		v, err := d.value(k)
		if err != nil {
			return err
		}
		s, err := toString(v)
		if err != nil {
			return d.fail(k, err)
		}
		if k == "report_name" {
			rep.Name = s
		} else {
			rep.Type = s
		}
	case "public", "fixed_daterange", "hide_amounts":
		v, err := d.value(k)
		if err != nil {
			return err
		}
		b, err := toBool(v)
		if err != nil {
			return d.fail(k, err)
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
		v, err := d.value(k)
		if err != nil {
			return err
		}
		m, err := toObject(v)
		if err != nil {
			return d.fail(k, err)
		}
		for name, e := range m {
			b, err := toBool(e)
			if err != nil {
				return d.fail(k+mapKey(name), err)
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
		v, err := d.value(k)
		if err != nil {
			return err
		}
		m, err := toObject(v)
		if err != nil {
			return d.fail(k, err)
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
	for d.dec.More() {
		name, err := d.key(path)
		if err != nil {
			return err
		}
		p := path + "." + name
		if !dictionaryNames[name] {
			if err := d.skip(p); err != nil {
				return err
			}
			continue
		}
		// A sub-dictionary is bounded by the workspace's entities, and kept whole anyway.
		v, err := d.value(p)
		if err != nil {
			return err
		}
		entries, err := toEntries(v)
		if err != nil {
			return d.fail(p, err)
		}
		for _, e := range entries {
			if err := addDictEntry(&d.rep.Dictionaries, name, e); err != nil {
				return d.fail(p+e.path, err)
			}
		}
	}
	return d.close(path)
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
	for d.dec.More() {
		k, err := d.key(path)
		if err != nil {
			return err
		}
		p := path + "." + k
		switch {
		case k == "totals":
			v, err := d.value(p)
			if err != nil {
				return err
			}
			t, err := parseTotals(v)
			if err != nil {
				return d.fail(p, err)
			}
			if t != nil {
				b.totals = t
			}
		case k == "report" && b.name == BlockSummary:
			err = d.summaryReport(b, p)
		case k == "report":
			err = d.rows(b, p)
		default:
			err = d.skip(p)
		}
		if err != nil {
			return err
		}
	}
	return d.close(path)
}

// summaryReport walks summary_results.report, an object holding the groups array (an
// array in its place is taken as the groups themselves).
func (d *decoder) summaryReport(b *blockState, path string) error {
	tok, err := d.dec.Token()
	if err != nil {
		return d.fail(path, err)
	}
	switch tok {
	case nil:
		return nil
	case json.Delim('['):
		return d.elements(b, path)
	case json.Delim('{'):
	default:
		return d.fail(path, &pathError{msg: "expected an object, got " + describeToken(tok)})
	}
	for d.dec.More() {
		k, err := d.key(path)
		if err != nil {
			return err
		}
		if k == "groups" {
			err = d.rows(b, path+".groups")
		} else {
			err = d.skip(path + "." + k)
		}
		if err != nil {
			return err
		}
	}
	return d.close(path)
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
// to the sink.
func (d *decoder) elements(b *blockState, path string) error {
	for i := 0; d.dec.More(); i++ {
		p := path + index(i)
		v, err := d.value(p)
		if err != nil {
			return err
		}
		switch b.name {
		case BlockDetailed:
			row, err := parseDetailedRow(v)
			if err != nil {
				return d.fail(p, err)
			}
			if row != nil {
				b.rows++
				d.sink.DetailedRow(row)
			}
		case BlockWeekly:
			row, err := parseWeeklyRow(v)
			if err != nil {
				return d.fail(p, err)
			}
			if row != nil {
				b.rows++
				d.sink.WeeklyRow(row)
			}
		default:
			g, err := parseSummaryGroup(v)
			if err != nil {
				return d.fail(p, err)
			}
			if g != nil {
				b.rows++
				d.sink.SummaryGroup(g)
			}
		}
	}
	return d.close(path)
}

// chooseBlock sets Report.Block and Report.Totals: the non-null block matching
// report_type, else the first non-null block with rows or totals, else the first
// non-null block.
func (d *decoder) chooseBlock() {
	want := strings.ToLower(strings.TrimSpace(d.rep.Type))
	var chosen *blockState
	for i := range d.blocks {
		if b := &d.blocks[i]; b.present && b.name == want {
			chosen = b
		}
	}
	for pass := 0; pass < 2 && chosen == nil; pass++ {
		for i := range d.blocks {
			b := &d.blocks[i]
			if !b.present || (pass == 0 && b.rows == 0 && b.totals == nil) {
				continue
			}
			if chosen == nil || b.order < chosen.order {
				chosen = b
			}
		}
	}
	if chosen != nil {
		d.rep.Block = chosen.name
		d.rep.Totals = chosen.totals
	}
}
