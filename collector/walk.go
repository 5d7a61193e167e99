package collector

import (
	"context"
	"errors"
	"maps"
	"time"

	"github.com/toggl-exporter/toggl_exporter/client"
)

// pager is what a walk feeds: the sink of every page's rows, told when each page ends.
type pager interface {
	client.Sink
	// endPage is told that a page was read, and says where the next one starts (a Unix
	// time for first_timestamp), or false when there is none to ask for.
	endPage(rep *client.Report, resp *client.Response) (next int64, more bool)
}

// walker reads a report page after page: the one paging loop of the server and of
// backfill.
type walker struct {
	f Fetcher
	// timeout bounds one request once it may be sent; the waits for the pace and the
	// quota before it are bounded by the walk's context only (they send nothing).
	timeout  time.Duration
	maxPages int
	// retry, when set, is asked after a page failed; true asks for the same page again
	// (it has waited for what the failure asked, e.g. a quota reset).
	retry func(ctx context.Context, err error) bool
}

// outcome is what one walk did, and the values built from its pages (only when the
// last page arrived).
type outcome struct {
	rep   *client.Report // the last page read; nil when none was
	snap  *Snapshot
	resp  *client.Response // of the latest request that got an answer
	err   error
	sent  int // requests that left: each may have cost quota
	pages int
	// stop says why the walk ended early while Toggl said more rows follow: "max_pages"
	// or "cursor" (Toggl pointed back to a page already asked for); "" otherwise.
	stop string
}

// walk asks for req page after page into p: while p says more rows follow, at most
// maxPages requests that each got a page. Every page is the same body with the next
// first_timestamp. A cursor already asked for ends the walk: Toggl is going round.
func (w walker) walk(ctx context.Context, req client.Request, p pager) outcome {
	var out outcome
	asked := map[int64]bool{}
	req.Timeout = w.timeout
	for {
		rep, resp, err := w.f.Run(ctx, req, p)
		var cerr *client.Error
		// Every request that left counts, timeouts included: Toggl may have charged it.
		if resp != nil || (errors.As(err, &cerr) && !cerr.NotSent && !cerr.Backoff) {
			out.sent++
		}
		if resp != nil {
			out.resp = resp
		}
		if err != nil {
			if w.retry != nil && ctx.Err() == nil && w.retry(ctx, err) {
				continue
			}
			out.err = err
			return out
		}
		out.pages++
		out.rep = rep
		next, more := p.endPage(rep, resp)
		switch {
		case !more:
			return out
		case asked[next]:
			out.stop = "cursor"
			return out
		case out.pages >= w.maxPages:
			out.stop = "max_pages"
			return out
		}
		asked[next] = true
		req.Body = maps.Clone(req.Body) // the same body, at the next page
		req.Body["first_timestamp"] = next
	}
}

// mergeDictionaries adds the entities of src to dst: each page, and each request of a
// backfill, may name only those of its own rows.
func mergeDictionaries(dst, src *client.Dictionaries) {
	dst.Projects = merged(dst.Projects, src.Projects)
	dst.Tasks = merged(dst.Tasks, src.Tasks)
	dst.Clients = merged(dst.Clients, src.Clients)
	dst.Users = merged(dst.Users, src.Users)
	dst.Tags = merged(dst.Tags, src.Tags)
	dst.UserGroups = merged(dst.UserGroups, src.UserGroups)
}

func merged[V any](dst, src map[int64]V) map[int64]V {
	if dst == nil {
		dst = make(map[int64]V, len(src))
	}
	maps.Copy(dst, src)
	return dst
}
