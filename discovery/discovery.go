// Package discovery keeps the exporter in step with Toggl's listings, in the background:
// saved reports (discover) become reports, members (members) become rosters.
package discovery

import (
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

// Discovery lists each workspace at once and then every interval, each on its own, and
// applies the configuration with what was found to the exporter. Nothing waits for a
// listing: until one succeeds, what the one before found keeps serving.
type Discovery struct {
	logger   log.Logger
	exporter *collector.Exporter
	now      func() time.Time
	// ticks returns a channel that ticks every d until ctx ends; tests replace it.
	ticks func(ctx context.Context, d time.Duration) <-chan time.Time

	applied atomic.Pointer[config.Config]

	mu      sync.Mutex
	cfg     *config.Config // as loaded
	client  *client.Client
	reports map[int64]*listing[client.SavedReport] // of the discover entries, by workspace
	members map[int64]*listing[client.Member]      // the rosters of the members entries
	warned  map[string]bool                        // the problems of the latest merge
}

// listing is what is known of one listing of a workspace, and the lister that keeps it.
type listing[T any] struct {
	items       []T // of the latest good listing; nil before one
	attempts    int // listings ended, good or not
	up          float64
	lastSuccess time.Time
	served      int // reports served from it (after include, exclude and clashes), or its members

	settings settings           // those of the running lister
	stop     context.CancelFunc // ends it
}

// settings are what a listing is made with: a change lists again at once.
type settings struct {
	listing  client.Listing
	interval time.Duration
	client   *client.Client
}

// settingsOf returns the settings of listing w with c under cfg.
func settingsOf(w config.Workspace, cfg *config.Config, c *client.Client) settings {
	l := client.Listing{WorkspaceID: w.WorkspaceID, Credentials: client.Credentials{APIToken: w.Resolved.APIToken}, Timeout: time.Duration(cfg.Timeout)}
	return settings{l, time.Duration(w.Interval), c}
}

// New returns a Discovery that applies to exporter; Set gives it a configuration.
func New(logger log.Logger, exporter *collector.Exporter) *Discovery {
	return &Discovery{logger: logger, exporter: exporter, now: time.Now, ticks: ticker,
		reports: map[int64]*listing[client.SavedReport]{}, members: map[int64]*listing[client.Member]{}}
}

func ticker(ctx context.Context, d time.Duration) <-chan time.Time {
	t := time.NewTicker(d)
	context.AfterFunc(ctx, t.Stop)
	return t.C
}

// Config returns the configuration served: the loaded one with the discovered reports;
// nil before the first Set.
func (d *Discovery) Config() *config.Config { return d.applied.Load() }

// Set makes cfg, with c, the configuration to serve, at once, with what the listings of
// the workspaces that cfg still lists found before. It returns without waiting for any
// listing. A listing whose settings (API token, interval, timeout, client) are
// unchanged and whose latest attempt did not fail goes on at its interval, so that
// setting the same configuration again costs no request; the others start now.
func (d *Discovery) Set(cfg *config.Config, c *client.Client) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.cfg, d.client = cfg, c
	reports, members := map[int64]settings{}, map[int64]settings{}
	for _, e := range cfg.Discover {
		reports[e.WorkspaceID] = settingsOf(e.Workspace, cfg, c)
	}
	for _, m := range cfg.Members {
		members[m.WorkspaceID] = settingsOf(m.Workspace, cfg, c)
	}
	follow(d, d.reports, reports, (*client.Client).ListSharedReports, d.listedReports)
	gone := follow(d, d.members, members, listActive, d.listedMembers)
	for _, ws := range gone {
		d.exporter.SetRoster(ws, nil)
	}
	d.applyLocked()
}

// Stop ends every listing.
func (d *Discovery) Stop() {
	d.mu.Lock()
	defer d.mu.Unlock()
	follow(d, d.reports, nil, nil, nil)
	follow(d, d.members, nil, nil, nil)
}

// follow makes the listings of have those that want asks for (by workspace): a new one,
// or one whose settings changed or whose latest attempt failed, starts now; one of a
// workspace no longer wanted stops and is forgotten (gone lists them). list makes a
// listing; done takes in each that ends, once l holds it, with d.mu held, and returns
// what to log: a warning for a failure, at info the first success and one that changes
// what l serves. d.mu must be held.
func follow[T any](d *Discovery, have map[int64]*listing[T], want map[int64]settings,
	list func(*client.Client, context.Context, client.Listing) ([]T, error), done func(ws int64, l *listing[T], err error) (kv []any)) (gone []int64) {
	for ws, l := range have {
		s, ok := want[ws]
		if ok && s == l.settings && !(l.attempts > 0 && l.up == 0) {
			continue
		}
		l.stop()
		l.stop = nil
		if !ok {
			delete(have, ws)
			gone = append(gone, ws)
		}
	}
	for ws, s := range want {
		l := have[ws]
		if l == nil {
			l = &listing[T]{}
			have[ws] = l
		}
		if l.stop != nil {
			continue
		}
		ctx, stop := context.WithCancel(context.Background())
		l.settings, l.stop = s, stop
		go func() {
			tick := d.ticks(ctx, s.interval)
			for {
				items, err := list(s.client, ctx, s.listing)
				d.mu.Lock()
				if ctx.Err() == nil { // else a Set replaced this lister: its result is stale
					first, before := l.lastSuccess.IsZero(), l.served
					l.attempts++
					l.up = 0
					if err == nil {
						l.items, l.lastSuccess, l.up = items, d.now(), 1
					}
					kv, lvl := done(ws, l, err), level.Warn
					if err == nil {
						lvl = level.Debug
						if first || before != l.served {
							lvl = level.Info
						}
					}
					lvl(d.logger).Log(kv...)
				}
				d.mu.Unlock()
				select {
				case <-ctx.Done():
					return
				case <-tick:
				}
			}
		}()
	}
	return gone
}

// listedReports applies a good listing of ws's saved reports, which l now holds.
func (d *Discovery) listedReports(ws int64, l *listing[client.SavedReport], err error) []any {
	if err != nil {
		return []any{"msg", "cannot list the workspace's saved reports; the reports listed before keep serving", "workspace_id", ws, "reports", l.served, "err", err}
	}
	d.applyLocked()
	return []any{"msg", "listed the workspace's saved reports", "workspace_id", ws, "listed", len(l.items), "reports", l.served}
}

// listActive lists a workspace's roster: its active members with a user id, each once.
func listActive(c *client.Client, ctx context.Context, l client.Listing) ([]client.Member, error) {
	all, err := c.ListMembers(ctx, l)
	var active []client.Member
	seen := map[int64]bool{}
	for _, m := range all {
		if m.Active && m.UserID > 0 && !seen[m.UserID] {
			seen[m.UserID] = true
			active = append(active, m)
		}
	}
	return active, err
}

// listedMembers makes a good listing of ws's members, which l now holds, its roster.
func (d *Discovery) listedMembers(ws int64, l *listing[client.Member], err error) []any {
	if err != nil {
		kv := []any{"msg", "cannot list the workspace's members; the roster listed before stays", "workspace_id", ws, "members", len(l.items), "err", err}
		if client.Code(err) == "403" {
			kv = append(kv, "hint", "Toggl lists a workspace's members only to its admins: is the API token an admin's?")
		}
		return kv
	}
	d.exporter.SetRoster(ws, l.items)
	l.served = len(l.items)
	return []any{"msg", "listed the workspace's members", "workspace_id", ws, "members", len(l.items)}
}

// applyLocked applies the loaded configuration with the latest good listings, and logs
// each problem of the merge once, when it first comes. d.mu must be held.
func (d *Discovery) applyLocked() {
	lists := make([][]client.SavedReport, len(d.cfg.Discover))
	for i, e := range d.cfg.Discover {
		lists[i] = d.reports[e.WorkspaceID].items
	}
	merged, problems := merge(d.cfg, lists)
	warned := make(map[string]bool, len(problems))
	for _, p := range problems {
		if warned[p] = true; !d.warned[p] {
			level.Warn(d.logger).Log("msg", "a listed report is not served", "err", p)
		}
	}
	d.warned = warned
	for _, l := range d.reports {
		l.served = 0
	}
	for _, r := range merged.Reports {
		if l := d.reports[r.DiscoveredFrom]; l != nil {
			l.served++
		}
	}
	d.exporter.Apply(merged, d.client)
	d.applied.Store(merged)
}

var (
	reportsDesc = prometheus.NewDesc("toggl_discovery_reports",
		"Reports served from the latest good listing of the workspace's saved reports (after include, exclude and name clashes).", []string{"workspace_id"}, nil)
	reportsUpDesc = prometheus.NewDesc("toggl_discovery_up",
		"1 if the latest listing of the workspace's saved reports succeeded; while 0, the reports listed before keep serving.", []string{"workspace_id"}, nil)
	reportsLastSuccessDesc = prometheus.NewDesc("toggl_discovery_last_success_timestamp_seconds",
		"When the workspace's saved reports were last listed successfully.", []string{"workspace_id"}, nil)
	membersUpDesc = prometheus.NewDesc("toggl_members_up",
		"1 if the latest listing of the workspace's members succeeded; while 0, the roster listed before stays.", []string{"workspace_id"}, nil)
	membersLastSuccessDesc = prometheus.NewDesc("toggl_members_last_success_timestamp_seconds",
		"When the workspace's members were last listed successfully.", []string{"workspace_id"}, nil)
	// working_hours_in_minutes is shown as Toggl sends it ("" when null) and used for
	// nothing: Toggl does not document whether it is per day or per week.
	memberInfoDesc = prometheus.NewDesc("toggl_workspace_member_info",
		"1 for each active member of the workspace, as last listed; working_hours_in_minutes as Toggl sends it (unit undocumented, unused).", []string{"workspace_id", "user_id", "user", "working_hours_in_minutes"}, nil)
)

// Describe implements prometheus.Collector.
func (d *Discovery) Describe(ch chan<- *prometheus.Desc) {
	for _, desc := range []*prometheus.Desc{reportsDesc, reportsUpDesc, reportsLastSuccessDesc, membersUpDesc, membersLastSuccessDesc, memberInfoDesc} {
		ch <- desc
	}
}

// Collect implements prometheus.Collector: the state of each listing, and the members.
func (d *Discovery) Collect(ch chan<- prometheus.Metric) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for ws, l := range d.reports {
		id := strconv.FormatInt(ws, 10)
		ch <- prometheus.MustNewConstMetric(reportsDesc, prometheus.GaugeValue, float64(l.served), id)
		collectState(ch, l, reportsUpDesc, reportsLastSuccessDesc, id)
	}
	for ws, l := range d.members {
		id := strconv.FormatInt(ws, 10)
		collectState(ch, l, membersUpDesc, membersLastSuccessDesc, id)
		for _, m := range l.items {
			hours := ""
			if m.WorkingHoursInMinutes != 0 {
				hours = strconv.FormatInt(m.WorkingHoursInMinutes, 10)
			}
			ch <- prometheus.MustNewConstMetric(memberInfoDesc, prometheus.GaugeValue, 1, id, strconv.FormatInt(m.UserID, 10), collector.LabelValue(m.Name), hours)
		}
	}
}

// collectState sends l's up (once a listing has ended) and last success (once one has).
func collectState[T any](ch chan<- prometheus.Metric, l *listing[T], up, lastSuccess *prometheus.Desc, ws string) {
	if l.attempts > 0 {
		ch <- prometheus.MustNewConstMetric(up, prometheus.GaugeValue, l.up, ws)
	}
	if !l.lastSuccess.IsZero() {
		ch <- prometheus.MustNewConstMetric(lastSuccess, prometheus.GaugeValue, float64(l.lastSuccess.UnixMilli())/1000, ws)
	}
}
