package collector

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"time"

	"github.com/toggl-exporter/toggl_exporter/client"
	"github.com/toggl-exporter/toggl_exporter/config"
)

// outcome is what one walk did, and the values built from its pages.
type outcome struct {
	rep     *client.Report // the last page read; nil when none was
	agg     *Aggregator    // of the pages read
	snap    *Snapshot
	resp    *client.Response // of the latest request that got an answer
	headers map[string]int   // how many answers carried each of client.Response.Headers (for describe)
	quota   *client.Quota    // of the latest answer that sent quota headers (for describe)
	err     error
	sent    int    // requests that left: each may have cost quota
	pages   int    // read
	stop    string // why rows Toggl had were left: "max_pages", or "cursor" (it pointed back to a page asked for)
}

// walk, the one paging loop of the server and of backfill, asks for req into an
// Aggregator (which hands every row to sink too, when set) while it says more rows follow,
// at most max_pages pages, each with the next first_timestamp; a cursor asked for before
// ends it (Toggl is going round). timeout bounds one request once it may be sent, ctx the
// waits for the pace and the quota. retry, when set, is asked after a page failed: true
// asks again (it has waited for what the failure asked, e.g. a quota reset).
func walk(ctx context.Context, f Fetcher, cfg config.Report, req client.Request, sink client.Sink, retry func(context.Context, error) bool) outcome {
	out := outcome{agg: newAggregator(cfg), headers: map[string]int{}}
	out.agg.also = sink
	asked := map[int64]bool{}
	req.Timeout = time.Duration(cfg.Timeout)
	for {
		rep, resp, err := f.Run(ctx, req, out.agg)
		var cerr *client.Error
		// Every request that left counts, timeouts included: Toggl may have charged it.
		if resp != nil || (errors.As(err, &cerr) && !cerr.NotSent && !cerr.Backoff) {
			out.sent++
		}
		if resp != nil {
			out.resp = resp
			for _, h := range resp.Headers {
				out.headers[h]++
			}
			if q := resp.Quota; q.HasRemaining || q.HasResetsIn {
				out.quota = &q
			}
		}
		if err != nil {
			if retry != nil && ctx.Err() == nil && retry(ctx, err) {
				continue
			}
			out.err = err
			return out
		}
		out.pages++
		out.rep = rep
		next, more := out.agg.endPage(rep, resp)
		switch {
		case !more:
			return out
		case asked[next]:
			out.stop = "cursor"
			return out
		case out.pages >= maxPages(cfg):
			out.stop = "max_pages"
			return out
		}
		asked[next] = true
		req.Body = maps.Clone(req.Body) // the same body, at the next page
		req.Body["first_timestamp"] = next
	}
}

// Read reads one request of a backfill through the server's walk into sink and dict
// (retry: see walk), and returns the last page's report and the requests sent. Rows that
// do not add up to the totals are an error: history would be wrong.
func Read(ctx context.Context, f Fetcher, cfg config.Report, req client.Request, sink client.Sink, dict *client.Dictionaries, retry func(context.Context, error) bool) (*client.Report, int, error) {
	o := walk(ctx, f, cfg, req, sink, retry)
	if o.err != nil {
		return nil, o.sent, o.err
	}
	rep, agg := o.rep, o.agg // the walk's Aggregator summed the rows: they are checked
	mergeDictionaries(dict, &agg.dict)
	if rep.Block != client.BlockSummary && rep.Totals != nil && !agg.complete(rep) {
		why := map[string]string{"max_pages": fmt.Sprintf(" after max_pages (%d) pages: raise max_pages for the backfill", maxPages(cfg)),
			"cursor": " as Toggl's paging cursor went back to a page already read"}[o.stop]
		return nil, o.sent, fmt.Errorf("the rows add up to %ds but the totals say %ds: rows are missing%s", agg.summed[rep.Block], rep.Totals.Seconds, why)
	}
	return rep, o.sent, nil
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
