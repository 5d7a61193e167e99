package togglfake

import (
	"context"
	"encoding/json"
	"maps"
	"math"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strconv"
	"testing"
	"time"
)

// pagedSpec is a report of 300 entries, one a row, in runs of three sharing a start: with
// pages of 50 every boundary falls inside a run.
var pagedSpec = DetailedSpec{Entries: 300, PerRow: 1, Projects: 6, Users: 5, Tags: 3, SameStart: 3, Seed: 9}

// pageRow is what a test reads of one detailed row.
type pageRow struct {
	id        int64 // first time entry's
	start     int64 // first time entry's, Unix seconds
	rowNumber int64
	seconds   int64
}

// page is one answer of a paged report.
type page struct {
	status int
	header http.Header
	raw    string
	err    error // reading the body
	body   map[string]any
	rows   []pageRow
}

// fetchPage posts body (nil: none) to token and decodes the answer.
func fetchPage(t *testing.T, srv *httptest.Server, token string, body map[string]any) page {
	t.Helper()
	c := call{token: token}
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		c.body = string(b)
	}
	a := do(t, context.Background(), srv, c)
	p := page{status: a.status, header: a.header, raw: a.body, err: a.err}
	if a.err != nil || a.status != http.StatusOK {
		return p
	}
	p.body = decodeReport(t, []byte(a.body))
	if p.body["detailed_results"] != nil {
		p.rows = reportRows(t, p.body)
	}
	return p
}

func reportRows(t *testing.T, body map[string]any) []pageRow {
	t.Helper()
	var rows []pageRow
	for _, rv := range arr(t, obj(t, body["detailed_results"], "detailed_results")["report"], "report") {
		row := obj(t, rv, "row")
		entries := arr(t, row["time_entries"], "time_entries")
		first := obj(t, entries[0], "entry")
		start, err := time.Parse(time.RFC3339, first["start"].(string))
		if err != nil {
			t.Fatal(err)
		}
		r := pageRow{id: num(t, first["id"], "id"), start: start.Unix(), rowNumber: num(t, row["row_number"], "row_number")}
		for _, e := range entries {
			r.seconds += num(t, obj(t, e, "entry")["seconds"], "seconds")
		}
		rows = append(rows, r)
	}
	return rows
}

// walkPages follows the X-Next-Timestamp headers from the first page, as a client should,
// sending base plus first_timestamp; it stops when no header comes, after max pages, or
// at a failed page.
func walkPages(t *testing.T, srv *httptest.Server, token string, base map[string]any, max int) []page {
	t.Helper()
	var pages []page
	body := base
	for len(pages) < max {
		p := fetchPage(t, srv, token, body)
		pages = append(pages, p)
		next := p.header.Get(HeaderNextTimestamp)
		if p.err != nil || p.status != http.StatusOK || next == "" {
			break
		}
		ts, err := strconv.ParseInt(next, 10, 64)
		if err != nil {
			t.Fatalf("X-Next-Timestamp %q: %v", next, err)
		}
		body = map[string]any{"first_timestamp": ts}
		for k, v := range base {
			body[k] = v
		}
	}
	return pages
}

func newPagedFake(t *testing.T, body []byte, p Paging) (*Fake, *httptest.Server) {
	t.Helper()
	f := New()
	f.Set("tok", Report{Body: body, Paging: &p})
	return f, newServer(t, f)
}

// TestPagingWalk walks a report of 300 rows in pages of 50 by its headers: every row
// comes, the duplicates are the rows sharing the cursor's second at a boundary, every page
// but the last points to the next one, and everything but the rows is whole on every page.
func TestPagingWalk(t *testing.T) {
	full := DetailedJSON(pagedSpec)
	whole := decodeReport(t, full)
	all := reportRows(t, whole)
	f, srv := newPagedFake(t, full, Paging{})
	f.SetQuota(100, time.Hour)

	base := map[string]any{"start_date": "2025-03-03", "end_date": "2025-03-09"}
	pages := walkPages(t, srv, "tok", base, 20)
	if len(pages) != 7 { // pages start at rows 1, 49, 97, ... 289: each repeats the two before its cursor
		t.Fatalf("%d pages, want 7", len(pages))
	}
	seen := map[int64]int{}
	for i, p := range pages {
		if p.status != http.StatusOK || p.header.Get(HeaderPageSize) != "50" {
			t.Fatalf("page %d: %d, X-Page-Size %q", i+1, p.status, p.header.Get(HeaderPageSize))
		}
		if rem := p.header.Get(HeaderQuotaRemaining); rem != strconv.Itoa(99-i) {
			t.Errorf("page %d: quota remaining %q: every page costs one request", i+1, rem)
		}
		if len(p.rows) > 50 || (i < len(pages)-1 && len(p.rows) != 50) {
			t.Errorf("page %d: %d rows", i+1, len(p.rows))
		}
		if !slices.IsSortedFunc(p.rows, func(a, b pageRow) int { return int(a.start - b.start) }) {
			t.Errorf("page %d: rows not in start order", i+1)
		}
		for _, r := range p.rows {
			seen[r.id]++
		}
		// Everything but the rows is the full report's.
		for k, v := range whole {
			if k != "detailed_results" && !reflect.DeepEqual(p.body[k], v) {
				t.Errorf("page %d: %s differs from the full report's", i+1, k)
			}
		}
		if got, want := obj(t, p.body["detailed_results"], "")["totals"], obj(t, whole["detailed_results"], "")["totals"]; !reflect.DeepEqual(got, want) {
			t.Errorf("page %d: totals differ from the full report's", i+1)
		}

		if i == len(pages)-1 {
			for _, h := range []string{HeaderNextID, HeaderNextRowNumber, HeaderNextTimestamp} {
				if v := p.header.Get(h); v != "" {
					t.Errorf("last page: %s %q", h, v)
				}
			}
			continue
		}
		// The next page starts at the cursor's second: with the rows of this page that
		// share it (two: the runs are of three), then the row the headers name, the first
		// not served yet.
		ts, _ := strconv.ParseInt(p.header.Get(HeaderNextTimestamp), 10, 64)
		var again []int64
		for _, r := range p.rows {
			if r.start >= ts {
				again = append(again, r.id)
			}
		}
		if len(again) != 2 {
			t.Fatalf("page %d: %d rows at the boundary's second, want 2", i+1, len(again))
		}
		for j, id := range again {
			if pages[i+1].rows[j].id != id {
				t.Errorf("page %d starts with %d, want the repeated %d", i+2, pages[i+1].rows[j].id, id)
			}
		}
		named := pages[i+1].rows[2]
		if p.header.Get(HeaderNextID) != strconv.FormatInt(named.id, 10) ||
			p.header.Get(HeaderNextRowNumber) != strconv.FormatInt(named.rowNumber, 10) ||
			named.start != ts || named.rowNumber != int64(50*(i+1)-2*i+1) {
			t.Errorf("page %d: X-Next-* %q %q %q, want the first row not served (%d, row %d, %d)", i+1,
				p.header.Get(HeaderNextID), p.header.Get(HeaderNextRowNumber), p.header.Get(HeaderNextTimestamp),
				named.id, named.rowNumber, named.start)
		}
	}
	if len(seen) != len(all) {
		t.Errorf("walk saw %d rows, the report has %d", len(seen), len(all))
	}
	dups := 0
	for _, r := range all {
		switch seen[r.id] {
		case 1:
		case 2:
			dups++
		default:
			t.Errorf("row %d seen %d times", r.id, seen[r.id])
		}
	}
	if dups != 2*(len(pages)-1) {
		t.Errorf("%d rows seen twice, want 2 per boundary", dups)
	}

	// Each follow-up request carried the previous page's cursor and the same body.
	reqs := f.Requests()
	for i, r := range reqs {
		want := maps.Clone(base)
		if i > 0 {
			ts, _ := strconv.ParseInt(pages[i-1].header.Get(HeaderNextTimestamp), 10, 64)
			want["first_timestamp"] = float64(ts)
		}
		if !reflect.DeepEqual(r.Body, want) {
			t.Errorf("request %d body %v, want %v", i+1, r.Body, want)
		}
	}
}

// TestPagingFirstTimestamp: a page holds the first rows starting at or after
// first_timestamp, whatever the order of the rows in the body.
func TestPagingFirstTimestamp(t *testing.T) {
	full := DetailedJSON(pagedSpec)
	all := reportRows(t, decodeReport(t, full))
	// The same report with its rows reversed: the fake orders them by start.
	var r map[string]json.RawMessage
	var dr map[string]json.RawMessage
	var rows []json.RawMessage
	if json.Unmarshal(full, &r) != nil || json.Unmarshal(r["detailed_results"], &dr) != nil || json.Unmarshal(dr["report"], &rows) != nil {
		t.Fatal("cannot split the body")
	}
	slices.Reverse(rows)
	dr["report"] = mustMarshal(rows)
	r["detailed_results"] = mustMarshal(dr)
	_, srv := newPagedFake(t, mustMarshal(r), Paging{Size: 20})

	cut := all[137].start // rows 135-137 share it
	p := fetchPage(t, srv, "tok", map[string]any{"first_timestamp": cut})
	var want []int64
	for _, r := range all {
		if r.start >= cut && len(want) < 20 {
			want = append(want, r.id)
		}
	}
	var got []int64
	for _, r := range p.rows {
		got = append(got, r.id)
	}
	if !slices.Equal(got, want) || p.rows[0].rowNumber != 136 {
		t.Errorf("page from %d: %v (first row %d), want %v (row 136)", cut, got, p.rows[0].rowNumber, want)
	}
	if p.header.Get(HeaderNextRowNumber) != "156" || p.header.Get(HeaderPageSize) != "20" {
		t.Errorf("headers %v", p.header)
	}

	for name, c := range map[string]struct {
		body   map[string]any
		status int
		rows   int
		first  int64 // id of the first row
	}{
		"null is the first page":         {map[string]any{"first_timestamp": nil}, 200, 20, all[0].id},
		"before every row":               {map[string]any{"first_timestamp": 1}, 200, 20, all[0].id},
		"after every row: an empty page": {map[string]any{"first_timestamp": all[299].start + 1}, 200, 0, 0},
		"the last second: the last run":  {map[string]any{"first_timestamp": all[299].start}, 200, 3, all[297].id},
		"not a number":                   {map[string]any{"first_timestamp": "1741000000"}, 400, 0, 0},
		"not whole seconds":              {map[string]any{"first_timestamp": 1741000000.5}, 400, 0, 0},
	} {
		t.Run(name, func(t *testing.T) {
			p := fetchPage(t, srv, "tok", c.body)
			if p.status != c.status || len(p.rows) != c.rows || (c.rows > 0 && p.rows[0].id != c.first) {
				t.Fatalf("%d with %d rows, want %d with %d rows", p.status, len(p.rows), c.status, c.rows)
			}
			if c.status == 200 && c.rows < 20 && p.header.Get(HeaderNextTimestamp) != "" {
				t.Errorf("a last page with X-Next-Timestamp %q", p.header.Get(HeaderNextTimestamp))
			}
		})
	}
}

// TestPagingOptions checks that each way of breaking the paging does what it says.
func TestPagingOptions(t *testing.T) {
	full := DetailedJSON(pagedSpec)
	all := reportRows(t, decodeReport(t, full))
	var total int64
	for _, r := range all {
		total += r.seconds
	}
	hasNext := func(p page) bool {
		return p.header.Get(HeaderNextID) != "" || p.header.Get(HeaderNextRowNumber) != "" || p.header.Get(HeaderNextTimestamp) != ""
	}
	from := func(ts int64) map[string]any { return map[string]any{"first_timestamp": ts} }

	t.Run("Size", func(t *testing.T) {
		_, srv := newPagedFake(t, full, Paging{Size: 120})
		pages := walkPages(t, srv, "tok", nil, 20)
		if len(pages) != 3 || len(pages[0].rows) != 120 || pages[0].header.Get(HeaderPageSize) != "120" {
			t.Errorf("%d pages, %d rows on the first, X-Page-Size %q", len(pages), len(pages[0].rows), pages[0].header.Get(HeaderPageSize))
		}
	})
	t.Run("Size and Short out of range", func(t *testing.T) {
		for _, p := range []Paging{{Size: math.MaxInt}, {Size: -1}, {Short: -5}, {Short: math.MaxInt}} {
			_, srv := newPagedFake(t, full, p)
			want := map[bool]int{true: 0, false: 50}[p.Short > 0]
			if p.Size > 0 {
				want = 300
			}
			if got := fetchPage(t, srv, "tok", nil); got.status != 200 || len(got.rows) != want {
				t.Errorf("%+v: %d with %d rows, want %d", p, got.status, len(got.rows), want)
			}
		}
	})
	t.Run("Silent", func(t *testing.T) {
		_, srv := newPagedFake(t, full, Paging{Silent: true})
		p := fetchPage(t, srv, "tok", nil)
		if len(p.rows) != 50 || hasNext(p) || p.header.Get(HeaderPageSize) != "50" {
			t.Errorf("%d rows, headers %v: want 50 rows, X-Page-Size and no X-Next-*", len(p.rows), p.header)
		}
		// first_timestamp still works: from the last entry's start, as a client must go on.
		p2 := fetchPage(t, srv, "tok", from(p.rows[49].start))
		if len(p2.rows) != 50 || p2.rows[0].start != p.rows[49].start || p2.rows[0].start == p.rows[0].start {
			t.Errorf("second page: %d rows from %d", len(p2.rows), p2.rows[0].start)
		}
	})
	t.Run("StuckCursor", func(t *testing.T) {
		_, srv := newPagedFake(t, full, Paging{StuckCursor: true})
		pages := walkPages(t, srv, "tok", nil, 5)
		if len(pages) != 5 {
			t.Fatalf("walk stopped after %d pages, want it to run to its cap", len(pages))
		}
		first := pages[0].header.Get(HeaderNextTimestamp)
		for i, p := range pages[1:] {
			if p.header.Get(HeaderNextTimestamp) != first || p.header.Get(HeaderNextID) != pages[0].header.Get(HeaderNextID) {
				t.Errorf("page %d: X-Next-Timestamp %q, want the first page's %q", i+2, p.header.Get(HeaderNextTimestamp), first)
			}
			if p.rows[0].id != pages[1].rows[0].id {
				t.Errorf("page %d differs from page 2", i+2)
			}
		}
		last := fetchPage(t, srv, "tok", from(all[299].start))
		if last.header.Get(HeaderNextTimestamp) != first {
			t.Errorf("last page: X-Next-Timestamp %q, want %q", last.header.Get(HeaderNextTimestamp), first)
		}
	})
	t.Run("FailPage status", func(t *testing.T) {
		f, srv := newPagedFake(t, full, Paging{FailPage: 3, FailFault: Fault{Status: http.StatusTooManyRequests, Header: http.Header{"Retry-After": {"7"}}}})
		pages := walkPages(t, srv, "tok", nil, 20)
		if len(pages) != 3 || pages[2].status != 429 || pages[2].header.Get("Retry-After") != "7" || pages[2].raw != "Too Many Requests" {
			t.Fatalf("%d pages, the last %d %q", len(pages), pages[len(pages)-1].status, pages[len(pages)-1].raw)
		}
		if pages[0].status != 200 || pages[1].status != 200 {
			t.Error("pages 1 and 2 failed")
		}
		// A retry of the page is the walk's 4th request: healthy. A new walk fails again.
		next, _ := strconv.ParseInt(pages[1].header.Get(HeaderNextTimestamp), 10, 64)
		if p := fetchPage(t, srv, "tok", from(next)); p.status != 200 || len(p.rows) != 50 {
			t.Errorf("retry: %d with %d rows", p.status, len(p.rows))
		}
		if pages := walkPages(t, srv, "tok", nil, 20); len(pages) != 3 || pages[2].status != 429 {
			t.Errorf("second walk: %d pages, the last %d", len(pages), pages[len(pages)-1].status)
		}
		// Reset starts a new walk too.
		fetchPage(t, srv, "tok", nil)
		fetchPage(t, srv, "tok", from(next))
		f.Reset()
		if p := fetchPage(t, srv, "tok", from(next)); p.status != 200 {
			t.Errorf("after Reset: %d", p.status)
		}
	})
	t.Run("FailPage body", func(t *testing.T) {
		_, srv := newPagedFake(t, full, Paging{FailPage: 2, FailFault: Fault{Truncate: 100}})
		pages := walkPages(t, srv, "tok", nil, 20)
		if len(pages) != 2 || pages[1].status != 200 || pages[1].body != nil {
			t.Fatalf("%d pages, the last %d, decoded %v", len(pages), pages[1].status, pages[1].body != nil)
		}
		if len(pages[1].raw) != 100 || pages[1].header.Get(HeaderPageSize) != "50" {
			t.Errorf("truncated page: %d bytes, headers %v", len(pages[1].raw), pages[1].header)
		}
	})
	t.Run("Short", func(t *testing.T) {
		_, srv := newPagedFake(t, full, Paging{Short: 10})
		pages := walkPages(t, srv, "tok", nil, 20)
		seen := map[int64]int64{}
		for _, p := range pages {
			if got := num(t, obj(t, obj(t, p.body["detailed_results"], "")["totals"], "")["seconds"], ""); got != total {
				t.Fatalf("totals.seconds %d, want the full %d", got, total)
			}
			for _, r := range p.rows {
				seen[r.id] = r.seconds
			}
		}
		var sum int64
		for _, s := range seen {
			sum += s
		}
		if len(seen) != 290 || sum >= total {
			t.Errorf("%d rows holding %d s, totals %d: want 290 rows and fewer seconds", len(seen), sum, total)
		}
		for _, r := range all[290:] {
			if _, ok := seen[r.id]; ok {
				t.Errorf("row %d, among the 10 newest, was served", r.id)
			}
		}
	})
}

// TestPagingOnlyDetailed: summary and weekly reports, a Fault's raw body and a report
// without Paging are served whole, without paging headers.
func TestPagingOnlyDetailed(t *testing.T) {
	f := New()
	summary := demoBody("summary", time.Date(2025, 3, 12, 15, 0, 0, 0, time.UTC))
	f.Set("summary", Report{Body: summary, Paging: &Paging{Size: 1}})
	f.Set("raw", Report{Body: DetailedJSON(pagedSpec), Paging: &Paging{}, Fault: Fault{Body: okBody}})
	f.Set("whole", Report{Body: DetailedJSON(pagedSpec)})
	srv := newServer(t, f)
	for token, want := range map[string]string{"summary": string(summary), "raw": okBody} {
		a := do(t, context.Background(), srv, call{token: token, body: `{"first_timestamp":1741000000}`})
		if a.status != 200 || a.body != want || a.header.Get(HeaderPageSize) != "" || a.header.Get(HeaderNextTimestamp) != "" {
			t.Errorf("%s: %d, headers %v, body changed %v", token, a.status, a.header, a.body != want)
		}
	}
	p := fetchPage(t, srv, "whole", map[string]any{"first_timestamp": 1e10})
	if len(p.rows) != 300 || p.header.Get(HeaderPageSize) != "" {
		t.Errorf("unpaged report: %d rows, headers %v", len(p.rows), p.header)
	}
}
