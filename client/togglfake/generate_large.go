package togglfake

import (
	"bufio"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
)

// Large reports for benchmarks: the same generated workspace as DetailedJSON, written
// row by row to an io.Writer (the rows are never held as JSON), in each of the three
// report types, with the figures they must decode and aggregate to.

// LargeSpec is the spec of the benchmark reports with n time entries: 300 projects over
// 60 clients, 40 users, 20 tags, one entry per row (an ungrouped detailed report), and
// about one distinct description per 20 entries, so that a summary sub-grouped by time
// entries (Toggl's default) grows with the report as it does in a busy workspace.
func LargeSpec(n int) DetailedSpec {
	return DetailedSpec{Entries: n, PerRow: 1, Projects: 300, Clients: 60, Users: 40, Tags: 20,
		Descriptions: max(n/20, 7), Seed: int64(n)}
}

// Expected are the figures a generated report must decode and aggregate to. They are
// computed from the generated entries, independently of the JSON written.
type Expected struct {
	Bytes     int64 // size of the body written
	Rows      int   // detailed rows, weekly rows or summary groups
	SubGroups int   // summary sub-groups (summary only)
	Entries   int   // time entries
	// Seconds is the tracked time of all entries: totals.seconds, and the sum over rows.
	Seconds               int64
	BillableSeconds       int64
	BillableAmountInCents int64
	// ProjectSeconds and UserSeconds are the tracked time by project id (0: no project)
	// and by user id.
	ProjectSeconds map[int64]int64
	UserSeconds    map[int64]int64
}

// Report types written by WriteLarge.
const (
	TypeDetailed = "detailed"
	TypeSummary  = "summary"
	TypeWeekly   = "weekly"
)

// WriteLarge writes a report of type typ (TypeDetailed, TypeSummary or TypeWeekly) over
// the entries of spec to out, and returns the figures it must decode to. Detailed rows
// are written as they are generated; a summary is grouped by projects and sub-grouped by
// time entries (descriptions), with the ids of the entries of each sub-group; a weekly
// report has one row per user and project. The same spec and type give the same bytes.
func WriteLarge(out io.Writer, typ string, spec DetailedSpec) (Expected, error) {
	g := newRowGenerator(spec)
	w := g.w
	var entries []entry
	rows := 0
	for row := g.next(); row != nil; row = g.next() {
		entries = append(entries, row...)
		rows++
	}
	exp := expected(w, entries)

	cw := &countingWriter{w: out}
	bw := bufio.NewWriterSize(cw, 64<<10)
	enc := json.NewEncoder(bw)
	start, end := generatedWeek.dates()
	params := map[string]any{"start_date": start, "end_date": end}
	switch typ {
	case TypeDetailed:
		params["grouped"] = spec.PerRow > 1
	case TypeSummary:
		params["grouping"], params["sub_grouping"] = "projects", "time_entries"
	case TypeWeekly:
		delete(params, "end_date")
	default:
		return Expected{}, fmt.Errorf("togglfake: unknown report type %q", typ)
	}
	head := reportJSON{
		ReportName: fmt.Sprintf("Generated %s: %d entries", typ, spec.Entries), ReportType: typ, Public: true,
		Features:    map[string]bool{"rates": true, "labour_cost": true, "tasks": true},
		InputParams: params, SavedParams: params,
		Dictionaries: w.dictionaries(entries),
	}
	// The head is reportJSON without its result blocks: its encoding ends with the three
	// null blocks, which are cut off and written again around the rows.
	b, err := json.Marshal(head)
	if err != nil {
		return Expected{}, err
	}
	const nulls = `,"detailed_results":null,"summary_results":null,"weekly_results":null}`
	b = b[:len(b)-len(nulls)]
	bw.Write(b)
	fmt.Fprintf(bw, `,"%s_results":{"report":`, typ)
	totals := w.totals(generatedWeek, entries)

	switch typ {
	case TypeDetailed:
		// Rows are generated again, so that their JSON is written as it is produced.
		bw.WriteByte('[')
		g := newRowGenerator(spec)
		for n, row := 0, g.next(); row != nil; n, row = n+1, g.next() {
			if n > 0 {
				bw.WriteByte(',')
			}
			j := w.detailedRows([][]entry{row})[0]
			j.RowNumber = n + 1
			if err := enc.Encode(j); err != nil {
				return Expected{}, err
			}
		}
		bw.WriteByte(']')
		exp.Rows = rows
	case TypeSummary:
		groups := w.summaryByProjectAndDescription(entries)
		bw.WriteString(`{"groups":[`)
		for i, gr := range groups {
			if i > 0 {
				bw.WriteByte(',')
			}
			if err := enc.Encode(gr); err != nil {
				return Expected{}, err
			}
			exp.SubGroups += len(gr.SubGroups)
		}
		bw.WriteString(`]}`)
		exp.Rows = len(groups)
	case TypeWeekly:
		weekly := w.weeklyRows(generatedWeek, entries)
		bw.WriteByte('[')
		for i, r := range weekly {
			if i > 0 {
				bw.WriteByte(',')
			}
			if err := enc.Encode(r); err != nil {
				return Expected{}, err
			}
		}
		bw.WriteByte(']')
		exp.Rows = len(weekly)
	}
	bw.WriteString(`,"totals":`)
	if err := enc.Encode(totals); err != nil {
		return Expected{}, err
	}
	bw.WriteString(`}`)
	for _, other := range []string{TypeDetailed, TypeSummary, TypeWeekly} {
		if other != typ {
			fmt.Fprintf(bw, `,"%s_results":null`, other)
		}
	}
	bw.WriteString("}")
	if err := bw.Flush(); err != nil {
		return Expected{}, err
	}
	exp.Bytes = cw.n
	return exp, cw.err
}

// LargeJSON is WriteLarge into memory.
func LargeJSON(typ string, spec DetailedSpec) ([]byte, Expected) {
	var b bytesBuffer
	exp, err := WriteLarge(&b, typ, spec)
	if err != nil {
		panic(err) // only a wrong type can fail writing to memory
	}
	return b.b, exp
}

// bytesBuffer is a minimal growing buffer (bytes.Buffer would do, this avoids its
// doubling past the final size for the last large write).
type bytesBuffer struct{ b []byte }

func (b *bytesBuffer) Write(p []byte) (int, error) {
	b.b = append(b.b, p...)
	return len(p), nil
}

type countingWriter struct {
	w   io.Writer
	n   int64
	err error
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	if err != nil && c.err == nil {
		c.err = err
	}
	return n, err
}

// expected computes the figures of entries (none is running).
func expected(w *world, entries []entry) Expected {
	exp := Expected{Entries: len(entries), ProjectSeconds: map[int64]int64{}, UserSeconds: map[int64]int64{}}
	for i := range entries {
		e := &entries[i]
		s := e.seconds()
		exp.Seconds += s
		exp.BillableSeconds += w.billableSeconds(e)
		exp.BillableAmountInCents += w.amount(e)
		exp.ProjectSeconds[e.project] += s
		exp.UserSeconds[e.user] += s
	}
	return exp
}

// summaryByProjectAndDescription renders a summary grouped by projects and sub-grouped
// by time entries: one sub-group per description, with a null id, the description as
// title, and the ids of its entries. Groups are in project order (no project last),
// sub-groups by title.
func (w *world) summaryByProjectAndDescription(entries []entry) []summaryGroupJSON {
	type sub struct {
		seconds int64
		ids     []int64
		rates   map[rateJSON]int64
	}
	subs := map[int64]map[string]*sub{}
	for i := range entries {
		e := &entries[i]
		s := e.seconds()
		if s == 0 {
			continue
		}
		if subs[e.project] == nil {
			subs[e.project] = map[string]*sub{}
		}
		sg := subs[e.project][e.description]
		if sg == nil {
			sg = &sub{rates: map[rateJSON]int64{}}
			subs[e.project][e.description] = sg
		}
		sg.seconds += s
		sg.ids = append(sg.ids, e.id)
		if b := w.billableSeconds(e); b > 0 {
			c, r := w.rate(e)
			sg.rates[rateJSON{Currency: c, HourlyRateInCents: r}] += b
		}
	}
	projects := slices.Collect(maps.Keys(subs))
	slices.SortFunc(projects, func(a, b int64) int {
		if a == 0 || b == 0 {
			return cmp.Compare(b, a) // no project last
		}
		return cmp.Compare(a, b)
	})
	groups := make([]summaryGroupJSON, 0, len(projects))
	for _, pid := range projects {
		g := summaryGroupJSON{Names: []string{}}
		if p := w.project[pid]; p != nil {
			g.ID, g.Names = ptr(p.id), []string{p.name}
		}
		titles := slices.Sorted(maps.Keys(subs[pid]))
		for _, title := range titles {
			sg := subs[pid][title]
			j := summarySubGroupJSON{Title: ptr(title), Seconds: sg.seconds, IDs: sg.ids, Rates: sortedRates(sg.rates)}
			g.SubGroups = append(g.SubGroups, j)
		}
		groups = append(groups, g)
	}
	return groups
}
