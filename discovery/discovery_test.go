package discovery

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
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
	"github.com/toggl-exporter/toggl_exporter/collector"
	"github.com/toggl-exporter/toggl_exporter/config"
	"github.com/toggl-exporter/toggl_exporter/internal/testkit"
	"github.com/toggl-exporter/toggl_exporter/internal/togglfake"
)

const (
	workspace = 31
	apiToken  = "apiSECRETlisting0123456789abcdef"
)

// tokens are the report tokens the listing gives: secrets learnt at run time.
var tokens = []string{"tokSECRETlisted-a-0123456789abcd", "tokSECRETlisted-b-0123456789abcd", "tokSECRETlisted-c-0123456789abcd"}

// world is a fake Toggl API whose workspace lists three reports, two of them with the
// same name, and a Discovery whose intervals pass when the test says.
type world struct {
	fake     *togglfake.Fake
	url      string
	status   atomic.Int32 // when set, what the listings answer instead
	delay    atomic.Int64 // how long each listing request takes
	requests sync.Map     // listing path (no query) -> *atomic.Int32
	saved    []togglfake.SavedReport
	logs     *testkit.SyncBuffer
	d        *Discovery
	exporter *collector.Exporter

	mu     sync.Mutex
	timers []timer // every ticker made
}

// timer is a ticker a lister asked for.
type timer struct {
	ctx      context.Context
	interval time.Duration
	ch       chan time.Time
}

func newWorld(t *testing.T) *world {
	t.Helper()
	w := &world{fake: togglfake.New(), logs: &testkit.SyncBuffer{}}
	w.saved = []togglfake.SavedReport{
		{ID: 501, Name: "Team Week", Token: tokens[0]},
		{ID: 502, Name: "team week!", Token: tokens[1]},
		{ID: 503, Name: "Clients", Token: tokens[2]},
	}
	w.fake.SetWorkspace(workspace, togglfake.Workspace{APIToken: apiToken, Reports: w.saved,
		Members: []togglfake.Member{{UserID: 7, Name: "Ann", Email: "ann.SECRET@example.com", WorkingHoursInMinutes: 2400}, {UserID: 8, Name: "Bob\x07 " + strings.Repeat("b", 300)}, {UserID: 9, Name: "Gone", Inactive: true}}})
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, togglfake.ListingPrefix) {
			n, _ := w.requests.LoadOrStore(r.URL.Path, &atomic.Int32{})
			n.(*atomic.Int32).Add(1)
			time.Sleep(time.Duration(w.delay.Load()))
			if s := w.status.Load(); s != 0 {
				http.Error(rw, "listing failed", int(s))
				return
			}
		}
		w.fake.ServeHTTP(rw, r)
	}))
	t.Cleanup(srv.Close)
	w.url = srv.URL
	w.exporter = collector.New(collector.Options{})
	w.d = New(log.NewLogfmtLogger(w.logs), w.exporter)
	t.Cleanup(w.d.Stop)
	w.d.now = func() time.Time { return time.Unix(1700000000, 0) }
	w.d.ticks = func(ctx context.Context, d time.Duration) <-chan time.Time {
		w.mu.Lock()
		defer w.mu.Unlock()
		w.timers = append(w.timers, timer{ctx, d, make(chan time.Time)})
		return w.timers[len(w.timers)-1].ch
	}
	return w
}

// load parses a configuration holding extra and the workspace's discover entry.
func (w *world) load(t *testing.T, extra string) *config.Config {
	t.Helper()
	data := fmt.Sprintf("api_url: %s\nrequests_per_second: 1000\ntimeout: 5s\n%sdiscover:\n  - workspace_id: %d\n    api_token: %s\n    interval: 90s\n    defaults: {breakdowns: [projects]}\n",
		w.url, extra, workspace, apiToken)
	cfg, err := config.Parse([]byte(data), "", func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func (w *world) client() *client.Client {
	return client.New(client.Options{BaseURL: w.url, RequestsPerSecond: 1000})
}

// listings counts the requests for the listing at path (reports/shared, workspace_users).
func (w *world) listings(path string) int {
	n, ok := w.requests.Load(fmt.Sprintf("%s%d/%s", togglfake.ListingPrefix, workspace, path))
	if !ok {
		return 0
	}
	return int(n.(*atomic.Int32).Load())
}

// tick makes the interval of every running lister pass.
func (w *world) tick(t *testing.T) {
	t.Helper()
	w.mu.Lock()
	timers := slices.Clone(w.timers)
	w.mu.Unlock()
	for _, tm := range timers {
		select {
		case tm.ch <- time.Now():
		case <-tm.ctx.Done():
		case <-time.After(5 * time.Second):
			t.Fatal("a lister does not wait for its interval")
		}
	}
}

// eventually waits, at most 5 s, for cond: what a listing in the background changes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(2 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("still no %s after 5s", what)
		}
	}
}

// listed waits until the saved reports' listing has ended n times.
func (w *world) listed(t *testing.T, n int) {
	t.Helper()
	eventually(t, fmt.Sprint(n, " listings"), func() bool {
		w.d.mu.Lock()
		defer w.d.mu.Unlock()
		l := w.d.reports[workspace]
		return l != nil && l.attempts == n
	})
}

func (w *world) wantNames(t *testing.T, want ...string) {
	t.Helper()
	if got := w.exporter.Names(); !slices.Equal(got, want) {
		t.Errorf("reports %q, want %q", got, want)
	}
}

func (w *world) wantMetrics(t *testing.T, reports, up int) {
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
`, help(reportsDesc), reports, help(reportsUpDesc), up, help(reportsLastSuccessDesc))
	if err := testutil.CollectAndCompare(w.d, strings.NewReader(want), "toggl_discovery_reports", "toggl_discovery_up", "toggl_discovery_last_success_timestamp_seconds"); err != nil {
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

// noSecret fails when the log holds a secret.
func (w *world) noSecret(t *testing.T, more ...string) {
	t.Helper()
	for _, s := range append(append([]string{apiToken}, tokens...), more...) {
		if strings.Contains(w.logs.String(), s) {
			t.Errorf("the log holds a secret:\n%s", w.logs.String())
		}
	}
}

// TestDiscovery: a configuration with only discover serves every listed report, names
// kept apart; the listing is read once per interval; a failing one keeps the reports; a
// report gone from the listing goes; no token learnt reaches the log.
func TestDiscovery(t *testing.T) {
	w := newWorld(t)
	w.d.Set(w.load(t, ""), w.client())
	w.listed(t, 1)
	w.wantNames(t, "team-week-501", "team-week-502", "clients")
	w.wantMetrics(t, 3, 1)
	for _, r := range w.d.Config().Reports {
		if r.Breakdowns[0] != "projects" || r.DiscoveredFrom != workspace || !slices.Contains(tokens, r.Resolved.Token) {
			t.Errorf("report %s: %v %d", r.Name, r.Breakdowns, r.DiscoveredFrom)
		}
	}

	// Nothing more is listed until the interval passes, then once.
	time.Sleep(20 * time.Millisecond)
	if n := w.listings("reports/shared"); n != 1 {
		t.Errorf("%d listings before the interval passed, want 1", n)
	}
	w.tick(t)
	w.listed(t, 2)
	if w.mu.Lock(); len(w.timers) != 1 || w.timers[0].interval != 90*time.Second {
		t.Errorf("tickers %v, want one of the interval, 90s", w.timers)
	}
	w.mu.Unlock()

	// A failing listing keeps the reports, and says so.
	for i, status := range []int{500, 403} {
		w.status.Store(int32(status))
		w.tick(t)
		w.listed(t, 3+i)
		w.wantNames(t, "team-week-501", "team-week-502", "clients")
		w.wantMetrics(t, 3, 0)
		if !strings.Contains(w.logs.String(), "cannot list the workspace's saved reports; the reports listed before keep serving") ||
			!strings.Contains(w.logs.String(), fmt.Sprintf("HTTP %d", status)) {
			t.Errorf("the log does not say the listing failed with %d:\n%s", status, w.logs.String())
		}
	}
	w.status.Store(0)

	// A report gone from the listing goes; the names of the others follow.
	w.fake.SetWorkspace(workspace, togglfake.Workspace{APIToken: apiToken, Reports: w.saved[1:]})
	w.tick(t)
	w.listed(t, 5)
	w.wantNames(t, "team-week", "clients")
	w.wantMetrics(t, 2, 1)
	w.noSecret(t)
}

// TestSetDoesNotWait: Set returns before any listing ends: eight workspaces whose
// listings each take 500 ms are applied at once with the configured reports, and their
// reports come as the listings end, together rather than one after another.
func TestSetDoesNotWait(t *testing.T) {
	w := newWorld(t)
	for ws := int64(1); ws <= 8; ws++ {
		w.fake.SetWorkspace(ws, togglfake.Workspace{APIToken: apiToken, Reports: []togglfake.SavedReport{{ID: 100 + ws, Name: fmt.Sprint("r", ws), Token: tokens[0]}}})
	}
	var extra strings.Builder
	fmt.Fprintf(&extra, "reports:\n  - name: configured\n    token: %s\ndiscover:\n", tokens[1])
	for ws := 1; ws <= 8; ws++ {
		fmt.Fprintf(&extra, "  - workspace_id: %d\n    api_token: %s\n", ws, apiToken)
	}
	data := fmt.Sprintf("api_url: %s\nrequests_per_second: 1000\n%s", w.url, extra.String())
	cfg, err := config.Parse([]byte(data), "", func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	w.delay.Store(int64(500 * time.Millisecond))
	start := time.Now()
	w.d.Set(cfg, w.client())
	if took := time.Since(start); took > 250*time.Millisecond {
		t.Errorf("Set took %s", took)
	}
	w.wantNames(t, "configured")
	eventually(t, "the eight workspaces' reports", func() bool { return len(w.exporter.Names()) == 9 })
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("the eight listings took %s together: one after another", took)
	}
}

// TestSetListsOnlyWhatChanged: setting the same configuration again (a reload of an
// unchanged file) lists nothing; a listing that failed is listed again; a changed
// token lists again at once; a change of the defaults re-applies the listed reports
// without a listing; a workspace no longer configured stops listing.
func TestSetListsOnlyWhatChanged(t *testing.T) {
	w := newWorld(t)
	c := w.client()
	cfg := w.load(t, "")
	w.d.Set(cfg, c)
	w.listed(t, 1)
	for range 30 {
		w.d.Set(w.load(t, ""), c)
	}
	time.Sleep(20 * time.Millisecond)
	if n := w.listings("reports/shared"); n != 1 {
		t.Errorf("30 reloads of an unchanged file: %d listings, want 1", n)
	}

	w.status.Store(500)
	w.tick(t)
	w.listed(t, 2)
	w.status.Store(0)
	w.d.Set(cfg, c)
	w.listed(t, 3)
	w.wantMetrics(t, 3, 1)

	// New defaults: the reports follow without a listing.
	w.d.Set(w.load(t, "min_refresh_interval: 10m\n"), c)
	if r := w.d.Config().Reports; len(r) != 3 || time.Duration(r[0].MinRefreshInterval) != 10*time.Minute {
		t.Errorf("the reports did not take the new defaults: %v", r)
	}
	time.Sleep(20 * time.Millisecond)
	if n := w.listings("reports/shared"); n != 3 {
		t.Errorf("new defaults: %d listings, want 3", n)
	}

	// Another client (api_url, body limit or rate) lists again.
	w.d.Set(cfg, w.client())
	w.listed(t, 4)

	// Only the latest lister lists at its interval; the replaced ones have stopped.
	w.tick(t)
	w.listed(t, 5)
	time.Sleep(20 * time.Millisecond)
	if n := w.listings("reports/shared"); n != 5 {
		t.Errorf("%d listings after one interval, want 5: replaced listers still list", n)
	}

	// No discover entry: the listing stops, its reports go.
	only, err := config.Parse([]byte(fmt.Sprintf("api_url: %s\nreports:\n  - name: configured\n    token: %s\n", w.url, tokens[1])), "", func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	w.d.Set(only, c)
	w.wantNames(t, "configured")
	w.tick(t)
	time.Sleep(20 * time.Millisecond)
	if n := w.listings("reports/shared"); n != 5 {
		t.Errorf("%d listings, want 5: the removed entry still lists", n)
	}
	if err := testutil.CollectAndCompare(w.d, strings.NewReader("")); err != nil {
		t.Errorf("metrics of a removed entry: %v", err)
	}
}

// TestWarningsOnce: a listed report that cannot be served is said once, not at every
// listing; reports without an id are said once per entry.
func TestWarningsOnce(t *testing.T) {
	w := newWorld(t)
	w.fake.SetWorkspace(workspace, togglfake.Workspace{APIToken: apiToken, Reports: append(slices.Clone(w.saved),
		togglfake.SavedReport{ID: 504, Name: "short", Token: "short"},
		togglfake.SavedReport{Name: "no id", Token: tokens[0]}, togglfake.SavedReport{Name: "no id either", Token: tokens[1]})})
	w.d.Set(w.load(t, ""), w.client())
	w.listed(t, 1)
	for i := range 3 {
		w.tick(t)
		w.listed(t, 2+i)
	}
	w.wantNames(t, "team-week-501", "team-week-502", "clients")
	for _, want := range []string{`discover[0]: saved report 504 \"short\": token: too short`, `discover[0]: 2 listed report(s) without an id; left out`} {
		if n := strings.Count(w.logs.String(), want); n != 1 {
			t.Errorf("%q logged %d times, want once:\n%s", want, n, w.logs.String())
		}
	}
	w.noSecret(t)
}

// TestMembers: the active members become the workspace's roster and its member_info
// series, with working_hours_in_minutes as sent (Bob's null: empty); a failed listing
// keeps them and, on a 403, says what is probably wrong; no e-mail address shows anywhere.
func TestMembers(t *testing.T) {
	w := newWorld(t)
	cfg := w.load(t, fmt.Sprintf("members:\n  - workspace_id: %d\n    api_token: %s\n    interval: 1h\n    expected_hours_per_week: 40\n", workspace, apiToken))
	w.d.Set(cfg, w.client())
	eventually(t, "a member listing", func() bool { return w.listings("workspace_users") == 1 })
	bob := "Bob  " + strings.Repeat("b", 192) + "…" // cleaned and cut as the collector's labels are
	want := func(up int) string {
		return fmt.Sprintf(`# HELP toggl_members_up %s
# TYPE toggl_members_up gauge
toggl_members_up{workspace_id="31"} %d
# HELP toggl_members_last_success_timestamp_seconds %s
# TYPE toggl_members_last_success_timestamp_seconds gauge
toggl_members_last_success_timestamp_seconds{workspace_id="31"} 1.7e+09
# HELP toggl_workspace_member_info %s
# TYPE toggl_workspace_member_info gauge
toggl_workspace_member_info{user="Ann",user_id="7",working_hours_in_minutes="2400",workspace_id="31"} 1
toggl_workspace_member_info{user="%s",user_id="8",working_hours_in_minutes="",workspace_id="31"} 1
`, help(membersUpDesc), up, help(membersLastSuccessDesc), help(memberInfoDesc), bob)
	}
	names := []string{"toggl_members_up", "toggl_members_last_success_timestamp_seconds", "toggl_workspace_member_info"}
	eventually(t, "the members' series", func() bool { return testutil.CollectAndCompare(w.d, strings.NewReader(want(1)), names...) == nil })
	w.listed(t, 1)
	if got := w.d.Config().Reports; got[0].Roster != workspace {
		t.Errorf("a discovered report's roster is %d, want its workspace's", got[0].Roster)
	}
	if !strings.Contains(w.logs.String(), `msg="listed the workspace's members" workspace_id=31 members=2`) {
		t.Errorf("log:\n%s", w.logs.String())
	}

	w.status.Store(403)
	w.tick(t)
	eventually(t, "the failed listing", func() bool { return testutil.CollectAndCompare(w.d, strings.NewReader(want(0)), names...) == nil })
	if !strings.Contains(w.logs.String(), "the roster listed before stays") || !strings.Contains(w.logs.String(), "only to its admins") {
		t.Errorf("the log does not say what a 403 means:\n%s", w.logs.String())
	}
	if problems, err := testutil.CollectAndLint(w.d); err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %v", problems, err)
	}
	w.noSecret(t, "ann.SECRET@example.com", "SECRET@")
	out, _ := w.d.Config().Redacted()
	if strings.Contains(string(out), "SECRET") {
		t.Errorf("/config shows a secret:\n%s", out)
	}
}
