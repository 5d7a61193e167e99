package collector

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/common/model"

	"github.com/toggl-exporter/toggl_exporter/client"
	"github.com/toggl-exporter/toggl_exporter/config"
)

// fakeClock is a settable clock for cache tests.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// fakeFetcher answers per report token with a function, counting calls.
type fakeFetcher struct {
	calls sync.Map // token -> *atomic.Int64
	mu    sync.Mutex
	fn    map[string]func(ctx context.Context, sink client.Sink) (*client.Report, *client.Response, error)
}

func (f *fakeFetcher) set(token string, fn func(ctx context.Context, sink client.Sink) (*client.Report, *client.Response, error)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fn == nil {
		f.fn = map[string]func(context.Context, client.Sink) (*client.Report, *client.Response, error){}
	}
	f.fn[token] = fn
}

func (f *fakeFetcher) count(token string) int64 {
	n, _ := f.calls.LoadOrStore(token, new(atomic.Int64))
	return n.(*atomic.Int64).Load()
}

func (f *fakeFetcher) Run(ctx context.Context, req client.Request, sink client.Sink) (*client.Report, *client.Response, error) {
	n, _ := f.calls.LoadOrStore(req.Token, new(atomic.Int64))
	n.(*atomic.Int64).Add(1)
	f.mu.Lock()
	fn := f.fn[req.Token]
	f.mu.Unlock()
	if fn == nil {
		return nil, &client.Response{StatusCode: 404}, &client.Error{Code: "404", StatusCode: 404, Message: "Not found"}
	}
	return fn(ctx, sink)
}

// healthy answers a small detailed report of the given seconds.
func healthy(seconds int64) func(context.Context, client.Sink) (*client.Report, *client.Response, error) {
	return func(_ context.Context, sink client.Sink) (*client.Report, *client.Response, error) {
		sink.DetailedRow(&client.DetailedRow{UserID: 1, ProjectID: 10, Seconds: seconds})
		return &client.Report{Name: "R", Type: "detailed", Block: client.BlockDetailed, Totals: &client.Totals{Seconds: seconds}},
			&client.Response{StatusCode: 200, Duration: 250 * time.Millisecond, Quota: client.Quota{Remaining: 17, HasRemaining: true, ResetsIn: time.Hour, HasResetsIn: true}}, nil
	}
}

func failing(status int) func(context.Context, client.Sink) (*client.Report, *client.Response, error) {
	return func(context.Context, client.Sink) (*client.Report, *client.Response, error) {
		return nil, &client.Response{StatusCode: status}, &client.Error{Code: fmt.Sprint(status), StatusCode: status, Message: "nope"}
	}
}

func testConfig(names ...string) *config.Config {
	cfg := &config.Config{
		MinRefreshInterval:   model.Duration(5 * time.Minute),
		MaxStale:             model.Duration(30 * time.Minute),
		Timeout:              model.Duration(10 * time.Second),
		MaxConcurrentFetches: 8,
	}
	for _, n := range names { // with the values config.Load fills in
		cfg.Reports = append(cfg.Reports, config.Report{Name: n, Resolved: config.Resolved{Token: "tok-" + n},
			MinRefreshInterval: cfg.MinRefreshInterval, MaxStale: cfg.MaxStale, Timeout: cfg.Timeout})
	}
	return cfg
}

func newTestExporter(f Fetcher, clock *fakeClock, names ...string) *Exporter {
	e := New(Options{Now: clock.Now})
	e.Apply(testConfig(names...), f)
	return e
}

func scrape(t *testing.T, e *Exporter, ctx context.Context, names ...string) string {
	t.Helper()
	c, err := e.Collector(ctx, names...)
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(c)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			var labels []string // report first, then the others by name
			for _, l := range m.GetLabel() {
				if l.GetName() == "report" {
					labels = append([]string{"report=" + l.GetValue()}, labels...)
				} else {
					labels = append(labels, l.GetName()+"="+l.GetValue())
				}
			}
			v := m.GetGauge().GetValue() + m.GetCounter().GetValue()
			fmt.Fprintf(&b, "%s{%s} %g\n", mf.GetName(), strings.Join(labels, ","), v)
		}
	}
	return b.String()
}

// rescrape scrapes, waits for the refreshes that the scrape started in the background,
// and scrapes again: what a refresh did shows from the scrape after it.
func rescrape(t *testing.T, e *Exporter, ctx context.Context, names ...string) string {
	t.Helper()
	scrape(t, e, ctx, names...)
	e.fetches.Wait()
	return scrape(t, e, ctx, names...)
}

func TestCacheHonoursMinRefreshInterval(t *testing.T) {
	clock := &fakeClock{now: time.Unix(1_800_000_000, 0)}
	f := &fakeFetcher{}
	f.set("tok-a", healthy(100))
	e := newTestExporter(f, clock, "a")
	for range 3 {
		rescrape(t, e, context.Background())
		clock.Advance(time.Minute)
	}
	if n := f.count("tok-a"); n != 1 {
		t.Fatalf("%d fetches within min_refresh_interval, want 1", n)
	}
	clock.Advance(3 * time.Minute) // 6 minutes after the fetch
	out := rescrape(t, e, context.Background())
	if n := f.count("tok-a"); n != 2 {
		t.Fatalf("%d fetches after min_refresh_interval, want 2", n)
	}
	for _, want := range []string{
		"toggl_report_up{report=a} 1",
		"toggl_report_fetches_total{report=a} 2",
		"toggl_report_tracked_seconds{report=a} 100",
		"toggl_api_quota_remaining{report=a} 17",
		fmt.Sprintf("toggl_api_quota_reset_timestamp_seconds{report=a} %g", float64(clock.Now().Add(time.Hour).Unix())),
		"toggl_report_fetch_duration_seconds{report=a} 0.25",
		"toggl_report_info{report=a,public=false,report_name=R,report_type=detailed} 1",
	} {
		if !strings.Contains(out, want+"\n") {
			t.Errorf("missing %q in\n%s", want, out)
		}
	}
}

func TestConcurrentScrapesShareOneFetch(t *testing.T) {
	clock := &fakeClock{now: time.Unix(1_800_000_000, 0)}
	f := &fakeFetcher{}
	release := make(chan struct{})
	f.set("tok-a", func(ctx context.Context, sink client.Sink) (*client.Report, *client.Response, error) {
		<-release
		return healthy(5)(ctx, sink)
	})
	e := newTestExporter(f, clock, "a")
	var wg sync.WaitGroup
	outs := make([]string, 100)
	for i := range outs {
		wg.Go(func() { outs[i] = scrape(t, e, context.Background()) })
	}
	time.Sleep(50 * time.Millisecond) // let the scrapes pile up on the in-flight fetch
	close(release)
	wg.Wait()
	if n := f.count("tok-a"); n != 1 {
		t.Fatalf("100 concurrent scrapes of a cold report made %d fetches, want 1", n)
	}
	for i, out := range outs {
		if !strings.Contains(out, "toggl_report_tracked_seconds{report=a} 5\n") {
			t.Fatalf("scrape %d did not get the shared result:\n%s", i, out)
		}
	}
}

func TestFailedFetchServesStaleValuesUntilMaxStale(t *testing.T) {
	clock := &fakeClock{now: time.Unix(1_800_000_000, 0)}
	f := &fakeFetcher{}
	f.set("tok-a", healthy(100))
	f.set("tok-b", healthy(7))
	e := newTestExporter(f, clock, "a", "b")
	rescrape(t, e, context.Background())
	success := clock.Now()

	f.set("tok-a", failing(401))
	clock.Advance(6 * time.Minute)
	out := rescrape(t, e, context.Background())
	for _, want := range []string{
		"toggl_report_up{report=a} 0",
		"toggl_report_error{report=a,code=401} 1",
		"toggl_report_error{report=a,code=timeout} 0",
		"toggl_report_fetch_failures_total{report=a,code=401} 1",
		"toggl_report_tracked_seconds{report=a} 100", // stale but not too old
		fmt.Sprintf("toggl_report_last_success_timestamp_seconds{report=a} %g", float64(success.Unix())),
		"toggl_report_up{report=b} 1", // the neighbour is unaffected
		"toggl_report_error{report=b,code=401} 0",
		"toggl_report_tracked_seconds{report=b} 7",
	} {
		if !strings.Contains(out, want+"\n") {
			t.Errorf("missing %q in\n%s", want, out)
		}
	}
	clock.Advance(25 * time.Minute) // 31 minutes after the last success
	out = rescrape(t, e, context.Background())
	if strings.Contains(out, "toggl_report_tracked_seconds{report=a}") {
		t.Errorf("values older than max_stale still served:\n%s", out)
	}
	// The time of the last success stays, so that alerts can tell how stale the report is.
	if !strings.Contains(out, fmt.Sprintf("toggl_report_last_success_timestamp_seconds{report=a} %g\n", float64(success.Unix()))) {
		t.Errorf("last success time dropped with the values:\n%s", out)
	}
	if !strings.Contains(out, "toggl_report_fetch_failures_total{report=a,code=401} 2\n") {
		t.Errorf("second failure not counted:\n%s", out)
	}
}

func TestErrorGaugeCoversFixedAndSeenCodes(t *testing.T) {
	clock := &fakeClock{now: time.Unix(1_800_000_000, 0)}
	f := &fakeFetcher{}
	f.set("tok-a", failing(418))
	e := newTestExporter(f, clock, "a")
	c, _ := e.Collector(context.Background())
	if n := testutil.CollectAndCount(c, "toggl_report_error"); n != len(errorCodes)+1 {
		t.Errorf("%d error series, want the %d fixed codes plus 418", n, len(errorCodes))
	}
	out := scrape(t, e, context.Background())
	if !strings.Contains(out, "toggl_report_error{report=a,code=418} 1\n") {
		t.Errorf("unexpected status not reported:\n%s", out)
	}
	if problems, err := testutil.CollectAndLint(c); err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %v", problems, err)
	}
}

func TestScrapeDeadlineServesCacheAndFetchContinues(t *testing.T) {
	clock := &fakeClock{now: time.Unix(1_800_000_000, 0)}
	f := &fakeFetcher{}
	release := make(chan struct{})
	f.set("tok-a", func(ctx context.Context, sink client.Sink) (*client.Report, *client.Response, error) {
		select {
		case <-release:
		case <-ctx.Done():
			return nil, nil, &client.Error{Code: client.CodeTimeout, Err: ctx.Err()}
		}
		return healthy(42)(ctx, sink)
	})
	e := newTestExporter(f, clock, "a")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	out := scrape(t, e, ctx)
	if !strings.Contains(out, "toggl_report_error{report=a,code=timeout} 1\n") || !strings.Contains(out, "toggl_report_up{report=a} 0\n") {
		t.Fatalf("scrape past its deadline does not say timeout:\n%s", out)
	}
	close(release)
	deadline := time.Now().Add(5 * time.Second)
	for {
		out = scrape(t, e, context.Background())
		if strings.Contains(out, "toggl_report_tracked_seconds{report=a} 42\n") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("background fetch never filled the cache:\n%s", out)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if n := f.count("tok-a"); n != 1 {
		t.Errorf("%d fetches, want 1: the next scrape must use the background result", n)
	}
}

func TestBackoffIsNotAFetch(t *testing.T) {
	clock := &fakeClock{now: time.Unix(1_800_000_000, 0)}
	f := &fakeFetcher{}
	f.set("tok-a", func(context.Context, client.Sink) (*client.Report, *client.Response, error) {
		return nil, nil, &client.Error{Code: "429", Backoff: true, Message: "backing off"}
	})
	e := newTestExporter(f, clock, "a")
	out := scrape(t, e, context.Background())
	for _, want := range []string{"toggl_report_fetches_total{report=a} 0", "toggl_report_error{report=a,code=429} 1", "toggl_report_up{report=a} 0"} {
		if !strings.Contains(out, want+"\n") {
			t.Errorf("missing %q in\n%s", want, out)
		}
	}
	if strings.Contains(out, "toggl_report_fetch_failures_total") {
		t.Errorf("a request never sent counted as a failed fetch:\n%s", out)
	}
}

func TestApplyKeepsUnchangedReports(t *testing.T) {
	clock := &fakeClock{now: time.Unix(1_800_000_000, 0)}
	f := &fakeFetcher{}
	for _, n := range []string{"a", "b", "c"} {
		f.set("tok-"+n, healthy(1))
	}
	e := newTestExporter(f, clock, "a", "b")
	scrape(t, e, context.Background())

	cfg := testConfig("a", "b", "c")
	cfg.Reports[1].Resolved.APIToken = "changed" // b's credentials change
	cfg.Reports = append(cfg.Reports[1:], cfg.Reports[0])
	e.Apply(cfg, f)
	scrape(t, e, context.Background())
	if got := [3]int64{f.count("tok-a"), f.count("tok-b"), f.count("tok-c")}; got != [3]int64{1, 2, 1} {
		t.Errorf("fetches per report after reload = %v, want a cached, b refetched, c new: [1 2 1]", got)
	}
	if got := strings.Join(e.Names(), ","); got != "b,c,a" {
		t.Errorf("names %q", got)
	}
	e.Apply(testConfig("c"), f)
	out := scrape(t, e, context.Background())
	if strings.Contains(out, "report=a") || strings.Contains(out, "report=b") {
		t.Errorf("removed reports still served:\n%s", out)
	}
	if _, err := e.Collector(context.Background(), "a"); err == nil || err.Error() != `unknown report "a"` {
		t.Errorf("Collector(removed) = %v, want unknown report \"a\"", err)
	}
}
