package collector

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/goleak"

	"github.com/toggl-exporter/toggl_exporter/internal/togglfake"
)

// The two configurations TestReloadUnderLoad alternates. "keep" is the same in both;
// "gone" is only in A, "added" only in B; "cred" reads the same report with an API token
// in A and with an e-mail and password in B.
const (
	reloadA = `
api_url: {{URL}}
min_refresh_interval: 5m
max_stale: 30m
reports:
  - name: keep
    token: tok-reload-0123456789abcdef-keep
    api_token: api-reload-0123456789abcdef-keep
  - name: gone
    token: tok-reload-0123456789abcdef-gone
  - name: cred
    token: tok-reload-0123456789abcdef-cred
    api_token: api-reload-0123456789abcdef-cred
`
	reloadB = `
api_url: {{URL}}
min_refresh_interval: 5m
max_stale: 30m
reports:
  - name: added
    token: tok-reload-0123456789abcdef-added
  - name: cred
    token: tok-reload-0123456789abcdef-cred
    email: cred@example.com
    password: cred-password
  - name: keep
    token: tok-reload-0123456789abcdef-keep
    api_token: api-reload-0123456789abcdef-keep
`
)

// TestReloadUnderLoad applies A and B alternately, 50 times in all, while scrapers hit /metrics
// and /probe?report=keep over HTTP without pause. No scrape fails, every answer is
// exactly one configuration, every report in it is up, credentials change with the
// configuration, and the unchanged report keeps its cache: one upstream request in all.
func TestReloadUnderLoad(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, ignore) }) // last: after the servers closed

	s := newStack(t, nil)
	seconds := map[string]int64{"keep": 1000, "gone": 2000, "added": 3000, "cred": 4000}
	s.fake.Set("tok-reload-0123456789abcdef-keep", togglfake.Report{Body: reportJSON("keep", seconds["keep"]), Auth: togglfake.Auth{APIToken: "api-reload-0123456789abcdef-keep"}})
	s.fake.Set("tok-reload-0123456789abcdef-gone", togglfake.Report{Body: reportJSON("gone", seconds["gone"])})
	s.fake.Set("tok-reload-0123456789abcdef-added", togglfake.Report{Body: reportJSON("added", seconds["added"])})
	s.fake.Set("tok-reload-0123456789abcdef-cred", togglfake.Report{Body: reportJSON("cred", seconds["cred"]),
		Auth: togglfake.Auth{APIToken: "api-reload-0123456789abcdef-cred", Email: "cred@example.com", Password: "cred-password"}})
	configs := []string{reloadA, reloadB}
	sets := [][]string{{"cred", "gone", "keep"}, {"added", "cred", "keep"}}
	s.apply(reloadA)

	mux := http.NewServeMux()
	mux.Handle("/metrics", s.exp.MetricsHandler(prometheus.NewRegistry(), HandlerOpts{}))
	mux.Handle("/probe", s.exp.ProbeHandler(HandlerOpts{}))
	srv := httptest.NewServer(mux)
	hc := &http.Client{Transport: &http.Transport{}}
	defer hc.CloseIdleConnections()
	defer srv.Close()

	var (
		gen     atomic.Int64 // configurations applied so far, minus one: configs[gen%2] serves
		seen    atomic.Int64 // highest gen some scrape started under saw answered
		answers [2]atomic.Int64
		stop    = make(chan struct{})
		wg      sync.WaitGroup
	)
	get := func(path string) (exposition, error) {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		req.Header.Set("X-Prometheus-Scrape-Timeout-Seconds", "10")
		resp, err := hc.Do(req)
		if err != nil {
			return exposition{}, err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			return exposition{}, err
		}
		if resp.StatusCode != http.StatusOK {
			return exposition{}, fmt.Errorf("GET %s: HTTP %d: %s", path, resp.StatusCode, body)
		}
		return parseExposition(string(body))
	}
	seen.Store(-1)
	halt := sync.OnceFunc(func() { close(stop); wg.Wait() })
	defer halt() // before the servers close
	var failures atomic.Int64
	fail := func(format string, args ...any) {
		if failures.Add(1) <= 5 { // enough to see what is wrong
			t.Errorf(format, args...)
		}
	}
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				g := gen.Load()
				x, err := get("/metrics")
				if err != nil {
					fail("scrape failed: %v", err)
					continue
				}
				names := x.reports()
				i := slices.IndexFunc(sets, func(set []string) bool { return slices.Equal(set, names) })
				if i < 0 {
					fail("an answer mixes configurations: reports %v", names)
					continue
				}
				answers[i].Add(1)
				for _, n := range names {
					if v, _ := x.value("toggl_report_up", n); v != 1 {
						fail("report %s is not up:\n%s", n, x.series(n))
					}
					if v, _ := x.value("toggl_report_tracked_seconds", n); v != float64(seconds[n]) {
						fail("report %s: tracked %g, want %d", n, v, seconds[n])
					}
				}
				if int(g%2) == i {
					for cur := seen.Load(); cur < g && !seen.CompareAndSwap(cur, g); cur = seen.Load() {
					}
				}
			}
		})
	}
	wg.Go(func() { // a Prometheus probing the report both configurations have
		for {
			select {
			case <-stop:
				return
			default:
			}
			x, err := get("/probe?report=keep")
			if err != nil {
				fail("probe failed: %v", err)
				continue
			}
			if r := x.reports(); !slices.Equal(r, []string{"keep"}) {
				fail("probe of keep answered %v", r)
			}
		}
	})

	const reloads = 49 // odd: the last configuration is B
	for g := int64(1); g <= reloads && !t.Failed(); g++ {
		// Wait until the configuration in force has been served, so that each one's new
		// reports are fetched (and their credentials seen by the fake).
		waitFor(t, 10*time.Second, fmt.Sprintf("a scrape of configuration %d", g-1), func() bool { return seen.Load() >= g-1 })
		s.clock.Advance(time.Second) // the rate limit: 1 request a second per credential
		s.exp.Apply(s.parseConfig(configs[g%2]), s.f)
		gen.Store(g)
	}
	waitFor(t, 10*time.Second, "a scrape of the last configuration", func() bool { return seen.Load() >= reloads })
	halt()
	t.Logf("%d answers with configuration A, %d with B", answers[0].Load(), answers[1].Load())
	if t.Failed() {
		return
	}

	// The last configuration is B: "gone" vanished, "added" is there.
	x, err := get("/metrics")
	if err != nil {
		t.Fatal(err)
	}
	if r := x.reports(); !slices.Equal(r, sets[1]) {
		t.Errorf("after the last reload: reports %v, want %v", r, sets[1])
	}
	resp, err := hc.Get(srv.URL + "/probe?report=gone")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), `unknown report "gone"`) {
		t.Errorf("probe of a removed report: HTTP %d %q, want 400", resp.StatusCode, body)
	}

	// The unchanged report kept its cache through every reload.
	if n := s.fake.Count("tok-reload-0123456789abcdef-keep"); n != 1 {
		t.Errorf("keep: %d upstream requests across %d reloads within min_refresh_interval, want 1", n, reloads)
	}
	x.want(t, 1, "toggl_report_fetches_total", "keep")
	// Each configuration's new reports were fetched once, with its credentials.
	applied := [2]int{reloads/2 + 1, (reloads + 1) / 2} // A first, then B, A...
	if n := s.fake.Count("tok-reload-0123456789abcdef-gone"); n != applied[0] {
		t.Errorf("gone: %d requests, want one per time A was applied (%d)", n, applied[0])
	}
	if n := s.fake.Count("tok-reload-0123456789abcdef-added"); n != applied[1] {
		t.Errorf("added: %d requests, want one per time B was applied (%d)", n, applied[1])
	}
	var kinds []string
	for _, r := range s.fake.Requests() {
		if r.Token != "tok-reload-0123456789abcdef-cred" {
			continue
		}
		if !r.AuthOK {
			t.Errorf("cred: a request was refused (%s)", r.AuthKind)
		}
		kinds = append(kinds, r.AuthKind)
	}
	if len(kinds) != reloads+1 {
		t.Errorf("cred: %d requests, want one per configuration applied (%d)", len(kinds), reloads+1)
	}
	for i, k := range kinds {
		want := []string{togglfake.AuthAPIToken, togglfake.AuthEmail}[i%2]
		if k != want {
			t.Errorf("cred: request %d authenticated with %s, want %s: the new credentials did not take effect", i, k, want)
			break
		}
	}
}
