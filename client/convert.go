package client

// The tolerant reading of JSON values on the tokens of a jsontext.Decoder. Scalars convert
// leniently: null is the zero value, numbers may be integral floats or numeric strings,
// booleans may be "true" or 0/1. Lists may be arrays or strings holding one ("[1,2]", or
// "{1,2}" as a SQL array). Collections keyed by id may be objects or arrays. A value of
// the wrong structure is a *pathError naming it.

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// pathError is a value that is not what was expected (msg) at a JSON path, or from
// bodyDecoder.describe the final message beside the stream's error (syntax, truncation,
// reading).
type pathError struct {
	path, msg string
	err       error
}

func (e *pathError) Error() string { return e.msg }
func (e *pathError) Unwrap() error { return e.err }

// maxQuoted is the longest string value, number or key that an error message shows: a
// longer one is described, so that Run can redact any secret in what is shown whole.
const maxQuoted = 40

// mismatch is the error for the value just read, v of kind k.
func (d *bodyDecoder) mismatch(want string, k jsontext.Kind, v jsontext.Value) error {
	return &pathError{path: d.path(false, false), msg: "expected " + want + ", got " + describe(k, v)}
}

// describe names a value of kind k, showing the value v of a scalar when it is short.
func describe(k jsontext.Kind, v jsontext.Value) string {
	if name, ok := map[jsontext.Kind]string{'{': "object", '[': "array", 'n': "null", 't': "boolean", 'f': "boolean"}[k]; ok {
		return name
	}
	if k == '"' {
		s, _ := jsontext.AppendUnquote(nil, v)
		if len(s) > maxQuoted {
			return fmt.Sprintf("a string of %d bytes", len(s))
		}
		return `string "` + string(s) + `"`
	}
	if len(v) > maxQuoted {
		return "a long number"
	}
	return "number " + string(v)
}

// path renders from the decoder's stack the JSON path of the value last read, or with
// next of the token to be read next (a syntax error's): `a.b[3]["key"]`. With unknown, it
// is a path of Report.Unknown: indexes and keys of objects keyed by id as [], so that a
// field is noted once and no id or title is part of it, and a name that is not a field
// name (letters, digits, _ and -, at most maxQuoted bytes) as "(odd)", so that no user
// text is.
func (d *bodyDecoder) path(next, unknown bool) string {
	var s string
	if d.up != nil {
		s = d.up.path(false, unknown)
	}
	toks := slices.Collect(d.dec.StackPointer().Tokens())
	if depth := d.dec.StackDepth(); next && depth > 0 {
		k, n := d.dec.StackIndex(depth)
		switch comma := bytes.HasPrefix(bytes.TrimLeft(d.dec.UnreadBuffer(), " \t\r\n"), []byte(",")); {
		case k == '[' && (n == 0 || comma): // at the next element
			toks = append(toks[:depth-1], strconv.FormatInt(n, 10))
		case n > 0 && (k == '[' || n%2 == 0): // after an element or a member
			toks = toks[:depth-1]
		}
	}
	for i, tok := range toks {
		k, _ := d.dec.StackIndex(i + 1)
		keyed := i+1 < len(d.keyed) && d.keyed[i+1]
		switch {
		case unknown && (k == '[' || keyed):
			tok = "[]"
		case k == '[':
			tok = "[" + tok + "]"
		case !unknown && len(tok) > maxQuoted:
			tok = "[…]"
		case keyed:
			tok = `["` + tok + `"]`
		case unknown && (tok == "" || len(tok) > maxQuoted || strings.ContainsFunc(tok, func(c rune) bool {
			return !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-')
		})):
			tok = "(odd)"
		}
		if s != "" && !strings.HasPrefix(tok, "[") {
			s += "."
		}
		s += tok
	}
	return s
}

// bodyDecoder reads a body (a report, a listing) from dec tolerantly.
type bodyDecoder struct {
	dec    *jsontext.Decoder
	in     *body
	names  [][]byte // names[depth]: the current member name of each open object
	keyed  []bool   // keyed[depth]: that object is keyed by id (see entries)
	unq    []byte   // unquoted string scratch
	intern map[string]string
	row    *rowState
	// unknown holds the paths of the fields skipped as unknown (see fill), shared with
	// the decoders of lists sent as strings, which up links to the decoder of the string.
	unknown map[string]bool
	up      *bodyDecoder
}

const maxInterns = 4096 // distinct strings kept for reuse: rows repeat a few names

var decodeOptions = []jsontext.Options{
	jsontext.AllowDuplicateNames(true), // the last one wins, as with encoding/json
	jsontext.AllowInvalidUTF8(true),    // replaced in the strings that are kept
}

func newBodyDecoder(r io.Reader) *bodyDecoder {
	b, ok := r.(*body)
	if !ok {
		b = &body{r: r}
	}
	return &bodyDecoder{dec: jsontext.NewDecoder(b, decodeOptions...), in: b, intern: map[string]string{}, row: newRowState(), unknown: map[string]bool{}}
}

// A table tells where the value of each member of one kind of object goes, by name: into
// the pointer it holds, read by its type (see into); a func(*bodyDecoder) error reads the
// value itself, and a table reads an object. nil stands for a field toggl-api.md
// documents that the decoder skips; a name not in the table is noted as unknown.
type table map[string]any

// Destinations that their pointer type alone does not tell apart.
type (
	amount  *int64   // an amount in cents, never negative
	days    *[]int64 // a list of integers that keeps nulls (as 0) and zeros
	inHours *int64   // a number of hours, read as seconds; 0 when it is not a number
	isNull  *bool    // set when the value is null; the value is skipped
	// opt sets *absent when the integer is null or "" (it must be true before the object,
	// in case the member does not come).
	opt struct {
		n      *int64
		absent *bool
	}
)

// skipping adds names to t as documented fields that are skipped.
func (t table) skipping(names string) table {
	for _, n := range strings.Fields(names) {
		t[n] = nil
	}
	return t
}

// maxUnknown bounds the unknown paths noted per body: a body of invented fields costs no
// more than this.
const maxUnknown = 64

func (d *bodyDecoder) fill(t table) error {
	return d.object(false, func(name []byte) error {
		dst, ok := t[string(name)]
		if !ok && len(d.unknown) < maxUnknown {
			d.unknown[d.path(false, true)] = true
		}
		return d.into(dst)
	})
}

// into reads the next value into dst by its type (see table); nil leaves it unread.
func (d *bodyDecoder) into(dst any) (err error) {
	switch p := dst.(type) {
	case *int64:
		*p, err = d.int()
	case amount, **int64: // an amount in cents, which Toggl never sends negative; **int64 is nil when absent
		n, present, err := d.optInt()
		if err == nil && n < 0 {
			return &pathError{path: d.path(false, false), msg: "expected a non-negative amount, got number " + strconv.FormatInt(n, 10)}
		}
		if a, ok := p.(amount); ok {
			*a = n
		} else if present {
			*p.(**int64) = new(n) // not &n: n would escape, an allocation per row
		}
		return err
	case opt:
		var present bool
		*p.n, present, err = d.optInt()
		*p.absent = !present
	case inHours:
		v, err := d.dec.ReadValue()
		h, perr := strconv.ParseFloat(string(bytes.TrimSpace(d.text(v))), 64)
		if err == nil && perr == nil && math.Abs(h) <= 1e12 { // NaN fails too
			*p = int64(math.Round(h * 3600))
		}
		return err
	case isNull:
		*p = d.dec.PeekKind() == 'n'
	case *string:
		*p, err = d.str()
	case *bool: // also a number (non-zero is true) or a strconv.ParseBool string; null and "" are false
		v, s, err := d.scalar("a boolean")
		s = bytes.TrimSpace(s)
		b, perr := strconv.ParseBool(string(s))
		if perr != nil && v.Kind() == '0' { // only then: a failed parse allocates its error
			f, ferr := strconv.ParseFloat(string(s), 64)
			b, perr = f != 0, ferr
		}
		if err == nil && len(s) > 0 && perr != nil {
			return d.mismatch("a boolean", v.Kind(), v)
		}
		*p = b
		return err
	case *time.Time: // RFC 3339 (Z or an offset, fractional seconds or not), or Unix seconds
		if d.dec.PeekKind() == '0' {
			n, err := d.int()
			*p = time.Unix(n, 0).UTC()
			return err
		}
		v, s, err := d.scalar("an RFC 3339 time")
		s = bytes.TrimSpace(s)
		t, perr := time.Parse(time.RFC3339, string(s))
		if err == nil && len(s) > 0 && perr != nil {
			return d.mismatch("an RFC 3339 time", v.Kind(), v)
		}
		*p = t.UTC()
		return err
	case *[]int64: // ids: nulls and zeros are dropped
		*p, err = onSlab(d, &d.row.ints, (*bodyDecoder).int, false)
		if *p = slices.DeleteFunc(*p, func(n int64) bool { return n == 0 }); len(*p) == 0 {
			*p = nil
		}
	case days:
		*p, err = onSlab(d, &d.row.ints, (*bodyDecoder).int, true)
	case *[]string:
		*p, err = onSlab(d, &d.row.names, (*bodyDecoder).str, true)
	case *[]Rate:
		*p, err = onSlab(d, &d.row.rates, d.row.rate, false)
	case *[]TimeEntry:
		*p, err = onSlab(d, &d.row.entries, d.row.entry, false)
	case *map[string]any:
		if k := d.dec.PeekKind(); k != '{' && k != 'n' {
			return d.fail("an object")
		}
		err = json.UnmarshalDecode(d.dec, p, anyOptions)
	case table:
		err = d.fill(p)
	case func(*bodyDecoder) error:
		err = p(d)
	}
	return err
}

// fail reads a value of the wrong kind, and returns the error naming it.
func (d *bodyDecoder) fail(want string) error {
	if k := d.dec.PeekKind(); k == '{' || k == '[' {
		return cmp.Or(d.dec.SkipValue(), d.mismatch(want, k, nil))
	}
	v, err := d.dec.ReadValue()
	return cmp.Or(err, d.mismatch(want, v.Kind(), v))
}

// scalar reads a value that must not be an object or an array, and returns it beside its
// text (nil for null).
func (d *bodyDecoder) scalar(want string) (jsontext.Value, []byte, error) {
	if k := d.dec.PeekKind(); k == '{' || k == '[' {
		return nil, nil, d.fail(want)
	}
	v, err := d.dec.ReadValue()
	if err != nil || v.Kind() == 'n' {
		return v, nil, err
	}
	return v, d.text(v), nil
}

// text returns the content of the string v (valid until the next read), or v itself
// when it is not a string.
func (d *bodyDecoder) text(v jsontext.Value) []byte {
	if v.Kind() != '"' {
		return v
	}
	if bytes.IndexByte(v, '\\') < 0 {
		return v[1 : len(v)-1]
	}
	d.unq, _ = jsontext.AppendUnquote(d.unq[:0], v) // invalid UTF-8 is replaced
	return d.unq
}

func (d *bodyDecoder) int() (int64, error) {
	n, _, err := d.optInt()
	return n, err
}

// optInt reads an integer: a number or numeric string with an integral value; null and
// "" are 0, not present.
func (d *bodyDecoder) optInt() (n int64, present bool, err error) {
	v, s, err := d.scalar("an integer")
	if s = bytes.TrimSpace(s); err != nil || len(s) == 0 {
		return 0, false, err
	}
	if n, ok := parseInt(s); ok {
		return n, true, nil
	}
	return 0, false, d.mismatch("an integer", v.Kind(), v)
}

// parseInt reads an integer, or a float with an integral value within range.
func parseInt(b []byte) (int64, bool) {
	if n, err := strconv.ParseInt(string(b), 10, 64); err == nil {
		return n, true
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil || f != math.Trunc(f) || f < -(1<<63) || f >= 1<<63 { // NaN and ±Inf fail too
		return 0, false
	}
	return int64(f), true
}

// str reads a string; numbers and booleans give their JSON spelling; null is "".
func (d *bodyDecoder) str() (string, error) {
	_, s, err := d.scalar("a string")
	return d.keep(s), err
}

// keep returns b as a valid UTF-8 string, reusing an earlier equal one.
func (d *bodyDecoder) keep(b []byte) string {
	if s, ok := d.intern[string(b)]; ok {
		return s
	}
	s := strings.ToValidUTF8(string(b), "\uFFFD")
	if len(d.intern) < maxInterns {
		d.intern[s] = s
	}
	return s
}

// walk reads an object or an array (open names which, want too in errors), calling each
// to read every member or element; null is empty.
func (d *bodyDecoder) walk(open jsontext.Kind, want string, each func() error) error {
	if k := d.dec.PeekKind(); k == 'n' {
		return d.dec.SkipValue()
	} else if k != open {
		return d.fail(want)
	}
	if _, err := d.dec.ReadToken(); err != nil {
		return err
	}
	for k := d.dec.PeekKind(); k != '}' && k != ']'; k = d.dec.PeekKind() {
		if err := each(); err != nil {
			return err
		}
	}
	_, err := d.dec.ReadToken()
	return err
}

// object reads an object, calling member for each member with its name (valid until the
// next member of the same object); member reads the value, or leaves it to be skipped.
// keyed tells an object keyed by id (see path).
func (d *bodyDecoder) object(keyed bool, member func(name []byte) error) error {
	return d.walk('{', "an object", func() error {
		depth := d.dec.StackDepth()
		for len(d.names) <= depth {
			d.names, d.keyed = append(d.names, nil), append(d.keyed, false)
		}
		v, err := d.dec.ReadValue()
		if err != nil {
			return err
		}
		d.names[depth], d.keyed[depth] = append(d.names[depth][:0], d.text(v)...), keyed
		before := d.dec.InputOffset()
		if err := member(d.names[depth]); err != nil || d.dec.InputOffset() != before {
			return err
		}
		return d.dec.SkipValue() // not read
	})
}

// list reads a list: an array, or a string holding one, which is read by a decoder of its
// own (so elem is given the decoder to read the element with). null and "" are empty.
func (d *bodyDecoder) list(elem func(d *bodyDecoder) error) error {
	if d.dec.PeekKind() != '"' {
		return d.walk('[', "an array", func() error { return elem(d) })
	}
	v, err := d.dec.ReadValue()
	s := bytes.TrimSpace(d.text(v))
	if err != nil || len(s) == 0 || string(s) == "null" {
		return err
	}
	s = slices.Clone(s) // text is only valid until d's next read
	if s[0] == '{' && s[len(s)-1] == '}' {
		s[0], s[len(s)-1] = '[', ']' // a SQL array
	}
	sub := &bodyDecoder{dec: jsontext.NewDecoder(bytes.NewReader(s), decodeOptions...), intern: d.intern, row: d.row, unknown: d.unknown, up: d}
	if s[0] == '[' {
		err = sub.walk('[', "an array", func() error { return elem(sub) })
		if _, end := sub.dec.ReadToken(); err == nil && end == io.EOF || errors.As(err, new(*pathError)) {
			return err // a list, or one with a bad element
		}
	}
	return d.mismatch("an array", v.Kind(), v) // the string is not a list
}

// entries reads a collection that Toggl may send as an array or as an object keyed by id
// (or title): elem is called with each non-null element, and its key in the object form.
func (d *bodyDecoder) entries(elem func(key []byte, keyed bool) error) error {
	switch d.dec.PeekKind() {
	case '{':
		return d.object(true, func(key []byte) error { return d.nonNull(func() error { return elem(key, true) }) })
	case '[', 'n':
		return d.walk('[', "an array", func() error { return d.nonNull(func() error { return elem(nil, false) }) })
	}
	return d.fail("an array or an object")
}

// nonNull reads the next value with read unless it is null.
func (d *bodyDecoder) nonNull(read func() error) error {
	if d.dec.PeekKind() == 'n' {
		return d.dec.SkipValue()
	}
	return read()
}

// onSlab reads a list onto *slab (the row's scratch space), each element with elem, and
// returns its elements; null elements are read by elem with nulls, else dropped.
func onSlab[T any](d *bodyDecoder, slab *[]T, elem func(*bodyDecoder) (T, error), nulls bool) ([]T, error) {
	start := len(*slab)
	err := d.list(func(d *bodyDecoder) error {
		if !nulls && d.dec.PeekKind() == 'n' {
			return d.dec.SkipValue()
		}
		v, err := elem(d)
		*slab = append(*slab, v)
		return err
	})
	return cut(*slab, start), err
}

// cut returns the elements of slab from start on (nil when there are none), with their
// capacity cut so that appending to them cannot touch what follows.
func cut[T any](slab []T, start int) []T {
	if len(slab) == start {
		return nil
	}
	return slab[start:len(slab):len(slab)]
}

// anyOptions decode a free-form value as json.Unmarshal into an `any` does, except that
// a number too large for a float64 stays its text instead of failing.
var anyOptions = json.WithUnmarshalers(json.UnmarshalFromFunc(func(dec *jsontext.Decoder, v *any) error {
	if dec.PeekKind() != '0' {
		*v = nil // a duplicate name's value replaces the first one's, not merged into it
		return errors.ErrUnsupported
	}
	n, err := dec.ReadValue()
	if f, ferr := strconv.ParseFloat(string(n), 64); ferr == nil {
		*v = f
	} else {
		*v = string(n)
	}
	return err
}))
