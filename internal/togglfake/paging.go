package togglfake

import (
	"cmp"
	"encoding/json"
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

// Paging makes the fake serve a detailed report in pages, as Toggl's detailed search does
// (toggl-api.md, "Paging"): its rows ordered by the start of their first time entry, then
// by its id, keep their JSON; a request without first_timestamp (or with null) gets the
// first Size, one with first_timestamp (Unix seconds) the first Size that started at or
// after it. Every page carries X-Page-Size, and every page but the last names the first
// row it left out: X-Next-ID (its first entry's id), X-Next-Row-Number (its 1-based
// position) and X-Next-Timestamp (its start). The next page starts at that second, so
// rows sharing it come again, as from Toggl. Totals, dictionaries and other fields are
// whole on every page; a body without detailed results, or a Fault's, is never paged.
//
// The zero Paging pages healthily in pages of 50; the other fields break it one way each.
type Paging struct {
	Size int // rows per page; 0 means DefaultPageSize
	// Silent sends no X-Next-* header (first_timestamp is still honoured): only the rows
	// falling short of the totals tell that more exist.
	Silent           bool
	NoPageSizeHeader bool // leaves X-Page-Size out
	// StuckCursor sends the first page's X-Next-* headers on every page, the last included.
	StuckCursor bool
	// FailPage, if positive, makes the FailPage-th page of a walk (1 for the first) answer
	// FailFault instead. A walk starts with each request without first_timestamp, and each
	// request with one is its next page, so a retry of the page succeeds. (Walks are
	// counted per token: two clients walking one report at once share a count.)
	FailPage  int
	FailFault Fault
	// Short leaves the Short newest rows out before paging, totals unchanged.
	Short int
	// Overlap makes the X-Next-* headers name the row Overlap rows before the first one
	// left out: the next page repeats them.
	Overlap int
	// GroupAcross starts every page but the first with one row grouping the time entries
	// of the row before it (already sent) and of its first row, as a group spanning the
	// boundary.
	GroupAcross bool
	// NewestFirst lists each page's rows newest first; the pages still go oldest first.
	NewestFirst bool
	// PageDictionaries sends with each page only the dictionary entries its rows name.
	PageDictionaries bool
	// IgnoreFirstTimestamp answers every request with the first page, headers included.
	IgnoreFirstTimestamp bool
}

// pagedRow is a detailed row, kept as its JSON, with what ordering and cursors need.
type pagedRow struct {
	raw   json.RawMessage
	id    int64 // time-entry id of its first entry
	start int64 // Unix seconds of its first entry; math.MinInt64 when it has none
	names rowNames
}

// rowNames are the ids a row names, which a page's dictionaries must resolve.
type rowNames struct {
	ProjectID int64   `json:"project_id"`
	UserID    int64   `json:"user_id"`
	TaskID    int64   `json:"task_id"`
	TagIDs    []int64 `json:"tag_ids"`
}

func (r *pagedRow) UnmarshalJSON(b []byte) error {
	var v struct {
		rowNames
		TimeEntries []struct {
			ID    int64  `json:"id"`
			Start string `json:"start"`
		} `json:"time_entries"`
	}
	*r = pagedRow{raw: slices.Clone(b), start: math.MinInt64}
	if json.Unmarshal(b, &v) == nil {
		r.names = v.rowNames
	}
	if len(v.TimeEntries) > 0 {
		r.id = v.TimeEntries[0].ID
		if t, err := time.Parse(time.RFC3339, v.TimeEntries[0].Start); err == nil {
			r.start = t.Unix()
		}
	}
	return nil
}

// pageOf returns the page of body starting at from (Unix seconds; nil for the first page)
// and sets the paging headers of p on h, or returns body as it is when it is not a
// detailed report.
func pageOf(h http.Header, body []byte, p *Paging, from *int64) []byte {
	var top, results map[string]json.RawMessage
	var rows []pagedRow
	if json.Unmarshal(body, &top) != nil || json.Unmarshal(top["detailed_results"], &results) != nil || results == nil ||
		json.Unmarshal(results["report"], &rows) != nil {
		return body
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
	page := slices.Clone(rows[first:last])
	if p.GroupAcross && first > 0 && len(page) > 0 {
		page[0].raw = grouped(rows[first-1].raw, page[0].raw)
	}
	if p.NewestFirst {
		slices.Reverse(page)
	}
	raws := []json.RawMessage{}
	for _, r := range page {
		raws = append(raws, r.raw)
	}
	results["report"] = mustMarshal(raws)
	top["detailed_results"] = mustMarshal(results)
	if p.PageDictionaries {
		top["dictionaries"] = pageDictionaries(top["dictionaries"], page)
	}
	return mustMarshal(top)
}

// grouped returns row with the time entries of before put first.
func grouped(before, row json.RawMessage) json.RawMessage {
	var b, r map[string]json.RawMessage
	var be, re []json.RawMessage
	if json.Unmarshal(before, &b) != nil || json.Unmarshal(row, &r) != nil ||
		json.Unmarshal(b["time_entries"], &be) != nil || json.Unmarshal(r["time_entries"], &re) != nil {
		return row
	}
	r["time_entries"] = mustMarshal(append(be, re...))
	return mustMarshal(r)
}

// pageDictionaries keeps of dict the entries that the rows of page name, and the clients
// of their projects.
func pageDictionaries(dict json.RawMessage, page []pagedRow) json.RawMessage {
	var d map[string]map[string]json.RawMessage
	if json.Unmarshal(dict, &d) != nil {
		return dict
	}
	named := map[string][]string{"projects": nil, "users": nil, "tasks": nil, "tags": nil, "clients": nil}
	add := func(kind string, ids ...int64) {
		for _, id := range ids {
			named[kind] = append(named[kind], strconv.FormatInt(id, 10))
		}
	}
	for _, r := range page {
		n := r.names
		add("projects", n.ProjectID)
		add("users", n.UserID)
		add("tasks", n.TaskID)
		add("tags", n.TagIDs...)
		var pr struct {
			ClientID int64 `json:"client_id"`
		}
		if json.Unmarshal(d["projects"][strconv.FormatInt(n.ProjectID, 10)], &pr) == nil {
			add("clients", pr.ClientID)
		}
	}
	for kind, ids := range named {
		maps.DeleteFunc(d[kind], func(id string, _ json.RawMessage) bool { return !slices.Contains(ids, id) })
	}
	return mustMarshal(d)
}

// firstTimestamp reads the paging cursor of a request body: nil when absent or null.
// ok is false when it is neither a number of whole seconds nor null.
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
