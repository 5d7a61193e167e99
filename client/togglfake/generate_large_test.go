package togglfake

import (
	"bytes"
	"io"
	"testing"
)

// TestWriteLarge checks that every large report is deterministic, valid, and decodes to
// the figures WriteLarge returns: the rows' sums, the totals and the per-project and
// per-user sums agree.
func TestWriteLarge(t *testing.T) {
	spec := LargeSpec(3000)
	for _, typ := range []string{TypeDetailed, TypeSummary, TypeWeekly} {
		t.Run(typ, func(t *testing.T) {
			body, exp := LargeJSON(typ, spec)
			again, _ := LargeJSON(typ, spec)
			if !bytes.Equal(body, again) {
				t.Fatal("same spec, different bodies")
			}
			if exp.Bytes != int64(len(body)) || exp.Entries != 3000 {
				t.Errorf("Bytes %d (body %d), Entries %d", exp.Bytes, len(body), exp.Entries)
			}
			f := checkReport(t, body, typ)
			if f.seconds != exp.Seconds || f.total["seconds"] != exp.Seconds {
				t.Errorf("rows sum to %d s, totals say %d, Expected %d", f.seconds, f.total["seconds"], exp.Seconds)
			}
			if f.billableSeconds != exp.BillableSeconds {
				t.Errorf("billable seconds %d, Expected %d", f.billableSeconds, exp.BillableSeconds)
			}
			if f.total["amount"] != exp.BillableAmountInCents {
				t.Errorf("amount %d, Expected %d", f.total["amount"], exp.BillableAmountInCents)
			}

			r := decodeReport(t, body)
			res := obj(t, r[typ+"_results"], typ+"_results")
			projects, users := map[int64]int64{}, map[int64]int64{}
			id := func(v any) int64 {
				if v == nil {
					return 0
				}
				return num(t, v, "id")
			}
			var rows []any
			switch typ {
			case TypeDetailed:
				rows = arr(t, res["report"], "report")
				for _, rv := range rows {
					row := obj(t, rv, "row")
					for _, te := range arr(t, row["time_entries"], "time_entries") {
						s := num(t, obj(t, te, "entry")["seconds"], "seconds")
						projects[id(row["project_id"])] += s
						users[id(row["user_id"])] += s
					}
				}
			case TypeWeekly:
				rows = arr(t, res["report"], "report")
				for _, rv := range rows {
					row := obj(t, rv, "row")
					for _, d := range arr(t, row["seconds"], "seconds") {
						projects[id(row["project_id"])] += num(t, d, "day")
						users[id(row["user_id"])] += num(t, d, "day")
					}
				}
			case TypeSummary:
				rows = arr(t, obj(t, res["report"], "report")["groups"], "groups")
				subs, ids := 0, 0
				for _, gv := range rows {
					g := obj(t, gv, "group")
					for _, sv := range arr(t, g["sub_groups"], "sub_groups") {
						sg := obj(t, sv, "sub-group")
						projects[id(g["id"])] += num(t, sg["seconds"], "seconds")
						ids += len(arr(t, sg["ids"], "ids"))
						subs++
					}
				}
				if subs != exp.SubGroups || ids != exp.Entries {
					t.Errorf("%d sub-groups with %d ids, Expected %d, %d", subs, ids, exp.SubGroups, exp.Entries)
				}
				users = exp.UserSeconds // a summary by projects has no users
			}
			if len(rows) != exp.Rows {
				t.Errorf("%d rows, Expected %d", len(rows), exp.Rows)
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
	if _, err := WriteLarge(io.Discard, "monthly", spec); err == nil {
		t.Error("WriteLarge accepted an unknown type")
	}
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

func BenchmarkWriteLarge(b *testing.B) {
	for _, typ := range []string{TypeDetailed, TypeSummary, TypeWeekly} {
		b.Run(typ+"-10k", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				exp, err := WriteLarge(io.Discard, typ, LargeSpec(10000))
				if err != nil {
					b.Fatal(err)
				}
				b.SetBytes(exp.Bytes)
			}
		})
	}
}
