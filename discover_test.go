package main

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-kit/log"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/toggl-exporter/toggl_exporter/client"
	"github.com/toggl-exporter/toggl_exporter/collector"
	"github.com/toggl-exporter/toggl_exporter/config"
	"github.com/toggl-exporter/toggl_exporter/discovery"
	"github.com/toggl-exporter/toggl_exporter/internal/togglfake"
	"github.com/toggl-exporter/toggl_exporter/server"
)

// The wiring of the listings: what the pages show of them, that a reload of an
// unchanged file lists nothing, and that slow listings do not hold up the start. What
// the listings do is tested in discovery/.

const discoverAPIToken = "apiSECRETlisting0123456789abcdef"

var discoverTokens = []string{"tokSECRETlisted-a-0123456789abcd", "tokSECRETlisted-b-0123456789abcd"}

// listingWorld serves a workspace 31 listing two reports and counts the listings.
type listingWorld struct {
	fake     *togglfake.Fake
	url      string
	listings atomic.Int32
	delay    time.Duration // of each listing, cut short when the client hangs up
}

func newListingWorld(t *testing.T, delay time.Duration) *listingWorld {
	t.Helper()
	w := &listingWorld{fake: togglfake.New(), delay: delay}
	var saved []togglfake.SavedReport
	for i, tok := range discoverTokens {
		saved = append(saved, togglfake.SavedReport{ID: int64(501 + i), Name: fmt.Sprint("Team ", i), Token: tok})
		w.fake.Set(tok, togglfake.Report{Body: fixture(t, "detailed.json")})
	}
	for ws := int64(31); ws <= 38; ws++ {
		w.fake.SetWorkspace(ws, togglfake.Workspace{APIToken: discoverAPIToken, Reports: saved})
	}
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, togglfake.ListingPrefix) {
			w.listings.Add(1)
			select {
			case <-time.After(w.delay):
			case <-r.Context().Done():
				return
			}
		}
		w.fake.ServeHTTP(rw, r)
	}))
	t.Cleanup(srv.Close)
	w.url = srv.URL
	return w
}

// config writes a configuration with a discover entry for each of workspaces.
func (w *listingWorld) config(t *testing.T, workspaces int) string {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "api_url: %s\nrequests_per_second: 1000\ntimeout: 30s\ndiscover:\n", w.url)
	for ws := 31; ws < 31+workspaces; ws++ {
		fmt.Fprintf(&b, "  - workspace_id: %d\n    api_token: %s\n", ws, discoverAPIToken)
	}
	path := filepath.Join(t.TempDir(), "toggl.yml")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// waitFor polls, at most 5 s, until cond holds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("still no %s after 5s", what)
		}
	}
}

// TestReloadUnchangedListsNothing: 30 reloads of an unchanged file make no listing
// request (issue 19: anyone who reaches /-/reload could spend the quota).
func TestReloadUnchangedListsNothing(t *testing.T) {
	w := newListingWorld(t, 0)
	exporter := collector.New(collector.Options{})
	listings := discovery.New(log.NewNopLogger(), exporter)
	defer listings.Stop()
	r := &reloader{path: w.config(t, 1), logger: log.NewNopLogger(), safe: config.NewSafeConfig(nil), listings: listings, limits: client.NewLimits(nil)}
	for range 31 {
		if err := r.reload(); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "the discovered reports", func() bool { return len(exporter.Names()) == 2 })
	time.Sleep(50 * time.Millisecond)
	if n := w.listings.Load(); n != 1 {
		t.Errorf("a start and 30 reloads of an unchanged file: %d listings, want 1", n)
	}
}

// TestSlowListingsDoNotHoldTheStart: with 8 workspaces whose listings hang, the
// exporter answers /-/healthy and /-/ready at once (issue 19: 82 s on a slow Toggl).
func TestSlowListingsDoNotHoldTheStart(t *testing.T) {
	w := newListingWorld(t, time.Minute)
	begin := time.Now()
	e := start(t, nil, "--config.file="+w.config(t, 8))
	if code, _ := e.get(t, "/-/healthy"); code != http.StatusOK {
		t.Errorf("/-/healthy: %d", code)
	}
	if took := time.Since(begin); took > 2*time.Second {
		t.Errorf("ready after %s, want within 2s", took)
	}
	waitFor(t, "the 8 listings", func() bool { return w.listings.Load() == 8 })
}

// TestDiscoveryPages: what /config, the landing page, /sd and /metrics show of the
// discovered reports, and that none of them shows a secret.
func TestDiscoveryPages(t *testing.T) {
	w := newListingWorld(t, 0)
	cfg, err := config.Load(w.config(t, 1), nil)
	if err != nil {
		t.Fatal(err)
	}
	exporter := collector.New(collector.Options{})
	listings := discovery.New(log.NewNopLogger(), exporter)
	defer listings.Stop()
	listings.Set(cfg, client.New(client.Options{BaseURL: w.url, RequestsPerSecond: 1000}))
	waitFor(t, "the discovered reports", func() bool { return len(exporter.Names()) == 2 })
	reg := prometheus.NewRegistry()
	reg.MustRegister(listings)
	s := server.Site{MetricsPath: "/metrics", Registry: reg, Exporter: exporter, Config: listings.Config, Reload: func() error { return nil }, Logger: log.NewNopLogger()}
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	pages := map[string]string{}
	for _, p := range []string{"/config", "/", "/sd", "/metrics", "/probe?report=team-1"} {
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
		"/config":              "  - name: team-0\n    token: <secret>\n",
		"/":                    "team-1 <small>(discovered from workspace 31)</small>",
		"/sd":                  `"__param_report":"team-0"`,
		"/metrics":             `toggl_discovery_up{workspace_id="31"} 1`,
		"/probe?report=team-1": `toggl_report_up{report="team-1"} 1`,
	} {
		if !strings.Contains(pages[p], want) {
			t.Errorf("%s lacks %q:\n%s", p, want, pages[p])
		}
	}
	if !strings.Contains(pages["/config"], "discovered_from_workspace: 31") || !strings.Contains(pages["/config"], "api_token: <secret>") {
		t.Errorf("/config does not show the discovered reports as such:\n%s", pages["/config"])
	}
}
