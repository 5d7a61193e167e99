package client

// Tolerant conversions from the generic values that encoding/json produces (with
// UseNumber) to the types of report.go. Scalars convert leniently: null is the zero
// value, numbers may be integral floats or numeric strings, booleans may be "true" or 0/1.
// A value of the wrong structure (an object or array where a scalar is expected, a scalar
// where an array is expected) is an error naming its path.

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// pathError is a decode failure at a JSON path such as `detailed_results.report[3].user_id`.
type pathError struct {
	path string
	msg  string
}

func (e *pathError) Error() string {
	if e.path == "" {
		return e.msg
	}
	return e.path + ": " + e.msg
}

// at prefixes the path of err (a *pathError or any error) with prefix.
func at(prefix string, err error) error {
	if err == nil {
		return nil
	}
	if pe, ok := err.(*pathError); ok {
		return &pathError{path: joinPath(prefix, pe.path), msg: pe.msg}
	}
	return &pathError{path: prefix, msg: err.Error()}
}

func joinPath(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "" || strings.HasPrefix(b, "["):
		return a + b
	default:
		return a + "." + b
	}
}

func index(i int) string { return "[" + strconv.Itoa(i) + "]" }

// mapKey is the path element of an object key. Keys and values appear in messages
// whole and unescaped or not at all, so that Run can redact any secret in them.
func mapKey(k string) string {
	if len(k) > maxQuoted {
		return "[…]"
	}
	return `["` + k + `"]`
}

func mismatch(want string, v any) error {
	return &pathError{msg: "expected " + want + ", got " + describe(v)}
}

// maxQuoted is the longest string value or key that an error message shows.
const maxQuoted = 40

// describe names the kind of v, with its value when short.
func describe(v any) string {
	switch x := v.(type) {
	case string:
		if len(x) > maxQuoted {
			return fmt.Sprintf("a string of %d bytes", len(x))
		}
		return `string "` + x + `"`
	case json.Number:
		if len(x) > maxQuoted {
			return "a long number"
		}
		return "number " + string(x)
	}
	return kindOf(v)
}

func kindOf(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case json.Number, float64:
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	default:
		return fmt.Sprintf("%T", v)
	}
}

// toInt accepts integers, floats with an integral value and numeric strings; null and ""
// are 0.
func toInt(v any) (int64, error) {
	switch x := v.(type) {
	case nil:
		return 0, nil
	case json.Number:
		return parseInt(string(x), v)
	case string:
		s := strings.TrimSpace(x)
		if s == "" {
			return 0, nil
		}
		return parseInt(s, v)
	default:
		return 0, mismatch("an integer", v)
	}
}

func parseInt(s string, v any) (int64, error) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f != math.Trunc(f) ||
		f < -(1<<63) || f >= 1<<63 {
		return 0, mismatch("an integer", v)
	}
	return int64(f), nil
}

// toIntPtr is toInt with nil for null (and for an empty string).
func toIntPtr(v any) (*int64, error) {
	if v == nil {
		return nil, nil
	}
	if s, ok := v.(string); ok && strings.TrimSpace(s) == "" {
		return nil, nil
	}
	n, err := toInt(v)
	if err != nil {
		return nil, err
	}
	return &n, nil
}

// toString accepts strings, and numbers and booleans in their JSON spelling; null is "".
func toString(v any) (string, error) {
	switch x := v.(type) {
	case nil:
		return "", nil
	case string:
		return x, nil
	case json.Number:
		return string(x), nil
	case bool:
		return strconv.FormatBool(x), nil
	default:
		return "", mismatch("a string", v)
	}
}

// toBool accepts booleans, numbers (non-zero is true) and strconv.ParseBool strings; null
// and "" are false.
func toBool(v any) (bool, error) {
	switch x := v.(type) {
	case nil:
		return false, nil
	case bool:
		return x, nil
	case json.Number:
		f, err := strconv.ParseFloat(string(x), 64)
		if err != nil {
			return false, mismatch("a boolean", v)
		}
		return f != 0, nil
	case string:
		s := strings.TrimSpace(x)
		if s == "" {
			return false, nil
		}
		b, err := strconv.ParseBool(s)
		if err != nil {
			return false, mismatch("a boolean", v)
		}
		return b, nil
	default:
		return false, mismatch("a boolean", v)
	}
}

// toList returns the elements of an array, or of a JSON array held in a string (also in
// the "{1,2}" spelling of a SQL array). null and "" are an empty list.
func toList(v any) ([]any, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case []any:
		return x, nil
	case string:
		s := strings.TrimSpace(x)
		if s == "" || s == "null" {
			return nil, nil
		}
		if strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}") {
			s = "[" + s[1:len(s)-1] + "]"
		}
		if !strings.HasPrefix(s, "[") {
			return nil, mismatch("an array", v)
		}
		dec := json.NewDecoder(strings.NewReader(s))
		dec.UseNumber()
		var list []any
		if err := dec.Decode(&list); err != nil || dec.More() {
			return nil, mismatch("an array", v)
		}
		return list, nil
	default:
		return nil, mismatch("an array", v)
	}
}

// toIDs reads a list of ids; null elements and zero ids are dropped.
func toIDs(v any) ([]int64, error) {
	list, err := toList(v)
	if err != nil {
		return nil, err
	}
	var ids []int64
	for i, e := range list {
		n, err := toInt(e)
		if err != nil {
			return nil, at(index(i), err)
		}
		if n != 0 {
			ids = append(ids, n)
		}
	}
	return ids, nil
}

// toDays reads a per-day list of a weekly row; a null element is 0 and keeps its place.
func toDays(v any) ([]int64, error) {
	list, err := toList(v)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, nil
	}
	days := make([]int64, len(list))
	for i, e := range list {
		n, err := toInt(e)
		if err != nil {
			return nil, at(index(i), err)
		}
		days[i] = n
	}
	return days, nil
}

// toStrings reads a list of strings; a null element is "" and keeps its place.
func toStrings(v any) ([]string, error) {
	list, err := toList(v)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, nil
	}
	out := make([]string, len(list))
	for i, e := range list {
		s, err := toString(e)
		if err != nil {
			return nil, at(index(i), err)
		}
		out[i] = s
	}
	return out, nil
}

// toObject accepts an object or null.
func toObject(v any) (map[string]any, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case map[string]any:
		return x, nil
	default:
		return nil, mismatch("an object", v)
	}
}

// entry is one element of a collection that Toggl may send as an array or as an object
// keyed by id (or by title).
type entry struct {
	key    string // "" for the array form
	hasKey bool
	path   string
	value  any
}

// toEntries lists the elements of an array or the values of an object, the latter in a
// stable order (numeric keys by value first, then the others), so that results do not
// depend on map iteration.
func toEntries(v any) ([]entry, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case []any:
		out := make([]entry, 0, len(x))
		for i, e := range x {
			out = append(out, entry{path: index(i), value: e})
		}
		return out, nil
	case map[string]any:
		out := make([]entry, 0, len(x))
		for k, e := range x {
			out = append(out, entry{key: k, hasKey: true, path: mapKey(k), value: e})
		}
		sortEntries(out)
		return out, nil
	default:
		return nil, mismatch("an array or an object", v)
	}
}

func sortEntries(es []entry) {
	type sortKey struct {
		numeric bool
		n       int64
	}
	keys := make(map[string]sortKey, len(es))
	for _, e := range es {
		n, err := strconv.ParseInt(e.key, 10, 64)
		keys[e.key] = sortKey{numeric: err == nil, n: n}
	}
	sort.Slice(es, func(i, j int) bool {
		a, b := keys[es[i].key], keys[es[j].key]
		if a.numeric != b.numeric {
			return a.numeric
		}
		if a.numeric && a.n != b.n {
			return a.n < b.n
		}
		return es[i].key < es[j].key
	})
}

// fields reads the fields of a JSON object, keeping the first error with its path.
type fields struct {
	m   map[string]any
	err error
}

func (f *fields) fail(key string, err error) {
	if f.err == nil && err != nil {
		f.err = at(key, err)
	}
}

func (f *fields) has(key string) bool {
	_, ok := f.m[key]
	return ok
}

func (f *fields) int(key string) int64 {
	n, err := toInt(f.m[key])
	f.fail(key, err)
	return n
}

func (f *fields) intPtr(key string) *int64 {
	n, err := toIntPtr(f.m[key])
	f.fail(key, err)
	return n
}

func (f *fields) str(key string) string {
	s, err := toString(f.m[key])
	f.fail(key, err)
	return s
}

func (f *fields) bool(key string) bool {
	b, err := toBool(f.m[key])
	f.fail(key, err)
	return b
}

func (f *fields) ids(key string) []int64 {
	ids, err := toIDs(f.m[key])
	f.fail(key, err)
	return ids
}

func (f *fields) days(key string) []int64 {
	days, err := toDays(f.m[key])
	f.fail(key, err)
	return days
}

func (f *fields) strings(key string) []string {
	s, err := toStrings(f.m[key])
	f.fail(key, err)
	return s
}

// plain converts the numbers of a decoded free-form value to float64, as json.Unmarshal
// into an `any` would give them (a number too large for a float64 stays its string).
func plain(v any) any {
	switch x := v.(type) {
	case json.Number:
		f, err := x.Float64()
		if err != nil {
			return string(x)
		}
		return f
	case map[string]any:
		for k, e := range x {
			x[k] = plain(e)
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = plain(e)
		}
		return x
	default:
		return v
	}
}
