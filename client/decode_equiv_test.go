package client

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
)

// The hand-written decoder against the encoding/json one it replaced (decode_ref_test.go):
// on any input they must give the same report and the same rows, or both fail. Their
// messages agree too, except that a syntax error met while skipping an unused value is
// now placed at the offending byte rather than at the start of the token holding it.

func decodeBoth(t *testing.T, data []byte, exact bool) {
	t.Helper()
	gotRec, wantRec := &recorder{}, &recorder{}
	got, gotErr := Decode(iotest.HalfReader(bytes.NewReader(data)), gotRec)
	want, wantErr := refDecodeReport(bytes.NewReader(data), wantRec)
	switch {
	case (gotErr == nil) != (wantErr == nil):
		t.Fatalf("%.300q:\n got error %v\nwant error %v", data, gotErr, wantErr)
	case gotErr != nil:
		if Code(gotErr) != Code(wantErr) {
			t.Fatalf("%.300q: code %s, want %s", data, Code(gotErr), Code(wantErr))
		}
		if !sameMessage(gotErr.Error(), wantErr.Error(), exact) {
			t.Fatalf("%.300q:\n got %v\nwant %v", data, gotErr, wantErr)
		}
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%.300q: report\n got %s\nwant %s", data, show(*got), show(*want))
	}
	if !reflect.DeepEqual(gotRec, wantRec) {
		t.Fatalf("%.300q: rows\n got %+v\nwant %+v", data, gotRec, wantRec)
	}
}

// sameMessage compares error messages; unless exact, it allows the byte offset of a
// syntax error to differ (see above), and its context: encoding/json's Token gave none
// for a bad byte right after '{' ("invalid character '0'"), the scanner says "looking
// for beginning of object key string".
func sameMessage(got, want string, exact bool) bool {
	return got == want || !exact && loose(got) == loose(want)
}

// loose strips the offsets and the context of a syntax error from a message, and
// encoding/json's other spelling of a missing colon or comma (from Decode after Token):
// "expected colon after object key" for "invalid character 'x' after object key".
func loose(msg string) string {
	if strings.HasPrefix(msg, "toggl: decode features[") {
		return "features" // the walk before the scanner took features in map order
	}
	msg = strings.Replace(stripOffsets(msg), "in the value starting at byte", "at byte", 1)
	for _, after := range []string{"after object key", "after array element"} {
		if i := strings.LastIndex(msg, ": "); i >= 0 && strings.HasSuffix(msg, after) {
			msg = msg[:i] + ": missing separator"
		}
	}
	if i := strings.Index(msg, "invalid character '"); i >= 0 {
		rest := msg[i+len("invalid character '"):]
		if j := strings.Index(rest[1:], "'"); j >= 0 { // the quoted byte is at least one long
			msg = msg[:i] + "invalid character '" + rest[:j+2]
		}
	}
	return msg
}

// stripOffsets replaces "at byte N" with "at byte _".
func stripOffsets(s string) string {
	b := []byte(s)
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		out = append(out, b[i])
		if bytes.HasSuffix(out, []byte("at byte ")) {
			for i+1 < len(b) && b[i+1] >= '0' && b[i+1] <= '9' {
				i++
			}
			out = append(out, '_')
		}
	}
	return string(out)
}

// equivSeeds are rows and reports in every shape the fast path must hand over to the slow
// path: numeric strings, floats, escapes, duplicate keys, wrong types, invalid JSON.
var equivSeeds = []string{
	`{"report_type":"detailed","detailed_results":{"report":[{"user_id":1,"username":"a","time_entries":[{"seconds":5},null,{"seconds":-3},{"seconds":null}]}]}}`,
	`{"detailed_results":{"report":[{"user_id":"7","project_id":2.0,"billable":"true","tag_ids":"[1,2]","time_entries":[{"seconds":"60"}]}]}}`,
	`{"detailed_results":{"report":[{"user_id":1,"user_id":2,"tag_ids":[1],"tag_ids":[0,null,3],"time_entries":[{"seconds":1}],"time_entries":[{"seconds":2}]}]}}`,
	`{"detailed_results":{"report":[{"username":"","user_name":"b"},{"user_name":{}},{"username":"a","user_name":{}}]}}`,
	`{"detailed_results":{"report":[{"user\u005fid":5,"currency":"\u20ac","username":"Zo\u00eb","project_name":"caf\xc3\xa9"}]}}`,
	`{"detailed_results":{"report":[{"username":"bad \xff utf8","description":{"deep":[[[[1]]]]}}]}}`,
	`{"detailed_results":{"report":[{"user_id":12345678901234567890},{"user_id":123456789012345678},{"user_id":-0},{"user_id":1e2}]}}`,
	`{"detailed_results":{"report":[{"user_id":01}]}}`,
	`{"detailed_results":{"report":[{"time_entries":[{"seconds":9223372036854775807},{"seconds":9223372036854775807}]}]}}`,
	`{"detailed_results":{"report":[null,{},{"time_entries":null,"tag_ids":null,"billable":null}]}}`,
	`{"detailed_results":{"report":[{"billable":1},{"billable":"x"}]}}`,
	`{"weekly_results":{"report":[{"user_id":1,"user_name":"a","seconds":[1,null,3],"billable_seconds":"[1,2]","billable_amounts_in_cents":[]}]}}`,
	`{"weekly_results":{"report":[{"username":"u","seconds":[1,2,3,4,5,6,7,28]},{"seconds":[1.0]},{"seconds":[{}]}]}}`,
	`{"summary_results":{"report":{"groups":[{"id":1,"ids":[1,0],"names":["a",null],"sub_groups":{"7":{"seconds":3},"x":{}}}]}}}`,
	`{"summary_results":{"report":{"groups":[{"id":1,"names":["a",null,"b"],"sub_groups":[{"id":null,"title":"t","seconds":5,"ids":[3,0,null],"rates":[null,{"billable_seconds":5,"currency":"EUR","hourly_rate_in_cents":100,"x":[1]}]},null,{"title":null,"seconds":"7","rates":[]}]},null,{"sub_groups":null,"names":[]},{"names":[1]},{"sub_groups":[{"rates":[{"currency":5}]}]}]}}}`,
	`{"summary_results":{"report":[{"id":2,"id":3,"sub_groups":[{"seconds":1}],"sub_groups":[{"seconds":2,"seconds":4}]},{"sub_groups":[{"ids":"[1]"}]}]}}`,
	`{"detailed_results":{"report":[{"user_id":1}   ,   {"user_id":2 } ] , "totals" : {"seconds": 3} }}`,
	`{"detailed_results":{"report":[{"user_id":1,}]}}`,
	`{"detailed_results":{"report":[{"user_id":1 "x":2}]}}`,
	`{"detailed_results":{"report":[{"time_entries":[{"seconds":1,}]}]}}`,
	`{"detailed_results":{"report":[{"time_entries":[{"seconds":1}`,
	`{"detailed_results":{"report":[{"user_id":tru}]}}`,
}

func TestDecodeEquivalence(t *testing.T) {
	for _, seed := range equivSeeds {
		decodeBoth(t, []byte(seed), true)
	}
	fixtures, _ := filepath.Glob(filepath.Join("testdata", "*.json"))
	for _, name := range fixtures {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		decodeBoth(t, b, true)
		// Every prefix: truncation anywhere is reported alike.
		for n := 0; n < len(b); n += 7 {
			decodeBoth(t, b[:n], true)
		}
	}
}

// FuzzDecodeEquivalence checks the decoder against the one it replaced.
func FuzzDecodeEquivalence(f *testing.F) {
	for _, seed := range equivSeeds {
		f.Add([]byte(seed))
	}
	fixtures, _ := filepath.Glob(filepath.Join("testdata", "*.json"))
	for _, name := range fixtures {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) { decodeBoth(t, data, false) })
}
