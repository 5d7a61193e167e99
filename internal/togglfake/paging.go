package togglfake

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"net/http"
	"slices"
	"strconv"
	"time"
)

// Paging headers of Toggl's detailed search (toggl-api.md, "Paging").
const (
	HeaderPageSize      = "X-Page-Size"
	HeaderNextID        = "X-Next-ID"
	HeaderNextRowNumber = "X-Next-Row-Number"
	HeaderNextTimestamp = "X-Next-Timestamp"
)

// DefaultPageSize is the page size of Toggl's detailed search.
const DefaultPageSize = 50

// Paging serves a detailed report in pages as Toggl's detailed search does: rows by the
// start of their first time entry, then its id; a request without first_timestamp (or
// null) gets the first Size, one with it the first Size that started at or after it.
// Each page carries X-Page-Size and, but the last, the X-Next-* headers naming the first
// row left out: rows sharing its second come again, as from Toggl. Everything but the
// rows is whole on every page. The zero Paging is healthy; each field breaks it one way.
type Paging struct {
	Size             int  // rows per page; 0 means DefaultPageSize
	Silent           bool // no X-Next-* header: only the rows falling short of the totals tell
	NoPageSizeHeader bool // no X-Page-Size
	StuckCursor      bool // the first page's X-Next-* headers on every page, the last included
	// FailPage, if positive, makes the FailPage-th page of a walk answer FailFault. A request
	// without first_timestamp starts a walk, one with it is its next page, so a retry
	// succeeds; two clients walking one report at once share a count.
	FailPage             int
	FailFault            Fault
	Short                int  // leaves the Short newest rows out, totals unchanged
	Overlap              int  // the X-Next-* headers name the row Overlap rows earlier
	GroupAcross          bool // a page's first row also holds the entries of the row before it
	NewestFirst          bool // each page's rows newest first; the pages still go oldest first
	PageDictionaries     bool // only the dictionary entries a page's rows name
	IgnoreFirstTimestamp bool // the first page, headers included, to every request
}

// pagedRow is a detailed row with the id and the start (Unix seconds; math.MinInt64 when
// it has none) of its first time entry, which order rows and name the cursor.
type pagedRow struct {
	row       any
	id, start int64
}

// pageOf returns the page of body from first_timestamp from (nil: the first page) and sets
// its headers on h, or body itself when it is not a detailed report.
func pageOf(h http.Header, body []byte, p *Paging, from *int64) []byte {
	var top object
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber() // ids and amounts come back as they were
	if d.Decode(&top) != nil {
		return body
	}
	results, _ := top["detailed_results"].(object)
	report, ok := results["report"].([]any)
	if !ok {
		return body
	}
	var rows []pagedRow
	for _, v := range report {
		r := pagedRow{row: v, start: math.MinInt64}
		row, _ := v.(object)
		if entries, _ := row["time_entries"].([]any); len(entries) > 0 {
			e, _ := entries[0].(object)
			id, _ := e["id"].(json.Number)
			start, _ := e["start"].(string)
			r.id, _ = id.Int64()
			if t, err := time.Parse(time.RFC3339, start); err == nil {
				r.start = t.Unix()
			}
		}
		rows = append(rows, r)
	}
	slices.SortFunc(rows, func(a, b pagedRow) int { return cmp.Or(cmp.Compare(a.start, b.start), cmp.Compare(a.id, b.id)) })
	rows = rows[:len(rows)-min(max(p.Short, 0), len(rows))]

	size := cmp.Or(max(p.Size, 0), DefaultPageSize)
	first := 0
	if from != nil && !p.IgnoreFirstTimestamp {
		first, _ = slices.BinarySearchFunc(rows, *from, func(r pagedRow, t int64) int { return cmp.Compare(r.start, t) })
	}
	last := first + min(size, len(rows)-first)
	if !p.NoPageSizeHeader {
		h.Set(HeaderPageSize, strconv.Itoa(size))
	}
	next := last // the first row left out, which the X-Next-* headers name
	switch {
	case p.StuckCursor:
		next = size
	case p.Overlap > 0 && next < len(rows):
		next = max(next-p.Overlap, first+1)
	}
	if next < len(rows) && !p.Silent {
		h.Set(HeaderNextID, strconv.FormatInt(rows[next].id, 10))
		h.Set(HeaderNextRowNumber, strconv.Itoa(next+1))
		h.Set(HeaderNextTimestamp, strconv.FormatInt(rows[next].start, 10))
	}
	page := []any{}
	for _, r := range rows[first:last] {
		page = append(page, r.row)
	}
	if p.GroupAcross && first > 0 && len(page) > 0 {
		if row, ok := page[0].(object); ok {
			before, _ := rows[first-1].row.(object)
			be, _ := before["time_entries"].([]any)
			re, _ := row["time_entries"].([]any)
			row["time_entries"] = slices.Concat(be, re)
		}
	}
	if p.NewestFirst {
		slices.Reverse(page)
	}
	results["report"] = page
	if p.PageDictionaries {
		pageDictionaries(top["dictionaries"], page)
	}
	return mustMarshal(top)
}

// pageDictionaries keeps in dict the entries that page's rows name, and their clients.
func pageDictionaries(dict any, page []any) {
	d, _ := dict.(object)
	projects, _ := d["projects"].(object)
	named := map[string]bool{}
	for _, v := range page {
		r, _ := v.(object)
		project, _ := projects[fmt.Sprint(r["project_id"])].(object)
		tags, _ := r["tag_ids"].([]any)
		for kind, ids := range map[string][]any{"projects": {r["project_id"]}, "users": {r["user_id"]}, "tasks": {r["task_id"]},
			"tags": tags, "clients": {project["client_id"]}} {
			for _, id := range ids {
				named[kind+"/"+fmt.Sprint(id)] = true
			}
		}
	}
	for _, kind := range []string{"projects", "users", "tasks", "tags", "clients"} {
		m, _ := d[kind].(object)
		maps.DeleteFunc(m, func(id string, _ any) bool { return !named[kind+"/"+id] })
	}
}

// firstTimestamp reads the paging cursor of a request body, nil when absent or null; ok
// is false when it is not whole seconds.
func firstTimestamp(body map[string]any) (ts *int64, ok bool) {
	switch v := body["first_timestamp"].(type) {
	case nil:
		return nil, true
	case float64:
		if v == math.Trunc(v) && math.Abs(v) <= 1<<53 {
			return new(int64(v)), true
		}
	}
	return nil, false
}

func mustMarshal(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic("togglfake: " + err.Error()) // plain data or JSON just decoded: cannot happen
	}
	return b
}
