// Package server is the exporter's HTTP side: routes, landing page, the bounds on what a
// client can hold (time, headers, connections, requests in flight), a graceful stop.
package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	stdlog "log"
	"net"
	"net/http"
	"os"
	"path"
	"regexp"
	"slices"
	"strings"
	"sync"
	"text/template"
	"time"

	"github.com/go-kit/log"
	"github.com/go-kit/log/level"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/common/version"
	"github.com/prometheus/exporter-toolkit/web"

	"github.com/toggl-exporter/toggl_exporter/collector"
	"github.com/toggl-exporter/toggl_exporter/config"
)

const (
	// maxScrapeTimeout caps how long a scrape waits for fresh values, whatever
	// X-Prometheus-Scrape-Timeout-Seconds says: Prometheus' timeouts are seconds to a
	// minute, and a client must not hold a slot of --web.max-requests for an hour.
	maxScrapeTimeout = 2 * time.Minute
	// ShutdownGrace is how long scrapes in flight may take to finish after SIGTERM:
	// Prometheus' default scrape timeout, and well inside Kubernetes' 30 s before SIGKILL.
	ShutdownGrace = 10 * time.Second
	// maxHeaderBytes bounds a request's headers: a scrape's are a few hundred bytes, and
	// /sd echoes the Host once per report. Go answers 431 beyond (and reads 4 KiB more).
	maxHeaderBytes = 64 << 10
)

// New returns the HTTP server with every wait bounded, at most maxConns connections open
// (0: no limit, see connLimit) and Go's own errors (accept, TLS handshakes) logged through
// the project's logger.
func New(h http.Handler, errorLog *stdlog.Logger, maxConns int) *http.Server {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,                  // a GET's headers are a few hundred bytes: slower is a slow loris
		ReadTimeout:       15 * time.Second,                  // no endpoint takes a body
		WriteTimeout:      maxScrapeTimeout + 15*time.Second, // from the end of the headers: the longest scrape, and writing it
		// Longer than the usual 15 s to 1 min scrape interval, so that Prometheus keeps
		// its connection, yet an idle one does not hold a descriptor for ever.
		IdleTimeout:    2 * time.Minute,
		MaxHeaderBytes: maxHeaderBytes,
		ErrorLog:       errorLog,
	}
	if maxConns > 0 {
		srv.ConnState = (&connLimit{n: maxConns, idle: map[net.Conn]time.Time{}}).track
	}
	return srv
}

// connLimit bounds the connections the server holds open, whatever a client leaves
// open, so that descriptors stay for scrapes and for Toggl: beyond n, a new connection
// closes the longest idle one (kept alive, between requests: no request is lost) or,
// when none is idle, is itself closed at once. Its track is the server's ConnState, so
// it bounds every listener the toolkit opens (addresses, systemd sockets, TLS).
type connLimit struct {
	n    int
	mu   sync.Mutex
	open int
	idle map[net.Conn]time.Time // since when
}

func (l *connLimit) track(c net.Conn, s http.ConnState) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch s {
	case http.StateNew:
		l.open++ // until its StateClosed, closed here or not
		if l.open <= l.n {
			return
		}
		oldest := c // when none is idle
		for ic, since := range l.idle {
			if oldest == c || since.Before(l.idle[oldest]) {
				oldest = ic
			}
		}
		delete(l.idle, oldest)
		oldest.Close()
	case http.StateIdle:
		l.idle[c] = time.Now()
	case http.StateActive:
		delete(l.idle, c)
	case http.StateClosed, http.StateHijacked:
		delete(l.idle, c)
		l.open--
	}
}

// Serve runs listen (which serves srv) until a signal arrives on stop, then gives the
// requests in flight up to grace to finish; a second signal or the end of grace closes
// them at once. cut ends the fetches at half the grace (or at a second signal), so that
// the scrapes in flight answer from the cache before the grace ends.
func Serve(srv *http.Server, listen func() error, stop <-chan os.Signal, grace time.Duration, cut func(), logger log.Logger) error {
	served := make(chan error, 1)
	go func() { served <- listen() }()
	var sig os.Signal
	select {
	case err := <-served:
		return err
	case sig = <-stop:
	}
	level.Info(logger).Log("msg", "shutting down", "signal", sig, "grace_period", grace)
	time.AfterFunc(grace/2, cut)
	ctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- srv.Shutdown(ctx) }()
	select {
	case err := <-done:
		if err != nil {
			level.Warn(logger).Log("msg", "grace period over; cutting the requests still in flight", "grace_period", grace)
			srv.Close()
		}
	case sig = <-stop:
		level.Warn(logger).Log("msg", "second signal; cutting the requests still in flight", "signal", sig)
		cut()
		srv.Close()
	}
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	level.Info(logger).Log("msg", "stopped")
	return nil
}

var (
	// ownPaths are the paths the exporter serves besides the telemetry path.
	ownPaths = []string{"/", "/probe", "/config", "/sd", "/-/healthy", "/-/ready", "/-/reload"}
	// cleanPath is a path of letters, digits and - . _ ~ (path.Clean rejects . and ..).
	cleanPath = regexp.MustCompile(`^(/[A-Za-z0-9._~-]+)+$`)
)

// CheckFlags tells what is wrong with --web.telemetry-path p, --web.max-requests or
// --web.max-connections.
func CheckFlags(p string, maxRequests, maxConnections int) error {
	switch {
	case maxRequests < 0:
		return fmt.Errorf("--web.max-requests %d: must be 0 (no limit) or more", maxRequests)
	case maxConnections < 0:
		return fmt.Errorf("--web.max-connections %d: must be 0 (no limit) or more", maxConnections)
	case !strings.HasPrefix(p, "/") || slices.Contains(ownPaths, p):
		return fmt.Errorf(`--web.telemetry-path %q: must start with "/" and not be a path the exporter serves itself (%s)`, p, strings.Join(ownPaths, " "))
	case path.Clean(p) != p || !cleanPath.MatchString(p):
		return fmt.Errorf("--web.telemetry-path %q: must be a clean path (no //, . or .. segment, no trailing /) of letters, digits and - . _ ~ /", p)
	}
	return nil
}

// limitInFlight returns a wrapper that lets at most n requests at once into the handlers
// it wraps, all of them together, and answers 503 at once beyond; 0 is no limit.
func limitInFlight(n int) func(http.Handler) http.Handler {
	if n <= 0 {
		return func(h http.Handler) http.Handler { return h }
	}
	slots := make(chan struct{}, n)
	msg := fmt.Sprintf("Too many scrapes in flight (--web.max-requests=%d); try again later.", n)
	return func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case slots <- struct{}{}:
				defer func() { <-slots }()
				h.ServeHTTP(w, r)
			default:
				http.Error(w, msg, http.StatusServiceUnavailable)
			}
		})
	}
}

// Site is what the HTTP routes serve.
type Site struct {
	Name          string // the program's, the landing page's title
	MetricsPath   string
	TimeoutOffset time.Duration
	MaxRequests   int
	DemoNote      string               // set in --demo, said after DEMO MODE on the landing page: how the demo differs from a real run
	Registry      *prometheus.Registry // the exporter's own metrics
	Exporter      *collector.Exporter
	Config        func() *config.Config // what is served: nil before it is loaded
	Reload        func() error
	Logger        log.Logger
}

// Handler routes the exporter's endpoints. The method patterns make the mux answer 405
// with an Allow header to any other method: a DELETE /probe must not fetch. /metrics,
// /probe and /sd share one bound on requests in flight: they start fetches or hold
// answers as large as the reports are many.
func (s Site) Handler() http.Handler {
	errorLog := log.NewStdlibAdapter(level.Error(log.With(s.Logger, "msg", "error serving metrics")), log.MessageKey("err"))
	opts := collector.HandlerOpts{TimeoutOffset: s.TimeoutOffset, MaxTimeout: maxScrapeTimeout, ErrorLog: stdlog.New(errorLog, "", 0)}
	limit := limitInFlight(s.MaxRequests)
	mux := http.NewServeMux()
	mux.Handle("GET "+s.MetricsPath, promhttp.InstrumentMetricHandler(s.Registry, limit(s.Exporter.MetricsHandler(s.Registry, opts))))
	mux.Handle("GET /probe", limit(s.Exporter.ProbeHandler(opts)))
	sd := s.Exporter.SDHandler()
	// /sd echoes the Host once per report: a Host that is not host[:port] gets a 400, so
	// that the answer stays as small as the reports are few.
	mux.Handle("GET /sd", limit(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !hostPort.MatchString(r.Host) {
			http.Error(w, "the Host header is not host[:port]", http.StatusBadRequest)
			return
		}
		sd.ServeHTTP(w, r)
	})))
	mux.HandleFunc("GET /config", func(w http.ResponseWriter, r *http.Request) {
		out, err := s.Config().Redacted()
		if err != nil {
			http.Error(w, "cannot render the configuration: "+err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write(out)
	})
	mux.HandleFunc("GET /-/healthy", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "Healthy.\n")
	})
	mux.HandleFunc("GET /-/ready", func(w http.ResponseWriter, r *http.Request) {
		if s.Config() == nil {
			http.Error(w, "Not ready: no configuration loaded.", http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, "Ready.\n")
	})
	mux.HandleFunc("POST /-/reload", func(w http.ResponseWriter, r *http.Request) {
		if err := s.Reload(); err != nil {
			http.Error(w, "failed to reload config: "+err.Error(), http.StatusInternalServerError)
			return
		}
		io.WriteString(w, "Configuration reloaded.\n")
	})
	mux.HandleFunc("GET /{$}", s.landingPage)
	return mux
}

// hostPort is a Host header of the form host[:port]: a DNS name or IPv4 address (at most
// 253 bytes), or an IPv6 address in brackets, then an optional port.
var hostPort = regexp.MustCompile(`^(?:[A-Za-z0-9_][A-Za-z0-9_.-]{0,252}|\[[0-9A-Fa-f:.]{2,45}\])(?::[0-9]{1,5})?$`)

// landingPage is the exporter-toolkit landing page with the reports and their last
// status, rendered per request because the status changes.
func (s Site) landingPage(w http.ResponseWriter, r *http.Request) {
	var extra strings.Builder
	err := reportsTable.Execute(&extra, s)
	description := "Prometheus exporter for Toggl Track saved reports"
	if s.DemoNote != "" {
		description += " (DEMO MODE)"
	}
	page, perr := web.NewLandingPage(web.LandingConfig{
		Name:        s.Name,
		Description: description,
		Version:     version.Info(),
		Links: []web.LandingLinks{
			{Address: s.MetricsPath, Text: "Metrics", Description: "every report and the exporter's own metrics"},
			{Address: "/config", Text: "Configuration", Description: "the loaded configuration, secrets redacted"},
			{Address: "/sd", Text: "Service discovery", Description: "every report as a /probe target, for Prometheus' http_sd_configs"},
			{Address: "/-/healthy", Text: "Health"},
			{Address: "/-/ready", Text: "Readiness"},
		},
		ExtraHTML: extra.String(),
		ExtraCSS:  ".demo { background: #fff3cd; padding: .5em; } table { border-collapse: collapse; } td, th { padding: .2em .6em; text-align: left; }",
		Profiling: "false", // the toolkit links /debug/pprof, which the exporter does not serve
	})
	if err = errors.Join(err, perr); err != nil {
		level.Error(s.Logger).Log("msg", "cannot render the landing page", "err", err)
		http.Error(w, "cannot render the landing page", http.StatusInternalServerError)
		return
	}
	page.ServeHTTP(w, r)
}

// reportsTable is what the landing page adds to the toolkit's: the demo's note and the
// reports; html escapes what Toggl, the configuration or an error message says.
var reportsTable = template.Must(template.New("reports").Funcs(template.FuncMap{
	"hint":  func(code string) string { return runbookHints[code] },
	"hours": func(d time.Duration) string { return fmt.Sprintf("%.1f h", d.Hours()) },
	"day":   func(t time.Time) string { return t.Format(time.DateOnly) },
	"last":  func(end time.Time) string { return end.Add(-time.Second).Format(time.DateOnly) }, // of [start, end)
	"utc":   func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	"join":  func(s []string) string { return strings.Join(s, ", ") },
	"first": func(n int, s []string) []string { return s[:min(n, len(s))] },
	"sub":   func(a, b int) int { return a - b },
}).Parse(`{{with .DemoNote}}<p class="demo"><strong>DEMO MODE:</strong> these figures come from a built-in simulated Toggl API, not from a real account. {{html .}}</p>{{end -}}
<h2>Reports</h2><table><tr><th>report</th><th>status</th><th>period</th><th>tracked</th><th>billable</th><th>breakdowns</th><th>answer</th><th>last success</th><th>refresh</th><th></th></tr>
{{- range .Exporter.Status}}<tr><td>{{html .Name}}{{with .DiscoveredFrom}} <small>(discovered from workspace {{.}})</small>{{end}}</td><td>
{{- if and .Waiting (not .Fetched)}}{{html .Message}}{{else if .Up}}up{{else if .Fetched}}down: {{html .Code}}: {{html .Message}}{{with hint .Code}} — {{html .}}{{end}}{{else}}not fetched yet{{end}}</td><td>
{{- if and .Series (not .PeriodStart.IsZero)}}{{day .PeriodStart}} {{if .PeriodEnd.IsZero}}…{{else}}– {{last .PeriodEnd}}{{end}}{{end}}</td><td>
{{- if .Series}}{{hours .Tracked}}{{end}}</td><td>{{if and .Series .HasBillable}}{{hours .Billable}}{{end}}</td><td>
{{- if .Series}}{{if .Complete}}complete{{else}}INCOMPLETE after {{.Pages}} page(s): raise max_pages or use a summary report{{end}}{{end}}</td><td>
{{- if .Fetched}}{{.Pages}} page(s), paging headers: {{html (or (join .PagingHeaders) "none")}}{{end}}
{{- with .Unknown}}; unknown fields: {{html (join (first 3 .))}}{{if gt (len .) 3}} (+{{sub (len .) 3}} more){{end}}: run toggl_exporter describe{{end}}</td><td>
{{- if .LastSuccess.IsZero}}never{{else}}{{utc .LastSuccess}}{{end}}</td><td>every {{.Interval}}{{if not .NextRefresh.IsZero}}, next {{utc .NextRefresh}}{{end -}}
</td><td><a href="probe?report={{urlquery .Name}}">probe</a></td></tr>{{end}}</table>`))

// runbookHints say what to do about a report that is down, by code (in short: see docs/runbook.md).
var runbookHints = map[string]string{
	"401":     "the credentials are wrong: check the report's api_token or email and password",
	"402":     "the hourly API quota is spent (or the plan lacks the feature): set hourly_quota to what your Toggl plan allows, and the quota plan spreads the refreshes",
	"403":     "the report token is no longer valid, or the report is private to someone else: copy its token again from Toggl",
	"404":     "the report does not exist: it was deleted, or the token is wrong",
	"429":     "rate limited: lower requests_per_second, or share fewer reports per credential",
	"500":     "Toggl failed; \"report is too big\" means: shorten its period or use a summary report",
	"timeout": "Toggl answered too slowly: raise timeout, or shorten the report's period",
	"network": "Toggl cannot be reached: check DNS, proxy and firewall towards api_url",
	"decode":  "the answer is not a report: see the exporter's log",
}
