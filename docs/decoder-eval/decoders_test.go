// Package decodereval compares JSON decoders on the exporter's hot path: streaming a large
// detailed report and summing its rows, with the tolerance toggl-api.md asks for (null,
// numbers as strings or integral floats) and unknown fields skipped. It is a module of
// its own so that the candidates it evaluates stay out of the exporter's go.mod.
//
//	cd docs/decoder-eval && go test -run='^$' -bench=. -benchmem
package decodereval

import (
	"bytes"
	stdjson "encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"sync"
	"testing"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	goccy "github.com/goccy/go-json"

	"github.com/toggl-exporter/toggl_exporter/client"
	"github.com/toggl-exporter/toggl_exporter/internal/bigreport"
)

// sums is what every candidate computes: tracked seconds by project, and rows.
type sums struct {
	rows     int
	seconds  int64
	projects map[int64]int64
}

func newSums() *sums { return &sums{projects: map[int64]int64{}} }

func (s *sums) add(project, seconds int64) {
	s.rows++
	s.seconds += seconds
	s.projects[project] += seconds
}

// The hand-written decoder of package client, as the exporter uses it.
type sumSink struct{ s *sums }

func (k sumSink) DetailedRow(r *client.DetailedRow) { k.s.add(r.ProjectID, r.Seconds) }
func (k sumSink) WeeklyRow(*client.WeeklyRow)       {}
func (k sumSink) SummaryGroup(*client.SummaryGroup) {}

func handWritten(r io.Reader) (*sums, error) {
	s := newSums()
	_, err := client.Decode(r, sumSink{s})
	return s, err
}

// flexInt is a tolerant integer for struct decoding: null, a number (integral float
// included) or a numeric string.
type flexInt int64

func parseFlex(b []byte) (int64, error) {
	s := strings.TrimSpace(string(b))
	if s == "null" || s == `""` {
		return 0, nil
	}
	if len(s) > 1 && s[0] == '"' {
		u, err := strconv.Unquote(s)
		if err != nil {
			return 0, err
		}
		s = strings.TrimSpace(u)
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f != math.Trunc(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("not an integer: %s", s)
	}
	return int64(f), nil
}

func (n *flexInt) UnmarshalJSON(b []byte) error {
	v, err := parseFlex(b)
	*n = flexInt(v)
	return err
}

// rowStruct is a detailed row as a typed struct: only the fields the exporter reads.
type rowStruct struct {
	UserID      flexInt `json:"user_id"`
	ProjectID   flexInt `json:"project_id"`
	Billable    any     `json:"billable"`
	Amount      flexInt `json:"billable_amount_in_cents"`
	Currency    *string `json:"currency"`
	TagIDs      []any   `json:"tag_ids"`
	TimeEntries []struct {
		Seconds flexInt `json:"seconds"`
	} `json:"time_entries"`
}

func (r *rowStruct) seconds() int64 {
	var s int64
	for _, te := range r.TimeEntries {
		s += max(int64(te.Seconds), 0)
	}
	return s
}

// tokenWalker is the Token-based walk to detailed_results.report that encoding/json and
// goccy/go-json share: it skips everything else token by token.
type tokenWalker interface {
	Token() (stdjson.Token, error)
	More() bool
}

func walkToRows(next func() (any, error), more func() bool, skip func() error, onRows func() error) error {
	if _, err := next(); err != nil { // {
		return err
	}
	for more() {
		k, err := next()
		if err != nil {
			return err
		}
		if k != "detailed_results" {
			if err := skip(); err != nil {
				return err
			}
			continue
		}
		if _, err := next(); err != nil { // {
			return err
		}
		for more() {
			k, err := next()
			if err != nil {
				return err
			}
			if k != "report" {
				if err := skip(); err != nil {
					return err
				}
				continue
			}
			if _, err := next(); err != nil { // [
				return err
			}
			if err := onRows(); err != nil {
				return err
			}
			if _, err := next(); err != nil { // ]
				return err
			}
		}
		if _, err := next(); err != nil { // }
			return err
		}
	}
	return nil
}

// skipTokens skips one value with Token (neither decoder has a cheaper skip).
func skipTokens(next func() (any, error)) error {
	depth := 0
	for {
		t, err := next()
		if err != nil {
			return err
		}
		switch fmt.Sprint(t) {
		case "{", "[":
			depth++
		case "}", "]":
			depth--
		}
		if depth == 0 {
			return nil
		}
	}
}

// encodingJSONStructs: encoding/json, Token walk, each row decoded into rowStruct.
func encodingJSONStructs(r io.Reader) (*sums, error) {
	s := newSums()
	dec := stdjson.NewDecoder(r)
	next := func() (any, error) { return dec.Token() }
	err := walkToRows(next, dec.More, func() error { return skipTokens(next) }, func() error {
		for dec.More() {
			var row rowStruct
			if err := dec.Decode(&row); err != nil {
				return err
			}
			s.add(int64(row.ProjectID), row.seconds())
		}
		return nil
	})
	return s, err
}

// encodingJSONMaps: encoding/json, Token walk, each row into a map[string]any (the
// exporter's decoder before the hand-written one).
func encodingJSONMaps(r io.Reader) (*sums, error) {
	s := newSums()
	dec := stdjson.NewDecoder(r)
	dec.UseNumber()
	next := func() (any, error) { return dec.Token() }
	err := walkToRows(next, dec.More, func() error { return skipTokens(next) }, func() error {
		for dec.More() {
			var row map[string]any
			if err := dec.Decode(&row); err != nil {
				return err
			}
			p, _ := parseFlex([]byte(fmt.Sprint(row["project_id"])))
			var secs int64
			entries, _ := row["time_entries"].([]any)
			for _, e := range entries {
				m, _ := e.(map[string]any)
				n, _ := parseFlex([]byte(fmt.Sprint(m["seconds"])))
				secs += max(n, 0)
			}
			s.add(p, secs)
		}
		return nil
	})
	return s, err
}

// goccyStructs: goccy/go-json, Token walk, each row decoded into rowStruct.
func goccyStructs(r io.Reader) (*sums, error) {
	s := newSums()
	dec := goccy.NewDecoder(r)
	next := func() (any, error) { return dec.Token() }
	err := walkToRows(next, dec.More, func() error { return skipTokens(next) }, func() error {
		for dec.More() {
			var row rowStruct
			if err := dec.Decode(&row); err != nil {
				return err
			}
			s.add(int64(row.ProjectID), row.seconds())
		}
		return nil
	})
	return s, err
}

// jsontextTokens: go-json-experiment's jsontext, a hand-written walk on its tokens: no
// value is decoded whole, unknown values are skipped with SkipValue.
func jsontextTokens(r io.Reader) (*sums, error) {
	s := newSums()
	dec := jsontext.NewDecoder(r)
	intOf := func() (int64, error) {
		t, err := dec.ReadToken()
		if err != nil {
			return 0, err
		}
		switch t.Kind() {
		case 'n':
			return 0, nil
		case '0':
			if n, err := t.Int(); err == nil {
				return n, nil
			}
			return parseFlex([]byte(t.String()))
		case '"':
			return parseFlex([]byte(strconv.Quote(t.String())))
		}
		return 0, errors.New("not an integer")
	}
	row := func() error {
		if _, err := dec.ReadToken(); err != nil { // {
			return err
		}
		var project, secs int64
		for dec.PeekKind() != '}' {
			k, err := dec.ReadToken()
			if err != nil {
				return err
			}
			switch k.String() {
			case "project_id":
				if project, err = intOf(); err != nil {
					return err
				}
			case "time_entries":
				if dec.PeekKind() == 'n' {
					_, err = dec.ReadToken()
					break
				}
				if _, err := dec.ReadToken(); err != nil { // [
					return err
				}
				for dec.PeekKind() != ']' {
					if _, err := dec.ReadToken(); err != nil { // {
						return err
					}
					for dec.PeekKind() != '}' {
						k, err := dec.ReadToken()
						if err != nil {
							return err
						}
						if k.String() == "seconds" {
							n, err := intOf()
							if err != nil {
								return err
							}
							secs += max(n, 0)
						} else if err := dec.SkipValue(); err != nil {
							return err
						}
					}
					if _, err := dec.ReadToken(); err != nil { // }
						return err
					}
				}
				_, err = dec.ReadToken() // ]
			default:
				err = dec.SkipValue()
			}
			if err != nil {
				return err
			}
		}
		_, err := dec.ReadToken() // }
		s.add(project, secs)
		return err
	}
	next := func() (any, error) {
		t, err := dec.ReadToken()
		if err != nil {
			return nil, err
		}
		if t.Kind() == '"' {
			return t.String(), nil
		}
		return t.Kind().String(), nil
	}
	more := func() bool { k := dec.PeekKind(); return k != '}' && k != ']' && k != 0 }
	err := walkToRows(next, more, dec.SkipValue, func() error {
		for more() {
			if err := row(); err != nil {
				return err
			}
		}
		return nil
	})
	return s, err
}

// v2flexInt is flexInt for go-json-experiment/json's v2 API.
type v2flexInt int64

func (n *v2flexInt) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	v, err := dec.ReadValue()
	if err != nil {
		return err
	}
	p, err := parseFlex(v)
	*n = v2flexInt(p)
	return err
}

type v2rowStruct struct {
	UserID      v2flexInt `json:"user_id"`
	ProjectID   v2flexInt `json:"project_id"`
	Billable    any       `json:"billable"`
	Amount      v2flexInt `json:"billable_amount_in_cents"`
	Currency    *string   `json:"currency"`
	TagIDs      []any     `json:"tag_ids"`
	TimeEntries []struct {
		Seconds v2flexInt `json:"seconds"`
	} `json:"time_entries"`
}

// jsonv2Structs: go-json-experiment/json v2, jsontext walk, each row decoded into a
// typed struct with UnmarshalDecode.
func jsonv2Structs(r io.Reader) (*sums, error) {
	s := newSums()
	dec := jsontext.NewDecoder(r)
	next := func() (any, error) {
		t, err := dec.ReadToken()
		if err != nil {
			return nil, err
		}
		if t.Kind() == '"' {
			return t.String(), nil
		}
		return t.Kind().String(), nil
	}
	more := func() bool { k := dec.PeekKind(); return k != '}' && k != ']' && k != 0 }
	err := walkToRows(next, more, dec.SkipValue, func() error {
		for more() {
			var row v2rowStruct
			if err := jsonv2.UnmarshalDecode(dec, &row); err != nil {
				return err
			}
			var secs int64
			for _, te := range row.TimeEntries {
				secs += max(int64(te.Seconds), 0)
			}
			s.add(int64(row.ProjectID), secs)
		}
		return nil
	})
	return s, err
}

var candidates = []struct {
	name string
	fn   func(io.Reader) (*sums, error)
}{
	{"hand-written(client.Decode)", handWritten},
	{"jsontext-tokens", jsontextTokens},
	{"json-experiment-v2-structs", jsonv2Structs},
	{"goccy-structs", goccyStructs},
	{"encoding-json-structs", encodingJSONStructs},
	{"encoding-json-maps", encodingJSONMaps},
}

var (
	bodyOnce sync.Once
	body     []byte
	expected bigreport.Expected
)

func report() ([]byte, bigreport.Expected) {
	bodyOnce.Do(func() { body, expected = bigreport.LargeJSON(bigreport.TypeDetailed, bigreport.LargeSpec(100000)) })
	return body, expected
}

// TestCandidatesAgree checks every candidate against the generator's figures, and their
// tolerance on a row of loose values.
func TestCandidatesAgree(t *testing.T) {
	b, exp := report()
	loose := `{"report_type":"detailed","x":[{"y":null}],"detailed_results":{"report":[` +
		`{"project_id":"7","billable":"true","time_entries":[{"seconds":"60"},{"seconds":30.0},{"seconds":null},{"seconds":-5}]}` +
		`],"totals":{}}}`
	for _, c := range candidates {
		s, err := c.fn(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if s.rows != exp.Rows || s.seconds != exp.Seconds || len(s.projects) != len(exp.ProjectSeconds) {
			t.Errorf("%s: %d rows, %d s, %d projects; want %d, %d, %d", c.name, s.rows, s.seconds, len(s.projects), exp.Rows, exp.Seconds, len(exp.ProjectSeconds))
		}
		s, err = c.fn(strings.NewReader(loose))
		if err != nil || s.rows != 1 || s.projects[7] != 90 {
			t.Errorf("%s on loose values: %v, %+v", c.name, err, s)
		}
	}
}

// BenchmarkDecoders runs every candidate on the 100k-entry detailed report, beside the
// baseline: encoding/json's Unmarshal of the same bytes into an `any`.
func BenchmarkDecoders(b *testing.B) {
	body, _ := report()
	for _, c := range candidates {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.fn(bytes.NewReader(body)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("baseline=json.Unmarshal-any", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			var v any
			if err := stdjson.Unmarshal(body, &v); err != nil {
				b.Fatal(err)
			}
		}
	})
}
