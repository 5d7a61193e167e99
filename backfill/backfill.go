// Package backfill writes the history of shared reports as OpenMetrics for
// `promtool tsdb create-blocks-from openmetrics`: for each day, the values the server
// would have served at the end of that day, computed by the server's aggregation
// (see history) from as few requests as the rows allow.
package backfill

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/toggl-exporter/toggl_exporter/client"
	"github.com/toggl-exporter/toggl_exporter/collector"
	"github.com/toggl-exporter/toggl_exporter/config"
)

const (
	// chunkDays is the days one request asks for: a weekly report answers seven days from
	// its start_date, and a detailed report of a week is usually a page or a few.
	chunkDays     = 7
	maxQuotaWaits = 3 // how often one request waits for a spent quota to come back
)

// Fetcher runs shared reports and says until when a credential is blocked; *client.Client is one.
type Fetcher interface {
	collector.Fetcher
	BlockedUntil(client.Credentials) time.Time
}

// Job is the backfill of one report: the days to write and the requests that give them.
type Job struct {
	Report   config.Report
	From, To time.Time   // first and last day written, midnights in the report's timezone
	Chunks   []time.Time // the first days of the requests of seven days; a summary asks a request a day
}

// Days is the number of days the job writes.
func (j Job) Days() int {
	civil := func(t time.Time) int64 { return config.DayStart(t, time.UTC).Unix() / 86400 }
	return int(civil(j.To)-civil(j.From)) + 1
}

// Plan returns the jobs for reports from the civil date from to to (zero: yesterday in
// each report's timezone). Every report needs a rolling period, and to must be before
// today: today's values are not final, and the live server has them.
func Plan(reports []config.Report, from, to time.Time, now time.Time) ([]Job, error) {
	var jobs []Job
	var errs []error
	for _, r := range reports {
		loc := r.Resolved.Location
		if r.Resolved.Period.IsZero() {
			errs = append(errs, fmt.Errorf("report %q: no period: a report without a rolling period has the same values every day, nothing to backfill", r.Name))
			continue
		}
		today := config.DayStart(now.In(loc), loc)
		last := config.DayStart(cmp.Or(to, today.AddDate(0, 0, -1)), loc)
		switch first := config.DayStart(from, loc); {
		case !last.Before(today):
			errs = append(errs, fmt.Errorf("report %q: --to %s is not before today (%s in %s): the live server serves today; end the backfill yesterday",
				r.Name, last.Format(time.DateOnly), today.Format(time.DateOnly), loc))
		case first.After(last):
			errs = append(errs, fmt.Errorf("report %q: --from %s is after --to %s", r.Name, first.Format(time.DateOnly), last.Format(time.DateOnly)))
		default:
			j := Job{Report: r, From: first, To: last}
			start, _, _ := r.Resolved.WindowAtEndOf(first)
			for s := start; !s.After(last); s = s.AddDate(0, 0, chunkDays) {
				j.Chunks = append(j.Chunks, s)
			}
			jobs = append(jobs, j)
		}
	}
	return jobs, errors.Join(errs...)
}

// PrintPlan writes what the jobs will ask for and how long it takes: at best, on a Free plan
// nothing else spends, and paced as the client paces them (hourlyQuota, else 9/10 of Free).
func PrintPlan(w io.Writer, jobs []Job, hourlyQuota int) {
	total := 0
	for _, j := range jobs {
		fmt.Fprintf(w, "report %q (period %s, timezone %s): %s to %s, %d days\n", j.Report.Name, j.Report.Resolved.Period,
			j.Report.Resolved.Location, j.From.Format(time.DateOnly), j.To.Format(time.DateOnly), j.Days())
		fmt.Fprintf(w, "  detailed or weekly report: %d requests, one per %d days from %s (a detailed report adds a request per further page of rows)\n",
			len(j.Chunks), chunkDays, j.Chunks[0].Format(time.DateOnly))
		fmt.Fprintf(w, "  summary report: %d requests, one per day (plus one to learn the type)\n", j.Days()+1)
		total += len(j.Chunks)
	}
	fmt.Fprintf(w, "in all at least %d requests if no report is a summary: %s on a Free plan (%d requests an hour, if the server spends none of them meanwhile)\n",
		total, pacedTime(jobs, client.FreePlanPerHour), client.FreePlanPerHour)
	paced, how := hourlyQuota, "within hourly_quota (%d requests an hour)"
	if paced <= 0 {
		paced, how = client.FreePlanPerHour-client.FreePlanPerHour/10, "as the client paces it with hourly_quota unset (%d requests an hour, nine tenths of the Free plan's, until Toggl's quota headers tell a larger plan)"
	}
	fmt.Fprintf(w, "paced "+how+": %s\n", paced, pacedTime(jobs, paced))
}

// pacedTime says about how long the jobs' requests of seven days take, one after another,
// at one a second and at most perHour an hour per credential: to the hour beyond an hour.
func pacedTime(jobs []Job, perHour int) string {
	requests := map[string]int{} // by credential key
	for _, j := range jobs {
		requests[collector.Credentials(j.Report).Key()] += len(j.Chunks)
	}
	var d time.Duration
	for _, n := range requests {
		if n > perHour { // the first hour's requests, then a window per perHour more
			d += time.Duration((n-1)/perHour) * time.Hour
		} else {
			d += time.Duration(n) * time.Second
		}
	}
	switch {
	case d <= 0:
		return "no time"
	case d < time.Hour:
		return "about " + d.String()
	}
	return fmt.Sprintf("about %dh", int(d.Hours()))
}

// Options configure Run.
type Options struct {
	Fetcher  Fetcher
	Progress func(Progress) // told where each job is after each of its steps; nil: nothing
	Notes    io.Writer      // what else a run says, as lines (a summary's requests, quota waits); nil: discarded
	// Now and Sleep are the clock of the quota waits, both or neither; nil: the real one.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
}

// Progress is where a job is: Done of Total steps, every day through Through written.
type Progress struct {
	Report      string
	Done, Total int
	Days        bool // the steps are days (of a summary report), not requests of seven days
	Sent        int  // requests so far, further pages included
	Through     time.Time
}

// StoppedError says that a backfill stopped before its end, and where to go on (see
// Command.restart).
type StoppedError struct {
	Restart []Job // still to do, each from its first unfinished day
	Err     error
}

func (e *StoppedError) Error() string {
	return "stopped: " + e.Err.Error() + "; the output holds every finished day"
}

func (e *StoppedError) Unwrap() error { return e.Err }

// Run runs the jobs in order, writing each day to out once finished, before the next
// request; stopped early (ctx ended, a request or a write failed), it returns a
// *StoppedError. A summary report, whose groups carry no dates, is asked for each day's
// window on its own once the first request has shown its type.
func Run(ctx context.Context, jobs []Job, out *Output, o Options) error {
	o.Notes = cmp.Or[io.Writer](o.Notes, io.Discard)
	if o.Now == nil {
		o.Now, o.Sleep = time.Now, client.Sleep
	}
	for n, j := range jobs {
		r, loc := j.Report, j.Report.Resolved.Location
		hist, steps, summary := newHistory(r), j.Chunks, false
		day, sent := j.From, 0 // the first day not written yet, the requests so far
		stop := func(err error) error {
			rest := slices.Clone(jobs[n:])
			rest[0].From = day
			return &StoppedError{Restart: rest, Err: fmt.Errorf("report %q: %w", r.Name, err)}
		}
		for i := 0; i < len(steps); i++ {
			start, end := steps[i], steps[i]
			body, what := r.Body(config.EndOfDay(start, loc)), start.Format(time.DateOnly)
			if summary {
				hist = newHistory(r)
			} else {
				if end = start.AddDate(0, 0, chunkDays-1); end.After(j.To) {
					end = j.To
				}
				what += " to " + end.Format(time.DateOnly)
				body["start_date"], body["end_date"] = start.Format(time.DateOnly), end.Format(time.DateOnly)
			}
			rep, requests, err := hist.fetch(ctx, body, start, o)
			sent += requests
			if err != nil {
				return stop(fmt.Errorf("%s: %w", what, err))
			}
			if rep.Block == client.BlockSummary && !summary {
				fmt.Fprintf(o.Notes, "%s: a summary report has no dated rows: one request per day, %d days\n", r.Name, j.Days())
				summary, steps, i = true, nil, -1
				for d := j.From; !d.After(j.To); d = d.AddDate(0, 0, 1) {
					steps = append(steps, d)
				}
				continue
			}
			for ; !day.After(end); day = day.AddDate(0, 0, 1) {
				ms, err := hist.values(day)
				if err == nil {
					err = out.Add(ms)
				}
				if err != nil {
					return stop(err)
				}
			}
			if o.Progress != nil {
				o.Progress(Progress{Report: r.Name, Done: i + 1, Total: len(steps), Days: summary, Sent: sent, Through: end})
			}
		}
	}
	return nil
}
