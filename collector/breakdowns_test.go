package collector

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/toggl-exporter/toggl_exporter/client"
	"github.com/toggl-exporter/toggl_exporter/config"
)

func TestCardinalityIsBoundedByDefault(t *testing.T) {
	a := newAggregator(config.Report{Breakdowns: []string{Projects, Users, Clients, Tags, Tasks}})
	dict := client.Dictionaries{Tasks: map[int64]client.Task{}, Projects: map[int64]client.Project{}}
	for id := int64(1); id <= 10_000; id++ {
		a.DetailedRow(&client.DetailedRow{ProjectID: id%2000 + 1, UserID: id % 50, TaskID: id, TagIDs: []int64{id % 3000}, Billable: id%2 == 0,
			BillableAmountInCents: id, Currency: "USD", Seconds: id})
		dict.Tasks[id] = client.Task{ID: id, Name: fmt.Sprint("task ", id), ProjectID: id%2000 + 1, EstimatedSeconds: id * 10}
		dict.Projects[id%2000+1] = client.Project{ID: id%2000 + 1, Name: "p", EstimatedSeconds: 3600}
	}
	s := a.finish(&client.Report{Type: "detailed", Block: client.BlockDetailed, Dictionaries: dict})
	const cap = 500
	for m, limit := range map[*family]int{
		taskTrackedFamily: cap, taskEstFamily: cap, projectTrackedFamily: cap, projectBillableFamily: cap, projectAmountFamily: cap,
		projectEstFamily: cap, tagTrackedFamily: cap, userTrackedFamily: 50, clientTrackedFamily: 1,
	} {
		if n := count(s, m); n > limit || n == 0 {
			t.Errorf("%s: %d series, want 1..%d", m.name, n, limit)
		}
	}
	if len(s.series) > 9*cap+50 {
		t.Errorf("%d series in all for 10,000 tasks", len(s.series))
	}
	if v, _ := value(s, foldedFamily, Tasks); v != 10_000-cap+1 {
		t.Errorf("tasks folded = %v, want %d", v, 10_000-cap+1)
	}
}

func TestBreakdownsSelectWhatIsEmitted(t *testing.T) {
	a := newAggregator(config.Report{Breakdowns: []string{}})
	a.DetailedRow(&client.DetailedRow{ProjectID: 1, UserID: 1, TaskID: 1, TagIDs: []int64{1}, Seconds: 10})
	s := a.finish(&client.Report{Type: "detailed", Block: client.BlockDetailed, Totals: &client.Totals{Seconds: 10}})
	totals := []*family{trackedFamily, billableFamily, billableAmountFamily, labourCostFamily, trackedDatesFamily, rateBillableFamily, runningFamily, timeEntriesFamily, untaggedFamily}
	for _, sr := range s.series {
		if !slices.Contains(totals, sr.family) {
			t.Errorf("breakdowns: [] still emits %s", sr.family.name)
		}
	}
	if v, ok := value(s, trackedFamily); !ok || v != 10 {
		t.Errorf("totals missing with breakdowns: []")
	}
}

// recordingFetcher remembers the request bodies it was sent.
type recordingFetcher struct {
	mu     sync.Mutex
	bodies []map[string]any
	report client.Report
}

func (f *recordingFetcher) Run(_ context.Context, req client.Request, _ client.Sink) (*client.Report, *client.Response, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.bodies = append(f.bodies, req.Body)
	r := f.report
	return &r, &client.Response{StatusCode: 200}, nil
}

func TestRollingPeriodIsSentAndExported(t *testing.T) {
	cfg, err := config.Parse([]byte(`
min_refresh_interval: 1m
reports:
  - name: week
    token: abcdef1234560123456789abcdef1234
    period: this_week
    timezone: Europe/Berlin
    week_start: sunday
  - name: saved
    token: abcdef6543210123456789abcdef6543
    timezone: America/New_York
`), t.TempDir(), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	berlin, _ := time.LoadLocation("Europe/Berlin")
	// Sunday 2026-03-29 00:30 in Berlin, the night clocks go forward; still Saturday in UTC.
	clock := &fakeClock{now: time.Date(2026, 3, 29, 0, 30, 0, 0, berlin)}
	f := &recordingFetcher{report: client.Report{Type: "summary", Block: client.BlockSummary,
		InputParams: map[string]any{"start_date": "2026-01-05", "end_date": "2026-01-11"}}}
	e := New(Options{Now: clock.Now})
	e.Apply(cfg, f)
	out := scrape(t, e, context.Background())

	bodies := map[string]bool{}
	for _, b := range f.bodies {
		bodies[fmt.Sprint(b["start_date"], "..", b["end_date"])] = true
	}
	if !bodies["2026-03-29..2026-04-04"] {
		t.Errorf("request bodies %v lack this_week 2026-03-29..2026-04-04 (Sunday week start, Berlin)", bodies)
	}
	if !bodies["<nil>..<nil>"] {
		t.Errorf("a report without period must send no dates: %v", bodies)
	}
	start := time.Date(2026, 3, 29, 0, 0, 0, 0, berlin)
	end := time.Date(2026, 4, 5, 0, 0, 0, 0, berlin)
	ny, _ := time.LoadLocation("America/New_York")
	for _, want := range []string{
		fmt.Sprintf("toggl_report_period_start_timestamp_seconds{report=week} %g", float64(start.Unix())),
		fmt.Sprintf("toggl_report_period_end_timestamp_seconds{report=week} %g", float64(end.Unix())),
		// Without period: the dates Toggl reports, in the report's time zone, end exclusive.
		fmt.Sprintf("toggl_report_period_start_timestamp_seconds{report=saved} %g", float64(time.Date(2026, 1, 5, 0, 0, 0, 0, ny).Unix())),
		fmt.Sprintf("toggl_report_period_end_timestamp_seconds{report=saved} %g", float64(time.Date(2026, 1, 12, 0, 0, 0, 0, ny).Unix())),
	} {
		if !strings.Contains(out, want+"\n") {
			t.Errorf("missing %q in\n%s", want, out)
		}
	}
}
