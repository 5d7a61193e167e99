package collector

import (
	"encoding/json"
	"fmt"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/toggl-exporter/toggl_exporter/internal/togglfake"
)

const pagedToken = "tok-paged-0123456789abcdef012345"

// pagedStack serves a detailed report of 300 entries, runs of 3 sharing a start (every
// boundary of 50 falls inside one), through the real client and the fake, paged as set.
func pagedStack(t *testing.T, paging *togglfake.Paging, extra string) (*stack, float64) {
	t.Helper()
	s := newStack(t, nil)
	body := togglfake.DetailedJSON(togglfake.DetailedSpec{Entries: 300, Projects: 6, Users: 4, SameStart: 3})
	s.fake.Set(pagedToken, togglfake.Report{Body: body, Paging: paging})
	var whole struct {
		DetailedResults struct {
			Totals struct{ Seconds float64 }
		} `json:"detailed_results"`
	}
	if err := json.Unmarshal(body, &whole); err != nil {
		t.Fatal(err)
	}
	s.apply("api_url: {{URL}}\nrequests_per_second: 1000\nreports:\n  - name: paged\n    token: " + pagedToken +
		"\n    params: {billable: false}\n    breakdowns: [projects, users, project_users]\n" + extra)
	return s, whole.DetailedResults.Totals.Seconds
}

func (x exposition) sum(name, report string) float64 {
	var sum float64
	for k, v := range x.values {
		if strings.HasPrefix(k, name+"{") && strings.Contains(k, `report="`+report+`"`) {
			sum += v
		}
	}
	return sum
}

// TestPagingThroughTheFake: the breakdowns of a report paged by 50 add up exactly to its
// totals; each follow-up is the same body with the previous page's X-Next-Timestamp.
func TestPagingThroughTheFake(t *testing.T) {
	s, total := pagedStack(t, &togglfake.Paging{}, "")
	x := s.scrape()
	x.want(t, 1, "toggl_report_up", "paged")
	x.want(t, total, "toggl_report_tracked_seconds", "paged")
	for _, m := range []string{"toggl_report_project_tracked_seconds", "toggl_report_user_tracked_seconds", "toggl_report_project_user_tracked_seconds"} {
		if got := x.sum(m, "paged"); got != total {
			t.Errorf("sum of %s = %g, want the totals' %g", m, got, total)
		}
	}
	reqs := s.fake.Requests()
	if len(reqs) < 7 {
		t.Fatalf("%d requests for 300 rows in pages of 50", len(reqs))
	}
	x.want(t, 1, "toggl_report_breakdowns_complete", "paged")
	x.want(t, float64(len(reqs)), "toggl_report_fetch_pages", "paged")
	x.want(t, float64(len(reqs)), "toggl_report_fetches_total", "paged")
	first := reqs[0].Body
	if _, ok := first["first_timestamp"]; ok {
		t.Errorf("the first page asked with first_timestamp")
	}
	var prev float64
	for i, r := range reqs[1:] {
		ts, _ := r.Body["first_timestamp"].(float64)
		if ts <= prev {
			t.Errorf("page %d: first_timestamp %v does not move on from %v", i+2, r.Body["first_timestamp"], prev)
		}
		prev = ts
		rest := maps.Clone(r.Body)
		delete(rest, "first_timestamp")
		if fmt.Sprint(rest) != fmt.Sprint(first) {
			t.Errorf("page %d body %v, want %v plus first_timestamp", i+2, r.Body, first)
		}
	}
}

// TestPagingLimitsThroughTheFake: capped by max_pages, silent, short and stuck reports.
func TestPagingLimitsThroughTheFake(t *testing.T) {
	for name, tc := range map[string]struct {
		paging   togglfake.Paging
		extra    string
		complete float64
		maxReqs  int
	}{
		"max_pages 2":    {togglfake.Paging{}, "    max_pages: 2\n", 0, 2},
		"silent":         {togglfake.Paging{Silent: true}, "", 1, 20},
		"short of total": {togglfake.Paging{Short: 20}, "", 0, 20},
		"stuck cursor":   {togglfake.Paging{StuckCursor: true}, "", 0, 20},
	} {
		t.Run(name, func(t *testing.T) {
			s, total := pagedStack(t, &tc.paging, tc.extra)
			x := s.scrape()
			x.want(t, 1, "toggl_report_up", "paged")
			x.want(t, total, "toggl_report_tracked_seconds", "paged") // the totals are whole in any case
			x.want(t, tc.complete, "toggl_report_breakdowns_complete", "paged")
			if n := len(s.fake.Requests()); n > tc.maxReqs {
				t.Errorf("%d requests, want at most %d", n, tc.maxReqs)
			}
			if tc.complete == 0 {
				if got := x.sum("toggl_report_project_tracked_seconds", "paged"); got >= total {
					t.Errorf("projects add up to %g of %g in an incomplete report", got, total)
				}
				if lines := s.logs.lines("do not add up", "totals_seconds="); len(lines) != 1 {
					t.Errorf("want one warning with both figures, got %q", lines)
				}
			}
		})
	}
}

// TestPagingFailureThroughTheFake: a page that fails keeps the previous complete values,
// with the failure's code.
func TestPagingFailureThroughTheFake(t *testing.T) {
	s, total := pagedStack(t, &togglfake.Paging{}, "")
	before := s.rescrape()
	before.want(t, total, "toggl_report_tracked_seconds", "paged")
	s.fake.Set(pagedToken, togglfake.Report{Body: togglfake.DetailedJSON(togglfake.DetailedSpec{Entries: 200, Projects: 2, Users: 2}),
		Paging: &togglfake.Paging{FailPage: 3, FailFault: togglfake.Fault{Status: 500}}})
	s.clock.Advance(6 * time.Minute)
	x := s.rescrape()
	x.down(t, "paged", "500")
	for _, m := range []string{"toggl_report_tracked_seconds", "toggl_report_project_tracked_seconds", "toggl_report_user_tracked_seconds"} {
		if got, want := x.sum(m, "paged"), before.sum(m, "paged"); got != want {
			t.Errorf("%s = %g after a failed page, want the previous %g", m, got, want)
		}
	}
	x.want(t, 2, "toggl_report_fetch_pages", "paged")
}
