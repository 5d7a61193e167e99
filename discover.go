package main

import (
	"cmp"
	"context"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-kit/log"
	"github.com/go-kit/log/level"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/toggl-exporter/toggl_exporter/client"
	"github.com/toggl-exporter/toggl_exporter/collector"
	"github.com/toggl-exporter/toggl_exporter/config"
)

// discovery lists the saved reports of the discover entries, at each reload and every
// interval, and applies the loaded configuration with the reports they found to the
// exporter. What it applied last is what is served: Config returns it.
type discovery struct {
	logger   log.Logger
	exporter *collector.Exporter
	now      func() time.Time
	// ticks returns a channel that ticks every d until ctx ends; tests replace it.
	ticks func(ctx context.Context, d time.Duration) <-chan time.Time

	applied atomic.Pointer[config.Config]

	mu     sync.Mutex
	cfg    *config.Config // as loaded
	client *client.Client
	listed map[int64]*listing // by workspace id, for the entries of cfg
	stop   context.CancelFunc // ends the listings of cfg
}

// listing is what discovery knows of one workspace.
type listing struct {
	reports     []config.SavedReport // of the latest good listing; nil before one
	attempts    int                  // listings ended, good or not
	up          float64              // 1 if the latest listing succeeded, else 0
	lastSuccess time.Time
	served      int // reports served from it, after include, exclude and clashes
}

func newDiscovery(logger log.Logger, exporter *collector.Exporter) *discovery {
	return &discovery{logger: logger, exporter: exporter, now: time.Now, ticks: ticker, listed: map[int64]*listing{}}
}

func ticker(ctx context.Context, d time.Duration) <-chan time.Time {
	t := time.NewTicker(d)
	context.AfterFunc(ctx, t.Stop)
	return t.C
}

// Config returns the configuration served: the loaded one with the discovered reports;
// nil before the first set.
func (d *discovery) Config() *config.Config { return d.applied.Load() }

// set makes cfg, with c, the configuration to serve. It applies it at once with the
// reports listed before for the workspaces cfg still lists, then lists every entry
// again (so that a reload lists at once) before it returns, and from then on every
// entry's interval.
func (d *discovery) set(cfg *config.Config, c *client.Client) {
	d.mu.Lock()
	if d.stop != nil {
		d.stop()
	}
	ctx, stop := context.WithCancel(context.Background())
	d.cfg, d.client, d.stop = cfg, c, stop
	listed := make(map[int64]*listing, len(cfg.Discover))
	for _, e := range cfg.Discover {
		listed[e.WorkspaceID] = cmp.Or(d.listed[e.WorkspaceID], &listing{})
	}
	d.listed = listed
	d.applyLocked()
	d.mu.Unlock()

	for _, e := range cfg.Discover {
		d.list(ctx, cfg, c, e)
	}
	for _, e := range cfg.Discover {
		go func() {
			tick := d.ticks(ctx, time.Duration(e.Interval))
			for {
				select {
				case <-ctx.Done():
					return
				case <-tick:
					d.list(ctx, cfg, c, e)
				}
			}
		}()
	}
}

// list lists the workspace of entry e of cfg and, when that works, applies the reports
// found; when it fails, the reports listed before keep serving. ctx ends when cfg is
// replaced: its listing then changes nothing.
func (d *discovery) list(ctx context.Context, cfg *config.Config, c *client.Client, e config.Discover) {
	lctx, cancel := context.WithTimeout(ctx, time.Duration(cfg.Timeout))
	defer cancel()
	reports, err := c.ListSharedReports(lctx, e.WorkspaceID, client.Credentials{APIToken: e.Resolved.APIToken})
	d.mu.Lock()
	defer d.mu.Unlock()
	if ctx.Err() != nil {
		return
	}
	l := d.listed[e.WorkspaceID]
	l.attempts++
	l.up = 0
	if err != nil {
		level.Warn(d.logger).Log("msg", "cannot list the workspace's saved reports; the reports listed before keep serving",
			"workspace_id", e.WorkspaceID, "reports", l.served, "err", err)
		return
	}
	first, before := l.lastSuccess.IsZero(), l.served
	l.reports, l.lastSuccess = reports, d.now()
	l.up = 1
	d.applyLocked()
	lvl := level.Debug
	if first || before != l.served {
		lvl = level.Info
	}
	lvl(d.logger).Log("msg", "listed the workspace's saved reports", "workspace_id", e.WorkspaceID, "listed", len(reports), "reports", l.served)
}

// applyLocked applies the loaded configuration with the latest good listings. d.mu must
// be held.
func (d *discovery) applyLocked() {
	lists := make([][]config.SavedReport, len(d.cfg.Discover))
	for i, e := range d.cfg.Discover {
		lists[i] = d.listed[e.WorkspaceID].reports
	}
	merged, problems := d.cfg.WithDiscovered(lists)
	for _, err := range problems {
		level.Warn(d.logger).Log("msg", "a listed report is not served", "err", err)
	}
	for _, l := range d.listed {
		l.served = 0
	}
	for _, r := range merged.Reports {
		if l := d.listed[r.DiscoveredFrom]; l != nil {
			l.served++
		}
	}
	d.exporter.Apply(merged, d.client)
	d.applied.Store(merged)
}

var (
	discoveryReportsDesc = prometheus.NewDesc("toggl_discovery_reports",
		"Reports served from the latest good listing of the workspace's saved reports (after include, exclude and name clashes).", []string{"workspace_id"}, nil)
	discoveryUpDesc = prometheus.NewDesc("toggl_discovery_up",
		"1 if the latest listing of the workspace's saved reports succeeded; while 0, the reports listed before keep serving.", []string{"workspace_id"}, nil)
	discoveryLastSuccessDesc = prometheus.NewDesc("toggl_discovery_last_success_timestamp_seconds",
		"When the workspace's saved reports were last listed successfully.", []string{"workspace_id"}, nil)
)

// Describe implements prometheus.Collector.
func (d *discovery) Describe(ch chan<- *prometheus.Desc) {
	ch <- discoveryReportsDesc
	ch <- discoveryUpDesc
	ch <- discoveryLastSuccessDesc
}

// Collect implements prometheus.Collector: one series of each per discover entry.
func (d *discovery) Collect(ch chan<- prometheus.Metric) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for id, l := range d.listed {
		ws := strconv.FormatInt(id, 10)
		ch <- prometheus.MustNewConstMetric(discoveryReportsDesc, prometheus.GaugeValue, float64(l.served), ws)
		if l.attempts > 0 {
			ch <- prometheus.MustNewConstMetric(discoveryUpDesc, prometheus.GaugeValue, l.up, ws)
		}
		if !l.lastSuccess.IsZero() {
			ch <- prometheus.MustNewConstMetric(discoveryLastSuccessDesc, prometheus.GaugeValue, float64(l.lastSuccess.UnixMilli())/1000, ws)
		}
	}
}
