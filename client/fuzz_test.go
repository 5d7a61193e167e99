package client

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
)

// checkRows fails unless the rows a decoder handed out hold what must hold whatever the
// input.
func checkRows(t *testing.T, rec *recorder) {
	t.Helper()
	for _, r := range rec.detailed {
		if r.Seconds < 0 || r.BillableAmountInCents < 0 || r.HourlyRateInCents < 0 {
			t.Fatalf("detailed row %+v", r)
		}
		for _, e := range r.TimeEntries {
			if e.Seconds < 0 && !e.Running || e.Start.Location().String() != "UTC" {
				t.Fatalf("time entry %+v", e)
			}
		}
		for _, id := range r.TagIDs {
			if id == 0 {
				t.Fatal("tag id 0 in a row")
			}
		}
	}
	for _, r := range rec.weekly {
		if r.HourlyRateInCents < 0 {
			t.Fatalf("weekly row %+v", r)
		}
	}
	for _, g := range rec.groups {
		for _, id := range g.IDs {
			if id == 0 {
				t.Fatal("group id 0 in ids")
			}
		}
	}
}

// FuzzDecode feeds arbitrary bytes to the decoder: it must never panic; it returns either
// a report with totals or a one-line decode *Error; and it is deterministic, whatever
// sizes the reader returns the body in.
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
		rec := &recorder{}
		rep, err := Decode(bytes.NewReader(data), rec)
		rec2 := &recorder{}
		rep2, err2 := Decode(iotest.HalfReader(bytes.NewReader(data)), rec2)
		if (err == nil) != (err2 == nil) || err != nil && err.Error() != err2.Error() ||
			!reflect.DeepEqual(rep, rep2) || !reflect.DeepEqual(rec, rec2) {
			t.Fatalf("not deterministic:\n%v %v\n%v %v", rep, err, rep2, err2)
		}
		checkRows(t, rec)
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
		switch {
		case rep == nil:
			t.Fatal("nil report without an error")
		case rep.Totals == nil:
			t.Fatal("a report without totals")
		case rep.Block != BlockDetailed && rep.Block != BlockSummary && rep.Block != BlockWeekly:
			t.Fatalf("Block = %q", rep.Block)
		}
		tt := rep.Totals
		if p := tt.BillableAmountInCents; p != nil && *p < 0 {
			t.Fatalf("negative amount %d", *p)
		}
		if p := tt.LabourCostInCents; p != nil && *p < 0 {
			t.Fatalf("negative labour cost %d", *p)
		}
		for _, r := range tt.Rates {
			if r.HourlyRateInCents < 0 {
				t.Fatalf("negative rate %+v", r)
			}
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
