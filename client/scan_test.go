package client

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
)

// readAnyOracle decodes the first value of data as Decode did before scan.go: with
// encoding/json into an `any`, numbers as json.Number.
func readAnyOracle(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	err := dec.Decode(&v)
	return v, err
}

// compareWithOracle checks that the scanner reads data as encoding/json does: the same
// value, or the same syntax error message, or both find it truncated. skip must accept
// exactly what readAny accepts, and stop at the same place.
func compareWithOracle(t *testing.T, data []byte, r io.Reader) {
	t.Helper()
	want, wantErr := readAnyOracle(data)
	s := newScanner(r)
	got, err := s.readAny(0)
	var syn *json.SyntaxError
	var mine *syntaxError
	switch {
	case wantErr == nil && err == nil:
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%q:\n got %#v\nwant %#v", data, got, want)
		}
	case wantErr == io.EOF || wantErr == io.ErrUnexpectedEOF:
		if err != io.ErrUnexpectedEOF && err != io.EOF {
			t.Fatalf("%q: encoding/json: %v; scanner: %v", data, wantErr, err)
		}
	case errors.As(wantErr, &syn):
		if !errors.As(err, &mine) || mine.msg != syn.Error() {
			t.Fatalf("%q: encoding/json: %v; scanner: %v", data, wantErr, err)
		}
	default:
		t.Fatalf("%q: encoding/json: %v (%T); scanner: %v, %#v", data, wantErr, wantErr, err, got)
	}
	// skip agrees on validity and on where the value ends.
	s2 := newScanner(bytes.NewReader(data))
	err2 := s2.skip(0)
	if (err == nil) != (err2 == nil) {
		if errors.As(err, &mine) && strings.Contains(mine.msg, "exceeded max depth") {
			return // skip has no nesting limit, as the Token walk had none
		}
		t.Fatalf("%q: readAny: %v; skip: %v", data, err, err2)
	}
	if err == nil && s.offset(s.pos) != s2.offset(s2.pos) {
		t.Fatalf("%q: readAny stops at %d, skip at %d", data, s.offset(s.pos), s2.offset(s2.pos))
	}
}

var scanSeeds = []string{
	`{}`, `[]`, `""`, `0`, `-0`, `1.5e+10`, `-12.5E-3`, `true`, `false`, `null`,
	`{"a":[1,2,{"b":null}],"c":"d\u00e9\n\"x\"","a":7}`,
	`"\ud83d\ude00 \ud83d \udc00x \u00"`, `"bad \x escape"`, "\"ctl \x01\"",
	`[1,]`, `{"a":1,}`, `{"a" 1}`, `{"a":1 "b":2}`, `[1 2]`, `01`, `-`, `1.`, `1e`, `1e+`,
	`tru`, `trux`, `nul`, `fals`, `{"a":`, `[`, `"abc`, "\xff\xfe", `"\xff"`, `{1:2}`, `]`, `}`,
}

// bigScanSeeds cross the scanner's buffer and nesting limits; too big to be fuzzing seeds.
var bigScanSeeds = []string{
	`[` + strings.Repeat(`[`, 10001) + strings.Repeat(`]`, 10002),
	`[` + strings.Repeat(`[`, 9999) + strings.Repeat(`]`, 10000),
	`{"long":"` + strings.Repeat("é", 70000) + `"}`,
	`[` + strings.Repeat(`123456789,`, 20000) + `0]`,
}

func TestReadAnyMatchesEncodingJSON(t *testing.T) {
	for _, seed := range append(slices.Clone(scanSeeds), bigScanSeeds...) {
		compareWithOracle(t, []byte(seed), bytes.NewReader([]byte(seed)))
		// One byte at a time, so that every token crosses a refill.
		compareWithOracle(t, []byte(seed), iotest.OneByteReader(bytes.NewReader([]byte(seed))))
	}
}

// FuzzReadAny checks the scanner against encoding/json on arbitrary bytes.
func FuzzReadAny(f *testing.F) {
	for _, seed := range scanSeeds {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		compareWithOracle(t, data, bytes.NewReader(data))
		compareWithOracle(t, data, iotest.HalfReader(bytes.NewReader(data)))
	})
}
