// Package collector turns shared Toggl reports into Prometheus metrics: it aggregates
// decoded reports, caches them per report, and serves them through a prometheus.Collector.
package collector

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/go-kit/log"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/toggl-exporter/toggl_exporter/config"
)

// Options tune an Exporter. The zero value is usable.
type Options struct {
	Logger log.Logger
	// Now is the clock; nil means time.Now. Tests use a fake one.
	Now func() time.Time
}

// Exporter holds the configured reports with their caches. It is safe for concurrent use;
// Apply swaps the configuration while scrapes run.
type Exporter struct {
	fetcher Fetcher
	logger  log.Logger
	now     func() time.Time
	sem     chan struct{}

	mu      sync.RWMutex
	targets []*target // in configuration order
}

// New returns an Exporter with no reports; call Apply with a configuration.
func New(f Fetcher, opts Options) *Exporter {
	e := &Exporter{fetcher: f, logger: opts.Logger, now: opts.Now, sem: make(chan struct{}, 8)}
	if e.logger == nil {
		e.logger = log.NewNopLogger()
	}
	if e.now == nil {
		e.now = time.Now
	}
	return e
}

// Apply makes cfg the configuration to serve, with f (when not nil) as the fetcher from
// now on. Reports whose settings (secrets included) are unchanged keep their cache and
// counters; removed reports vanish; new and changed ones start empty.
func (e *Exporter) Apply(cfg *config.Config, f Fetcher) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if f != nil {
		e.fetcher = f
	}
	old := make(map[string]*target, len(e.targets))
	for _, t := range e.targets {
		old[t.name] = t
	}
	targets := make([]*target, 0, len(cfg.Reports))
	for _, r := range cfg.Reports {
		t := newTarget(r, cfg)
		if prev := old[r.Name]; prev != nil && prev.fingerprint == t.fingerprint {
			t = prev
		}
		targets = append(targets, t)
	}
	e.targets = targets
	if n := cfg.MaxConcurrentFetches; n > 0 && n != cap(e.sem) {
		// Fetches in flight keep the old semaphore; they end within their timeout.
		e.sem = make(chan struct{}, n)
	}
}

// current returns the fetcher and the fetch slots to use now.
func (e *Exporter) current() (Fetcher, chan struct{}) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.fetcher, e.sem
}

// Names lists the configured reports in configuration order.
func (e *Exporter) Names() []string {
	e.mu.RLock()
	defer e.mu.RUnlock()
	names := make([]string, len(e.targets))
	for i, t := range e.targets {
		names[i] = t.name
	}
	return names
}

// Status is the last known health of one report, for the landing page.
type Status struct {
	Name        string
	Up          bool
	Fetched     bool // at least one attempt has ended
	Code        string
	Message     string
	LastSuccess time.Time
	LastAttempt time.Time
	Series      int
}

// Status returns the health of every report without triggering a fetch.
func (e *Exporter) Status() []Status {
	e.mu.RLock()
	targets := slices.Clone(e.targets)
	e.mu.RUnlock()
	out := make([]Status, len(targets))
	for i, t := range targets {
		v := t.snapshot(e.now())
		out[i] = Status{Name: t.name, Up: v.code == "" && !v.lastAttempt.IsZero(), Fetched: !v.lastAttempt.IsZero(),
			Code: v.code, Message: v.message, LastSuccess: v.lastSuccess, LastAttempt: v.lastAttempt}
		if v.snap != nil {
			out[i].Series = v.snap.Len()
		}
	}
	return out
}

// UnknownReportError is returned by Collector for a report name that is not configured.
type UnknownReportError struct{ Name string }

func (u UnknownReportError) Error() string {
	return fmt.Sprintf("unknown report %q", u.Name)
}

// Collector returns a prometheus.Collector that serves the named reports (every report
// when names is empty), waiting for fetches at most until ctx is done.
func (e *Exporter) Collector(ctx context.Context, names ...string) (prometheus.Collector, error) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	if len(names) == 0 {
		return &scrapeCollector{ctx: ctx, e: e, targets: slices.Clone(e.targets)}, nil
	}
	c := &scrapeCollector{ctx: ctx, e: e}
	for _, n := range names {
		i := slices.IndexFunc(e.targets, func(t *target) bool { return t.name == n })
		if i < 0 {
			return nil, UnknownReportError{Name: n}
		}
		c.targets = append(c.targets, e.targets[i])
	}
	return c, nil
}

// scrapeCollector serves one scrape: it is bound to the scrape's context and the targets
// configured when the scrape began, so a reload never mixes configurations in one answer.
type scrapeCollector struct {
	ctx     context.Context
	e       *Exporter
	targets []*target
}

// Describe implements prometheus.Collector.
func (c *scrapeCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range descs {
		ch <- d
	}
}

// Collect implements prometheus.Collector. Reports are fetched concurrently.
func (c *scrapeCollector) Collect(ch chan<- prometheus.Metric) {
	views := make([]view, len(c.targets))
	var wg sync.WaitGroup
	for i, t := range c.targets {
		wg.Go(func() { views[i] = t.scrape(c.ctx, c.e) })
	}
	wg.Wait()
	for i, t := range c.targets {
		emit(ch, t.name, &views[i])
	}
}

// emit writes the metrics of one report from a view of its state.
func emit(ch chan<- prometheus.Metric, report string, v *view) {
	gauge := func(m int, value float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(descs[m], metrics[m].valueType, value, append([]string{report}, labels...)...)
	}
	code := v.code
	if v.timedOut {
		code = "timeout"
	}
	up := 0.0
	if code == "" && !v.lastAttempt.IsZero() {
		up = 1
	}
	gauge(mUp, up)
	codes := slices.Clone(errorCodes)
	for k := range v.failures {
		if !slices.Contains(codes, k) {
			codes = append(codes, k)
		}
	}
	if code != "" && !slices.Contains(codes, code) {
		codes = append(codes, code)
	}
	for _, k := range codes {
		val := 0.0
		if k == code {
			val = 1
		}
		gauge(mError, val, k)
	}
	for _, k := range sortedKeys(v.failures, func(a, b string) int { return compareCodes(a, b) }) {
		gauge(mFailures, v.failures[k], k)
	}
	gauge(mFetches, v.fetches)
	if v.hasDuration {
		gauge(mFetchDuration, v.duration)
	}
	if v.quota != nil {
		if v.quota.HasRemaining {
			gauge(mQuotaRemaining, float64(v.quota.Remaining))
		}
		if v.quota.HasResetsIn {
			gauge(mQuotaReset, float64(v.quotaAt.Add(v.quota.ResetsIn).Unix()))
		}
	}
	// The last success stays after its values pass max_stale: alerts on stale data need it.
	if !v.lastSuccess.IsZero() {
		gauge(mLastSuccess, float64(v.lastSuccess.UnixMilli())/1000)
	}
	s := v.snap
	if s == nil {
		return
	}
	gauge(mInfo, 1, labelValue(s.Name), labelValue(s.Type), strconv.FormatBool(s.Public))
	if !v.periodStart.IsZero() {
		gauge(mPeriodStart, float64(v.periodStart.Unix()))
	}
	if !v.periodEnd.IsZero() {
		gauge(mPeriodEnd, float64(v.periodEnd.Unix()))
	}
	series := v.series
	if series == nil { // a view not made by record (tests)
		series = seriesMetrics(report, s)
	}
	for _, m := range series {
		ch <- m
	}
}

// seriesMetrics builds the metrics of a snapshot's series for the report. Const metrics
// are immutable: built once per fetch, they serve every scrape until the next one.
func seriesMetrics(report string, s *Snapshot) []prometheus.Metric {
	out := make([]prometheus.Metric, len(s.series))
	for i, sr := range s.series {
		out[i] = prometheus.MustNewConstMetric(descs[sr.metric], metrics[sr.metric].valueType, sr.value, append([]string{report}, sr.labels...)...)
	}
	return out
}

// compareCodes orders HTTP statuses numerically before the named codes.
func compareCodes(a, b string) int {
	na, ea := strconv.Atoi(a)
	nb, eb := strconv.Atoi(b)
	switch {
	case ea == nil && eb == nil:
		return na - nb
	case ea == nil:
		return -1
	case eb == nil:
		return 1
	}
	if a < b {
		return -1
	}
	if a > b {
		return 1
	}
	return 0
}
