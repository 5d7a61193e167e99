package collector

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-kit/log"

	"github.com/toggl-exporter/toggl_exporter/client"
	"github.com/toggl-exporter/toggl_exporter/internal/testkit"
)

// pageFetcher answers a detailed report in pages as Toggl's detailed search does: rows by
// start, size rows a page, the next page starting *at* the next row's start (so rows
// sharing it come twice), X-Next-* headers on every page but the last (unless silent),
// and totals that cover the whole report (plus missing seconds, to fake a short report).
type pageFetcher struct {
	rows    []client.DetailedRow // by start
	size    int
	silent  bool  // page, but send no X-Next-* header
	stuck   bool  // X-Next-Timestamp never moves
	failAt  int   // page number (1-based) that answers 500; 0 for none
	missing int64 // seconds the totals count beyond the rows

	mu     sync.Mutex
	bodies []map[string]any
	nexts  []int64 // the X-Next-Timestamp of each page, 0 for none
}

func (p *pageFetcher) Run(_ context.Context, req client.Request, sink client.Sink) (*client.Report, *client.Response, error) {
	p.mu.Lock()
	p.bodies = append(p.bodies, maps.Clone(req.Body))
	page := len(p.bodies)
	p.mu.Unlock()
	if page == p.failAt {
		return nil, &client.Response{StatusCode: 500}, &client.Error{Code: "500", StatusCode: 500, Message: "report is too big to be exported"}
	}
	from := int64(0)
	if ts, ok := req.Body["first_timestamp"].(int64); ok {
		from = ts
	}
	i := 0
	for i < len(p.rows) && p.rows[i].TimeEntries[0].Start.Unix() < from {
		i++
	}
	end := min(i+p.size, len(p.rows))
	for _, r := range p.rows[i:end] {
		sink.DetailedRow(&r)
	}
	resp := &client.Response{StatusCode: 200, PageSize: p.size}
	if end < len(p.rows) && !p.silent {
		next := p.rows[end].TimeEntries[0]
		if p.stuck {
			next = p.rows[0].TimeEntries[0]
		}
		resp.Next = next.Start.Unix()
	}
	p.mu.Lock()
	p.nexts = append(p.nexts, resp.Next)
	p.mu.Unlock()
	var total int64
	for _, r := range p.rows {
		total += r.Seconds
	}
	return &client.Report{Name: "Paged", Type: "detailed", Block: client.BlockDetailed, Totals: &client.Totals{Seconds: total + p.missing},
		Dictionaries: client.Dictionaries{Users: map[int64]client.Entity{1: {ID: 1, Name: "Ada"}, 2: {ID: 2, Name: "Bob"}, 3: {ID: 3, Name: "Cy"}}}}, resp, nil
}

// pagedRows makes n one-entry rows over three users and four projects, a minute apart,
// except that rows 48..52 all start at once: a page boundary of 50 falls among them.
func pagedRows(n int) []client.DetailedRow {
	start := time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)
	rows := make([]client.DetailedRow, n)
	for i := range rows {
		at := start.Add(time.Duration(min(i, 48)+max(i-52, 0)) * time.Minute)
		sec := int64(600 + i)
		rows[i] = client.DetailedRow{UserID: int64(i%3 + 1), ProjectID: int64(i%4 + 10), Seconds: sec,
			TimeEntries: []client.TimeEntry{{ID: int64(1000 + i), Seconds: sec, Start: at}}}
	}
	return rows
}

func pagingExporter(t *testing.T, p *pageFetcher, maxPages int) (*Exporter, *testkit.SyncBuffer) {
	t.Helper()
	logs := &testkit.SyncBuffer{}
	e := New(Options{Now: (&fakeClock{now: time.Unix(1_800_000_000, 0)}).Now, Logger: log.NewLogfmtLogger(logs)})
	cfg := testConfig("paged")
	cfg.Reports[0].MaxPages = maxPages
	cfg.Reports[0].Breakdowns = []string{Projects, Users, ProjectUsers}
	cfg.Reports[0].Params = map[string]any{"billable": true}
	e.Apply(cfg, p)
	return e, logs
}

// sumOf adds up the samples of a metric in a scrape() output.
func sumOf(out, metric string) float64 {
	var sum float64
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, metric+"{") {
			var v float64
			fmt.Sscan(line[strings.LastIndexByte(line, ' ')+1:], &v)
			sum += v
		}
	}
	return sum
}

func TestPagingReadsEveryPageOnce(t *testing.T) {
	rows := pagedRows(230) // 5 pages of 50, with overlap at the boundaries
	p := &pageFetcher{rows: rows, size: 50}
	e, logs := pagingExporter(t, p, 20)
	out := scrape(t, e, context.Background())

	var total float64
	for _, r := range rows {
		total += float64(r.Seconds)
	}
	for _, m := range []string{"toggl_report_tracked_seconds", "toggl_report_project_tracked_seconds", "toggl_report_user_tracked_seconds", "toggl_report_project_user_tracked_seconds"} {
		if got := sumOf(out, m); got != total {
			t.Errorf("sum of %s = %g, want the totals' %g", m, got, total)
		}
	}
	pages := len(p.bodies)
	if pages < 5 || pages > 6 {
		t.Errorf("%d requests for 230 rows in pages of 50", pages)
	}
	for _, want := range []string{
		"toggl_report_breakdowns_complete{report=paged} 1",
		fmt.Sprintf("toggl_report_fetch_pages{report=paged} %d", pages),
		fmt.Sprintf("toggl_report_fetches_total{report=paged} %d", pages),
		"toggl_report_up{report=paged} 1",
	} {
		if !strings.Contains(out, want+"\n") {
			t.Errorf("missing %q in\n%s", want, out)
		}
	}
	// Each follow-up is the same body plus the previous page's X-Next-Timestamp.
	if _, ok := p.bodies[0]["first_timestamp"]; ok {
		t.Errorf("the first page asked with first_timestamp: %v", p.bodies[0])
	}
	for i := 1; i < pages; i++ {
		want := maps.Clone(p.bodies[0])
		want["first_timestamp"] = p.nexts[i-1]
		if fmt.Sprint(p.bodies[i]) != fmt.Sprint(want) {
			t.Errorf("page %d asked with %v, want %v", i+1, p.bodies[i], want)
		}
	}
	if strings.Contains(logs.String(), "do not add up") {
		t.Errorf("a complete report warned:\n%s", logs)
	}
}

func TestPagingCappedByMaxPages(t *testing.T) {
	rows := pagedRows(230)
	p := &pageFetcher{rows: rows, size: 50}
	e, logs := pagingExporter(t, p, 2)
	out := scrape(t, e, context.Background())
	if n := len(p.bodies); n != 2 {
		t.Errorf("%d requests with max_pages: 2", n)
	}
	// Page 1 is rows 0..49; page 2 starts at the start rows 48..52 share: rows 48..97.
	var total, read float64
	for i, r := range rows {
		total += float64(r.Seconds)
		if i < 98 {
			read += float64(r.Seconds)
		}
	}
	if got := sumOf(out, "toggl_report_tracked_seconds"); got != total {
		t.Errorf("tracked = %g, want the whole totals %g", got, total)
	}
	if got := sumOf(out, "toggl_report_project_tracked_seconds"); got != read {
		t.Errorf("projects add up to %g, want the %g of the two pages read", got, read)
	}
	for _, want := range []string{"toggl_report_breakdowns_complete{report=paged} 0", "toggl_report_fetch_pages{report=paged} 2"} {
		if !strings.Contains(out, want+"\n") {
			t.Errorf("missing %q", want)
		}
	}
	for _, want := range []string{"do not add up", fmt.Sprintf("breakdowns_seconds=%d", int64(read)), fmt.Sprintf("totals_seconds=%d", int64(total)), "max_pages=2"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, logs)
		}
	}
}

func TestPagingStuckCursorStops(t *testing.T) {
	p := &pageFetcher{rows: pagedRows(230), size: 50, stuck: true}
	e, _ := pagingExporter(t, p, 20)
	out := scrape(t, e, context.Background())
	if n := len(p.bodies); n > 2 {
		t.Errorf("%d requests for a cursor that never moves, want at most 2", n)
	}
	if !strings.Contains(out, "toggl_report_breakdowns_complete{report=paged} 0\n") {
		t.Errorf("a report cut short says it is complete:\n%s", out)
	}
}

// TestPagingWithoutHeaders: Toggl may page without saying so. A full page whose rows fall
// short of the totals continues from its latest start.
func TestPagingWithoutHeaders(t *testing.T) {
	rows := pagedRows(120)
	p := &pageFetcher{rows: rows, size: 50, silent: true}
	e, _ := pagingExporter(t, p, 20)
	out := scrape(t, e, context.Background())
	if n := len(p.bodies); n != 3 {
		t.Errorf("%d requests for 120 rows paged silently by 50, want 3", n)
	}
	if !strings.Contains(out, "toggl_report_breakdowns_complete{report=paged} 1\n") {
		t.Errorf("not complete:\n%s", out)
	}
	// A report that is one short page asks once, and one whose rows fall short of the
	// totals on a page that is not full does not go on.
	for _, p := range []*pageFetcher{{rows: pagedRows(30), size: 50, silent: true}, {rows: pagedRows(30), size: 50, silent: true, missing: 5000}} {
		e, _ := pagingExporter(t, p, 20)
		out := scrape(t, e, context.Background())
		if n := len(p.bodies); n != 1 {
			t.Errorf("%d requests for 30 rows (missing %d s)", n, p.missing)
		}
		want := "toggl_report_breakdowns_complete{report=paged} 1\n"
		if p.missing > 0 {
			want = "toggl_report_breakdowns_complete{report=paged} 0\n"
		}
		if !strings.Contains(out, want) {
			t.Errorf("missing %q (missing %d s)", want, p.missing)
		}
	}
}

// TestPagingFailureKeepsTheLastCompleteValues: a fetch that fails on page 3 publishes
// nothing of pages 1 and 2; the previous complete values stay, with the failure's code.
func TestPagingFailureKeepsTheLastCompleteValues(t *testing.T) {
	clock := &fakeClock{now: time.Unix(1_800_000_000, 0)}
	p := &pageFetcher{rows: pagedRows(230), size: 50}
	e := New(Options{Now: clock.Now})
	cfg := testConfig("paged")
	e.Apply(cfg, p)
	before := rescrape(t, e, context.Background())
	first := len(p.bodies)

	p.mu.Lock()
	p.failAt = first + 3
	p.rows = pagedRows(200) // the report changed: what pages 1 and 2 hold must not show
	p.mu.Unlock()
	clock.Advance(6 * time.Minute)
	after := rescrape(t, e, context.Background())
	if n := len(p.bodies) - first; n != 3 {
		t.Errorf("%d requests in the failing fetch, want 3", n)
	}
	for _, m := range []string{"toggl_report_tracked_seconds", "toggl_report_project_tracked_seconds", "toggl_report_user_tracked_seconds"} {
		if got, want := sumOf(after, m), sumOf(before, m); got != want {
			t.Errorf("%s = %g after a failed page, want the previous %g", m, got, want)
		}
	}
	for _, want := range []string{"toggl_report_up{report=paged} 0", "toggl_report_error{report=paged,code=500} 1",
		"toggl_report_breakdowns_complete{report=paged} 1", "toggl_report_fetch_pages{report=paged} 2",
		fmt.Sprintf("toggl_report_fetches_total{report=paged} %d", first+3)} {
		if !strings.Contains(after, want+"\n") {
			t.Errorf("missing %q in\n%s", want, after)
		}
	}
}
