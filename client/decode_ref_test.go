package client

// The encoding/json decoder this package used before the hand-written scanner of scan.go,
// kept as the oracle of FuzzDecodeEquivalence: on any input the two must agree.

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

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

type refDecoder struct {
	dec     *json.Decoder
	in      *countingReader
	sink    Sink
	rep     *Report
	blocks  [3]blockState
	present int
	started bool // the top-level '{' was read
	inValue bool // within Decode of a whole value, for error offsets
}

// refDecodeReport is Decode as it was.
func refDecodeReport(r io.Reader, sink Sink) (*Report, error) {
	rep, err := refDecode(r, sink)
	if err != nil {
		return nil, &Error{Code: CodeDecode, Message: oneLine(err.Error()), Err: err}
	}
	return rep, nil
}

func refDecode(r io.Reader, sink Sink) (*Report, error) {
	if sink == nil {
		sink = discard{}
	}
	in := &countingReader{r: r}
	dec := json.NewDecoder(in)
	dec.UseNumber()
	d := &refDecoder{dec: dec, in: in, sink: sink, rep: &Report{}}
	d.blocks[0].name = BlockDetailed
	d.blocks[1].name = BlockSummary
	d.blocks[2].name = BlockWeekly
	if err := d.report(); err != nil {
		return nil, err
	}
	chooseBlock(d.rep, &d.blocks)
	return d.rep, nil
}

// fail describes an error met at path: a syntax or read error of the stream, or a
// *pathError from the conversions.
func (d *refDecoder) fail(path string, err error) error {
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
func (d *refDecoder) open(path string, want json.Delim, what string) (bool, error) {
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
	return false, d.fail(path, &pathError{msg: "expected " + what + ", got " + refDescribeToken(tok)})
}

func refDelimKind(d json.Delim) string {
	if d == '{' {
		return "object"
	}
	return "array"
}

// close reads the closing delimiter of the current object or array.
func (d *refDecoder) close(path string) error {
	if _, err := d.dec.Token(); err != nil {
		return d.fail(path, err)
	}
	return nil
}

// key reads the next key of the current object.
func (d *refDecoder) key(path string) (string, error) {
	tok, err := d.dec.Token()
	if err != nil {
		return "", d.fail(path, err)
	}
	k, ok := tok.(string)
	if !ok {
		return "", d.fail(path, &pathError{msg: "expected an object key, got " + refDescribeToken(tok)})
	}
	return k, nil
}

// value decodes the next whole value.
func (d *refDecoder) value(path string) (any, error) {
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
func (d *refDecoder) skip(path string) error {
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

func (d *refDecoder) report() error {
	tok, err := d.dec.Token()
	if err != nil {
		return d.fail("", err)
	}
	if tok != json.Delim('{') {
		return d.fail("", &pathError{msg: "expected a JSON object at the top level, got " + refDescribeToken(tok)})
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
		return d.fail("", &pathError{msg: "unexpected " + refDescribeToken(tok) + " after the report object"})
	case errors.As(err, &syn), errors.Is(err, errTooLarge):
		return d.fail("", err)
	}
	if !known {
		return d.fail("", &pathError{msg: "the JSON object has none of the fields of a report (report_type, report_name, detailed_results...)"})
	}
	return nil
}

func refDescribeToken(tok json.Token) string {
	if delim, ok := tok.(json.Delim); ok {
		if delim == '{' || delim == '[' {
			return refDelimKind(delim)
		}
		return fmt.Sprintf("%q", string(delim))
	}
	return describe(tok)
}

// field decodes the value of the top-level key k.
func (d *refDecoder) field(k string) error {
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

func (d *refDecoder) dictionaries() error {
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
func (d *refDecoder) block(b *blockState) error {
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
func (d *refDecoder) summaryReport(b *blockState, path string) error {
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
		return d.fail(path, &pathError{msg: "expected an object, got " + refDescribeToken(tok)})
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
func (d *refDecoder) rows(b *blockState, path string) error {
	ok, err := d.open(path, '[', "an array")
	if err != nil || !ok {
		return err
	}
	return d.elements(b, path)
}

// elements decodes the elements of the array just opened, one at a time, and hands each
// to the sink.
func (d *refDecoder) elements(b *blockState, path string) error {
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
