package collector

import (
	"cmp"
	"fmt"
	"math"
	"time"

	"github.com/go-kit/log/level"

	"github.com/toggl-exporter/toggl_exporter/client"
	"github.com/toggl-exporter/toggl_exporter/config"
)

// The quota plan: each credential may spend a budget of requests in any 60 minutes
// (hourly_quota, else learned by the client from Toggl's headers). A report's refresh
// costs the pages its last fetch read; its interval is its floor (min_refresh_interval,
// closed_refresh_interval once its period has ended) or longer, so that the reports of a
// credential spend at most the budget, the open ones sharing alike what the closed ones
// leave. A refresh starts only when the budget holds its pages (the first fill too), and
// spread over the hour (a minute's share at most), so that no burst spends it at once.

// AssumedPages is what a report not fetched yet is assumed to cost a refresh: a detailed
// report of a 10-person team's week (toggl-api.md: 300-600 entries, 6-12 pages of 50).
// A summary costs 1 (see assumedPages).
const AssumedPages = 10

// assumedPages is what a refresh of the report is assumed to cost before its first
// fetch: 1 for a summary (its params set grouping or sub_grouping), else AssumedPages.
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

// planItem is one report, or one listing, as the plan sees it.
type planItem struct {
	cost   int           // requests a refresh is expected to cost
	floor  time.Duration // min_refresh_interval, or closed_refresh_interval when longer and closed
	closed bool          // the report's period has ended
	// listing: a discover or members entry, listed every floor (its interval) whatever
	// the budget: the plan only leaves the reports what it spends.
	listing bool
}

// planEntry is a named item of the plan and the credentials that spend its cost.
type planEntry struct {
	name  string
	creds client.Credentials
	item  planItem
}

// listings are the discover and members entries of cfg, named by their place and
// workspace (no secret): one request every interval. A listing of saved reports takes a
// page per 50 reports; the plan assumes 1.
func listings(cfg *config.Config) []planEntry {
	var out []planEntry
	add := func(key string, i int, w config.Workspace) {
		out = append(out, planEntry{fmt.Sprintf("%s[%d] (workspace %d)", key, i, w.WorkspaceID),
			client.Credentials{APIToken: w.Resolved.APIToken}, planItem{cost: 1, floor: time.Duration(w.Interval), listing: true}})
	}
	for i, d := range cfg.Discover {
		add("discover", i, d.Workspace)
	}
	for i, m := range cfg.Members {
		add("members", i, m.Workspace)
	}
	return out
}

// at is the item's interval when the reports that the budget stretches share common.
func (it planItem) at(common time.Duration) time.Duration {
	if it.listing {
		return it.floor
	}
	return max(it.floor, common)
}

// planned is the report as the plan sees it at now, a refresh costing cost requests.
func planned(cfg config.Report, closedEvery time.Duration, now time.Time, cost int) planItem {
	it := planItem{cost: cost, floor: time.Duration(cfg.MinRefreshInterval), closed: cfg.Closed(now)}
	if it.closed {
		it.floor = max(it.floor, closedEvery)
	}
	return it
}

// perHour is the requests an hour the item spends when refreshed every iv.
func (it planItem) perHour(iv time.Duration) float64 {
	return float64(it.cost) * float64(time.Hour) / float64(max(iv, time.Second))
}

// share returns the interval of each item: its floor, or longer so that the items spend
// at most budget requests an hour (<= 0: no limit); the reports whose floor is shorter
// share one interval, a listing keeps its own.
func share(items []planItem, budget float64) []time.Duration {
	perHour := func(t time.Duration) float64 {
		var n float64
		for _, it := range items {
			n += it.perHour(it.at(t))
		}
		return n
	}
	var common time.Duration
	if budget > 0 && perHour(0) > budget {
		lo, hi := time.Duration(0), 1000*24*time.Hour
		for hi-lo > time.Second/10 {
			mid := lo + (hi-lo)/2
			if perHour(mid) > budget {
				lo = mid
			} else {
				hi = mid
			}
		}
		common = hi.Round(time.Second)
	}
	out := make([]time.Duration, len(items))
	for i, it := range items {
		out[i] = it.at(common)
	}
	return out
}

// replan computes the refresh interval of every report from its credential's budget
// (less what its listings spend) and stores it in its cache state; it logs once per
// report when the budget stretches it beyond its min_refresh_interval.
func (e *Exporter) replan(targets []*target) {
	now := e.now()
	e.mu.RLock()
	closedEvery, quota, listed := e.closedEvery, e.hourlyQuota, e.listings
	e.mu.RUnlock()
	for _, ts := range byCredential(targets, func(t *target) client.Credentials { return t.creds }) {
		items, known := make([]planItem, len(ts)), make([]bool, len(ts))
		for i, t := range ts {
			cost, ok := t.cost()
			items[i], known[i] = planned(t.cfg, closedEvery, now, cost), ok
		}
		for _, l := range listed {
			if l.creds.Key() == ts[0].creds.Key() {
				items = append(items, l.item)
			}
		}
		budget, sure := float64(quota), quota > 0 // sure: hourly_quota or learned, not a guess before any answer
		if b, ok := ts[0].fetcher.(budgeter); ok {
			bud := b.Budget(ts[0].creds, 0)
			budget, sure = float64(bud.PerHour), bud.Enforced
			// Less remains than the plan spends before Toggl's reset: stretch further.
			if until := bud.ResetAt.Sub(now); bud.HasRemaining && until > time.Minute {
				budget = min(budget, math.Max(float64(bud.Remaining), 1)*float64(time.Hour)/float64(until))
			}
		}
		for i, iv := range share(items, budget)[:len(ts)] {
			t := ts[i]
			t.cache.mu.Lock()
			t.cache.state.interval = iv
			t.cache.mu.Unlock()
			if iv > items[i].floor && sure && known[i] && t.cache.stretched.CompareAndSwap(false, true) {
				level.Warn(e.logger).Log("msg", "the hourly API quota makes this report refresh less often than min_refresh_interval; raise hourly_quota (what your Toggl plan allows) or min_refresh_interval, or use fewer pages (a summary report)",
					"report", t.name, "interval", iv, "min_refresh_interval", items[i].floor, "requests_per_hour", int(budget))
			}
		}
	}
}

// cost is what the next refresh of t is expected to cost: the pages of its last fetch
// that got values (known), else assumedPages.
func (t *target) cost() (n int, known bool) {
	c := t.cache
	c.mu.Lock()
	defer c.mu.Unlock()
	return cmp.Or(c.state.cost, assumedPages(t.cfg)), c.state.cost > 0
}

// admit says whether a refresh of t may start now within its credential's budget, and
// reserves its n pages until release; else it records until when the report waits and
// returns a channel closed when a refresh of the credential in flight ends (nil when
// none is). A refresh of a report that has values also waits for a minute's share of
// the budget.
func (e *Exporter) admit(t *target) (n int, ok bool, released <-chan struct{}) {
	b, isBudgeter := t.fetcher.(budgeter)
	if !isBudgeter {
		return 0, true, nil
	}
	n, _ = t.cost()
	k := t.creds.Key()
	e.planMu.Lock()
	defer e.planMu.Unlock()
	bud := b.Budget(t.creds, n+e.reserved[k])
	at := bud.RoomAt
	if t.serves(e.now()) { // the cache serves meanwhile: better than a failure
		later := []time.Time{bud.MinuteRoomAt, bud.BlockedUntil}
		if bud.HasRemaining && bud.Remaining < int64(n+e.reserved[k]) {
			later = append(later, bud.ResetAt) // Toggl says the quota would not hold the refresh
		}
		for _, l := range later {
			if l.After(at) {
				at = l
			}
		}
	}
	if !at.IsZero() && e.reserved[k] > 0 {
		if e.released[k] == nil {
			e.released[k] = make(chan struct{})
		}
		return 0, false, e.released[k]
	}
	t.cache.mu.Lock()
	t.cache.state.waitUntil = at
	t.cache.mu.Unlock()
	if !at.IsZero() {
		return 0, false, nil // nothing in flight will make room: a scrape after at will
	}
	e.reserved[k] += n
	return n, true, nil
}

// release returns the pages admit reserved for t, and wakes the refreshes waiting.
func (e *Exporter) release(t *target, n int) {
	e.planMu.Lock()
	defer e.planMu.Unlock()
	k := t.creds.Key()
	if e.reserved[k] -= n; e.reserved[k] <= 0 {
		delete(e.reserved, k)
	}
	if ch := e.released[k]; ch != nil {
		close(ch) // the refreshes waiting for room look again
		delete(e.released, k)
	}
}

// CredentialPlan is the plan of the reports and listings sharing one credential, for
// --config.check.
type CredentialPlan struct {
	Kind    string   // api_token, email or anonymous; never the secret
	Reports []string // the reports using the credential
	// Listings are the discover and members entries listing with it, e.g.
	// "members[0] (workspace 1234567)".
	Listings []string
	// Budget is the requests an hour the credential may spend (hourly_quota, else nine
	// tenths of the Free plan's 30 until Toggl's headers tell); Learned says it was not set.
	Budget  int
	Learned bool
	// PerHour is what the reports (each costing assumedPages) and listings would spend at
	// their floors, Planned at the planned intervals.
	PerHour, Planned float64
	// Stretched are the reports the budget makes refresh less often than their floor.
	Stretched []StretchedReport
}

// StretchedReport is a report that would refresh less often than it asks.
type StretchedReport struct {
	Name            string
	Interval, Floor time.Duration
	Closed          bool
}

// Plan returns the quota plan at now of cfg's configured reports, each assumed to cost
// assumedPages a refresh (nothing is fetched), and of its listings, per credential in
// the order of the reports, then of the listings.
func Plan(cfg *config.Config, now time.Time) []CredentialPlan {
	budget := cfg.HourlyQuota
	if budget <= 0 {
		budget = client.FreePlanPerHour - client.FreePlanPerHour/10
	}
	var entries []planEntry
	for _, r := range cfg.Reports {
		entries = append(entries, planEntry{r.Name, Credentials(r), planned(r, time.Duration(cfg.ClosedRefreshInterval), now, assumedPages(r))})
	}
	var out []CredentialPlan
	for _, es := range byCredential(append(entries, listings(cfg)...), func(e planEntry) client.Credentials { return e.creds }) {
		p := CredentialPlan{Kind: es[0].creds.Kind(), Budget: budget, Learned: cfg.HourlyQuota <= 0}
		items := make([]planItem, len(es))
		for i, e := range es {
			items[i] = e.item
		}
		for i, iv := range share(items, float64(budget)) {
			e := es[i]
			p.PerHour += e.item.perHour(e.item.floor)
			p.Planned += e.item.perHour(iv)
			if e.item.listing {
				p.Listings = append(p.Listings, e.name)
				continue
			}
			p.Reports = append(p.Reports, e.name)
			if iv > e.item.floor {
				p.Stretched = append(p.Stretched, StretchedReport{Name: e.name, Interval: iv, Floor: e.item.floor, Closed: e.item.closed})
			}
		}
		out = append(out, p)
	}
	return out
}

// byCredential groups the reports by their credentials, which share one budget, in the
// order they first come.
func byCredential[T any](reports []T, creds func(T) client.Credentials) [][]T {
	index := map[string]int{}
	var out [][]T
	for _, r := range reports {
		k := creds(r).Key()
		i, ok := index[k]
		if !ok {
			i, index[k] = len(out), len(out)
			out = append(out, nil)
		}
		out[i] = append(out[i], r)
	}
	return out
}
