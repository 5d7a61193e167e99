package client

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// invariantSink checks, for every row the decoder hands out, what must hold whatever the
// input.
type invariantSink struct{ t *testing.T }

func (s invariantSink) DetailedRow(r *DetailedRow) {
	if r.Seconds < 0 || r.Entries < 0 {
		s.t.Errorf("detailed row with seconds %d, entries %d", r.Seconds, r.Entries)
	}
	for _, id := range r.TagIDs {
		if id == 0 {
			s.t.Error("tag id 0 in a row")
		}
	}
}
func (s invariantSink) WeeklyRow(*WeeklyRow) {}
func (s invariantSink) SummaryGroup(g *SummaryGroup) {
	for _, id := range g.IDs {
		if id == 0 {
			s.t.Error("group id 0 in ids")
		}
	}
}

// FuzzDecode feeds arbitrary bytes to the decoder: it must never panic, and must return
// either a report or a one-line decode *Error.
func FuzzDecode(f *testing.F) {
	fixtures, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range fixtures {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rep, err := Decode(bytes.NewReader(data), invariantSink{t})
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Code != CodeDecode {
				t.Fatalf("error %T %v is not a decode *Error", err, err)
			}
			if rep != nil {
				t.Fatal("report returned with an error")
			}
			if strings.ContainsAny(e.Message, "\n\r") {
				t.Fatalf("multi-line message %q", e.Message)
			}
			return
		}
		if rep == nil {
			t.Fatal("nil report without an error")
		}
		switch rep.Block {
		case "", BlockDetailed, BlockSummary, BlockWeekly:
		default:
			t.Fatalf("Block = %q", rep.Block)
		}
		if rep.Block == "" && rep.Totals != nil {
			t.Fatal("totals without a block")
		}
		for id := range rep.Dictionaries.Projects {
			if id == 0 {
				t.Fatal("project id 0 in the dictionary")
			}
		}
		rep.Grouping()
		rep.Dates()
	})
}
