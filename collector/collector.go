// Package collector turns shared Toggl reports into Prometheus metrics: it aggregates
// decoded reports, caches them per report, and serves them through a prometheus.Collector.
package collector

import (
	"cmp"
	"context"
	"crypto/sha256"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/go-kit/log"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/toggl-exporter/toggl_exporter/client"
	"github.com/toggl-exporter/toggl_exporter/config"
)

// Options tune an Exporter. The zero value is usable.
type Options struct {
	Logger log.Logger
	// FetchOnApply fetches every report Apply adds or changes, in the background and
	// paced, so that the first scrape and the landing page have figures.
	FetchOnApply bool
	Now          func() time.Time // nil: time.Now
}

// Exporter holds the configured reports with their caches; Apply swaps them while scrapes run.
type Exporter struct {
	// ctx is the exporter's lifetime: every fetch runs under it, and Close ends it.
	ctx     context.Context
	close   context.CancelFunc
	fetches sync.WaitGroup // in flight
	opts    Options

	planMu   sync.Mutex
	reserved map[string]int // by credential key: the pages of the refreshes admitted and running
	released chan struct{}  // closed (and replaced) when one of them ends

	mu      sync.RWMutex
	sem     chan struct{}
	cfg     *config.Config // applied last: its quota, closed_refresh_interval, listings and members entries
	targets []*target      // in configuration order
	caches  map[[sha256.Size]byte]*cache
	rosters map[int64][]client.Member // by workspace id: see SetRoster
}

// New returns an Exporter with no reports; call Apply with a configuration.
func New(opts Options) *Exporter {
	opts.Logger = cmp.Or[log.Logger](opts.Logger, log.NewNopLogger())
	if opts.Now == nil {
		opts.Now = time.Now
	}
	e := &Exporter{opts: opts, sem: make(chan struct{}, config.DefaultMaxConcurrentFetches), reserved: map[string]int{},
		released: make(chan struct{}), cfg: &config.Config{}, rosters: map[int64][]client.Member{}}
	e.ctx, e.close = context.WithCancel(context.Background())
	return e
}

// Close cancels the fetches in flight, waiting and to come; scrapes then serve the cache.
func (e *Exporter) Close() { e.close() }

// Apply makes cfg the configuration to serve, its reports bound to f (see target). A
// report whose request is unchanged keeps its cache and counters; others start empty.
func (e *Exporter) Apply(cfg *config.Config, f Fetcher) {
	e.mu.Lock()
	caches := make(map[[sha256.Size]byte]*cache, len(cfg.Reports))
	targets := make([]*target, 0, len(cfg.Reports))
	var fetch []*target
	for _, r := range cfg.Reports {
		// What a fetch sends, secrets and API included, and the name, which labels the series.
		res := r.Resolved
		key := hash([]any{r.Name, res.Token, res.APIToken, res.Email, res.Password, cfg.APIURL, r.Params, r.Period, r.Timezone, r.WeekStart})
		c, kept := e.caches[key]
		if !kept {
			c = &cache{state: state{failures: map[string]float64{}}}
		}
		caches[key] = c
		targets = append(targets, newTarget(r, f, c))
		if !kept && e.opts.FetchOnApply {
			fetch = append(fetch, targets[len(targets)-1])
		}
	}
	e.targets, e.caches, e.cfg = targets, caches, cfg
	maps.DeleteFunc(e.rosters, func(ws int64, _ []client.Member) bool { return cfg.MembersOf(ws) == nil })
	if n := cfg.MaxConcurrentFetches; n > 0 && n != cap(e.sem) {
		// Fetches in flight keep the old semaphore; they end within their timeout.
		e.sem = make(chan struct{}, n)
	}
	e.mu.Unlock()
	e.replan(targets)
	for _, t := range fetch {
		t.start(e) // shared with any scrape meanwhile
	}
}

// configured returns the targets applied last; Apply replaces the slice, never changes it.
func (e *Exporter) configured() []*target {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.targets
}

// Names lists the configured reports in configuration order.
func (e *Exporter) Names() []string {
	targets := e.configured()
	names := make([]string, len(targets))
	for i, t := range targets {
		names[i] = t.name
	}
	return names
}

// Status is the last known state of one report, for the landing page.
type Status struct {
	Name           string
	DiscoveredFrom int64 // the workspace whose listing gave the report; 0 if configured
	Up, Fetched    bool  // Fetched: at least one attempt has ended
	Code, Message  string
	LastSuccess    time.Time
	Series, Pages  int
	// The period of the latest values (zero when unknown); of the served ones (Series), the
	// figures and whether the breakdowns add up.
	PeriodStart, PeriodEnd time.Time
	Tracked, Billable      time.Duration
	HasBillable, Complete  bool
	// The paging headers of the latest answer, the fields of the served values' answer
	// that the decoder did not know: what `describe` tells in full.
	PagingHeaders, Unknown []string
	// The quota plan's; Waiting: the refresh waits for the hourly API quota until NextRefresh.
	Interval    time.Duration
	NextRefresh time.Time
	Waiting     bool
}

// Status returns the state of every report without triggering a fetch.
func (e *Exporter) Status() []Status {
	targets := e.configured()
	e.replan(targets)
	out := make([]Status, len(targets))
	for i, t := range targets {
		now := e.opts.Now()
		v, st := t.served(now), &out[i]
		*st = Status{Name: t.name, DiscoveredFrom: t.cfg.DiscoveredFrom, Fetched: !v.lastAttempt.IsZero(), Up: v.up(),
			Code: v.code, Message: v.message, LastSuccess: v.lastSuccess, Pages: v.pages, PagingHeaders: pagingHeaders(v.headers),
			Interval: t.every(&v), PeriodStart: v.periodStart, PeriodEnd: v.periodEnd}
		if st.Fetched {
			st.NextRefresh = v.lastAttempt.Add(st.Interval)
		}
		if st.Waiting = now.Before(v.waitUntil); st.Waiting {
			st.NextRefresh = v.waitUntil
			if !st.Fetched {
				st.Message = "waiting for the hourly API quota (hourly_quota) until " + v.waitUntil.UTC().Format(time.RFC3339)
			}
		}
		if s := v.snap; s != nil {
			st.Series, st.Complete, st.Unknown, st.Tracked = len(s.series), s.Complete, s.Unknown, time.Duration(max(s.Total, 0))*time.Second
			if i := slices.IndexFunc(s.series, func(sr series) bool { return sr.family == billableFamily }); i >= 0 {
				st.Billable, st.HasBillable = time.Duration(s.series[i].value)*time.Second, true
			}
		}
	}
	return out
}

// Collector returns a prometheus.Collector of the named reports (none: every report),
// waiting for fetches at most until ctx is done; an error names an unknown report.
func (e *Exporter) Collector(ctx context.Context, names ...string) (prometheus.Collector, error) {
	all := e.configured()
	c := &scrapeCollector{ctx: ctx, e: e, targets: all}
	if len(names) > 0 {
		c.targets = nil
	}
	for _, n := range names {
		i := slices.IndexFunc(all, func(t *target) bool { return t.name == n })
		if i < 0 {
			return nil, fmt.Errorf("unknown report %q", n)
		}
		c.targets = append(c.targets, all[i])
	}
	return c, nil
}

// scrapeCollector serves one scrape, bound to its context and the targets configured
// when it began: a reload never mixes configurations in one answer.
type scrapeCollector struct {
	ctx     context.Context
	e       *Exporter
	targets []*target
}

// Describe implements prometheus.Collector.
func (c *scrapeCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, f := range families {
		ch <- f.desc
	}
}

// Collect implements prometheus.Collector. Reports are fetched concurrently.
func (c *scrapeCollector) Collect(ch chan<- prometheus.Metric) {
	c.e.replan(c.e.configured()) // the reports of a credential share its budget, scraped or not
	states := make([]state, len(c.targets))
	var wg sync.WaitGroup
	for i, t := range c.targets {
		wg.Go(func() { states[i] = t.scrape(c.ctx, c.e) })
	}
	wg.Wait()
	for i, t := range c.targets {
		collectState(ch, t.name, &states[i])
		c.e.collectRoster(ch, t, &states[i])
	}
}

// up says whether the latest fetch attempt succeeded.
func (s *state) up() bool { return s.code == "" && !s.lastAttempt.IsZero() }

// collectState writes the metrics of one report from the state a scrape serves.
func collectState(ch chan<- prometheus.Metric, report string, v *state) {
	gauge := func(f *family, value float64, labels ...string) { ch <- f.metric(report, value, labels...) }
	opt := func(ok bool, f *family, value float64) {
		if ok {
			gauge(f, value)
		}
	}
	stamp := func(f *family, t time.Time) { opt(!t.IsZero(), f, float64(t.UnixMilli())/1000) }
	gauge(upFamily, boolValue[v.up()])
	// Order is the registry's business: it sorts the series of each family.
	for k, n := range v.failures {
		gauge(failuresFamily, n, k)
	}
	codes := slices.Concat(errorCodes, slices.Collect(maps.Keys(v.failures)), []string{v.code})
	slices.Sort(codes)
	for _, k := range slices.Compact(codes) {
		if k != "" {
			gauge(errorFamily, boolValue[k == v.code], k)
		}
	}
	gauge(fetchesFamily, v.requests)
	opt(v.hasDuration, fetchDurationFamily, v.duration)
	opt(!v.lastAttempt.IsZero(), fetchPagesFamily, float64(v.pages))
	opt(v.interval > 0, refreshIntervalFamily, v.interval.Seconds())
	q := cmp.Or(v.quota, &client.Quota{})
	opt(q.HasRemaining, quotaRemainingFamily, float64(q.Remaining))
	opt(q.HasResetsIn, quotaResetFamily, float64(v.quotaAt.Add(q.ResetsIn).Unix()))
	stamp(lastSuccessFamily, v.lastSuccess) // stays after the values pass max_stale: alerts on stale data need it
	s := v.snap
	if s == nil {
		return
	}
	gauge(infoFamily, 1, LabelValue(s.Name), LabelValue(s.Type), strconv.FormatBool(s.Public))
	gauge(completeFamily, boolValue[s.Complete])
	stamp(periodStartFamily, v.periodStart) // whole seconds
	stamp(periodEndFamily, v.periodEnd)
	for _, m := range v.series {
		ch <- m
	}
}

// seriesMetrics builds the metrics of a snapshot's series, once per fetch, and gathers
// them: what cannot be gathered fails the report's fetch, never every report's scrape.
func seriesMetrics(report string, s *Snapshot) ([]prometheus.Metric, error) {
	out := make([]prometheus.Metric, len(s.series))
	for i, sr := range s.series {
		out[i] = sr.family.metric(report, sr.value, sr.labels...)
	}
	if _, err := registry(prometheus.CollectorFunc(func(ch chan<- prometheus.Metric) {
		for _, m := range out {
			ch <- m
		}
	})).Gather(); err != nil {
		return nil, &client.Error{Code: client.CodeDecode, Message: "the values of the answer cannot be served: " + err.Error()}
	}
	return out, nil
}

// Values gathers, timestamped at, the value metrics (not health or running entries) of
// the report that rows returns once it has fed its rows to the sink: a backfilled day.
func Values(cfg config.Report, rows func(client.Sink) *client.Report, at time.Time) ([]*dto.MetricFamily, error) {
	agg := newAggregator(cfg)
	snap := agg.finish(rows(agg))
	return registry(prometheus.CollectorFunc(func(ch chan<- prometheus.Metric) {
		for _, sr := range snap.series {
			if sr.family != runningFamily && sr.family != runningStartFamily {
				ch <- prometheus.NewMetricWithTimestamp(at, sr.family.metric(cfg.Name, sr.value, sr.labels...))
			}
		}
	})).Gather()
}

var boolValue = map[bool]float64{true: 1}
