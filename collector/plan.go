package collector

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"sort"
	"time"

	"github.com/go-kit/log/level"

	"github.com/toggl-exporter/toggl_exporter/client"
	"github.com/toggl-exporter/toggl_exporter/config"
)

// The quota plan: a credential may spend a budget of requests in any 60 minutes
// (hourly_quota, else learned from Toggl's headers). A refresh costs the pages its last
// fetch read; its interval is its floor (min_refresh_interval, closed_refresh_interval
// once the period has ended) or longer, the open reports sharing alike what the closed
// leave. A refresh starts only when the budget holds its pages, a minute's share at most.

// AssumedPages is what a report not fetched yet is assumed to cost a refresh: a detailed
// report of a 10-person team's week (toggl-api.md: 300-600 entries, 6-12 pages of 50).
const AssumedPages = 10

// assumedPages is 1 for a summary (its params set grouping or sub_grouping), else AssumedPages.
func assumedPages(cfg config.Report) int {
	if cfg.Params["grouping"] != nil || cfg.Params["sub_grouping"] != nil {
		return 1
	}
	return AssumedPages
}

// budgeter is a Fetcher that knows the quota budget of credentials; *client.Client is one.
type budgeter interface {
	Budget(cred client.Credentials, n int) client.Budget
}

// planEntry is one report, or one listing, as the plan sees it.
type planEntry struct {
	name    string
	creds   client.Credentials // whose budget it spends
	cost    int                // requests a refresh is expected to cost
	floor   time.Duration      // min_refresh_interval, or closed_refresh_interval when longer and closed
	closed  bool               // the report's period has ended
	listing bool               // a discover or members entry: every floor whatever the budget, the reports get the rest
}

// listings are the discover and members entries of cfg, named by place and workspace:
// one request every interval (two past 50 saved reports: rare).
func listings(cfg *config.Config) []planEntry {
	var out []planEntry
	add := func(key string, i int, w config.Workspace) {
		out = append(out, planEntry{name: fmt.Sprintf("%s[%d] (workspace %d)", key, i, w.WorkspaceID),
			creds: client.Credentials{APIToken: w.Resolved.APIToken}, cost: 1, floor: time.Duration(w.Interval), listing: true})
	}
	for i, d := range cfg.Discover {
		add("discover", i, d.Workspace)
	}
	for i, m := range cfg.Members {
		add("members", i, m.Workspace)
	}
	return out
}

// planned is report r of cfg as the plan sees it at now, a refresh costing cost requests.
func planned(r config.Report, cfg *config.Config, now time.Time, cost int) planEntry {
	p := planEntry{name: r.Name, creds: Credentials(r), cost: cost, floor: time.Duration(r.MinRefreshInterval), closed: r.Closed(now)}
	if p.closed {
		p.floor = max(p.floor, time.Duration(cmp.Or(cfg.ClosedRefreshInterval, config.DefaultClosedRefreshInterval)))
	}
	return p
}

// at is the entry's interval when the reports that the budget stretches share common.
func (p planEntry) at(common time.Duration) time.Duration {
	if p.listing {
		return p.floor
	}
	return max(p.floor, common)
}

// perHour is the requests an hour the entry spends when refreshed every iv.
func (p planEntry) perHour(iv time.Duration) float64 {
	return float64(p.cost) * float64(time.Hour) / float64(max(iv, time.Second))
}

// share returns each entry's interval: its floor, or a common one for the reports, so
// that a credential's entries spend at most its budget an hour (<= 0: no limit).
func share(entries []planEntry, budget func(client.Credentials) float64) []time.Duration {
	out := make([]time.Duration, len(entries))
	for _, group := range byCredential(entries) {
		perHour := func(common time.Duration) float64 {
			var n float64
			for _, i := range group {
				n += entries[i].perHour(entries[i].at(common))
			}
			return n
		}
		var common time.Duration
		if b := budget(entries[group[0]].creds); b > 0 && perHour(0) > b {
			// The shortest that the budget holds, to a tenth of a second, within 1000 days.
			tenth := time.Second / 10
			n := sort.Search(int(1000*24*time.Hour/tenth), func(i int) bool { return perHour(time.Duration(i)*tenth) <= b })
			common = (time.Duration(n) * tenth).Round(time.Second)
		}
		for _, i := range group {
			out[i] = entries[i].at(common)
		}
	}
	return out
}

// byCredential groups the indexes of the entries by credentials, in the order they come.
func byCredential(entries []planEntry) [][]int {
	index := map[string]int{}
	var out [][]int
	for i, e := range entries {
		k := e.creds.Key()
		j, ok := index[k]
		if !ok {
			j, index[k] = len(out), len(out)
			out = append(out, nil)
		}
		out[j] = append(out[j], i)
	}
	return out
}

// replan stores every report's interval from its credential's budget; it logs once per
// report that the budget stretches.
func (e *Exporter) replan(targets []*target) {
	if len(targets) == 0 {
		return
	}
	now := e.opts.Now()
	e.mu.RLock()
	cfg := e.cfg
	e.mu.RUnlock()
	entries, known := make([]planEntry, len(targets)), make([]bool, len(targets))
	for i, t := range targets {
		cost, ok := t.cost()
		entries[i], known[i] = planned(t.cfg, cfg, now, cost), ok
	}
	budgets := map[string]client.Budget{} // by credential key
	intervals := share(append(entries, listings(cfg)...), func(creds client.Credentials) float64 {
		bud := client.Budget{PerHour: cfg.HourlyQuota, Enforced: cfg.HourlyQuota > 0}
		if b, ok := targets[0].fetcher.(budgeter); ok { // Apply gave every target one fetcher
			bud = b.Budget(creds, 0)
		}
		budgets[creds.Key()] = bud
		perHour := float64(bud.PerHour)
		// Less remains than the plan spends before Toggl's reset: stretch further.
		if until := bud.ResetAt.Sub(now); bud.HasRemaining && until > time.Minute {
			perHour = min(perHour, math.Max(float64(bud.Remaining), 1)*float64(time.Hour)/float64(until))
		}
		return perHour
	})
	for i, t := range targets {
		iv := intervals[i]
		s, unlock := t.lock()
		s.interval = iv
		unlock()
		// Enforced: hourly_quota, or learned from Toggl's headers; not a guess before any answer.
		bud := budgets[t.creds.Key()]
		if iv > entries[i].floor && known[i] && bud.Enforced && t.cache.stretched.CompareAndSwap(false, true) {
			level.Warn(e.opts.Logger).Log("msg", "the hourly API quota makes this report refresh less often than min_refresh_interval; raise hourly_quota (what your Toggl plan allows) or min_refresh_interval, or use fewer pages (a summary report)",
				"report", t.name, "interval", iv, "min_refresh_interval", entries[i].floor, "requests_per_hour", bud.PerHour)
		}
	}
}

// cost is what the next refresh of t is expected to cost: the pages of its last fetch
// that got values (known), else assumedPages.
func (t *target) cost() (n int, known bool) {
	s, unlock := t.lock()
	defer unlock()
	return cmp.Or(s.cost, assumedPages(t.cfg)), s.cost > 0
}

// admit reserves the pages of a refresh of t when its credential's budget holds them
// now (for one that has values, a minute's share), and returns their release. Else it
// records until when t waits and returns a channel closed when a refresh in flight
// ends (nil: none of the credential's is).
func (e *Exporter) admit(t *target) (release func(), wait <-chan struct{}) {
	b, isBudgeter := t.fetcher.(budgeter)
	if !isBudgeter {
		return func() {}, nil
	}
	n, _ := t.cost()
	k := t.creds.Key()
	e.planMu.Lock()
	defer e.planMu.Unlock()
	bud := b.Budget(t.creds, n+e.reserved[k])
	at := bud.RoomAt
	if v := t.served(e.opts.Now()); v.snap != nil && v.shape == t.shape { // the cache serves meanwhile: better than a failure
		later := []time.Time{at, bud.MinuteRoomAt, bud.BlockedUntil}
		if bud.HasRemaining && bud.Remaining < int64(n+e.reserved[k]) {
			later = append(later, bud.ResetAt) // Toggl says the quota would not hold the refresh
		}
		at = slices.MaxFunc(later, time.Time.Compare)
	}
	if !at.IsZero() && e.reserved[k] > 0 {
		return nil, e.released
	}
	s, unlock := t.lock()
	s.waitUntil = at
	unlock()
	if !at.IsZero() {
		return nil, nil // nothing in flight will make room: a scrape after at will
	}
	e.reserved[k] += n
	return func() {
		e.planMu.Lock()
		defer e.planMu.Unlock()
		if e.reserved[k] -= n; e.reserved[k] <= 0 {
			delete(e.reserved, k)
		}
		close(e.released) // the refreshes waiting look again, whatever their credentials
		e.released = make(chan struct{})
	}, nil
}

// CredentialPlan is the plan of the reports and listings sharing one credential, for
// --config.check.
type CredentialPlan struct {
	Kind     string   // api_token, email or anonymous; never the secret
	Reports  []string // using the credential
	Listings []string // e.g. "members[0] (workspace 1234567)"
	// Budget is the requests an hour it may spend: hourly_quota, else (Learned) nine
	// tenths of the Free plan's 30 until Toggl's headers tell.
	Budget  int
	Learned bool
	// PerHour is what the entries would spend at their floors, Planned at the planned intervals.
	PerHour, Planned float64
	Stretched        []StretchedReport // refreshed less often than their floor
}

// StretchedReport is a report that would refresh less often than it asks.
type StretchedReport struct {
	Name            string
	Interval, Floor time.Duration
	Closed          bool
}

// Plan returns the quota plan at now of cfg's reports (each assumed to cost assumedPages:
// nothing is fetched) and listings, per credential in the order they come.
func Plan(cfg *config.Config, now time.Time) []CredentialPlan {
	budget := cmp.Or(max(cfg.HourlyQuota, 0), client.FreePlanPerHour-client.FreePlanPerHour/10)
	var entries []planEntry
	for _, r := range cfg.Reports {
		entries = append(entries, planned(r, cfg, now, assumedPages(r)))
	}
	entries = append(entries, listings(cfg)...)
	intervals := share(entries, func(client.Credentials) float64 { return float64(budget) })
	var out []CredentialPlan
	for _, group := range byCredential(entries) {
		p := CredentialPlan{Kind: entries[group[0]].creds.Kind(), Budget: budget, Learned: cfg.HourlyQuota <= 0}
		for _, i := range group {
			e, iv := entries[i], intervals[i]
			p.PerHour += e.perHour(e.floor)
			p.Planned += e.perHour(iv)
			if e.listing {
				p.Listings = append(p.Listings, e.name)
				continue
			}
			p.Reports = append(p.Reports, e.name)
			if iv > e.floor {
				p.Stretched = append(p.Stretched, StretchedReport{Name: e.name, Interval: iv, Floor: e.floor, Closed: e.closed})
			}
		}
		out = append(out, p)
	}
	return out
}
