package client

// The tolerant reading of JSON values, written once for every field of a report, on the
// tokens of a jsontext.Decoder. Scalars convert leniently: null is the zero value,
// numbers may be integral floats or numeric strings, booleans may be "true" or 0/1. Lists
// may be arrays or strings holding one ("[1,2]", or "{1,2}" as a SQL array). Collections
// keyed by id may be objects or arrays. A value of the wrong structure (an object where a
// number is expected, a number where a list is expected) is a *pathError naming it.

import (
	"bytes"
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

// pathError is a failure at a JSON path such as `detailed_results.report[3].user_id`:
// a message of ours (msg), or else an error of the stream (err: syntax, truncation,
// reading). bodyDecoder.describe gives it the final message beside the stream's error.
type pathError struct {
	path string
	msg  string
	err  error
}

func (e *pathError) Error() string {
	msg := e.msg
	if msg == "" {
		msg = e.err.Error()
	}
	if e.path == "" {
		return msg
	}
	return e.path + ": " + msg
}

func (e *pathError) Unwrap() error { return e.err }

// at prefixes the path of err with seg, a key ("user_id"), an index ("[3]") or a keyed
// element (`["7"]`).
func at(seg string, err error) error {
	var pe *pathError
	if !errors.As(err, &pe) {
		return &pathError{path: seg, err: err}
	}
	switch {
	case pe.path == "":
		pe.path = seg
	case seg != "" && !strings.HasPrefix(pe.path, "["):
		pe.path = seg + "." + pe.path
	default:
		pe.path = seg + pe.path
	}
	return pe
}

// maxQuoted is the longest string value, number or key that an error message shows: a
// longer one is described, so that Run can redact any secret in what is shown whole.
const maxQuoted = 40

func mismatch(want string, k jsontext.Kind, v jsontext.Value) error {
	return &pathError{msg: "expected " + want + ", got " + describe(k, v)}
}

// describe names a value of kind k, showing the value v of a scalar when it is short.
func describe(k jsontext.Kind, v jsontext.Value) string {
	switch k {
	case '{':
		return "object"
	case '[':
		return "array"
	case 'n':
		return "null"
	case 't', 'f':
		return "boolean"
	case '"':
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

// bodyDecoder reads a body (a report, a listing) from dec tolerantly.
type bodyDecoder struct {
	dec    *jsontext.Decoder
	in     *body
	names  [][]byte // names[depth]: the current member name of each open object
	keyed  []bool   // keyed[depth]: that object is keyed by id (see entries)
	unq    []byte   // unquoted string scratch
	intern map[string]string
	row    *rowState
	// unknown holds the paths of the fields skipped as unknown (see fill). up is the
	// decoder of the string a list is read from (see list).
	unknown map[string]bool
	up      *bodyDecoder
}

const maxInterns = 4096 // distinct strings kept for reuse: rows repeat a few names

var decodeOptions = []jsontext.Options{
	jsontext.AllowDuplicateNames(true), // the last one wins, as with encoding/json
	jsontext.AllowInvalidUTF8(true),    // replaced in the strings that are kept
}

// newBodyDecoder returns a decoder of r, counting what it reads in a body.
func newBodyDecoder(r io.Reader) *bodyDecoder {
	b, ok := r.(*body)
	if !ok {
		b = &body{r: r}
	}
	return &bodyDecoder{dec: jsontext.NewDecoder(b, decodeOptions...), in: b, intern: map[string]string{}, row: newRowState(), unknown: map[string]bool{}}
}

// fail is the error for a value of the wrong kind, want naming what was expected. The
// value is read when it is a scalar, to show it.
func (d *bodyDecoder) fail(want string) error {
	if k := d.dec.PeekKind(); k == '{' || k == '[' {
		return mismatch(want, k, nil)
	}
	v, err := d.dec.ReadValue()
	if err != nil {
		return err
	}
	return mismatch(want, v.Kind(), v)
}

// scalar reads a value that must not be an object or an array, and returns it beside its
// text: a string's content (valid until the next read), a number's or literal's
// spelling, nil for null.
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

// text returns the content of the string v, or v itself when it is not a string.
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

// optInt reads an integer: a number or numeric string with an integral value. null and
// "" are 0 and not present.
func (d *bodyDecoder) optInt() (n int64, present bool, err error) {
	v, s, err := d.scalar("an integer")
	if s = bytes.TrimSpace(s); err != nil || len(s) == 0 {
		return 0, false, err
	}
	if n, ok := parseInt(s); ok {
		return n, true, nil
	}
	return 0, false, mismatch("an integer", v.Kind(), v)
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

// amount reads an amount in cents, which Toggl never sends negative.
func (d *bodyDecoder) amount() (n int64, present bool, err error) {
	n, present, err = d.optInt()
	if err == nil && n < 0 {
		err = &pathError{msg: "expected a non-negative amount, got number " + strconv.FormatInt(n, 10)}
	}
	return n, present, err
}

// hours reads a number of hours (possibly fractional) as seconds; a value that is not
// one is 0, as the field is only a fallback.
func (d *bodyDecoder) hours() (int64, error) {
	v, err := d.dec.ReadValue()
	h, perr := strconv.ParseFloat(string(bytes.TrimSpace(d.text(v))), 64)
	if err != nil || perr != nil || math.IsNaN(h) || math.Abs(h) > 1e12 {
		return 0, err
	}
	return int64(math.Round(h * 3600)), nil
}

// str reads a string; numbers and booleans give their JSON spelling; null is "".
func (d *bodyDecoder) str() (string, error) {
	_, s, err := d.scalar("a string")
	return d.keep(s), err
}

// keep returns b as a valid UTF-8 string, reusing an earlier equal one.
func (d *bodyDecoder) keep(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if s, ok := d.intern[string(b)]; ok {
		return s
	}
	s := strings.ToValidUTF8(string(b), "\uFFFD")
	if len(d.intern) < maxInterns {
		d.intern[s] = s
	}
	return s
}

// bool reads a boolean: also a number (non-zero is true) or a strconv.ParseBool string;
// null and "" are false.
func (d *bodyDecoder) bool() (bool, error) {
	v, s, err := d.scalar("a boolean")
	if s = bytes.TrimSpace(s); err != nil || len(s) == 0 {
		return false, err
	}
	if b, err := strconv.ParseBool(string(s)); err == nil {
		return b, nil
	}
	if f, err := strconv.ParseFloat(string(s), 64); err == nil && v.Kind() == '0' {
		return f != 0, nil
	}
	return false, mismatch("a boolean", v.Kind(), v)
}

// time reads a time: an RFC 3339 string (with or without fractional seconds, with Z or an
// offset), or Unix seconds as a number; null and "" are the zero time.
func (d *bodyDecoder) time() (time.Time, error) {
	if d.dec.PeekKind() == '0' {
		n, err := d.int()
		return time.Unix(n, 0).UTC(), err
	}
	v, s, err := d.scalar("an RFC 3339 time")
	if s = bytes.TrimSpace(s); err != nil || len(s) == 0 {
		return time.Time{}, err
	}
	t, err := time.Parse(time.RFC3339, string(s))
	if err != nil {
		return time.Time{}, mismatch("an RFC 3339 time", v.Kind(), v)
	}
	return t.UTC(), nil
}

// object reads an object, calling member for each member with its name (valid until the
// next member of the same object); member reads the value, or leaves it to be skipped.
// null is an empty object. Errors name the member; keyed (for objects keyed by id) names
// it as `["key"]`.
func (d *bodyDecoder) object(keyed bool, member func(name []byte) error) error {
	switch d.dec.PeekKind() {
	case 'n':
		return d.dec.SkipValue()
	case '{':
	default:
		return d.fail("an object")
	}
	if _, err := d.dec.ReadToken(); err != nil {
		return err
	}
	depth := d.dec.StackDepth()
	for len(d.names) <= depth {
		d.names, d.keyed = append(d.names, nil), append(d.keyed, false)
	}
	d.keyed[depth] = keyed
	for d.dec.PeekKind() != '}' {
		v, err := d.dec.ReadValue()
		if err != nil {
			return err
		}
		d.names[depth] = append(d.names[depth][:0], d.text(v)...)
		name, before := d.names[depth], d.dec.InputOffset()
		err = member(name)
		if err == nil && d.dec.InputOffset() == before { // not read: skipped
			err = d.dec.SkipValue()
		}
		switch {
		case err != nil && len(name) > maxQuoted:
			return at("[…]", err)
		case err != nil && keyed:
			return at(`["`+string(name)+`"]`, err)
		case err != nil:
			return at(string(name), err)
		}
	}
	_, err := d.dec.ReadToken()
	return err
}

// array reads an array, calling elem to read each element; errors name its index. null
// is an empty array.
func (d *bodyDecoder) array(elem func() error) error {
	switch d.dec.PeekKind() {
	case 'n':
		return d.dec.SkipValue()
	case '[':
	default:
		return d.fail("an array")
	}
	if _, err := d.dec.ReadToken(); err != nil {
		return err
	}
	i := 0
	for ; d.dec.PeekKind() != ']'; i++ {
		if d.dec.PeekKind() == 0 { // a broken element i, or a broken end of the array after element i-1
			_, err := d.dec.ReadValue()
			if i > 0 && !bytes.HasPrefix(bytes.TrimLeft(d.dec.UnreadBuffer(), " \t\r\n"), []byte(",")) {
				return err
			}
			return at("["+strconv.Itoa(i)+"]", err)
		}
		if err := elem(); err != nil {
			return at("["+strconv.Itoa(i)+"]", err)
		}
	}
	if _, err := d.dec.ReadToken(); err != nil {
		return at("["+strconv.Itoa(i)+"]", err)
	}
	return nil
}

// list reads a list: an array, or a string holding one, which is read by a decoder of its
// own (so elem is given the decoder to read the element with). null and "" are empty.
func (d *bodyDecoder) list(elem func(d *bodyDecoder) error) error {
	if d.dec.PeekKind() != '"' {
		return d.array(func() error { return elem(d) })
	}
	v, err := d.dec.ReadValue()
	if err != nil {
		return err
	}
	s := bytes.TrimSpace(d.text(v))
	if len(s) == 0 || string(s) == "null" {
		return nil
	}
	s = slices.Clone(s) // text is only valid until d's next read
	if s[0] == '{' && s[len(s)-1] == '}' {
		s[0], s[len(s)-1] = '[', ']' // a SQL array
	}
	if s[0] != '[' {
		return mismatch("an array", v.Kind(), v)
	}
	sub := &bodyDecoder{dec: jsontext.NewDecoder(bytes.NewReader(s), decodeOptions...), intern: d.intern, row: d.row, up: d}
	err = sub.array(func() error { return elem(sub) })
	if err == nil {
		if _, end := sub.dec.ReadToken(); end != io.EOF {
			err = errors.New("data after the array")
		}
	}
	var pe *pathError
	if err != nil && (!errors.As(err, &pe) || pe.err != nil) { // not JSON: the string is not a list
		return mismatch("an array", v.Kind(), v)
	}
	return err
}

// entries reads a collection that Toggl may send as an array or as an object keyed by id
// (or title): elem is called with each non-null element, and its key in the object form.
func (d *bodyDecoder) entries(elem func(key []byte, keyed bool) error) error {
	switch d.dec.PeekKind() {
	case '{':
		return d.object(true, func(key []byte) error { return d.nonNull(func() error { return elem(key, true) }) })
	case '[', 'n':
		return d.array(func() error { return d.nonNull(func() error { return elem(nil, false) }) })
	}
	return d.fail("an array or an object")
}

// ints reads a list of integers into *dst, on the row's scratch space; with ids, null
// elements and zero ids are dropped, else a null element is 0 and keeps its place.
func (d *bodyDecoder) ints(dst *[]int64, ids bool) error {
	start := len(d.row.ints)
	err := d.list(func(d *bodyDecoder) error {
		n, present, err := d.optInt()
		if err == nil && (!ids || present && n != 0) {
			d.row.ints = append(d.row.ints, n)
		}
		return err
	})
	*dst = cut(d.row.ints, start)
	return err
}

// nonNull reads the next value with read unless it is null, which it skips.
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
