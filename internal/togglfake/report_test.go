package togglfake

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"testing"
)

// Helpers that read a report body decoded into maps, failing the test on a wrong shape.

func decodeReport(t *testing.T, body []byte) map[string]any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("body is not a JSON object: %v\n%.300s", err, body)
	}
	return m
}

func obj(t *testing.T, v any, what string) map[string]any {
	t.Helper()
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("%s: %T, want an object", what, v)
	}
	return m
}

func arr(t *testing.T, v any, what string) []any {
	t.Helper()
	a, ok := v.([]any)
	if !ok {
		t.Fatalf("%s: %T, want an array", what, v)
	}
	return a
}

func num(t *testing.T, v any, what string) int64 {
	t.Helper()
	n, ok := v.(json.Number)
	if !ok {
		t.Fatalf("%s: %T %v, want a number", what, v, v)
	}
	i, err := n.Int64()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return i
}

// figures are the numbers of a report that must agree with each other, summed from its
// rows on one side and read from its totals on the other.
type figures struct {
	seconds, billableSeconds, amount int64 // from the rows; amount -1 when rows carry none
	total                            map[string]int64
	currencies                       map[string]bool
}

// checkReport checks what every report body must satisfy and returns its figures.
func checkReport(t *testing.T, body []byte, typ string) figures {
	t.Helper()
	r := decodeReport(t, body)
	if r["report_type"] != typ {
		t.Fatalf("report_type %v, want %s", r["report_type"], typ)
	}
	if name, _ := r["report_name"].(string); name == "" {
		t.Error("no report_name")
	}
	for _, k := range []string{"public", "fixed_daterange", "hide_amounts"} {
		if _, ok := r[k].(bool); !ok {
			t.Errorf("%s: %T, want a bool", k, r[k])
		}
	}
	if r["hide_amounts"] != false {
		t.Error("hide_amounts is set")
	}
	for _, k := range []string{"features", "input_params", "saved_params", "dictionaries"} {
		obj(t, r[k], k)
	}
	checkDictionaries(t, obj(t, r["dictionaries"], "dictionaries"))
	for _, block := range []string{"detailed", "summary", "weekly"} {
		if v := r[block+"_results"]; (block == typ) != (v != nil) {
			t.Errorf("%s_results = %.40v in a %s report", block, v, typ)
		}
	}
	res := obj(t, r[typ+"_results"], typ+"_results")
	var f figures
	switch typ {
	case "detailed":
		f = detailedFigures(t, arr(t, res["report"], "report"))
	case "summary":
		f = summaryFigures(t, obj(t, res["report"], "report"))
	case "weekly":
		f = weeklyFigures(t, arr(t, res["report"], "report"))
	}
	f.total, f.currencies = totalsFigures(t, obj(t, res["totals"], "totals"))

	if f.total["seconds"] != f.seconds {
		t.Errorf("totals.seconds %d, rows sum to %d", f.total["seconds"], f.seconds)
	}
	if f.total["rates"] != f.billableSeconds {
		t.Errorf("totals.rates sum to %d billable seconds, rows to %d", f.total["rates"], f.billableSeconds)
	}
	if f.amount >= 0 && f.total["amount"] != f.amount {
		t.Errorf("totals.billable_amount_in_cents %d, rows sum to %d", f.total["amount"], f.amount)
	}
	return f
}

// checkDictionaries checks that every dictionary is an object keyed by its values' ids.
func checkDictionaries(t *testing.T, d map[string]any) {
	t.Helper()
	for _, k := range []string{"projects", "clients", "users", "tasks", "tags", "user_groups"} {
		for key, v := range obj(t, d[k], k) {
			if id := num(t, obj(t, v, k)["id"], k+".id"); strconv.FormatInt(id, 10) != key {
				t.Errorf("dictionaries.%s[%q] has id %d", k, key, id)
			}
		}
	}
}

// totalsFigures reads a totals object, checking it against its own graph.
func totalsFigures(t *testing.T, tot map[string]any) (map[string]int64, map[string]bool) {
	t.Helper()
	out := map[string]int64{
		"seconds": num(t, tot["seconds"], "seconds"),
		"amount":  num(t, tot["billable_amount_in_cents"], "billable_amount_in_cents"),
		"labour":  num(t, tot["labour_cost_in_cents"], "labour_cost_in_cents"),
		"days":    num(t, tot["tracked_days"], "tracked_days"),
	}
	currencies := map[string]bool{}
	for _, rv := range arr(t, tot["rates"], "rates") {
		rate := obj(t, rv, "rate")
		out["rates"] += num(t, rate["billable_seconds"], "billable_seconds")
		num(t, rate["hourly_rate_in_cents"], "hourly_rate_in_cents")
		currencies[rate["currency"].(string)] = true
	}
	var graphSeconds, days int64
	for _, gv := range arr(t, tot["graph"], "graph") {
		s := num(t, obj(t, gv, "graph")["seconds"], "graph.seconds")
		graphSeconds += s
		if s > 0 {
			days++
		}
	}
	if graphSeconds != out["seconds"] || days != out["days"] {
		t.Errorf("graph: %d seconds over %d days, totals say %d over %d", graphSeconds, days, out["seconds"], out["days"])
	}
	return out, currencies
}

func detailedFigures(t *testing.T, rows []any) figures {
	t.Helper()
	var f figures
	for i, rv := range rows {
		row := obj(t, rv, "row")
		if n := num(t, row["row_number"], "row_number"); n != int64(i+1) {
			t.Errorf("row %d numbered %d", i+1, n)
		}
		for _, k := range []string{"project_name", "client_name", "task_name", "tag_names", "email"} {
			if _, ok := row[k]; ok {
				t.Errorf("row carries %s, real rows do not", k)
			}
		}
		arr(t, row["tag_ids"], "tag_ids")
		var seconds int64
		for _, ev := range arr(t, row["time_entries"], "time_entries") {
			te := obj(t, ev, "time_entry")
			s := num(t, te["seconds"], "seconds")
			if (te["stop"] == nil) != (s < 0) {
				t.Errorf("time entry with stop %v and seconds %d", te["stop"], s)
			}
			seconds += max(s, 0) // a running entry counts for nothing
		}
		f.seconds += seconds
		if row["billable"] == true && row["hourly_rate_in_cents"] != nil {
			f.billableSeconds += seconds
		}
		if row["billable_amount_in_cents"] != nil {
			f.amount += num(t, row["billable_amount_in_cents"], "billable_amount_in_cents")
		}
	}
	return f
}

func summaryFigures(t *testing.T, report map[string]any) figures {
	t.Helper()
	f := figures{amount: -1}
	for _, gv := range arr(t, report["groups"], "groups") {
		g := obj(t, gv, "group")
		arr(t, g["names"], "names")
		for _, sv := range arr(t, g["sub_groups"], "sub_groups") {
			sg := obj(t, sv, "sub_group")
			f.seconds += num(t, sg["seconds"], "sub_group.seconds")
			for _, rv := range arr(t, sg["rates"], "sub_group.rates") {
				f.billableSeconds += num(t, obj(t, rv, "rate")["billable_seconds"], "billable_seconds")
			}
		}
	}
	return f
}

func weeklyFigures(t *testing.T, rows []any) figures {
	t.Helper()
	var f figures
	for _, rv := range rows {
		row := obj(t, rv, "row")
		for k, sum := range map[string]*int64{"seconds": &f.seconds, "billable_seconds": &f.billableSeconds, "billable_amounts_in_cents": &f.amount} {
			days := arr(t, row[k], k)
			if len(days) != 7 {
				t.Errorf("%s has %d days, want 7", k, len(days))
			}
			for _, d := range days {
				*sum += num(t, d, k)
			}
		}
	}
	return f
}

func TestDetailedJSON(t *testing.T) {
	spec := DetailedSpec{Entries: 1000, PerRow: 3, Projects: 12, Users: 7, Tags: 5, Seed: 42}
	body := DetailedJSON(spec)
	if !bytes.Equal(body, DetailedJSON(spec)) {
		t.Error("same spec, different bodies")
	}
	other := spec
	other.Seed = 43
	if bytes.Equal(body, DetailedJSON(other)) {
		t.Error("different seeds, same body")
	}

	f := checkReport(t, body, "detailed")
	if !f.currencies["USD"] || !f.currencies["EUR"] {
		t.Errorf("currencies %v, want USD and EUR", f.currencies)
	}
	r := decodeReport(t, body)
	rows := arr(t, obj(t, r["detailed_results"], "")["report"], "report")
	if len(rows) != 334 {
		t.Errorf("%d rows, want 334", len(rows))
	}
	entries, noProject := 0, 0
	for _, rv := range rows {
		row := obj(t, rv, "row")
		entries += len(arr(t, row["time_entries"], ""))
		if row["project_id"] == nil {
			noProject++
		}
	}
	if entries != 1000 || noProject != 33 {
		t.Errorf("%d entries, %d rows without project; want 1000, 33", entries, noProject)
	}
	d := obj(t, r["dictionaries"], "")
	for k, want := range map[string]int{"projects": 12, "clients": 4, "users": 7, "tags": 5} {
		if n := len(obj(t, d[k], k)); n != want {
			t.Errorf("%d %s, want %d", n, k, want)
		}
	}
}

// TestSummaryAndWeeklyJSON: the summary (in each grouping) and weekly reports of a spec
// hold the entries of its detailed report, grouped as asked.
func TestSummaryAndWeeklyJSON(t *testing.T) {
	spec := DetailedSpec{Entries: 1000, PerRow: 3, Projects: 12, Users: 7, Tags: 5, Seed: 42}
	detailed := checkReport(t, DetailedJSON(spec), "detailed").total
	sameTotals := func(what string, got map[string]int64) {
		t.Helper()
		for _, k := range []string{"seconds", "amount", "labour", "rates", "days"} {
			if got[k] != detailed[k] {
				t.Errorf("%s: %s %d, the detailed report's %d", what, k, got[k], detailed[k])
			}
		}
	}
	sameTotals("weekly", checkReport(t, ReportJSON(spec, "weekly", map[string]any{}), "weekly").total)

	for _, dims := range [][2]string{{"projects", "time_entries"}, {"projects", "users"}, {"users", "projects"}, {"clients", "projects"}} {
		t.Run(dims[0]+"/"+dims[1], func(t *testing.T) {
			body := ReportJSON(spec, "summary", map[string]any{"grouping": dims[0], "sub_grouping": dims[1]})
			sameTotals("summary", checkReport(t, body, "summary").total)
			r := decodeReport(t, body)
			d := obj(t, r["dictionaries"], "")
			inDim := func(dim string, id any) bool {
				if id == nil {
					return dim != "users" // no project, no client; every entry has a user
				}
				_, ok := obj(t, d[dim], dim)[string(id.(json.Number))]
				return ok
			}
			ids := 0
			for _, gv := range arr(t, obj(t, obj(t, r["summary_results"], "")["report"], "")["groups"], "") {
				g := obj(t, gv, "group")
				if !inDim(dims[0], g["id"]) {
					t.Errorf("group id %v is not one of the %s", g["id"], dims[0])
				}
				for _, sv := range arr(t, g["sub_groups"], "") {
					sg := obj(t, sv, "sub_group")
					if dims[1] == "time_entries" {
						if sg["id"] != nil || sg["title"] == nil {
							t.Errorf("time-entry sub-group %v", sg)
						}
						ids += len(arr(t, sg["ids"], "ids"))
					} else if !inDim(dims[1], sg["id"]) {
						t.Errorf("sub-group id %v is not one of the %s", sg["id"], dims[1])
					}
				}
			}
			if dims[1] == "time_entries" && ids != 1000 {
				t.Errorf("time-entry sub-groups hold %d ids, want 1000", ids)
			}
		})
	}
}

func TestDetailedJSONEdges(t *testing.T) {
	for _, spec := range []DetailedSpec{{}, {Entries: 1}, {Entries: 5, Projects: 1}, {Entries: 10, PerRow: 4, Tags: 1}} {
		t.Run(fmt.Sprintf("%+v", spec), func(t *testing.T) {
			f := checkReport(t, DetailedJSON(spec), "detailed")
			if spec.Entries == 0 && f.total["seconds"] != 0 {
				t.Errorf("empty spec tracked %d seconds", f.total["seconds"])
			}
		})
	}
}

func BenchmarkDetailedJSON(b *testing.B) {
	spec := DetailedSpec{Entries: 10000, PerRow: 2, Projects: 50, Users: 20, Tags: 10}
	b.ReportAllocs()
	for b.Loop() {
		b.SetBytes(int64(len(DetailedJSON(spec))))
	}
}

// TestLargeJSON: the benchmark reports have the scale they claim (a row an entry, hundreds
// of projects, 40 users, several MB for 10k entries), and each type holds the same entries.
func TestLargeJSON(t *testing.T) {
	body := LargeJSON("detailed", 10000)
	if !bytes.Equal(body, LargeJSON("detailed", 10000)) {
		t.Error("same size, different bodies")
	}
	detailed := checkReport(t, body, "detailed").total
	projects, users := map[any]bool{}, map[any]bool{}
	rows := arr(t, obj(t, decodeReport(t, body)["detailed_results"], "")["report"], "report")
	for _, rv := range rows {
		row := obj(t, rv, "row")
		projects[row["project_id"]], users[row["user_id"]] = true, true
	}
	if len(rows) != 10000 || len(projects) < 250 || len(users) != 40 || len(body) < 4<<20 {
		t.Errorf("%d rows, %d projects, %d users in %d bytes", len(rows), len(projects), len(users), len(body))
	}
	for _, typ := range []string{"summary", "weekly"} {
		if got := checkReport(t, LargeJSON(typ, 10000), typ).total; got["seconds"] != detailed["seconds"] || got["amount"] != detailed["amount"] {
			t.Errorf("%s: totals %v, the detailed report's %v", typ, got, detailed)
		}
	}
}
