package collector

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"math"
	"slices"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/toggl-exporter/toggl_exporter/client"
	"github.com/toggl-exporter/toggl_exporter/config"
)

// History keeps the rows of the responses a backfill reads for one report, so that the
// values the server would have served at the end of each past day can be computed from
// them with the server's own aggregation: Fetch reads each request into it, then Values
// gives a day's values.
//
// Detailed rows are dated by their time entries' start, weekly rows by the day index of
// their per-day arrays; a summary report has no dated rows, so a History of a summary
// report holds one request, made for exactly the window of one day.
type History struct {
	cfg   config.Report
	loc   *time.Location
	page  *Aggregator    // of the request being read: pages, checks its rows against its totals
	seen  map[int64]bool // the ids of the time entries kept
	start time.Time      // the first day of the request being read

	detailed []keptRow
	weekly   []keptWeek
	undated  int // detailed rows with no time entry to date them by

	rep       *client.Report      // the latest response, for the report's name, type and flags
	dict      client.Dictionaries // of every response
	hasAmount bool                // some response had a billable amount: amounts are known, not hidden
}

// keptRow is a detailed row with its time entries that no earlier page held.
type keptRow struct {
	row     client.DetailedRow // TimeEntries are those entries
	seconds int64              // of all its entries, for sharing out the row's amount
}

// keptWeek is a weekly row and the first day of its per-day arrays.
type keptWeek struct {
	row   client.WeeklyRow
	start time.Time
}

// NewHistory returns an empty History for the report.
func NewHistory(cfg config.Report) *History {
	return &History{cfg: cfg, loc: cmp.Or(cfg.Resolved.Location, time.UTC), page: newAggregator(cfg), seen: map[int64]bool{}}
}

// DetailedRow implements client.Sink.
func (h *History) DetailedRow(r *client.DetailedRow) {
	h.page.DetailedRow(r)
	if len(r.TimeEntries) == 0 {
		h.undated++
		return
	}
	k := keptRow{row: *r}
	k.row.TagIDs = slices.Clone(r.TagIDs)
	k.row.TimeEntries = nil
	for _, te := range r.TimeEntries {
		k.seconds += max(te.Seconds, 0)
		if h.seen[te.ID] {
			continue
		}
		h.seen[te.ID] = te.ID != 0 // one without an id is never seen: each is kept
		k.row.TimeEntries = append(k.row.TimeEntries, te)
	}
	if len(k.row.TimeEntries) > 0 {
		h.detailed = append(h.detailed, k)
	}
}

// WeeklyRow implements client.Sink.
func (h *History) WeeklyRow(r *client.WeeklyRow) {
	h.page.WeeklyRow(r)
	c := *r
	c.Seconds, c.BillableSeconds = slices.Clone(r.Seconds), slices.Clone(r.BillableSeconds) // nil stays nil: no billable figures
	c.BillableAmountsInCents = slices.Clone(r.BillableAmountsInCents)
	h.weekly = append(h.weekly, keptWeek{row: c, start: h.start})
}

// SummaryGroup implements client.Sink.
func (h *History) SummaryGroup(g *client.SummaryGroup) { h.page.SummaryGroup(g) }

// endPage implements pager: it keeps the page's dictionaries, and says where the next
// page starts.
func (h *History) endPage(rep *client.Report, resp *client.Response) (int64, bool) {
	h.rep = rep // a summary report's values are this response's: see Values
	mergeDictionaries(&h.dict, &rep.Dictionaries)
	if rep.Totals != nil && rep.Totals.BillableAmountInCents != nil {
		h.hasAmount = true
	}
	return h.page.endPage(rep, resp)
}

// Fetch reads one request whose first day is start (the first day of a weekly report's
// per-day arrays), every page, through the server's paging walk; retry, when set, may
// wait and ask for a failed page again. It returns the last page's report and the
// requests sent. The request's rows must add up to its totals: missing rows would make
// wrong history.
func (h *History) Fetch(ctx context.Context, f Fetcher, req client.Request, start time.Time, retry func(context.Context, error) bool) (*client.Report, int, error) {
	h.start = config.DayStart(start, h.loc)
	h.page = newAggregator(h.cfg) // each request pages on its own
	w := walker{f: f, timeout: time.Duration(cmp.Or(h.cfg.Timeout, config.DefaultTimeout)), maxPages: maxPages(h.cfg), retry: retry}.walk(ctx, req, h)
	if w.err != nil {
		return nil, w.sent, w.err
	}
	rep := w.rep
	if rep.Block != client.BlockSummary && rep.Totals != nil && !h.page.complete(rep) {
		why := ""
		switch w.stop {
		case "max_pages":
			why = fmt.Sprintf(" after max_pages (%d) pages: raise max_pages for the backfill", maxPages(h.cfg))
		case "cursor":
			why = " as Toggl's paging cursor went back to a page already read"
		}
		return nil, w.sent, fmt.Errorf("the rows from %s add up to %ds but the totals say %ds: rows are missing%s",
			h.start.Format(time.DateOnly), h.page.summed[rep.Block], rep.Totals.Seconds, why)
	}
	return rep, w.sent, nil
}

// Values returns the value metrics (totals, breakdowns, estimates; no health, fetch or
// running-entry metrics) the server would have served for the report at the end of day,
// computed from the rows kept so far, timestamped at the end of day. The caller must
// have read every day of the day's window (see config.Resolved.WindowAtEndOf).
func (h *History) Values(day time.Time) ([]prometheus.Metric, error) {
	if h.rep == nil {
		return nil, fmt.Errorf("no response read")
	}
	if h.undated > 0 {
		return nil, fmt.Errorf("%d detailed rows have no time entries to date them by", h.undated)
	}
	var snap *Snapshot
	if h.rep.Block == client.BlockSummary {
		snap = h.page.finish(h.rep)
	} else {
		first, last, ok := h.cfg.Resolved.WindowAtEndOf(day)
		if !ok {
			return nil, fmt.Errorf("the report has no period: its values do not change from day to day")
		}
		if h.rep.Block == client.BlockWeekly && last.After(first.AddDate(0, 0, 6)) {
			last = first.AddDate(0, 0, 6) // Toggl's weekly report: seven days from start_date
		}
		snap = h.window(first, last.AddDate(0, 0, 1))
	}
	snap.series = slices.DeleteFunc(snap.series, func(s series) bool { return s.family == runningFamily || s.family == runningStartFamily })
	at := config.EndOfDay(day, h.loc)
	ms, err := seriesMetrics(h.cfg.Name, snap)
	if err != nil {
		return nil, fmt.Errorf("%s: the values cannot be written: %w", day.Format(time.DateOnly), err)
	}
	for i, m := range ms {
		ms[i] = prometheus.NewMetricWithTimestamp(at, m)
	}
	return ms, nil
}

// window aggregates the rows of the days in [from, to) as one response for exactly those
// days would have: its totals are summed from the same rows, the way Toggl sums them.
func (h *History) window(from, to time.Time) *Snapshot {
	rep := *h.rep
	rep.Dictionaries = h.dict
	rep.InputParams = maps.Collect(maps.All(rep.InputParams)) // a copy, never nil
	rep.InputParams["start_date"] = from.Format(time.DateOnly)
	rep.InputParams["end_date"] = to.AddDate(0, 0, -1).Format(time.DateOnly)
	t := &client.Totals{}
	rep.Totals = t
	rates := map[client.Rate]int64{} // billable seconds by currency and rate (BillableSeconds 0)
	dates := map[time.Time]bool{}
	var amount int64
	agg := newAggregator(h.cfg)
	in := func(at time.Time) bool { return !at.Before(from) && at.Before(to) }

	switch rep.Block {
	case client.BlockDetailed:
		for _, k := range h.detailed {
			r := k.row
			r.TimeEntries, r.Seconds = nil, 0
			for _, te := range k.row.TimeEntries {
				if in(te.Start) {
					r.TimeEntries = append(r.TimeEntries, te)
					sec := max(te.Seconds, 0)
					r.Seconds += sec
					if sec > 0 {
						dates[config.DayStart(te.Start.In(h.loc), h.loc)] = true
					}
				}
			}
			if len(r.TimeEntries) == 0 {
				continue
			}
			if r.Seconds != k.seconds && k.seconds > 0 { // the row spans days: share its amount out
				r.BillableAmountInCents = int64(math.Round(float64(r.BillableAmountInCents) * float64(r.Seconds) / float64(k.seconds)))
			}
			if r.Billable && r.HourlyRateInCents > 0 && r.Seconds > 0 {
				rates[client.Rate{Currency: r.Currency, HourlyRateInCents: r.HourlyRateInCents}] += r.Seconds
			}
			amount += max(r.BillableAmountInCents, 0)
			t.Seconds += r.Seconds
			agg.DetailedRow(&r)
		}
	case client.BlockWeekly:
		for _, k := range h.weekly {
			r := k.row
			r.Seconds, r.BillableSeconds, r.BillableAmountsInCents = nil, nil, nil
			var bill int64
			for i := range k.row.Seconds {
				d := k.start.AddDate(0, 0, i)
				if !in(d) {
					continue
				}
				sec := max(k.row.Seconds[i], 0)
				r.Seconds = append(r.Seconds, sec)
				if sec > 0 {
					dates[d] = true
				}
				if i < len(k.row.BillableSeconds) {
					r.BillableSeconds = append(r.BillableSeconds, k.row.BillableSeconds[i])
					bill += max(k.row.BillableSeconds[i], 0)
				}
				if i < len(k.row.BillableAmountsInCents) {
					r.BillableAmountsInCents = append(r.BillableAmountsInCents, k.row.BillableAmountsInCents[i])
					amount += max(k.row.BillableAmountsInCents[i], 0)
				}
				t.Seconds += sec
			}
			if client.DaySum(r.Seconds) == 0 {
				continue // Toggl lists no row for a user and project without time
			}
			if r.HourlyRateInCents > 0 && bill > 0 {
				rates[client.Rate{Currency: r.Currency, HourlyRateInCents: r.HourlyRateInCents}] += bill
			}
			agg.WeeklyRow(&r)
		}
	}
	t.TrackedDays = int64(len(dates))
	for k, sec := range rates { // in any order: totals sums them exactly
		k.BillableSeconds = sec
		t.Rates = append(t.Rates, k)
	}
	if h.hasAmount {
		t.BillableAmountInCents = &amount
	}
	return agg.finish(&rep)
}
