package collector

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"
)

// HandlerOpts configure the scrape handlers.
type HandlerOpts struct {
	TimeoutOffset time.Duration   // subtracted from X-Prometheus-Scrape-Timeout-Seconds
	MaxTimeout    time.Duration   // caps the timeout of a scrape (0: none): the write timeout and the bound on scrapes count on it
	ErrorLog      promhttp.Logger // errors of the exposition (not of fetches)
}

// serve answers with what g gathers; what cannot be is logged and left out, never a 500
// for every report (seriesMetrics checked each report's series when fetched).
func (o HandlerOpts) serve(w http.ResponseWriter, r *http.Request, g prometheus.Gatherer) {
	promhttp.HandlerFor(g, promhttp.HandlerOpts{ErrorLog: o.ErrorLog, ErrorHandling: promhttp.ContinueOnError}).ServeHTTP(w, r)
}

const (
	defaultScrapeTimeout = 30 * time.Second // of a scrape that sends no timeout header (curl)
	maxSeconds           = 1e6              // a timeout far beyond any scrape's that still fits a time.Duration
	maxEcho              = 64               // of an unknown report name a 400 quotes back: enough to spot a typo, not a page
)

// scrapeContext bounds a scrape by Prometheus' timeout header minus the offset.
func scrapeContext(r *http.Request, o HandlerOpts) (context.Context, context.CancelFunc) {
	timeout := defaultScrapeTimeout
	if secs, err := strconv.ParseFloat(r.Header.Get("X-Prometheus-Scrape-Timeout-Seconds"), 64); err == nil && secs > 0 {
		// Capped before the conversion, which overflows for 1e300 or +Inf; an offset
		// beyond the timeout answers from the cache at once rather than fail.
		timeout = max(time.Duration(min(secs, maxSeconds)*float64(time.Second))-o.TimeoutOffset, time.Millisecond)
	}
	if o.MaxTimeout > 0 {
		timeout = min(timeout, o.MaxTimeout)
	}
	return context.WithTimeout(r.Context(), timeout)
}

// MetricsHandler serves every configured report plus what base gathers (the exporter's
// own metrics), in one answer bounded by the scrape's deadline.
func (e *Exporter) MetricsHandler(base prometheus.Gatherer, o HandlerOpts) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := scrapeContext(r, o)
		defer cancel()
		c, _ := e.Collector(ctx) // every report: cannot fail
		o.serve(w, r, disjoint{base, registry(c)})
	})
}

// disjoint gathers from two gatherers whose metric names must never overlap (the
// exporter's own metrics and the reports'). Unlike prometheus.Gatherers it does not merge
// and check every series a second time (that was a quarter of a cached scrape's CPU): it
// checks the family names only, and drops and reports a family the second one repeats.
type disjoint [2]prometheus.Gatherer

// Gather implements prometheus.Gatherer.
func (d disjoint) Gather() ([]*dto.MetricFamily, error) {
	a, errA := d[0].Gather()
	b, errB := d[1].Gather()
	out, errs := a, []error{errA, errB}
	for _, mf := range b {
		if slices.ContainsFunc(a, func(x *dto.MetricFamily) bool { return x.GetName() == mf.GetName() }) {
			errs = append(errs, fmt.Errorf("metric family %s is gathered twice", mf.GetName()))
		} else {
			out = append(out, mf)
		}
	}
	return out, errors.Join(errs...)
}

// ProbeHandler serves one report, named by the `report` query parameter (the
// multi-target pattern). It never takes a URL or a token from the request.
func (e *Exporter) ProbeHandler(o HandlerOpts) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		given := r.URL.Query()["report"]
		if len(given) > 1 {
			http.Error(w, fmt.Sprintf("report: given %d times; give it once", len(given)), http.StatusBadRequest)
			return
		}
		if len(given) == 0 || given[0] == "" {
			http.Error(w, "missing parameter: report (one of: "+e.nameList()+")", http.StatusBadRequest)
			return
		}
		name := given[0]
		ctx, cancel := scrapeContext(r, o)
		defer cancel()
		c, err := e.Collector(ctx, name)
		if err != nil { // an unknown report, the only error
			echo := strconv.Quote(name)
			if len(name) > maxEcho {
				echo = strconv.Quote(name[:maxEcho]) + "..."
			}
			http.Error(w, fmt.Sprintf("unknown report %s (configured: %s)", echo, e.nameList()), http.StatusBadRequest)
			return
		}
		o.serve(w, r, registry(c))
	})
}

// registry is a registry of c alone, for one answer.
func registry(c prometheus.Collector) *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(c)
	return reg
}

// nameList lists the configured reports for a 400, the first 20 of them.
func (e *Exporter) nameList() string {
	names := e.Names()
	if len(names) > 20 {
		return strings.Join(names[:20], ", ") + fmt.Sprintf(" and %d more", len(names)-20)
	}
	return strings.Join(names, ", ")
}
