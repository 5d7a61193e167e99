package collector

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"sync"
	"time"

	"github.com/go-kit/log"
	"github.com/go-kit/log/level"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/singleflight"

	"github.com/toggl-exporter/toggl_exporter/client"
	"github.com/toggl-exporter/toggl_exporter/config"
)

// Fetcher executes a shared report; *client.Client is one.
type Fetcher interface {
	Run(ctx context.Context, req client.Request, sink client.Sink) (*client.Report, *client.Response, error)
}

// target is one configured report: its settings, its cached snapshot and the health of
// its fetches. A scrape reads a copy of its state; fetches update it.
type target struct {
	name        string
	cfg         config.Report
	creds       client.Credentials
	minRefresh  time.Duration
	maxStale    time.Duration
	timeout     time.Duration
	fingerprint [sha256.Size]byte

	sf singleflight.Group

	mu    sync.Mutex
	state state
}

// state is what a scrape serves of a target.
type state struct {
	snap        *Snapshot
	series      []prometheus.Metric // snap's series as metrics, built once per fetch
	lastSuccess time.Time
	lastAttempt time.Time // when the latest fetch attempt ended; zero before the first
	code        string    // code of the latest attempt; "" when it succeeded
	message     string    // why it failed, for the landing page; never a secret
	failures    map[string]float64
	fetches     float64
	duration    float64 // seconds, latest upstream request
	hasDuration bool
	quota       *client.Quota // of the latest response that sent quota headers
	quotaAt     time.Time     // when that response came
	periodStart time.Time
	periodEnd   time.Time
}

func newTarget(cfg config.Report, global *config.Config) *target {
	t := &target{
		name:       cfg.Name,
		cfg:        cfg,
		minRefresh: time.Duration(cmpOr(cfg.MinRefreshInterval, global.MinRefreshInterval)),
		maxStale:   time.Duration(cmpOr(cfg.MaxStale, global.MaxStale)),
		timeout:    time.Duration(cmpOr(cfg.Timeout, global.Timeout)),
		creds: client.Credentials{
			APIToken: cfg.Resolved.APIToken,
			Email:    cfg.Resolved.Email,
			Password: cfg.Resolved.Password,
		},
		fingerprint: fingerprint(cfg, global),
	}
	t.state.failures = map[string]float64{}
	return t
}

func cmpOr[T comparable](vals ...T) T {
	var zero T
	for _, v := range vals {
		if v != zero {
			return v
		}
	}
	return zero
}

// fingerprint identifies everything that determines what a target fetches, so that a
// reload keeps the cache of a report whose configuration (secrets included) is unchanged.
func fingerprint(cfg config.Report, global *config.Config) [sha256.Size]byte {
	b, _ := json.Marshal(struct {
		Report                     config.Report
		Token, APIToken, Email, PW string
		APIURL                     string
		Refresh, Stale, Timeout    int64
	}{cfg, cfg.Resolved.Token, cfg.Resolved.APIToken, cfg.Resolved.Email, cfg.Resolved.Password,
		global.APIURL, int64(global.MinRefreshInterval), int64(global.MaxStale), int64(global.Timeout)})
	return sha256.Sum256(b)
}

// view is the state a scrape serves, plus whether the scrape gave up waiting.
type view struct {
	state
	timedOut bool
	now      time.Time
}

// scrape returns the state to serve, triggering a fetch when the cache is older than
// min_refresh_interval. Concurrent scrapes share one fetch. It waits for the fetch at
// most until ctx is done; the fetch then goes on in the background and fills the cache.
func (t *target) scrape(ctx context.Context, e *Exporter) view {
	if !t.fresh(e.now()) {
		ch := t.sf.DoChan("fetch", func() (any, error) {
			if !t.fresh(e.now()) { // another fetch may have ended since we looked
				t.fetch(e)
			}
			return nil, nil
		})
		select {
		case <-ch:
		case <-ctx.Done():
			v := t.snapshot(e.now())
			v.timedOut = true
			return v
		}
	}
	return t.snapshot(e.now())
}

func (t *target) fresh(now time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return !t.state.lastAttempt.IsZero() && now.Sub(t.state.lastAttempt) < t.minRefresh
}

// snapshot copies the state, dropping values older than max_stale.
func (t *target) snapshot(now time.Time) view {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.state.snap != nil && now.Sub(t.state.lastSuccess) > t.maxStale {
		t.state.snap, t.state.series = nil, nil // too old to serve; also frees the memory
	}
	v := view{state: t.state, now: now}
	v.failures = make(map[string]float64, len(t.state.failures))
	for k, n := range t.state.failures {
		v.failures[k] = n
	}
	return v
}

// fetch runs the report once, bounded by the report's timeout and the exporter's
// concurrency limit, and records the outcome.
func (t *target) fetch(e *Exporter) {
	ctx, cancel := context.WithTimeout(context.Background(), t.timeout)
	defer cancel()
	logger := log.With(e.logger, "report", t.name)

	fetcher, sem := e.current()
	select {
	case sem <- struct{}{}:
		defer func() { <-sem }()
	case <-ctx.Done():
		t.record(e, logger, nil, nil, &client.Error{Code: client.CodeTimeout, Message: "waited too long for a free fetch slot (max_concurrent_fetches)", NotSent: true}, time.Time{}, time.Time{})
		return
	}

	now := e.now()
	periodStart, periodEnd := t.period(now)
	agg := NewAggregator(AggregateOptions{Breakdowns: t.cfg.Breakdowns, MaxSeries: t.cfg.MaxSeriesPerBreakdown})
	req := client.Request{Token: t.cfg.Resolved.Token, Credentials: t.creds, Body: t.cfg.Body(now)}
	rep, resp, err := fetcher.Run(ctx, req, agg)
	var snap *Snapshot
	if err == nil {
		snap = agg.Finish(rep)
	}
	t.record(e, logger, snap, resp, err, periodStart, periodEnd)
}

// period is the window a rolling period covers at now; zero when the report has none.
func (t *target) period(now time.Time) (start, end time.Time) {
	r := t.cfg.Resolved
	if r.Period.IsZero() {
		return time.Time{}, time.Time{}
	}
	loc := r.Location
	if loc == nil {
		loc = time.UTC
	}
	start, last := r.Period.Window(now, loc, r.WeekStart)
	return start, last.AddDate(0, 0, 1)
}

// record stores the outcome of one fetch attempt.
func (t *target) record(e *Exporter, logger log.Logger, snap *Snapshot, resp *client.Response, err error, periodStart, periodEnd time.Time) {
	now := e.now()
	t.mu.Lock()
	defer t.mu.Unlock()
	s := &t.state
	s.lastAttempt = now
	var cerr *client.Error
	backoff := errors.As(err, &cerr) && cerr.Backoff
	// Every request that left counts, timeouts included: Toggl may have charged it.
	if resp != nil || (err != nil && !backoff && cerr != nil && !cerr.NotSent) {
		s.fetches++
	}
	if resp != nil {
		s.duration, s.hasDuration = resp.Duration.Seconds(), true
		if resp.Quota.HasRemaining || resp.Quota.HasResetsIn {
			q := resp.Quota
			s.quota, s.quotaAt = &q, now
		} else if s.quota != nil && s.quota.HasResetsIn && !now.Before(s.quotaAt.Add(s.quota.ResetsIn)) {
			s.quota = nil // the figures of a quota window that has ended say nothing now
		}
	}
	if backoff && cerr.Code == "402" {
		// The credentials' quota is spent (maybe by another report using them): say so
		// rather than keep this report's older, higher figure; the reset is when the
		// client will send again.
		s.quota = &client.Quota{HasRemaining: true, ResetsIn: cerr.RetryAfter, HasResetsIn: cerr.RetryAfter > 0}
		s.quotaAt = now
	}
	if err != nil {
		s.code = client.Code(err)
		s.message = err.Error()
		if !backoff {
			s.failures[s.code]++
		}
		level.Warn(logger).Log("msg", "fetch failed; serving cached values", "code", s.code, "err", err)
		return
	}
	s.code, s.message = "", ""
	s.snap, s.lastSuccess = snap, now
	s.series = seriesMetrics(t.name, snap) // once here rather than at every scrape
	if periodStart.IsZero() {
		periodStart, periodEnd = reportPeriod(snap, t.cfg.Resolved.Location)
	}
	s.periodStart, s.periodEnd = periodStart, periodEnd
	level.Debug(logger).Log("msg", "fetched report", "type", snap.Type, "rows", snap.Entities, "series", snap.Len(), "duration", resp.Duration)
}

// reportPeriod reads the period from the dates Toggl reports, in the report's time zone.
// A weekly report has a start date only and covers seven days.
func reportPeriod(s *Snapshot, loc *time.Location) (start, end time.Time) {
	if loc == nil {
		loc = time.UTC
	}
	start, err := time.ParseInLocation(time.DateOnly, s.StartDate, loc)
	if err != nil {
		return time.Time{}, time.Time{}
	}
	if last, err := time.ParseInLocation(time.DateOnly, s.EndDate, loc); err == nil && s.Type != "weekly" {
		return start, last.AddDate(0, 0, 1)
	}
	if s.Type == "weekly" {
		return start, start.AddDate(0, 0, 7)
	}
	return start, time.Time{}
}
