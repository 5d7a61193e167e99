package collector

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/model"

	"github.com/toggl-exporter/toggl_exporter/client"
	"github.com/toggl-exporter/toggl_exporter/config"
)

// tokenLog is a fetcher of one configuration that records the tokens it was asked for.
type tokenLog struct {
	mu     sync.Mutex
	tokens map[string]int
}

func (l *tokenLog) Run(ctx context.Context, req client.Request, sink client.Sink) (*client.Report, *client.Response, error) {
	l.mu.Lock()
	if l.tokens == nil {
		l.tokens = map[string]int{}
	}
	l.tokens[req.Token]++
	l.mu.Unlock()
	return healthy(60)(ctx, sink)
}

func (l *tokenLog) seen() map[string]int {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := map[string]int{}
	for k, v := range l.tokens {
		out[k] = v
	}
	return out
}

// twoConfigs are two configurations with the same report names, other tokens and other
// API URLs.
func twoConfigs() (a, b *config.Config) {
	a, b = testConfig("x", "y"), testConfig("x", "y")
	a.APIURL, b.APIURL = "https://a.example", "https://b.example"
	for i := range b.Reports {
		b.Reports[i].Resolved.Token = "other-" + b.Reports[i].Name
	}
	return a, b
}

// TestScrapeOutlivingAReloadKeepsItsFetcher: a scrape that began under configuration A
// and fetches after B is applied sends A's tokens to A's fetcher, never to B's.
func TestScrapeOutlivingAReloadKeepsItsFetcher(t *testing.T) {
	a, b := twoConfigs()
	fa, fb := &tokenLog{}, &tokenLog{}
	e := New(Options{Now: (&fakeClock{now: time.Unix(1_800_000_000, 0)}).Now})
	e.Apply(a, fa)
	c, err := e.Collector(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	e.Apply(b, fb)
	ch := make(chan prometheus.Metric, 1000)
	c.Collect(ch)
	close(ch)
	if got := fb.seen(); len(got) != 0 {
		t.Errorf("B's fetcher was sent %v by a scrape of A", got)
	}
	if got := fa.seen(); got["tok-x"] != 1 || got["tok-y"] != 1 || len(got) != 2 {
		t.Errorf("A's fetcher saw %v, want tok-x and tok-y once", got)
	}
	// A scrape under B now fetches B's reports with B's fetcher.
	scrape(t, e, context.Background())
	if got := fb.seen(); got["other-x"] != 1 || got["other-y"] != 1 || len(got) != 2 {
		t.Errorf("B's fetcher saw %v, want other-x and other-y once", got)
	}
}

// TestReloadStormNeverCrossesFetchers flips between the two configurations while scrapes
// run (under -race): each fetcher only ever sees its own configuration's tokens.
func TestReloadStormNeverCrossesFetchers(t *testing.T) {
	a, b := twoConfigs()
	fa, fb := &tokenLog{}, &tokenLog{}
	clock := &fakeClock{now: time.Unix(1_800_000_000, 0)}
	e := New(Options{Now: clock.Now})
	e.Apply(a, fa)
	var stop atomic.Bool
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for !stop.Load() {
				c, _ := e.Collector(context.Background())
				ch := make(chan prometheus.Metric, 1000)
				c.Collect(ch)
			}
		})
	}
	for i := range 200 {
		clock.Advance(6 * time.Minute) // every report is due again
		if i%2 == 0 {
			e.Apply(b, fb)
		} else {
			e.Apply(a, fa)
		}
		time.Sleep(time.Millisecond)
	}
	stop.Store(true)
	wg.Wait()
	for name, l := range map[string]*tokenLog{"A": fa, "B": fb} {
		want := "tok-"
		if name == "B" {
			want = "other-"
		}
		seen := l.seen()
		if len(seen) == 0 {
			t.Errorf("%s's fetcher was never used: the storm tested nothing", name)
		}
		for tok := range seen {
			if !strings.HasPrefix(tok, want) {
				t.Errorf("%s's fetcher was sent %q", name, tok)
			}
		}
	}
}

// TestReloadKeepsTheCacheOfAnUnchangedRequest: reloads that change what no request
// depends on (max_stale, the refresh interval, timeouts) keep the cache: 20 reloads, one
// request. A change of the request (params) fetches again.
func TestReloadKeepsTheCacheOfAnUnchangedRequest(t *testing.T) {
	f := &tokenLog{}
	e := New(Options{Now: (&fakeClock{now: time.Unix(1_800_000_000, 0)}).Now})
	for i := range 20 {
		cfg := testConfig("x")
		cfg.Reports[0].MaxStale = cfg.Reports[0].MaxStale + model.Duration(time.Duration(i)*time.Minute)
		cfg.Reports[0].Timeout = cfg.Reports[0].Timeout + model.Duration(time.Duration(i)*time.Second)
		e.Apply(cfg, f)
		scrape(t, e, context.Background())
	}
	if n := f.seen()["tok-x"]; n != 1 {
		t.Errorf("%d requests over 20 reloads that change no request, want 1", n)
	}
	cfg := testConfig("x")
	cfg.Reports[0].Params = map[string]any{"billable": true}
	e.Apply(cfg, f)
	scrape(t, e, context.Background())
	if n := f.seen()["tok-x"]; n != 2 {
		t.Errorf("%d requests after params changed, want 2", n)
	}
	// Breakdowns change the values, not the request: the values are built again.
	cfg.Reports[0].Breakdowns = []string{Users}
	e.Apply(cfg, f)
	out := scrape(t, e, context.Background())
	if n := f.seen()["tok-x"]; n != 3 || strings.Contains(out, "toggl_report_project_tracked_seconds") {
		t.Errorf("%d requests after breakdowns changed (want 3), projects still served: %v", n, strings.Contains(out, "project_tracked"))
	}
}

// TestTwoReportsOfOneRequest: two reports that send the same request keep caches of their
// own: each is served under its own name, with its own breakdowns.
func TestTwoReportsOfOneRequest(t *testing.T) {
	f := &tokenLog{}
	e := New(Options{Now: (&fakeClock{now: time.Unix(1_800_000_000, 0)}).Now})
	cfg := testConfig("a", "b")
	cfg.Reports[1].Resolved.Token = cfg.Reports[0].Resolved.Token
	cfg.Reports[0].Breakdowns, cfg.Reports[1].Breakdowns = []string{Projects}, []string{Users}
	e.Apply(cfg, f)
	for range 3 {
		out := scrape(t, e, context.Background())
		for _, want := range []string{"toggl_report_project_tracked_seconds{report=a,", "toggl_report_user_tracked_seconds{report=b,"} {
			if !strings.Contains(out, want) {
				t.Errorf("missing %s in\n%s", want, out)
			}
		}
		for _, bad := range []string{"toggl_report_user_tracked_seconds{report=a,", "toggl_report_project_tracked_seconds{report=b,"} {
			if strings.Contains(out, bad) {
				t.Errorf("%s: one report's values under the other's breakdowns", bad)
			}
		}
	}
	if n := f.seen()["tok-a"]; n != 2 {
		t.Errorf("%d requests over three scrapes, want one per report", n)
	}
}
