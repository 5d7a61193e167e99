package client

// The tolerant reading of JSON values, written once for every field of a body, as
// unmarshalers of the library's struct decoding. Scalars convert leniently: null is the
// zero value, numbers may be integral floats or numeric strings, booleans may be "true"
// or 0/1. Lists may be arrays or strings holding one ("[1,2]", or "{1,2}" as a SQL
// array). Collections keyed by id may be objects or arrays. A value of the wrong
// structure (an object where a number is expected, a number where a list is expected)
// is a *pathError naming it.

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
	"sync"
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

// maxQuoted is the longest string value, number or key that an error message shows: a
// longer one is described, so that Run can redact any secret in what is shown whole.
const maxQuoted = 40

// mapKey is the path element of an object key.
func mapKey(k string) string {
	if len(k) > maxQuoted {
		return "[…]"
	}
	return `["` + k + `"]`
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

// bodyDecoder decodes a body read from dec tolerantly: the unmarshalers of its options
// convert values, stream rows to sink and note unknown fields. Its scratch space is
// reused from row to row.
type bodyDecoder struct {
	dec     *jsontext.Decoder
	in      *body
	opts    []jsontext.Options
	sink    Sink
	secrets *[]string // where the secrets read are appended (see secret)
	unq     []byte    // unquoted string scratch
	intern  map[string]string
	unknown map[string]bool // the paths of the fields skipped as unknown (see note)
	outer   [2]string       // the path of the string a list is read from, and its generic form
	blocks  int             // the non-null result blocks read so far
	scratch struct {
		detailed    detailedJSON
		detailedRow DetailedRow
		entry       entryJSON
		weekly      weeklyJSON
		weeklyRow   WeeklyRow
		group       groupJSON
		groupOut    SummaryGroup
		subs        []subGroupJSON
		rate        rateJSON
	}
}

const maxInterns = 4096 // distinct strings kept for reuse: rows repeat a few names

// Wire types read by bodyDecoder's unmarshalers.
type (
	optInt struct { // an integer, and whether it was there (not null, not "")
		n   int64
		set bool
	}
	hours       int64 // a number of hours (possibly fractional), as seconds; 0 when not one
	lenient     int64 // an integer; 0 when not one
	timeJSON    struct{ t time.Time }
	present     bool     // whether the value is not null
	seen[T any] struct { // a value, and whether its member was there (even null)
		v   T
		had bool
	}
	secret string         // a string that errors redact once it is read
	params map[string]any // an object, or a string holding one; nil for anything else
)

// bodyDecoders keeps bodyDecoders for reuse: their options, and the library's cache of
// which unmarshaler serves which type, are made once.
var bodyDecoders sync.Pool

// newBodyDecoder returns a decoder of r, counting what it reads in a body, that hands
// rows to sink (nil discards them) and appends the secrets it reads to secrets. Release
// it when done.
func newBodyDecoder(r io.Reader, sink Sink, secrets *[]string) *bodyDecoder {
	b, ok := r.(*body)
	if !ok {
		b = &body{r: r}
	}
	d, _ := bodyDecoders.Get().(*bodyDecoder)
	if d == nil {
		d = &bodyDecoder{intern: map[string]string{}, dec: new(jsontext.Decoder)}
		d.options()
	}
	clear(d.intern)
	d.in, d.sink, d.secrets, d.unknown, d.outer, d.blocks = b, cmp.Or[Sink](sink, discard{}), secrets, nil, [2]string{}, 0
	d.dec.Reset(b, d.opts...)
	return d
}

// release returns d for reuse. Its decoder keeps a buffer the size of the largest value
// read at once, as it would between reads.
func (d *bodyDecoder) release() {
	d.in, d.sink, d.secrets = nil, nil, nil
	bodyDecoders.Put(d)
}

// options makes the options of d's decoders.
func (d *bodyDecoder) options() {
	d.opts = []jsontext.Options{
		jsontext.AllowDuplicateNames(true), // the last one wins, as with encoding/json
		jsontext.AllowInvalidUTF8(true),    // replaced in the strings that are kept
		json.WithUnmarshalers(json.JoinUnmarshalers(
			json.UnmarshalFromFunc(func(dec *jsontext.Decoder, n *int64) (err error) {
				*n, _, err = d.integer(dec)
				return err
			}),
			json.UnmarshalFromFunc(func(dec *jsontext.Decoder, p **int64) error { // nil when absent
				n, set, err := d.integer(dec)
				if *p = nil; set {
					*p = &n
				}
				return err
			}),
			json.UnmarshalFromFunc(func(dec *jsontext.Decoder, o *optInt) (err error) {
				o.n, o.set, err = d.integer(dec)
				return err
			}),
			json.UnmarshalFromFunc(func(dec *jsontext.Decoder, l *lenient) error {
				n, _, err := d.integer(dec)
				if *l = lenient(n); errors.As(err, new(*pathError)) {
					return nil
				}
				return err
			}),
			json.UnmarshalFromFunc(func(dec *jsontext.Decoder, p *params) error {
				var v any
				err := json.UnmarshalDecode(dec, &v)
				if text, ok := v.(string); ok {
					v = nil
					_ = json.Unmarshal([]byte(text), &v, d.opts...)
				}
				*p, _ = v.(map[string]any)
				return err
			}),
			json.UnmarshalFromFunc(func(dec *jsontext.Decoder, p *seen[int64]) error {
				p.had = true
				return json.UnmarshalDecode(dec, &p.v)
			}),
			json.UnmarshalFromFunc(func(dec *jsontext.Decoder, p *seen[string]) error {
				p.had = true
				return json.UnmarshalDecode(dec, &p.v)
			}),
			json.UnmarshalFromFunc(d.str),
			json.UnmarshalFromFunc(d.bool),
			json.UnmarshalFromFunc(d.time),
			json.UnmarshalFromFunc(d.hours),
			json.UnmarshalFromFunc(func(dec *jsontext.Decoder, p *present) error {
				*p = dec.PeekKind() != 'n'
				return dec.SkipValue()
			}),
			json.UnmarshalFromFunc(func(dec *jsontext.Decoder, s *secret) error {
				err := d.str(dec, (*string)(s))
				if d.secrets != nil {
					*d.secrets = append(*d.secrets, string(*s))
				}
				return err
			}),
			json.UnmarshalFromFunc(func(dec *jsontext.Decoder, l *[]int64) error { // a null element is 0
				return list(d, dec, l, true, func(dec *jsontext.Decoder) (n int64, err error) { n, _, err = d.integer(dec); return n, err })
			}),
			json.UnmarshalFromFunc(func(dec *jsontext.Decoder, l *[]string) error {
				return list(d, dec, l, true, func(dec *jsontext.Decoder) (s string, err error) {
					err = d.str(dec, &s)
					return s, err
				})
			}),
			json.UnmarshalFromFunc(func(dec *jsontext.Decoder, l *[]Rate) error {
				return list(d, dec, l, false, func(dec *jsontext.Decoder) (Rate, error) {
					r := &d.scratch.rate
					*r = rateJSON{}
					err := d.object(dec, r)
					return r.Rate, err
				})
			}),
			json.UnmarshalFromFunc(func(dec *jsontext.Decoder, l *[]TimeEntry) error {
				return list(d, dec, l, false, func(dec *jsontext.Decoder) (TimeEntry, error) {
					e := &d.scratch.entry
					*e = entryJSON{}
					err := d.object(dec, e)
					return timeEntry(e), err
				})
			}),
			json.UnmarshalFromFunc(d.subGroups),
			json.UnmarshalFromFunc(func(dec *jsontext.Decoder, m *map[int64]Project) error { return dictionary(d, dec, m, project) }),
			json.UnmarshalFromFunc(func(dec *jsontext.Decoder, m *map[int64]Task) error { return dictionary(d, dec, m, task) }),
			json.UnmarshalFromFunc(func(dec *jsontext.Decoder, m *map[int64]Entity) error { return dictionary(d, dec, m, entity) }),
			json.UnmarshalFromFunc(d.rows),
			json.UnmarshalFromFunc(d.groups),
			json.UnmarshalFromFunc(d.note),
			json.UnmarshalFromFunc(func(dec *jsontext.Decoder, b *blockJSON) error {
				if b.order == 0 {
					d.blocks++
					b.order = d.blocks
				}
				return d.expectObject(dec)
			}),
			json.UnmarshalFromFunc(func(dec *jsontext.Decoder, _ *totalsJSON) error { return d.expectObject(dec) }),
			json.UnmarshalFromFunc(func(dec *jsontext.Decoder, _ *dictionariesJSON) error { return d.expectObject(dec) }),
			json.UnmarshalFromFunc(func(dec *jsontext.Decoder, _ *map[string]any) error { return d.expectObject(dec) }),
			// A free-form value is decoded as json.Unmarshal into an `any` does, except that
			// a number too large for a float64 stays its text instead of failing.
			json.UnmarshalFromFunc(func(dec *jsontext.Decoder, v *any) error {
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
			}),
		)),
	}
}

// mismatch is the error for the value v (kind k) read by dec where want was expected.
func (d *bodyDecoder) mismatch(dec *jsontext.Decoder, want string, v jsontext.Value) error {
	return &pathError{path: d.path(dec, dec.StackPointer(), false), msg: "expected " + want + ", got " + describe(v.Kind(), v)}
}

// fail reads the next value, which is of the wrong kind, and returns the error naming
// it, want naming what was expected.
func (d *bodyDecoder) fail(dec *jsontext.Decoder, want string) error {
	v, err := dec.ReadValue()
	if err != nil {
		return err
	}
	return d.mismatch(dec, want, v)
}

// expectObject fails unless the next value is an object or null, which it leaves to the
// library's decoding.
func (d *bodyDecoder) expectObject(dec *jsontext.Decoder) error {
	if k := dec.PeekKind(); k != '{' && k != 'n' {
		return d.fail(dec, "an object")
	}
	return errors.ErrUnsupported
}

// object decodes the next value, an object or null, into v.
func (d *bodyDecoder) object(dec *jsontext.Decoder, v any) error {
	if k := dec.PeekKind(); k != '{' && k != 'n' {
		return d.fail(dec, "an object")
	}
	return json.UnmarshalDecode(dec, v)
}

// array reads an array, calling elem to read each element; null is an empty array.
// Null elements are read by elem with nulls, else skipped.
func (d *bodyDecoder) array(dec *jsontext.Decoder, nulls bool, elem func() error) error {
	switch dec.PeekKind() {
	case 'n':
		return dec.SkipValue()
	case '[':
	default:
		return d.fail(dec, "an array")
	}
	if _, err := dec.ReadToken(); err != nil {
		return err
	}
	for {
		switch k := dec.PeekKind(); {
		case k == ']':
			_, err := dec.ReadToken()
			return err
		case k == 0:
			_, err := dec.ReadValue()
			return err
		case k == 'n' && !nulls:
			if err := dec.SkipValue(); err != nil {
				return err
			}
		default:
			if err := elem(); err != nil {
				return err
			}
		}
	}
}

// entries reads a collection that Toggl may send as an array or as an object keyed by id
// (or title): elem is called for each non-null element, with its key in the object form.
func (d *bodyDecoder) entries(dec *jsontext.Decoder, elem func(key string, keyed bool) error) error {
	switch dec.PeekKind() {
	case '[', 'n':
		return d.array(dec, false, func() error { return elem("", false) })
	case '{':
	default:
		return d.fail(dec, "an array or an object")
	}
	if _, err := dec.ReadToken(); err != nil {
		return err
	}
	for dec.PeekKind() != '}' {
		tok, err := dec.ReadToken()
		if err != nil {
			return err
		}
		if key := tok.String(); dec.PeekKind() == 'n' {
			err = dec.SkipValue()
		} else {
			err = elem(key, true)
		}
		if err != nil {
			return err
		}
	}
	_, err := dec.ReadToken()
	return err
}

// list reads a list into *dst, reusing its space, each element with elem: an array, or a
// string holding one, read by a decoder of its own. null and "" are empty; null elements
// are read by elem with nulls, else dropped.
func list[T any](d *bodyDecoder, dec *jsontext.Decoder, dst *[]T, nulls bool, elem func(*jsontext.Decoder) (T, error)) error {
	*dst = (*dst)[:0]
	if dec.PeekKind() != '"' {
		return d.array(dec, nulls, func() error {
			v, err := elem(dec)
			*dst = append(*dst, v)
			return err
		})
	}
	v, err := dec.ReadValue()
	if err != nil {
		return err
	}
	s := bytes.TrimSpace(d.text(v))
	if len(s) == 0 || string(s) == "null" {
		return nil
	}
	s = slices.Clone(s) // text is only valid until dec's next read
	if s[0] == '{' && s[len(s)-1] == '}' {
		s[0], s[len(s)-1] = '[', ']' // a SQL array
	}
	if s[0] != '[' {
		return d.mismatch(dec, "an array", v)
	}
	outer := d.outer
	d.outer = [2]string{d.path(dec, dec.StackPointer(), false), d.path(dec, dec.StackPointer(), true)}
	sub := jsontext.NewDecoder(bytes.NewReader(s), d.opts...)
	err = list(d, sub, dst, nulls, elem)
	d.outer = outer
	if err == nil {
		if _, end := sub.ReadToken(); end != io.EOF {
			err = errors.New("data after the array")
		}
	}
	var pe *pathError
	if err != nil && (!errors.As(err, &pe) || pe.err != nil) { // not JSON: the string is not a list
		return d.mismatch(dec, "an array", v)
	}
	return err
}

// text returns the content of the raw string v, valid until the next read.
func (d *bodyDecoder) text(v jsontext.Value) []byte {
	s := v[1 : len(v)-1]
	if bytes.IndexByte(s, '\\') < 0 {
		return s
	}
	d.unq, _ = jsontext.AppendUnquote(d.unq[:0], v) // invalid UTF-8 is replaced
	return d.unq
}

// number returns the text of a number or of a numeric string, trimmed (empty for null
// and ""); ok false for anything else.
func (d *bodyDecoder) number(v jsontext.Value) (b []byte, ok bool) {
	switch v.Kind() {
	case 'n':
		return nil, true
	case '0':
		return v, true
	case '"':
		return bytes.TrimSpace(d.text(v)), true
	}
	return nil, false
}

// integer reads an integer: a number or numeric string with an integral value; set false
// for null and "", which are 0. A field named *_in_cents is an amount, which Toggl never
// sends negative.
func (d *bodyDecoder) integer(dec *jsontext.Decoder) (n int64, set bool, err error) {
	v, err := dec.ReadValue()
	if err != nil {
		return 0, false, err
	}
	b, ok := d.number(v)
	if ok && len(b) == 0 {
		return 0, false, nil
	}
	n, isInt := parseInt(b)
	switch {
	case !ok || !isInt:
		return 0, false, d.mismatch(dec, "an integer", v)
	case n < 0 && strings.HasSuffix(dec.StackPointer().LastToken(), "_in_cents"):
		return 0, false, &pathError{path: d.path(dec, dec.StackPointer(), false),
			msg: "expected a non-negative amount, got number " + strconv.FormatInt(n, 10)}
	}
	return n, true, nil
}

// parseInt reads an integer, or a float with an integral value within range.
func parseInt(b []byte) (int64, bool) {
	if n, err := strconv.ParseInt(string(b), 10, 64); err == nil {
		return n, true
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f != math.Trunc(f) || f < -(1<<63) || f >= 1<<63 {
		return 0, false
	}
	return int64(f), true
}

// hours reads a number of hours (possibly fractional) as seconds; a value that is not
// one is 0, as the field is only a fallback.
func (d *bodyDecoder) hours(dec *jsontext.Decoder, s *hours) error {
	v, err := dec.ReadValue()
	b, _ := d.number(v)
	if *s = 0; len(b) == 0 {
		return err
	}
	if h, perr := strconv.ParseFloat(string(b), 64); perr == nil && !math.IsNaN(h) && math.Abs(h) <= 1e12 {
		*s = hours(math.Round(h * 3600))
	}
	return err
}

// str reads a string; numbers and booleans give their JSON spelling; null is "".
func (d *bodyDecoder) str(dec *jsontext.Decoder, s *string) error {
	v, err := dec.ReadValue()
	switch {
	case err != nil:
		return err
	case v.Kind() == '{' || v.Kind() == '[':
		return d.mismatch(dec, "a string", v)
	case v.Kind() == 'n':
		*s = ""
	case v.Kind() == '"':
		*s = d.keep(d.text(v))
	default:
		*s = d.keep(v)
	}
	return nil
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
func (d *bodyDecoder) bool(dec *jsontext.Decoder, b *bool) error {
	v, err := dec.ReadValue()
	if *b = false; err != nil || v.Kind() == 'n' {
		return err
	}
	s := string(v)
	if v.Kind() == '"' {
		s = string(bytes.TrimSpace(d.text(v)))
	}
	if p, err := strconv.ParseBool(s); err == nil || s == "" {
		*b = p
		return nil
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && v.Kind() == '0' {
		*b = f != 0
		return nil
	}
	return d.mismatch(dec, "a boolean", v)
}

// time reads a time: an RFC 3339 string (with or without fractional seconds, with Z or an
// offset), or Unix seconds as a number; null and "" are the zero time.
func (d *bodyDecoder) time(dec *jsontext.Decoder, t *timeJSON) error {
	t.t = time.Time{}
	if k := dec.PeekKind(); k == 'n' || k == '0' {
		n, set, err := d.integer(dec)
		if set {
			t.t = time.Unix(n, 0).UTC()
		}
		return err
	}
	v, err := dec.ReadValue()
	if err != nil || v.Kind() != '"' {
		return cmp.Or(err, d.mismatch(dec, "an RFC 3339 time", v))
	}
	b := bytes.TrimSpace(d.text(v))
	if len(b) == 0 {
		return nil
	}
	p, err := time.Parse(time.RFC3339, string(b))
	if err != nil {
		return d.mismatch(dec, "an RFC 3339 time", v)
	}
	t.t = p.UTC()
	return nil
}
