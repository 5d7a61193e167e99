package backfill

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"math"
	"slices"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/toggl-exporter/toggl_exporter/client"
	"github.com/toggl-exporter/toggl_exporter/collector"
	"github.com/toggl-exporter/toggl_exporter/config"
)

// history is the client.Sink keeping the rows a backfill reads for one report, from which
// the server's aggregation computes the values it served at the end of each past day.
// Detailed rows are dated by their entries' start, weekly rows by the index of their
// per-day arrays; a summary, without dated rows, holds one request: one day's window.
type history struct {
	cfg   config.Report
	seen  map[int64]bool // the ids of the time entries kept
	start time.Time      // the first day of the request being read

	detailed []client.DetailedRow // with the time entries that no earlier page held; Seconds of all
	weekly   []client.WeeklyRow
	weekOf   []time.Time // the first day of each weekly row's per-day arrays
	groups   []client.SummaryGroup
	undated  int // detailed rows with no time entry to date them by

	rep       *client.Report      // the latest response, for the report's name, type and flags
	dict      client.Dictionaries // of every response
	hasAmount bool                // some response had a billable amount: amounts are known, not hidden
}

func newHistory(cfg config.Report) *history {
	return &history{cfg: cfg, seen: map[int64]bool{}}
}

func (h *history) DetailedRow(r *client.DetailedRow) {
	if len(r.TimeEntries) == 0 {
		h.undated++
		return
	}
	k := *r
	k.TagIDs = slices.Clone(r.TagIDs)
	k.TimeEntries = slices.DeleteFunc(slices.Clone(r.TimeEntries), func(te client.TimeEntry) bool {
		seen := h.seen[te.ID]
		h.seen[te.ID] = te.ID != 0 // one without an id is never seen: each is kept
		return seen
	})
	h.detailed = append(h.detailed, k) // with no new entry, in no window
}

func (h *history) WeeklyRow(r *client.WeeklyRow) {
	c := *r
	c.Seconds, c.BillableSeconds = slices.Clone(r.Seconds), slices.Clone(r.BillableSeconds) // nil stays nil: no billable figures
	c.BillableAmountsInCents = slices.Clone(r.BillableAmountsInCents)
	h.weekly, h.weekOf = append(h.weekly, c), append(h.weekOf, h.start)
}

func (h *history) SummaryGroup(g *client.SummaryGroup) {
	c := client.SummaryGroup{ID: g.ID, IDs: slices.Clone(g.IDs), Names: slices.Clone(g.Names), SubGroups: slices.Clone(g.SubGroups)}
	for i, sg := range g.SubGroups {
		c.SubGroups[i].IDs, c.SubGroups[i].Rates = slices.Clone(sg.IDs), slices.Clone(sg.Rates)
	}
	h.groups = append(h.groups, c)
}

// fetch reads one request, every page, whose first day (of a weekly report's arrays) is
// start, waiting for a spent quota to come back; it returns its report and requests sent.
func (h *history) fetch(ctx context.Context, body map[string]any, start time.Time, o Options) (*client.Report, int, error) {
	r, creds, waits := h.cfg, collector.Credentials(h.cfg), 0
	retry := func(ctx context.Context, err error) bool {
		code := client.Code(err)
		if (code != "402" && code != "429") || waits >= maxQuotaWaits {
			return false
		}
		waits++
		wait := max(o.Fetcher.BlockedUntil(creds).Sub(o.Now()), time.Second)
		fmt.Fprintf(o.Notes, "%s: Toggl says %s (quota spent or too many requests); waiting %s, until %s (Ctrl-C stops, and says how to go on)\n",
			r.Name, code, wait.Round(time.Second), o.Now().Add(wait).Format(time.TimeOnly))
		return o.Sleep(ctx, wait) == nil
	}
	h.start = config.DayStart(start, h.cfg.Resolved.Location)
	rep, sent, err := collector.Read(ctx, o.Fetcher, r, client.Request{Token: r.Resolved.Token, Credentials: creds, Body: body}, h, &h.dict, retry)
	if err != nil {
		return nil, sent, cmp.Or(ctx.Err(), err)
	}
	h.rep = rep
	h.hasAmount = h.hasAmount || rep.Totals != nil && rep.Totals.BillableAmountInCents != nil
	return rep, sent, nil
}

// values gathers the value metrics the server would have served at the end of day,
// timestamped then. Every day of the day's window must have been read.
func (h *history) values(day time.Time) ([]*dto.MetricFamily, error) {
	if h.undated > 0 {
		return nil, fmt.Errorf("%d detailed rows have no time entries to date them by", h.undated)
	}
	first, last, _ := h.cfg.Resolved.WindowAtEndOf(day) // Plan takes only reports with a period
	if h.rep.Block == client.BlockWeekly && last.After(first.AddDate(0, 0, 6)) {
		last = first.AddDate(0, 0, 6) // Toggl's weekly report: seven days from start_date
	}
	mfs, err := collector.Values(h.cfg, func(s client.Sink) *client.Report { return h.window(first, last.AddDate(0, 0, 1), s) },
		config.EndOfDay(day, h.cfg.Resolved.Location))
	if err != nil {
		return nil, fmt.Errorf("%s: the values cannot be written: %w", day.Format(time.DateOnly), err)
	}
	return mfs, nil
}

// window feeds s the rows of the days in [from, to) and returns the report a request for
// exactly those days would have answered: its totals summed from the same rows, the way
// Toggl sums them. A summary's history is the request for the window.
func (h *history) window(from, to time.Time, s client.Sink) *client.Report {
	if h.rep.Block == client.BlockSummary {
		for i := range h.groups {
			s.SummaryGroup(&h.groups[i])
		}
		return h.rep
	}
	rep, t, loc := *h.rep, &client.Totals{}, h.cfg.Resolved.Location
	rep.Dictionaries, rep.Totals = h.dict, t
	rep.InputParams = maps.Collect(maps.All(rep.InputParams)) // a copy, never nil
	rep.InputParams["start_date"], rep.InputParams["end_date"] = from.Format(time.DateOnly), to.AddDate(0, 0, -1).Format(time.DateOnly)
	rates := map[client.Rate]int64{} // billable seconds by currency and rate (BillableSeconds 0)
	tracked := map[time.Time]int64{} // seconds by day
	var amount int64
	in := func(at time.Time) bool { return !at.Before(from) && at.Before(to) }
	day := func(dst *[]int64, src []int64, i int) int64 { // appends day i of src, if sent; returns it, at least 0
		if i >= len(src) {
			return 0
		}
		*dst = append(*dst, src[i])
		return max(src[i], 0)
	}

	switch rep.Block {
	case client.BlockDetailed:
		for _, k := range h.detailed {
			r := k
			r.TimeEntries, r.Seconds = slices.DeleteFunc(slices.Clone(k.TimeEntries), func(te client.TimeEntry) bool { return !in(te.Start) }), 0
			for _, te := range r.TimeEntries {
				r.Seconds += max(te.Seconds, 0)
				tracked[config.DayStart(te.Start.In(loc), loc)] += max(te.Seconds, 0)
			}
			if len(r.TimeEntries) == 0 {
				continue
			}
			if r.Seconds != k.Seconds && k.Seconds > 0 { // the row spans days: share its amount out
				r.BillableAmountInCents = int64(math.Round(float64(r.BillableAmountInCents) * float64(r.Seconds) / float64(k.Seconds)))
			}
			if r.Billable && r.HourlyRateInCents > 0 && r.Seconds > 0 {
				rates[client.Rate{Currency: r.Currency, HourlyRateInCents: r.HourlyRateInCents}] += r.Seconds
			}
			amount += max(r.BillableAmountInCents, 0)
			s.DetailedRow(&r)
		}
	case client.BlockWeekly:
		for n, k := range h.weekly {
			r := k
			r.Seconds, r.BillableSeconds, r.BillableAmountsInCents = nil, nil, nil
			var bill int64
			for i, sec := range k.Seconds {
				if d := h.weekOf[n].AddDate(0, 0, i); in(d) {
					sec = max(sec, 0)
					r.Seconds = append(r.Seconds, sec)
					tracked[d] += sec
					bill += day(&r.BillableSeconds, k.BillableSeconds, i)
					amount += day(&r.BillableAmountsInCents, k.BillableAmountsInCents, i)
				}
			}
			if client.DaySum(r.Seconds) == 0 {
				continue // Toggl lists no row for a user and project without time
			}
			if r.HourlyRateInCents > 0 && bill > 0 {
				rates[client.Rate{Currency: r.Currency, HourlyRateInCents: r.HourlyRateInCents}] += bill
			}
			s.WeeklyRow(&r)
		}
	}
	for _, sec := range tracked {
		t.Seconds += sec
		if sec > 0 {
			t.TrackedDays++
		}
	}
	for k, sec := range rates { // in any order: totals sums them exactly
		k.BillableSeconds = sec
		t.Rates = append(t.Rates, k)
	}
	if h.hasAmount {
		t.BillableAmountInCents = &amount
	}
	return &rep
}
