package collector

import (
	"bytes"
	"context"
	"net/http/httptest"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/go-kit/log"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/toggl-exporter/toggl_exporter/client"
	"github.com/toggl-exporter/toggl_exporter/internal/togglfake"
)

// pagedFake serves the paged detailed fixture of `describe` (../testdata/describe) in pages
// of 3 rows, each with X-Page-Size and all but the last with the X-Next-* headers, to a
// client of hourlyQuota (0: Toggl's headers tell).
func pagedFake(t *testing.T, paging togglfake.Paging, hourlyQuota int) (*togglfake.Fake, *client.Client) {
	t.Helper()
	body, err := os.ReadFile("../testdata/describe/detailed.json")
	if err != nil {
		t.Fatal(err)
	}
	fake := togglfake.New()
	paging.Size = 3
	fake.Set("tok-x", togglfake.Report{Body: body, Paging: &paging})
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	return fake, client.New(client.Options{BaseURL: srv.URL, RequestsPerSecond: 1000, HourlyQuota: hourlyQuota})
}

// TestFetchFactsOnStatus: while serving, the status (the landing page) and the debug line
// of a fetch say what describe says in full: pages, the paging headers of the latest
// answer, the fields the decoder did not know.
func TestFetchFactsOnStatus(t *testing.T) {
	_, c := pagedFake(t, togglfake.Paging{}, 0)
	var logs bytes.Buffer
	e := New(Options{Logger: log.NewLogfmtLogger(log.NewSyncWriter(&logs))})
	e.Apply(testConfig("x"), c)
	col, err := e.Collector(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	testutil.CollectAndCount(col)
	st := e.Status()[0]
	unknown := []string{"detailed_results.report[].approval_status", "detailed_results.report[].time_entries[].tz_name",
		"detailed_results.totals.overtime_seconds", "dictionaries.projects[].billing_contact", "report_owner_email"}
	if !st.Up || st.Pages != 3 || !reflect.DeepEqual(st.PagingHeaders, []string{"X-Page-Size"}) || !reflect.DeepEqual(st.Unknown, unknown) {
		t.Errorf("status %+v, want up after 3 pages, X-Page-Size on the last, unknown %v", st, unknown)
	}
	want := `pages=3 series=`
	line := `paging_headers=X-Page-Size unknown_fields=` + strings.Join(unknown, ",")
	if !strings.Contains(logs.String(), want) || !strings.Contains(logs.String(), line) {
		t.Errorf("the debug line lacks %q and %q:\n%s", want, line, logs.String())
	}
}

// TestDescribeStopsAtAFailure: a page that fails ends the run; what came before it is
// told, with the error, and no seconds (the values of an incomplete walk are not served).
func TestDescribeStopsAtAFailure(t *testing.T) {
	_, c := pagedFake(t, togglfake.Paging{FailPage: 2, FailFault: togglfake.Fault{Status: 500}}, 0)
	d := Describe(context.Background(), testConfig("x").Reports[0], c, time.Now())
	if d.Requests != 2 || d.Pages != 1 || d.Rows != 3 || d.Seconds != nil || !strings.Contains(d.Error, "500") ||
		d.Headers["X-Next-Timestamp"] != 1 || d.ResultBlock != "detailed_results" {
		t.Errorf("described %+v, want 2 requests, 1 page of 3 rows, no seconds, the 500", d)
	}
}

// TestDescribeWaitsForTheQuota: with an hourly_quota of 1, the second page waits for the
// quota (about an hour, longer than timeout × max_pages): describe waits, as a fetch
// does, rather than fail; here until its context ends.
func TestDescribeWaitsForTheQuota(t *testing.T) {
	_, c := pagedFake(t, togglfake.Paging{}, 1)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan *Description, 1)
	go func() { done <- Describe(ctx, testConfig("x").Reports[0], c, time.Now()) }()
	select {
	case d := <-done:
		t.Fatalf("describe ended instead of waiting for the quota: %+v", d)
	case <-time.After(300 * time.Millisecond):
	}
	cancel()
	// The page read is told once, though the walk's latest answer is still its answer.
	if d := <-done; d.Requests != 1 || d.Pages != 1 || !strings.Contains(d.Error, "canceled") || d.Headers["X-Next-Timestamp"] != 1 {
		t.Errorf("described %+v, want the first page, its headers once, and the wait ended by the context", d)
	}
}
