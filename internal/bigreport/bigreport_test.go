package bigreport

import (
	"bytes"
	"encoding/json"
	"testing"
)

// report is what the test reads of a body of any type, with encoding/json.
type report struct {
	DetailedResults *struct {
		Report []struct {
			UserID      int64  `json:"user_id"`
			ProjectID   *int64 `json:"project_id"`
			TimeEntries []struct {
				Seconds int64 `json:"seconds"`
			} `json:"time_entries"`
		} `json:"report"`
		Totals totals `json:"totals"`
	} `json:"detailed_results"`
	SummaryResults *struct {
		Report struct {
			Groups []struct {
				ID        *int64 `json:"id"`
				SubGroups []struct {
					Seconds int64   `json:"seconds"`
					IDs     []int64 `json:"ids"`
				} `json:"sub_groups"`
			} `json:"groups"`
		} `json:"report"`
		Totals totals `json:"totals"`
	} `json:"summary_results"`
	WeeklyResults *struct {
		Report []struct {
			UserID    int64   `json:"user_id"`
			ProjectID *int64  `json:"project_id"`
			Seconds   []int64 `json:"seconds"`
		} `json:"report"`
		Totals totals `json:"totals"`
	} `json:"weekly_results"`
}

type totals struct {
	Seconds               int64 `json:"seconds"`
	BillableAmountInCents int64 `json:"billable_amount_in_cents"`
	Rates                 []struct {
		BillableSeconds int64 `json:"billable_seconds"`
	} `json:"rates"`
}

func id(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

// TestWriteLarge checks that every large report is deterministic and decodes to the
// figures LargeJSON returns: rows, totals, and per-project and per-user sums.
func TestWriteLarge(t *testing.T) {
	spec := LargeSpec(3000)
	for _, typ := range []string{TypeDetailed, TypeSummary, TypeWeekly} {
		t.Run(typ, func(t *testing.T) {
			body, exp := LargeJSON(typ, spec)
			again, _ := LargeJSON(typ, spec)
			if !bytes.Equal(body, again) {
				t.Fatal("same spec, different bodies")
			}
			if exp.Entries != 3000 {
				t.Errorf("Entries %d", exp.Entries)
			}
			var r report
			if err := json.Unmarshal(body, &r); err != nil {
				t.Fatal(err)
			}
			projects, users := map[int64]int64{}, map[int64]int64{}
			var tot totals
			rows, subs, ids := 0, 0, 0
			switch typ {
			case TypeDetailed:
				tot, rows = r.DetailedResults.Totals, len(r.DetailedResults.Report)
				for _, row := range r.DetailedResults.Report {
					for _, te := range row.TimeEntries {
						projects[id(row.ProjectID)] += te.Seconds
						users[row.UserID] += te.Seconds
					}
				}
			case TypeWeekly:
				tot, rows = r.WeeklyResults.Totals, len(r.WeeklyResults.Report)
				for _, row := range r.WeeklyResults.Report {
					for _, s := range row.Seconds {
						projects[id(row.ProjectID)] += s
						users[row.UserID] += s
					}
				}
			case TypeSummary:
				tot, rows = r.SummaryResults.Totals, len(r.SummaryResults.Report.Groups)
				for _, g := range r.SummaryResults.Report.Groups {
					for _, sg := range g.SubGroups {
						projects[id(g.ID)] += sg.Seconds
						ids += len(sg.IDs)
						subs++
					}
				}
				if subs != exp.SubGroups || ids != exp.Entries {
					t.Errorf("%d sub-groups with %d ids, Expected %d, %d", subs, ids, exp.SubGroups, exp.Entries)
				}
				users = exp.UserSeconds // a summary by projects has no users
			}
			var billable int64
			for _, rate := range tot.Rates {
				billable += rate.BillableSeconds
			}
			if tot.Seconds != exp.Seconds || billable != exp.BillableSeconds || tot.BillableAmountInCents != exp.BillableAmountInCents {
				t.Errorf("totals %d s, %d billable, %d cents; Expected %d, %d, %d", tot.Seconds, billable, tot.BillableAmountInCents,
					exp.Seconds, exp.BillableSeconds, exp.BillableAmountInCents)
			}
			if rows != exp.Rows {
				t.Errorf("%d rows, Expected %d", rows, exp.Rows)
			}
			for what, pair := range map[string][2]map[int64]int64{"project": {projects, exp.ProjectSeconds}, "user": {users, exp.UserSeconds}} {
				got, want := pair[0], pair[1]
				if len(got) != len(want) {
					t.Errorf("%d %ss, Expected %d", len(got), what, len(want))
				}
				for k, v := range want {
					if got[k] != v {
						t.Errorf("%s %d: %d s, Expected %d", what, k, got[k], v)
					}
				}
			}
		})
	}
	defer func() {
		if recover() == nil {
			t.Error("LargeJSON accepted an unknown type")
		}
	}()
	LargeJSON("monthly", spec)
}

// TestLargeSpecScale checks that the benchmark reports have the scale they claim:
// hundreds of projects, dozens of users, one row per entry.
func TestLargeSpecScale(t *testing.T) {
	body, exp := LargeJSON(TypeDetailed, LargeSpec(10000))
	if exp.Rows != 10000 || len(exp.ProjectSeconds) < 250 || len(exp.UserSeconds) != 40 {
		t.Errorf("%d rows, %d projects, %d users", exp.Rows, len(exp.ProjectSeconds), len(exp.UserSeconds))
	}
	if len(body) < 4<<20 {
		t.Errorf("10k entries in %d bytes, want several MB", len(body))
	}
}

func BenchmarkLargeJSON(b *testing.B) {
	for _, typ := range []string{TypeDetailed, TypeSummary, TypeWeekly} {
		b.Run(typ+"-10k", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				body, _ := LargeJSON(typ, LargeSpec(10000))
				b.SetBytes(int64(len(body)))
			}
		})
	}
}
