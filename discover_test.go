package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-kit/log"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/toggl-exporter/toggl_exporter/client"
	"github.com/toggl-exporter/toggl_exporter/internal/togglfake"
	"github.com/toggl-exporter/toggl_exporter/collector"
	"github.com/toggl-exporter/toggl_exporter/config"
	"github.com/toggl-exporter/toggl_exporter/internal/testkit"
)

const (
	discoverWorkspace = 31
	discoverAPIToken  = "apiSECRETlisting0123456789abcdef"
)

// discoverTokens are the report tokens the listing gives: secrets learnt at run time.
var discoverTokens = []string{"tokSECRETlisted-a-0123456789abcd", "tokSECRETlisted-b-0123456789abcd", "tokSECRETlisted-c-0123456789abcd"}

// discoverWorld is a fake Toggl API whose workspace lists three reports, two of them
// with the same name; the listing answers listingStatus instead when it is set.
type discoverWorld struct {
	fake          *togglfake.Fake
	url           string
	listingStatus atomic.Int32
	listingCount  atomic.Int32 // listing requests received
	saved         []togglfake.SavedReport
	mu            sync.Mutex
	ticks         chan time.Time // of the latest ticker made
	tickCtx       context.Context
	interval      time.Duration // what its ticker was asked for
	logs          *testkit.SyncBuffer
	d             *discovery
	exporter      *collector.Exporter
}

func newDiscoverWorld(t *testing.T) *discoverWorld {
	t.Helper()
	w := &discoverWorld{fake: togglfake.New(), logs: &testkit.SyncBuffer{}}
	w.saved = []togglfake.SavedReport{
		{ID: 501, Name: "Team Week", Token: discoverTokens[0]},
		{ID: 502, Name: "team week!", Token: discoverTokens[1]},
		{ID: 503, Name: "Clients", Token: discoverTokens[2]},
	}
	for _, s := range w.saved {
		w.fake.Set(s.Token, togglfake.Report{Body: fixture(t, "detailed.json")})
	}
	w.fake.SetWorkspace(discoverWorkspace, togglfake.Workspace{APIToken: discoverAPIToken, Reports: w.saved})
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, togglfake.ListingPrefix) {
			w.listingCount.Add(1)
		}
		if s := w.listingStatus.Load(); s != 0 && strings.HasPrefix(r.URL.Path, togglfake.ListingPrefix) {
			http.Error(rw, "listing failed", int(s))
			return
		}
		w.fake.ServeHTTP(rw, r)
	}))
	t.Cleanup(srv.Close)
	w.url = srv.URL
	w.exporter = collector.New(collector.Options{})
	w.d = newDiscovery(log.NewLogfmtLogger(w.logs), w.exporter)
	w.d.now = func() time.Time { return time.Unix(1700000000, 0) }
	w.d.ticks = func(ctx context.Context, d time.Duration) <-chan time.Time {
		w.mu.Lock()
		defer w.mu.Unlock()
		w.ticks, w.tickCtx, w.interval = make(chan time.Time), ctx, d
		return w.ticks
	}
	return w
}

// config writes and loads a configuration holding extra and the workspace's entry.
func (w *discoverWorld) config(t *testing.T, extra string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "toggl.yml")
	data := fmt.Sprintf("api_url: %s\nrequests_per_second: 1000\ntimeout: 5s\n%sdiscover:\n  - workspace_id: %d\n    api_token: %s\n    interval: 90s\n    defaults: {breakdowns: [projects]}\n",
		w.url, extra, discoverWorkspace, discoverAPIToken)
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func (w *discoverWorld) client() *client.Client {
	return client.New(client.Options{BaseURL: w.url, RequestsPerSecond: 1000})
}

// listings counts the listing requests sent.
func (w *discoverWorld) listings() int { return int(w.listingCount.Load()) }

// tick makes the interval of the latest configuration's entry pass.
func (w *discoverWorld) tick(t *testing.T) {
	t.Helper()
	var ch chan time.Time
	eventually(t, "a ticker", func() bool {
		w.mu.Lock()
		defer w.mu.Unlock()
		ch = w.ticks
		return ch != nil && w.tickCtx.Err() == nil // not a replaced configuration's
	})
	select {
	case ch <- time.Now():
	case <-time.After(5 * time.Second):
		t.Fatal("nothing waits for the interval to pass")
	}
}

// eventually waits, at most 5 s, for cond: what a listing started by a tick changes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("still no %s after 5s", what)
		}
	}
}

// listed waits until the fake has seen n listings and the last has been taken in.
func (w *discoverWorld) listed(t *testing.T, n int) {
	t.Helper()
	eventually(t, fmt.Sprint(n, " listings"), func() bool { return w.listings() == n })
	eventually(t, "end of the listing", func() bool {
		w.d.mu.Lock()
		defer w.d.mu.Unlock()
		return w.d.listed[discoverWorkspace].attempts == n
	})
}

func (w *discoverWorld) wantNames(t *testing.T, want ...string) {
	t.Helper()
	if got := w.exporter.Names(); !slices.Equal(got, want) {
		t.Errorf("reports %q, want %q", got, want)
	}
}

func (w *discoverWorld) wantMetrics(t *testing.T, reports, up int) {
	t.Helper()
	want := fmt.Sprintf(`# HELP toggl_discovery_reports %s
# TYPE toggl_discovery_reports gauge
toggl_discovery_reports{workspace_id="31"} %d
# HELP toggl_discovery_up %s
# TYPE toggl_discovery_up gauge
toggl_discovery_up{workspace_id="31"} %d
# HELP toggl_discovery_last_success_timestamp_seconds %s
# TYPE toggl_discovery_last_success_timestamp_seconds gauge
toggl_discovery_last_success_timestamp_seconds{workspace_id="31"} 1.7e+09
`, help(discoveryReportsDesc), reports, help(discoveryUpDesc), up, help(discoveryLastSuccessDesc))
	if err := testutil.CollectAndCompare(w.d, strings.NewReader(want)); err != nil {
		t.Error(err)
	}
	if problems, err := testutil.CollectAndLint(w.d); err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %v", problems, err)
	}
}

func help(d *prometheus.Desc) string {
	s := d.String()
	s = s[strings.Index(s, `help: "`)+7:]
	return s[:strings.Index(s, `"`)]
}

// TestDiscovery: a configuration with only discover serves every listed report, names
// kept apart; the listing is read once per interval; a failing one keeps the reports; a
// report gone from the listing goes; no token learnt reaches the log.
func TestDiscovery(t *testing.T) {
	w := newDiscoverWorld(t)
	cfg, err := config.Load(w.config(t, ""), nil)
	if err != nil {
		t.Fatal(err)
	}
	w.d.set(cfg, w.client())
	if n := w.listings(); n != 1 {
		t.Errorf("%d listings at start, want 1", n)
	}
	w.wantNames(t, "team-week-501", "team-week-502", "clients")
	w.wantMetrics(t, 3, 1)

	// Every report is served, with the entry's defaults and the listed token.
	reg := prometheus.NewPedanticRegistry()
	c, err := w.exporter.Collector(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	reg.MustRegister(c)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	ups := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() == "toggl_report_up" {
			for _, m := range mf.Metric {
				ups[m.Label[0].GetValue()] = m.Gauge.GetValue()
			}
		}
		if mf.GetName() == "toggl_report_user_tracked_seconds" {
			t.Errorf("%s served: the defaults ask for projects only", mf.GetName())
		}
	}
	if len(ups) != 3 || ups["team-week-501"] != 1 || ups["team-week-502"] != 1 || ups["clients"] != 1 {
		t.Errorf("toggl_report_up %v, want the three reports up", ups)
	}
	for _, tok := range discoverTokens {
		if w.fake.Count(tok) != 1 {
			t.Errorf("report %s fetched %d times, want 1", tok[:12], w.fake.Count(tok))
		}
	}

	// Nothing more is listed until the interval passes, then once.
	time.Sleep(50 * time.Millisecond)
	if n := w.listings(); n != 1 {
		t.Errorf("%d listings before the interval passed, want 1", n)
	}
	w.tick(t)
	w.listed(t, 2)
	if w.mu.Lock(); w.interval != 90*time.Second {
		t.Errorf("ticker of %s, want the interval, 90s", w.interval)
	}
	w.mu.Unlock()

	// A failing listing keeps the reports, and says so.
	for i, status := range []int{500, 403} {
		w.listingStatus.Store(int32(status))
		w.tick(t)
		w.listed(t, 3+i)
		w.wantNames(t, "team-week-501", "team-week-502", "clients")
		w.wantMetrics(t, 3, 0)
		if !strings.Contains(w.logs.String(), "cannot list the workspace's saved reports; the reports listed before keep serving") ||
			!strings.Contains(w.logs.String(), fmt.Sprintf("HTTP %d", status)) {
			t.Errorf("the log does not say the listing failed with %d:\n%s", status, w.logs.String())
		}
	}
	w.listingStatus.Store(0)

	// A report gone from the listing goes; the names of the others follow.
	w.fake.SetWorkspace(discoverWorkspace, togglfake.Workspace{APIToken: discoverAPIToken, Reports: w.saved[1:]})
	w.tick(t)
	w.listed(t, 5)
	w.wantNames(t, "team-week", "clients")
	w.wantMetrics(t, 2, 1)
	if w.fake.Count(discoverTokens[2]) != 1 {
		t.Errorf("an unchanged report was fetched again: its cache was not kept")
	}

	for _, s := range append([]string{discoverAPIToken}, discoverTokens...) {
		if strings.Contains(w.logs.String(), s) {
			t.Errorf("the log holds a secret:\n%s", w.logs.String())
		}
	}
}

// TestDiscoveryReload: a reload lists again at once, also when the file is unchanged,
// and stops the listings of the configuration it replaces; configured reports come first
// and keep their names against discovered ones.
func TestDiscoveryReload(t *testing.T) {
	w := newDiscoverWorld(t)
	w.fake.Set("tokSECRETconfigured-0123456789ab", togglfake.Report{Body: fixture(t, "weekly.json")})
	path := w.config(t, "reports:\n  - name: clients\n    token: tokSECRETconfigured-0123456789ab\n")
	r := &reloader{path: path, logger: log.NewNopLogger(), safe: config.NewSafeConfig(nil), discovery: w.d, limits: client.NewLimits(nil)}
	for i := 1; i <= 3; i++ {
		if err := r.reload(); err != nil {
			t.Fatal(err)
		}
		if n := w.listings(); n != i {
			t.Errorf("after reload %d: %d listings, want %d", i, n, i)
		}
	}
	w.wantNames(t, "clients", "team-week-501", "team-week-502", "clients-503")

	// Only the latest configuration's entry lists at its interval.
	w.tick(t)
	w.listed(t, 4)
	time.Sleep(50 * time.Millisecond)
	if n := w.listings(); n != 4 {
		t.Errorf("%d listings after one interval, want 4: the replaced configurations still list", n)
	}
}

// TestDiscoveryPages: what /config, the landing page, /sd and /metrics show of the
// discovered reports, and that none of them shows a secret.
func TestDiscoveryPages(t *testing.T) {
	w := newDiscoverWorld(t)
	cfg, err := config.Load(w.config(t, ""), nil)
	if err != nil {
		t.Fatal(err)
	}
	w.d.set(cfg, w.client())
	reg := prometheus.NewRegistry()
	reg.MustRegister(w.d)
	s := site{metricsPath: "/metrics", registry: reg, exporter: w.exporter, config: w.d.Config, reload: func() error { return nil }, logger: log.NewNopLogger()}
	srv := httptest.NewServer(s.handler())
	defer srv.Close()
	pages := map[string]string{}
	for _, p := range []string{"/config", "/", "/sd", "/metrics", "/probe?report=clients"} {
		resp, err := http.Get(srv.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("%s: %d %s", p, resp.StatusCode, b)
		}
		pages[p] = string(b)
		for _, secret := range append([]string{discoverAPIToken}, discoverTokens...) {
			if strings.Contains(string(b), secret) {
				t.Errorf("%s shows a secret", p)
			}
		}
	}
	for p, want := range map[string]string{
		"/config":  "  - name: team-week-501\n    token: <secret>\n",
		"/":        "team-week-502 <small>(discovered from workspace 31)</small>",
		"/sd":      `"__param_report":"clients"`,
		"/metrics": `toggl_discovery_up{workspace_id="31"} 1`,
	} {
		if !strings.Contains(pages[p], want) {
			t.Errorf("%s lacks %q:\n%s", p, want, pages[p])
		}
	}
	if !strings.Contains(pages["/config"], "discovered_from_workspace: 31") || !strings.Contains(pages["/config"], "api_token: <secret>") {
		t.Errorf("/config does not show the discovered reports as such:\n%s", pages["/config"])
	}
}
