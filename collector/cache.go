package collector

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"maps"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-kit/log"
	"github.com/go-kit/log/level"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/toggl-exporter/toggl_exporter/client"
	"github.com/toggl-exporter/toggl_exporter/config"
)

// Fetcher executes a shared report; *client.Client is one.
type Fetcher interface {
	Run(ctx context.Context, req client.Request, sink client.Sink) (*client.Report, *client.Response, error)
}

// target is one report bound to the fetcher of the configuration that applied it: a
// scrape that outlives a reload never sends its token to another configuration's API.
type target struct {
	name    string
	cfg     config.Report
	fetcher Fetcher
	creds   client.Credentials
	shape   [sha256.Size]byte // the settings that turn the answer into values: others' values are fetched again
	cache   *cache
}

// cache lives as long as the report's request (see Apply) stays the same across reloads.
type cache struct {
	mu        sync.Mutex
	state     state
	flight    chan struct{} // closed when the fetch in flight ends; nil when none is
	stretched atomic.Bool   // the plan has logged that it stretches the report; targets are rebuilt, the cache stays
}

// state is the cached values of a report and the health of its fetches (see served).
type state struct {
	snap        *Snapshot
	series      []prometheus.Metric // snap's series as metrics, built once per fetch
	shape       [sha256.Size]byte   // the target shape snap was built with
	lastSuccess time.Time
	lastAttempt time.Time // when the latest fetch attempt ended; zero before the first
	code        string    // of the latest attempt: "" when it succeeded; "timeout" in a scrape that gave up waiting
	message     string    // why it failed, for the landing page; never a secret
	failures    map[string]float64
	requests    float64 // sent, each page counted: toggl_report_fetches_total
	pages       int     // pages read by the latest attempt
	duration    float64 // seconds, latest upstream request
	hasDuration bool
	headers     []string      // of the latest answer
	quota       *client.Quota // of the latest response that sent quota headers
	quotaAt     time.Time     // when that response came

	periodStart, periodEnd time.Time
	// The quota plan's: the requests a refresh costs (the pages of the latest fetch that
	// got values; 0 before), and until when a due refresh waits for the budget.
	interval  time.Duration
	cost      int
	waitUntil time.Time
}

func newTarget(cfg config.Report, f Fetcher, c *cache) *target {
	shape := hash([]any{cfg.Breakdowns, cfg.MaxSeriesPerBreakdown, maxPages(cfg)})
	return &target{name: cfg.Name, cfg: cfg, fetcher: f, creds: Credentials(cfg), shape: shape, cache: c}
}

// lock locks the cache of t and returns its state and the unlock.
func (t *target) lock() (*state, func()) {
	t.cache.mu.Lock()
	return &t.cache.state, t.cache.mu.Unlock
}

// Credentials are the report's credentials for the client, the key of its quota.
func Credentials(cfg config.Report) client.Credentials {
	return client.Credentials{APIToken: cfg.Resolved.APIToken, Email: cfg.Resolved.Email, Password: cfg.Resolved.Password}
}

func hash(v any) [sha256.Size]byte {
	b, _ := json.Marshal(v) // plain values only: cannot fail
	return sha256.Sum256(b)
}

// maxPages is the report's page cap, max_pages.
func maxPages(cfg config.Report) int { return cmp.Or(max(cfg.MaxPages, 0), config.DefaultMaxPages) }

// scrape returns the state to serve, starting a fetch (shared) when a refresh is due. It
// waits for it only with nothing to serve, until ctx is done; the fetch goes on anyway.
func (t *target) scrape(ctx context.Context, e *Exporter) state {
	if !t.fresh(e.opts.Now()) {
		done := t.start(e)
		if v := t.served(e.opts.Now()); v.snap == nil || v.shape != t.shape { // nothing to serve meanwhile
			select {
			case <-done:
			case <-ctx.Done():
				s := t.served(e.opts.Now())
				s.code = "timeout"
				return s
			}
		}
	}
	return t.served(e.opts.Now())
}

// start starts a fetch unless one is in flight, and returns the channel closed at its end.
func (t *target) start(e *Exporter) <-chan struct{} {
	c := t.cache
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.flight != nil {
		return c.flight
	}
	done := make(chan struct{})
	c.flight = done
	e.fetches.Go(func() {
		// Another fetch may have ended since we looked; once closing, nothing is sent.
		for e.ctx.Err() == nil && !t.fresh(e.opts.Now()) {
			release, wait := e.admit(t)
			if release != nil {
				t.fetch(e)
				release()
				break
			}
			if wait == nil {
				break
			}
			select {
			case <-wait:
			case <-e.ctx.Done():
			}
		}
		c.mu.Lock()
		c.flight = nil
		c.mu.Unlock()
		close(done)
	})
	return done
}

// fresh says whether the cache is served without a fetch: the refresh waits for the quota,
// or the latest attempt is younger than the interval and its values are built as t would.
func (t *target) fresh(now time.Time) bool {
	s, unlock := t.lock()
	defer unlock()
	return now.Before(s.waitUntil) || !s.lastAttempt.IsZero() && now.Sub(s.lastAttempt) < t.every(s) && (s.snap == nil || s.shape == t.shape)
}

// every is the refresh interval of t: the planned one, never below min_refresh_interval.
func (t *target) every(s *state) time.Duration {
	return max(s.interval, time.Duration(t.cfg.MinRefreshInterval))
}

// stale says whether the values of s are too old to serve at now. Once a refresh has
// failed, they are served until max_stale old, or the planned interval when longer (a
// closed period, a stretched budget). Before, while their refresh is due but not done
// (in flight, waiting for the quota, nobody scraped), for max_stale after it was due.
func (t *target) stale(s *state, now time.Time) bool {
	age, maxStale := now.Sub(s.lastSuccess), time.Duration(t.cfg.MaxStale)
	if s.lastAttempt.After(s.lastSuccess) {
		return age > max(maxStale, t.every(s))
	}
	return age > t.every(s)+maxStale
}

// served returns a copy of the state to serve now, dropping stale values.
func (t *target) served(now time.Time) state {
	s, unlock := t.lock()
	defer unlock()
	if s.snap != nil && t.stale(s, now) {
		s.snap, s.series = nil, nil // too old to serve; also frees the memory
	}
	v := *s
	v.failures = maps.Clone(s.failures)
	return v
}

// fetch runs the report once within the concurrency limit and records the outcome. Only
// Close ends it: timeout bounds each request; waiting for a slot or the pace is no failure.
func (t *target) fetch(e *Exporter) {
	e.mu.RLock()
	sem := e.sem // Apply may swap it: this fetch gives its slot back to the one it took
	e.mu.RUnlock()
	select {
	case sem <- struct{}{}:
		defer func() { <-sem }()
	case <-e.ctx.Done():
	}
	if e.ctx.Err() != nil {
		return // closing: nothing was sent
	}
	now := e.opts.Now()
	start, end := t.cfg.Resolved.Window(now)
	o := t.walk(e.ctx, t.cfg.Body(now))
	if o.err != nil && e.ctx.Err() != nil {
		return // closing: the cache keeps what it served
	}
	t.record(e, log.With(e.opts.Logger, "report", t.name), o, start, end)
}

// walk asks for the report with body, every page, and builds its values from them all.
func (t *target) walk(ctx context.Context, body map[string]any) outcome {
	o := walk(ctx, t.fetcher, t.cfg, client.Request{Token: t.cfg.Resolved.Token, Credentials: t.creds, Body: body}, nil, nil)
	if o.err == nil {
		o.snap = o.agg.finish(o.rep)
	}
	return o
}

// record stores the outcome of one fetch attempt.
func (t *target) record(e *Exporter, logger log.Logger, o outcome, periodStart, periodEnd time.Time) {
	var series []prometheus.Metric
	if o.err == nil {
		series, o.err = seriesMetrics(t.name, o.snap)
	}
	now := e.opts.Now()
	s, unlock := t.lock()
	defer unlock()
	s.lastAttempt, s.pages = now, o.pages
	s.requests += float64(o.sent)
	if resp := o.resp; resp != nil {
		s.duration, s.hasDuration, s.headers = resp.Duration.Seconds(), true, resp.Headers
		if q := resp.Quota; q.HasRemaining || q.HasResetsIn {
			s.quota, s.quotaAt = &q, now
		} else if s.quota != nil && s.quota.HasResetsIn && !now.Before(s.quotaAt.Add(s.quota.ResetsIn)) {
			s.quota = nil // the figures of a quota window that has ended say nothing now
		}
	}
	var cerr *client.Error
	backoff := errors.As(o.err, &cerr) && cerr.Backoff
	if backoff && cerr.Code == "402" {
		// The credentials' quota is spent (maybe by another report): say so rather than keep
		// this report's older, higher figure; the reset is when the client sends again.
		s.quota, s.quotaAt = &client.Quota{HasRemaining: true, ResetsIn: cerr.RetryAfter, HasResetsIn: cerr.RetryAfter > 0}, now
	}
	if o.err != nil {
		s.code, s.message = client.Code(o.err), o.err.Error()
		if !backoff {
			s.failures[s.code]++
		}
		msg := map[bool]string{true: "fetch failed; no cached values yet", false: "fetch failed; serving cached values"}[s.snap == nil]
		level.Warn(logger).Log("msg", msg, "code", s.code, "pages", o.pages, "err", o.err)
		return
	}
	snap := o.snap
	if periodStart.IsZero() {
		periodStart, periodEnd = reportPeriod(snap, t.cfg.Resolved.Location)
	}
	s.code, s.message, s.cost = "", "", max(o.pages, 1)
	s.snap, s.series, s.shape, s.lastSuccess = snap, series, t.shape, now
	s.periodStart, s.periodEnd = periodStart, periodEnd
	if !snap.Complete {
		level.Warn(logger).Log("msg", "the breakdowns do not add up to the report's totals; raise max_pages, or use a summary report",
			"breakdowns_seconds", snap.Summed, "totals_seconds", snap.Total, "pages", o.pages, "max_pages", maxPages(t.cfg))
	}
	level.Debug(logger).Log("msg", "fetched report", "type", snap.Type, "rows", snap.Entities, "pages", o.pages, "series", len(snap.series), "duration", o.resp.Duration,
		"paging_headers", cmp.Or(strings.Join(pagingHeaders(o.resp.Headers), ","), "none"), "unknown_fields", cmp.Or(strings.Join(snap.Unknown, ","), "none"))
}

// reportPeriod reads the period from Toggl's dates in loc; a weekly report covers 7 days.
func reportPeriod(s *Snapshot, loc *time.Location) (start, end time.Time) {
	loc = cmp.Or(loc, time.UTC)
	start, err := time.ParseInLocation(time.DateOnly, s.StartDate, loc)
	if err != nil {
		return time.Time{}, time.Time{}
	}
	if s.Type == "weekly" {
		return start, start.AddDate(0, 0, 7)
	}
	if last, err := time.ParseInLocation(time.DateOnly, s.EndDate, loc); err == nil {
		return start, last.AddDate(0, 0, 1)
	}
	return start, time.Time{}
}
