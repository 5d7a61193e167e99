package collector

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/toggl-exporter/toggl_exporter/client"
	"github.com/toggl-exporter/toggl_exporter/internal/togglfake"
)

// gate holds the upstream requests of one report token until released, so that tests
// know the order of events without measuring time.
type gate struct {
	token   string
	release chan struct{} // closed by the test: the upstream answers
	arrived chan struct{} // closed when the first request arrives
	gaveUp  chan struct{} // closed when a held request's client went away
	n       atomic.Int32  // requests that arrived

	arrivedOnce, gaveUpOnce, releaseOnce sync.Once
}

func newGate(t *testing.T, token string) *gate {
	return &gate{token: token, release: make(chan struct{}), arrived: make(chan struct{}), gaveUp: make(chan struct{})}
}

func (g *gate) open() { g.releaseOnce.Do(func() { close(g.release) }) }

func (g *gate) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/"+g.token) {
			// Read the body first, as the fake does: the server notices a client that
			// goes away only once the request body is consumed.
			body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
			r.Body = io.NopCloser(bytes.NewReader(body))
			g.n.Add(1)
			g.arrivedOnce.Do(func() { close(g.arrived) })
			select {
			case <-g.release:
			case <-r.Context().Done():
				g.gaveUpOnce.Do(func() { close(g.gaveUp) })
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

func closed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

const deadlineConfig = `
api_url: {{URL}}
min_refresh_interval: 5m
max_stale: 30m
reports:
  - name: faulty
    token: ` + secretToken + `
    api_token: ` + secretAPIToken + `
    timeout: %s
  - name: neighbour
    token: ` + neighbourToken + `
    email: ` + neighbourEmail + `
    password: ` + neighbourSecret + `
`

// scrapeHeader is what Prometheus sends with a 1 s scrape timeout; with the 0.5 s offset
// the scrape has 0.5 s.
var scrapeHeader = []string{"X-Prometheus-Scrape-Timeout-Seconds", "1"}

// newDeadlineStack holds the faulty report's upstream behind a gate; the faulty report's
// timeout is given.
func newDeadlineStack(t *testing.T, timeout string) (*stack, *gate) {
	g := newGate(t, secretToken)
	s := newStack(t, g.wrap)
	t.Cleanup(g.open) // registered after the server's Close, so it runs before it
	s.fake.Set(secretToken, togglfake.Report{Body: reportJSON("Faulty", faultySeconds), Auth: togglfake.Auth{APIToken: secretAPIToken}})
	s.fake.Set(neighbourToken, togglfake.Report{Body: reportJSON("Neighbour", neighbourSeconds), Auth: togglfake.Auth{Email: neighbourEmail, Password: neighbourSecret}})
	s.opts = HandlerOpts{TimeoutOffset: 500 * time.Millisecond}
	s.apply(strings.Replace(deadlineConfig, "%s", timeout, 1))
	return s, g
}

// answerBy serves one scrape in the background and returns its answer, failing when
// there is none within limit (far beyond the scrape's own deadline).
func answerBy(t *testing.T, limit time.Duration, h http.Handler, target string, headers ...string) exposition {
	t.Helper()
	type answer struct {
		x   exposition
		err error
	}
	ch := make(chan answer, 1)
	start := time.Now()
	go func() {
		x, err := get(h, target, headers...)
		ch <- answer{x, err}
	}()
	select {
	case a := <-ch:
		if a.err != nil {
			t.Fatal(a.err)
		}
		t.Logf("%s answered in %s", target, time.Since(start).Round(time.Millisecond))
		return a.x
	case <-time.After(limit):
		t.Fatalf("%s did not answer within %s", target, limit)
		return exposition{}
	}
}

// TestScrapeDeadlineThroughMetricsHandler: the upstream of one report does not answer
// within the scrape's deadline (timeout header minus offset). The scrape answers
// without it, saying code="timeout"; the fetch goes on; once it is done the next scrape
// serves its values without a new request.
func TestScrapeDeadlineThroughMetricsHandler(t *testing.T) {
	s, g := newDeadlineStack(t, "10s")
	h := s.exp.MetricsHandler(prometheus.NewRegistry(), s.opts)
	x := answerBy(t, 10*time.Second, h, "/metrics", scrapeHeader...)
	// Answered while the upstream holds the request (or before it even got there): the
	// scrape did not wait for it.
	waitFor(t, 10*time.Second, "the upstream request", func() bool { return closed(g.arrived) })
	if closed(g.gaveUp) {
		t.Fatal("the fetch was abandoned with the scrape")
	}
	x.down(t, "faulty", "timeout")
	x.lacks(t, "toggl_report_fetch_failures_total", "faulty", "code", "timeout") // no fetch has failed
	x.up(t, "neighbour", neighbourSeconds)

	// The fetch continues in the background and fills the cache.
	g.open()
	waitFor(t, 10*time.Second, "the background fetch", func() bool {
		st := s.status("faulty")
		return st.Fetched && st.Up
	})
	if closed(g.gaveUp) {
		t.Error("the background fetch was abandoned")
	}
	x = answerBy(t, 10*time.Second, h, "/metrics", scrapeHeader...)
	x.up(t, "faulty", faultySeconds)
	x.want(t, 1, "toggl_report_fetches_total", "faulty")
	if n, m := g.n.Load(), s.fake.Count(secretToken); n != 1 || m != 1 {
		t.Errorf("%d requests at the gate, %d at the fake, want 1: the next scrape uses the background result", n, m)
	}
	noSecrets(t, "the log", s.logs.String())
}

// TestScrapeDeadlineThroughProbeHandler: the same through /probe, with an upstream that
// never answers: the fetch outlives the scrape, but not the report's timeout, and its
// failure is served by the next scrape without a new request.
func TestScrapeDeadlineThroughProbeHandler(t *testing.T) {
	t.Parallel() // slow: overlaps the other slow tests
	s, g := newDeadlineStack(t, "3s")
	h := s.exp.ProbeHandler(s.opts)
	x := answerBy(t, 10*time.Second, h, "/probe?report=faulty", scrapeHeader...)
	// The scrape had 0.5 s, the fetch has 3 s: it is still waiting for the upstream.
	waitFor(t, 10*time.Second, "the upstream request", func() bool { return closed(g.arrived) })
	if closed(g.gaveUp) {
		t.Fatal("the fetch ended with the scrape; it must go on up to the report's timeout")
	}
	x.down(t, "faulty", "timeout")
	if r := x.reports(); len(r) != 1 || r[0] != "faulty" {
		t.Errorf("/probe?report=faulty served %v", r)
	}

	// The report's timeout (3 s) ends the fetch: the client goes away from the upstream.
	select {
	case <-g.gaveUp:
	case <-time.After(10 * time.Second):
		t.Fatal("the background fetch outlived the report's timeout by far")
	}
	waitFor(t, 10*time.Second, "the fetch's outcome", func() bool { return s.status("faulty").Fetched })
	if st := s.status("faulty"); st.Code != client.CodeTimeout {
		t.Errorf("status %+v, want code timeout", st)
	}
	x = answerBy(t, 10*time.Second, h, "/probe?report=faulty", scrapeHeader...)
	x.down(t, "faulty", "timeout")
	x.want(t, 1, "toggl_report_fetch_failures_total", "faulty", "code", "timeout")
	x.want(t, 1, "toggl_report_fetches_total", "faulty") // it was sent: it may have cost quota
	if n := g.n.Load(); n != 1 {
		t.Errorf("%d upstream requests, want 1 within min_refresh_interval", n)
	}
	if l := s.logs.lines("report=faulty", "code=timeout"); len(l) != 1 {
		t.Errorf("want one warning for the timed-out fetch, got %q", l)
	}
	noSecrets(t, "the log", s.logs.String())
}
