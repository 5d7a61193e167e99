package collector

import (
	"os"
	"testing"
	"time"

	"github.com/toggl-exporter/toggl_exporter/internal/togglfake"
)

const handToken = "tok-hand-paged-0123456789abcdef"

// TestWalkFaults reads testdata/paged_faults.json (8 time entries in 7 rows, one row
// grouping two, 7360 s) through the real client and the fake paging it 3 rows a page,
// broken one way at a time. The sums are counted by hand from the file: every entry
// counts once, and every name resolves, whatever the pages repeat or leave out.
func TestWalkFaults(t *testing.T) {
	body, err := os.ReadFile("testdata/paged_faults.json")
	if err != nil {
		t.Fatal(err)
	}
	whole := map[string]float64{ // by hand: rows 1+4+7, 2+5, 3+6; Ada 1+3+5+7, Bob 2+4+6
		"Website": 600 + 900 + 100 + 2400, "Support": 1200 + 1800, "Research": 300 + 60,
		"Ada": 600 + 300 + 1800 + 2400, "Bob": 1200 + 900 + 100 + 60, "urgent": 600 + 1800,
	}
	for name, tc := range map[string]struct {
		paging   togglfake.Paging
		requests int
		want     map[string]float64
		complete float64
	}{
		"healthy":   {togglfake.Paging{Size: 3}, 3, whole, 1},
		"overlap 2": {togglfake.Paging{Size: 3, Overlap: 2}, 5, whole, 1},
		// Page 2 opens with row 3's entry grouped into row 4, page 3 with row 6's into row 7.
		"grouped across":          {togglfake.Paging{Size: 3, GroupAcross: true}, 3, whole, 1},
		"newest first, overlap 2": {togglfake.Paging{Size: 3, Overlap: 2, NewestFirst: true}, 5, whole, 1},
		"per-page dictionaries":   {togglfake.Paging{Size: 3, PageDictionaries: true}, 3, whole, 1},
		"everything":              {togglfake.Paging{Size: 3, Overlap: 1, GroupAcross: true, NewestFirst: true, PageDictionaries: true}, 3, whole, 1},
		"silent, per-page dicts":  {togglfake.Paging{Size: 3, Silent: true, PageDictionaries: true}, 3, whole, 1},
		// The first page twice: rows 1-3 count once, and the walk stops going round.
		"ignores first_timestamp": {togglfake.Paging{Size: 3, IgnoreFirstTimestamp: true}, 2,
			map[string]float64{"Website": 600, "Support": 1200, "Research": 300, "Ada": 600 + 300, "Bob": 1200, "urgent": 600}, 0},
	} {
		t.Run(name, func(t *testing.T) {
			s := newStack(t, nil)
			s.fake.Set(handToken, togglfake.Report{Body: body, Paging: &tc.paging})
			s.apply("api_url: {{URL}}\nrequests_per_second: 1000\nreports:\n  - name: hand\n    token: " + handToken +
				"\n    breakdowns: [projects, users, clients, tags]\n")
			x := s.scrape()
			x.want(t, 1, "toggl_report_up", "hand")
			x.want(t, 7360, "toggl_report_tracked_seconds", "hand")
			x.want(t, tc.complete, "toggl_report_breakdowns_complete", "hand")
			x.want(t, float64(tc.requests), "toggl_report_fetches_total", "hand")
			if n := s.fake.Count(handToken); n != tc.requests {
				t.Errorf("%d requests, want %d", n, tc.requests)
			}
			w := tc.want
			x.want(t, w["Website"], "toggl_report_project_tracked_seconds", "hand", "project_id", "101", "project", "Website", "client", "Acme")
			x.want(t, w["Support"], "toggl_report_project_tracked_seconds", "hand", "project_id", "102", "project", "Support", "client", "Globex")
			x.want(t, w["Research"], "toggl_report_project_tracked_seconds", "hand", "project_id", "103", "project", "Research", "client", "")
			x.want(t, w["Ada"], "toggl_report_user_tracked_seconds", "hand", "user_id", "301", "user", "Ada")
			x.want(t, w["Bob"], "toggl_report_user_tracked_seconds", "hand", "user_id", "302", "user", "Bob")
			x.want(t, w["Website"], "toggl_report_client_tracked_seconds", "hand", "client_id", "201", "client", "Acme")
			x.want(t, w["Support"], "toggl_report_client_tracked_seconds", "hand", "client_id", "202", "client", "Globex")
			x.want(t, w["urgent"], "toggl_report_tag_tracked_seconds", "hand", "tag_id", "401", "tag", "urgent")
		})
	}
}

// TestWalk100Pages: a report of about 100 pages (of 2 rows, to keep the fake quick),
// each answered after 15 ms, with max_pages 100 and timeout 1s comes complete: timeout
// bounds each request, not the walk of some 1.5 s or more. One request per page.
func TestWalk100Pages(t *testing.T) {
	t.Parallel() // slow: overlaps the other slow tests
	s := newStack(t, nil)
	s.fake.Set(pagedToken, togglfake.Report{Body: togglfake.DetailedJSON(togglfake.DetailedSpec{Entries: 196, Projects: 6, Users: 4}), Paging: &togglfake.Paging{Size: 2},
		Fault: togglfake.Fault{HeaderDelay: 15 * time.Millisecond}})
	s.apply("api_url: {{URL}}\nrequests_per_second: 1000000\ntimeout: 1s\nreports:\n  - name: paged\n    token: " + pagedToken + "\n    max_pages: 100\n")
	x := s.rescrape()
	x.want(t, 1, "toggl_report_up", "paged")
	x.want(t, 1, "toggl_report_breakdowns_complete", "paged")
	pages, _ := x.value("toggl_report_fetch_pages", "paged")
	if n := s.fake.Count(pagedToken); pages < 98 || float64(n) != pages {
		t.Errorf("%d requests for %g pages, want one per page, 98 or more", n, pages)
	}
}
