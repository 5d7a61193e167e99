package collector

import (
	"context"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/go-kit/log"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/toggl-exporter/toggl_exporter/client"
	"github.com/toggl-exporter/toggl_exporter/config"
	"github.com/toggl-exporter/toggl_exporter/internal/testkit"
	"github.com/toggl-exporter/toggl_exporter/internal/togglfake"
)

// The tests in this file's neighbours (faults, quota, deadlines, leaks, reloads) run the
// real pipeline: togglfake behind httptest, the real client, an Exporter configured by
// config.Parse, scraped through its HTTP handlers; one fake clock drives all three.

// Secrets used by the end-to-end tests. Every one holds "SECRET", so that a leak of any
// part of one is easy to spot; noSecrets also looks for their encoded forms.
const (
	secretToken      = "tok-SECRET-faulty-7d2e9c41"
	secretAPIToken   = "api-SECRET-faulty-0b8f77aa"
	neighbourToken   = "tok-SECRET-neighbour-3c5a18"
	neighbourEmail   = "ops@example.com"
	neighbourSecret  = "pw-SECRET-neighbour-91e2d4"
	neighbourSeconds = 5400
	faultySeconds    = 3600
)

var allSecrets = []string{secretToken, secretAPIToken, neighbourToken, neighbourSecret}

// noSecrets fails when text holds a secret, a fragment marked SECRET, or the Basic auth
// encoding of a credential.
func noSecrets(t *testing.T, where, text string) {
	t.Helper()
	forms := []string{"SECRET",
		base64.StdEncoding.EncodeToString([]byte(secretAPIToken + ":api_token")),
		base64.StdEncoding.EncodeToString([]byte(neighbourEmail + ":" + neighbourSecret)),
	}
	for _, s := range allSecrets {
		forms = append(forms, s, url.PathEscape(s), strings.ToLower(s), strings.ToUpper(s))
	}
	for _, f := range forms {
		if strings.Contains(text, f) {
			t.Errorf("%s holds a secret (%q):\n%s", where, f, text)
			return
		}
	}
}

// reportJSON is a small detailed report of one row: seconds tracked by user 301 on
// project 101.
func reportJSON(title string, seconds int64) []byte {
	return fmt.Appendf(nil, `{"report_name":%q,"report_type":"detailed","public":false,
"input_params":{"start_date":"2025-06-02","end_date":"2025-06-08"},
"dictionaries":{"projects":{"101":{"id":101,"name":"Website"}},"users":{"301":{"id":301,"name":"Ada"}}},
"detailed_results":{"report":[{"user_id":301,"project_id":101,"time_entries":[{"id":1,"seconds":%d}]}],
 "totals":{"seconds":%d,"tracked_days":1}}}`, title, seconds, seconds)
}

// logBuffer collects log output written from any goroutine.
type logBuffer struct{ testkit.SyncBuffer }

// lines returns the log lines holding every one of subs.
func (l *logBuffer) lines(subs ...string) []string {
	var out []string
	for line := range strings.Lines(l.String()) {
		if !slices.ContainsFunc(subs, func(s string) bool { return !strings.Contains(line, s) }) {
			out = append(out, strings.TrimSpace(line))
		}
	}
	return out
}

// stack is the real pipeline under test.
type stack struct {
	t     *testing.T
	clock *fakeClock
	fake  *togglfake.Fake
	srv   *httptest.Server
	cl    *client.Client
	f     Fetcher        // of the latest apply
	cfg   *config.Config // of the latest apply
	exp   *Exporter
	logs  *logBuffer
	// routes send the reports of some tokens to other fetchers (clients of other
	// servers) instead of the client; set them before the first apply.
	routes map[string]Fetcher
	opts   HandlerOpts
}

// newStack starts a fake Toggl (behind wrap, when not nil) and an Exporter on a fake
// clock. The servers close when the test ends.
func newStack(t *testing.T, wrap func(http.Handler) http.Handler) *stack {
	t.Helper()
	s := &stack{
		t:     t,
		clock: &fakeClock{now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)},
		fake:  togglfake.New(),
		logs:  &logBuffer{},
	}
	s.fake.SetClock(s.clock.Now)
	var h http.Handler = s.fake
	if wrap != nil {
		h = wrap(h)
	}
	s.srv = httptest.NewServer(h)
	t.Cleanup(s.srv.Close)
	s.exp = New(Options{Logger: log.NewLogfmtLogger(s.logs), Now: s.clock.Now})
	return s
}

// parseConfig parses YAML in which {{URL}} stands for the fake's URL, with an empty
// environment (TOGGL_API_TOKEN of the machine running the tests must not leak in).
//
// Unless it sets hourly_quota, the budget is one the tests never reach: they look at
// other things than the quota plan (see plan_test.go).
func (s *stack) parseConfig(yml string) *config.Config {
	s.t.Helper()
	yml = strings.ReplaceAll(yml, "{{URL}}", s.srv.URL)
	if !strings.Contains(yml, "hourly_quota") {
		yml = "hourly_quota: 1000000\n" + yml
	}
	cfg, err := config.Parse([]byte(yml), s.t.TempDir(), func(string) (string, bool) { return "", false })
	if err != nil {
		s.t.Fatalf("config: %v\n%s", err, yml)
	}
	return cfg
}

// apply parses and applies a configuration. The first one makes the client, as main
// does, from api_url, max_response_bytes and requests_per_second.
func (s *stack) apply(yml string) *config.Config {
	s.t.Helper()
	cfg := s.parseConfig(yml)
	if s.cl == nil {
		s.cl = client.New(client.Options{
			BaseURL:           cfg.APIURL,
			UserAgent:         "toggl_exporter/test",
			MaxResponseBytes:  int64(cfg.MaxResponseBytes),
			RequestsPerSecond: cfg.RequestsPerSecond,
			HourlyQuota:       cfg.HourlyQuota,
			Now:               s.clock.Now,
		})
	}
	var f Fetcher = s.cl
	if len(s.routes) > 0 {
		f = routeFetcher{def: s.cl, byToken: s.routes}
	}
	s.f, s.cfg = f, cfg
	s.exp.Apply(cfg, f)
	return cfg
}

// scrape serves /metrics once through MetricsHandler; headers are name, value pairs.
func (s *stack) scrape(headers ...string) exposition {
	s.t.Helper()
	return s.serve(s.metrics(), "/metrics", headers...)
}

func (s *stack) metrics() http.Handler { return s.exp.MetricsHandler(prometheus.NewRegistry(), s.opts) }

// rescrape and reprobe serve once, wait for the refreshes that started in the
// background, and serve again: what a refresh did shows from the scrape after it. The
// first answer is only checked for its status: parsing it too would double the time of
// the tests that scrape a simulated hour.
func (s *stack) rescrape(headers ...string) exposition {
	s.t.Helper()
	s.hit(s.metrics(), "/metrics", headers...)
	s.exp.fetches.Wait()
	return s.scrape(headers...)
}

func (s *stack) reprobe(name string, headers ...string) exposition {
	s.t.Helper()
	s.hit(s.exp.ProbeHandler(s.opts), probeTarget(name), headers...)
	s.exp.fetches.Wait()
	return s.probe(name, headers...)
}

// probe serves /probe?report=name once through ProbeHandler.
func (s *stack) probe(name string, headers ...string) exposition {
	s.t.Helper()
	return s.serve(s.exp.ProbeHandler(s.opts), probeTarget(name), headers...)
}

func probeTarget(name string) string { return "/probe?report=" + url.QueryEscape(name) }

func (s *stack) serve(h http.Handler, target string, headers ...string) exposition {
	s.t.Helper()
	x, err := get(h, target, headers...)
	if err != nil {
		s.t.Fatal(err)
	}
	return x
}

// hit serves target through h, failing the test unless the answer is a 200.
func (s *stack) hit(h http.Handler, target string, headers ...string) {
	s.t.Helper()
	if _, err := serveOK(h, target, headers...); err != nil {
		s.t.Fatal(err)
	}
}

// get serves target through h and parses the answer; it may run in any goroutine.
func get(h http.Handler, target string, headers ...string) (exposition, error) {
	text, err := serveOK(h, target, headers...)
	if err != nil {
		return exposition{}, err
	}
	return parseExposition(text)
}

// serveOK serves target through h and returns the body of a 200 answer.
func serveOK(h http.Handler, target string, headers ...string) (string, error) {
	req := httptest.NewRequest(http.MethodGet, target, nil)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		return "", fmt.Errorf("GET %s: HTTP %d: %s", target, rec.Code, rec.Body.String())
	}
	return rec.Body.String(), nil
}

// status returns the landing page's status of report name.
func (s *stack) status(name string) Status {
	for _, st := range s.exp.Status() {
		if st.Name == name {
			return st
		}
	}
	s.t.Fatalf("no status for %q", name)
	return Status{}
}

// waitFor polls cond until it holds, failing the test after limit.
func waitFor(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up after %s waiting for %s", limit, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// exposition is one scraped answer: its text and its samples by series key (see key).
type exposition struct {
	text   string
	values map[string]float64
}

func parseExposition(text string) (exposition, error) {
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(strings.NewReader(text))
	if err != nil {
		return exposition{}, fmt.Errorf("parsing the exposition: %w\n%s", err, text)
	}
	x := exposition{text: text, values: map[string]float64{}}
	for name, mf := range mfs {
		for _, m := range mf.GetMetric() {
			var kv []string
			for _, l := range m.GetLabel() {
				kv = append(kv, l.GetName(), l.GetValue())
			}
			v := m.GetGauge().GetValue() + m.GetCounter().GetValue() + m.GetUntyped().GetValue()
			x.values[key(name, kv...)] = v
		}
	}
	return x, nil
}

// key names a series: name{a="x",b="y"} with the labels sorted; kv are name, value pairs.
func key(name string, kv ...string) string {
	var pairs []string
	for i := 0; i+1 < len(kv); i += 2 {
		pairs = append(pairs, fmt.Sprintf("%s=%q", kv[i], kv[i+1]))
	}
	sort.Strings(pairs)
	return name + "{" + strings.Join(pairs, ",") + "}"
}

// value returns the sample of a series of report.
func (x exposition) value(name, report string, kv ...string) (float64, bool) {
	v, ok := x.values[key(name, append([]string{"report", report}, kv...)...)]
	return v, ok
}

// want fails unless the series of report has value.
func (x exposition) want(t *testing.T, value float64, name, report string, kv ...string) {
	t.Helper()
	v, ok := x.value(name, report, kv...)
	switch {
	case !ok:
		t.Errorf("missing %s in\n%s", key(name, append([]string{"report", report}, kv...)...), x.series(report))
	case v != value:
		t.Errorf("%s = %g, want %g", key(name, append([]string{"report", report}, kv...)...), v, value)
	}
}

// lacks fails when the series of report is present.
func (x exposition) lacks(t *testing.T, name, report string, kv ...string) {
	t.Helper()
	if v, ok := x.value(name, report, kv...); ok {
		t.Errorf("%s = %g present, want absent", key(name, append([]string{"report", report}, kv...)...), v)
	}
}

// series lists the samples of report, sorted, for failure messages.
func (x exposition) series(report string) string {
	var out []string
	for k, v := range x.values {
		if strings.Contains(k, fmt.Sprintf("report=%q", report)) {
			out = append(out, fmt.Sprintf("%s %g", k, v))
		}
	}
	sort.Strings(out)
	return strings.Join(out, "\n")
}

// reports returns the sorted names of the reports in the answer (by toggl_report_up).
func (x exposition) reports() []string {
	var out []string
	for k := range x.values {
		if rest, ok := strings.CutPrefix(k, `toggl_report_up{report="`); ok {
			out = append(out, strings.TrimSuffix(rest, `"}`))
		}
	}
	sort.Strings(out)
	return out
}

// errorCodes returns the value of toggl_report_error per code for report.
func (x exposition) errorCodes(report string) map[string]float64 {
	out := map[string]float64{}
	prefix := `toggl_report_error{code="`
	suffix := fmt.Sprintf(`",report=%q}`, report)
	for k, v := range x.values {
		if rest, ok := strings.CutPrefix(k, prefix); ok {
			if code, ok := strings.CutSuffix(rest, suffix); ok {
				out[code] = v
			}
		}
	}
	return out
}

// down fails unless report is down with exactly code: up 0, toggl_report_error 1 for
// code and 0 for every other code, the fixed codes all present.
func (x exposition) down(t *testing.T, report, code string) {
	t.Helper()
	x.want(t, 0, "toggl_report_up", report)
	codes := x.errorCodes(report)
	for _, c := range errorCodes {
		if _, ok := codes[c]; !ok {
			t.Errorf("toggl_report_error{report=%q} lacks code %q", report, c)
		}
	}
	for c, v := range codes {
		want := 0.0
		if c == code {
			want = 1
		}
		if v != want {
			t.Errorf("toggl_report_error{report=%q,code=%q} = %g, want %g", report, c, v, want)
		}
	}
	if _, ok := codes[code]; !ok {
		t.Errorf("toggl_report_error{report=%q,code=%q} missing", report, code)
	}
}

// up fails unless report is up with every error code 0 and its figures are seconds.
func (x exposition) up(t *testing.T, report string, seconds float64) {
	t.Helper()
	x.want(t, 1, "toggl_report_up", report)
	for c, v := range x.errorCodes(report) {
		if v != 0 {
			t.Errorf("toggl_report_error{report=%q,code=%q} = %g on a healthy report", report, c, v)
		}
	}
	x.want(t, seconds, "toggl_report_tracked_seconds", report)
	x.want(t, seconds, "toggl_report_project_tracked_seconds", report, "project_id", "101", "project", "Website", "client", "")
	x.want(t, seconds, "toggl_report_user_tracked_seconds", report, "user_id", "301", "user", "Ada")
}

// routeFetcher sends the reports of some tokens to another Fetcher (a client of another
// server), the rest to def.
type routeFetcher struct {
	def     Fetcher
	byToken map[string]Fetcher
}

func (r routeFetcher) Run(ctx context.Context, req client.Request, sink client.Sink) (*client.Report, *client.Response, error) {
	if f, ok := r.byToken[req.Token]; ok {
		return f.Run(ctx, req, sink)
	}
	return r.def.Run(ctx, req, sink)
}

// refusedURL returns the URL of a loopback port nothing listens on.
func refusedURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return "http://" + addr
}
