// Command toggl_exporter executes saved Toggl Track reports when Prometheus scrapes it and
// exposes what they hold as metrics.
package main

import (
	"errors"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"
	_ "time/tzdata" // time zones for `timezone`, also in a FROM scratch image

	"github.com/alecthomas/kingpin/v2"
	"github.com/go-kit/log"
	"github.com/go-kit/log/level"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	versioncollector "github.com/prometheus/client_golang/prometheus/collectors/version"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/common/version"
	"github.com/prometheus/exporter-toolkit/web"
	"github.com/prometheus/exporter-toolkit/web/kingpinflag"
	slgk "github.com/tjhop/slog-gokit"

	"github.com/toggl-exporter/toggl_exporter/client"
	"github.com/toggl-exporter/toggl_exporter/client/togglfake"
	"github.com/toggl-exporter/toggl_exporter/collector"
	"github.com/toggl-exporter/toggl_exporter/config"
)

const program = "toggl_exporter"

var (
	configFile    = kingpin.Flag("config.file", "Configuration file (YAML).").Default("toggl.yml").String()
	configCheck   = kingpin.Flag("config.check", "Validate the configuration file (files readable, values sane), print what is wrong, and exit 0 or 1. Makes no network request.").Bool()
	demo          = kingpin.Flag("demo", "Run against a built-in simulated Toggl API with sample reports of all three types. No account needed; --config.file is ignored.").Bool()
	metricsPath   = kingpin.Flag("web.telemetry-path", "Path under which to expose metrics.").Default("/metrics").String()
	timeoutOffset = kingpin.Flag("scrape.timeout-offset", "Subtracted from Prometheus' X-Prometheus-Scrape-Timeout-Seconds to leave time to answer.").Default("0.5s").Duration()
	logLevel      = kingpin.Flag("log.level", "Only log messages with the given severity or above. One of: [debug, info, warn, error]").Default("info").Enum("debug", "info", "warn", "error")
	logFormat     = kingpin.Flag("log.format", "Output format of log messages. One of: [logfmt, json]").Default("logfmt").Enum("logfmt", "json")
	toolkitFlags  = kingpinflag.AddFlags(kingpin.CommandLine, ":9981")
)

func main() {
	os.Exit(run())
}

func run() int {
	if version.Version == "" {
		version.Version = "dev" // built without -ldflags (go run, go build)
	}
	kingpin.Version(version.Print(program))
	kingpin.HelpFlag.Short('h')
	kingpin.Parse()

	logger, toolkitLogger := newLoggers(os.Stderr, *logFormat, *logLevel)

	if *configCheck {
		return checkConfig(*configFile, os.Stdout, os.Stderr)
	}

	level.Info(logger).Log("msg", "starting "+program, "version", version.Info(), "build_context", version.BuildContext())

	var demoConfig []byte
	if *demo {
		cfg, stop, err := startDemo(logger)
		if err != nil {
			level.Error(logger).Log("msg", "cannot start the demo", "err", err)
			return 1
		}
		defer stop()
		demoConfig = cfg
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		versioncollector.NewCollector(program),
	)
	safeConfig := config.NewSafeConfig(reg)
	exporter := collector.New(collector.Options{Logger: logger, FetchOnApply: true})
	reloader := &reloader{path: *configFile, demo: demoConfig, logger: logger, safe: safeConfig, exporter: exporter, limits: client.NewLimits(nil)}
	if err := reloader.reload(); err != nil {
		level.Error(logger).Log("msg", "cannot load the configuration", "file", reloader.source(), "err", err)
		return 1
	}

	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	go func() {
		for range hup {
			_ = reloader.reload() // logged by reload
		}
	}()

	handlerOpts := collector.HandlerOpts{
		TimeoutOffset:  *timeoutOffset,
		DefaultTimeout: 30 * time.Second,
		ErrorLog:       stdLogger{logger},
	}
	mux := http.NewServeMux()
	mux.Handle(*metricsPath, promhttp.InstrumentMetricHandler(reg, exporter.MetricsHandler(reg, handlerOpts)))
	mux.Handle("/probe", exporter.ProbeHandler(handlerOpts))
	mux.Handle("/sd", exporter.SDHandler())
	mux.HandleFunc("/config", func(w http.ResponseWriter, r *http.Request) {
		out, err := safeConfig.Get().Redacted()
		if err != nil {
			http.Error(w, "cannot render the configuration: "+err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write(out)
	})
	mux.HandleFunc("/-/healthy", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "Healthy.\n")
	})
	mux.HandleFunc("/-/ready", func(w http.ResponseWriter, r *http.Request) {
		if safeConfig.Get() == nil {
			http.Error(w, "Not ready: no configuration loaded.", http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, "Ready.\n")
	})
	mux.HandleFunc("/-/reload", func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, "This endpoint requires a POST request.", http.StatusMethodNotAllowed)
			return
		}
		if err := reloader.reload(); err != nil {
			http.Error(w, "failed to reload config: "+err.Error(), http.StatusInternalServerError)
			return
		}
		io.WriteString(w, "Configuration reloaded.\n")
	})
	mux.Handle("/", landingPage(exporter, *metricsPath, *demo, logger))

	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	if err := web.ListenAndServe(srv, toolkitFlags, toolkitLogger); err != nil && !errors.Is(err, http.ErrServerClosed) {
		level.Error(logger).Log("msg", "cannot serve", "err", err)
		return 1
	}
	return 0
}

// newLoggers returns the one go-kit logger of the process and, for the exporter-toolkit,
// an slog logger that writes through it, so there is one log stream in one format.
func newLoggers(w io.Writer, format, lvl string) (log.Logger, *slog.Logger) {
	var base log.Logger
	if format == "json" {
		base = log.NewJSONLogger(log.NewSyncWriter(w))
	} else {
		base = log.NewLogfmtLogger(log.NewSyncWriter(w))
	}
	var sl slog.Level
	switch lvl {
	case "debug":
		base, sl = level.NewFilter(base, level.AllowDebug()), slog.LevelDebug
	case "warn":
		base, sl = level.NewFilter(base, level.AllowWarn()), slog.LevelWarn
	case "error":
		base, sl = level.NewFilter(base, level.AllowError()), slog.LevelError
	default:
		base, sl = level.NewFilter(base, level.AllowInfo()), slog.LevelInfo
	}
	base = log.With(base, "ts", log.DefaultTimestampUTC)
	// The slog bridge adds its own caller and time; drop its time in favour of our ts.
	dropTime := log.LoggerFunc(func(kv ...any) error {
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i] == slog.TimeKey {
				kv = append(kv[:i:i], kv[i+2:]...)
				break
			}
		}
		return base.Log(kv...)
	})
	return log.With(base, "caller", log.DefaultCaller), slog.New(slgk.NewGoKitHandler(dropTime, sl))
}

// stdLogger adapts the go-kit logger to promhttp's error log.
type stdLogger struct{ logger log.Logger }

func (l stdLogger) Println(v ...any) {
	level.Error(l.logger).Log("msg", "error serving metrics", "err", fmt.Sprint(v...))
}

// checkConfig implements --config.check: load and validate, without network access.
func checkConfig(path string, stdout, stderr io.Writer) int {
	cfg, err := config.Load(path, nil)
	if err != nil {
		fmt.Fprintf(stderr, "%s: configuration is invalid:\n", path)
		for _, line := range strings.Split(err.Error(), "\n") {
			fmt.Fprintf(stderr, "  %s\n", line)
		}
		return 1
	}
	fmt.Fprintf(stdout, "%s: configuration is valid: %d report(s)\n", path, len(cfg.Reports))
	return 0
}

// reloader loads the configuration file and applies it to the exporter, one reload at a
// time (SIGHUP and /-/reload may race).
type reloader struct {
	mu       sync.Mutex
	path     string
	demo     []byte // the demo's configuration, used instead of path when set
	logger   log.Logger
	safe     *config.SafeConfig
	exporter *collector.Exporter
	limits   *client.Limits // the upstream etiquette, kept for the life of the process
	client   *client.Client
	clientOf clientSettings
}

// clientSettings are the configuration values a client is built from.
type clientSettings struct {
	apiURL           string
	maxResponseBytes int64
	requestsPerSec   float64
}

// source names where the configuration comes from, for the log.
func (r *reloader) source() string {
	if r.demo != nil {
		return "(demo)"
	}
	return r.path
}

func (r *reloader) reload() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	var changed bool
	var err error
	if r.demo != nil {
		changed, err = r.safe.ReloadData(r.demo, "", nil)
	} else {
		changed, err = r.safe.Reload(r.path, nil)
	}
	if err != nil {
		if r.safe.Get() != nil { // at start the caller says it
			level.Error(r.logger).Log("msg", "configuration rejected; the previous one keeps serving", "file", r.source(), "err", err)
		}
		return err
	}
	if !changed && r.client != nil {
		level.Info(r.logger).Log("msg", "configuration unchanged", "file", r.source())
		return nil
	}
	cfg := r.safe.Get()
	settings := clientSettings{cfg.APIURL, int64(cfg.MaxResponseBytes), cfg.RequestsPerSecond}
	if r.client == nil || settings != r.clientOf {
		// Only a change of the API URL, body limit or request rate makes a new client;
		// the backoffs and quota blocks are in r.limits, which it shares.
		old := r.client
		r.client = client.New(client.Options{
			BaseURL:           cfg.APIURL,
			UserAgent:         program + "/" + version.Version,
			MaxResponseBytes:  int64(cfg.MaxResponseBytes),
			RequestsPerSecond: cfg.RequestsPerSecond,
			Limits:            r.limits,
		})
		r.clientOf = settings
		if old != nil {
			defer old.CloseIdleConnections() // once no new fetch can take it
		}
	}
	r.exporter.Apply(cfg, r.client)
	level.Info(r.logger).Log("msg", "configuration loaded", "file", r.source(), "reports", len(cfg.Reports))
	return nil
}

// startDemo serves the simulated Toggl API on loopback and returns a configuration for
// its sample reports. Nothing is written to disk: the image may have no writable /tmp.
func startDemo(logger log.Logger) (config []byte, stop func(), err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, err
	}
	srv := &http.Server{Handler: togglfake.Demo(), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	var b strings.Builder
	fmt.Fprintf(&b, "# Generated by --demo: a simulated Toggl API on loopback.\napi_url: http://%s\nmin_refresh_interval: 30s\nmax_stale: 10m\nreports:\n", ln.Addr())
	for _, r := range togglfake.DemoReports {
		fmt.Fprintf(&b, "  - name: %s\n    token: %s\n    breakdowns: [projects, users, clients, tags, tasks, project_users]\n", r.Name, r.Token)
	}
	level.Warn(logger).Log("msg", "DEMO MODE: serving simulated reports from a built-in fake Toggl API, not real data", "fake_api", "http://"+ln.Addr().String())
	return []byte(b.String()), func() { srv.Close() }, nil
}

// landingPage renders the exporter-toolkit landing page with the reports and their last
// status; it is rendered per request because the status changes.
func landingPage(e *collector.Exporter, metricsPath string, demo bool, logger log.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var extra strings.Builder
		if demo {
			extra.WriteString(`<p class="demo"><strong>DEMO MODE:</strong> these figures come from a built-in simulated Toggl API, not from a real account.</p>`)
		}
		extra.WriteString("<h2>Reports</h2><table><tr><th>report</th><th>status</th><th>last success</th><th>series</th><th></th></tr>")
		for _, s := range e.Status() {
			status := "not fetched yet"
			switch {
			case s.Up:
				status = "up"
			case s.Fetched:
				status = "down: " + s.Code + ": " + s.Message
			}
			last := "never"
			if !s.LastSuccess.IsZero() {
				last = s.LastSuccess.UTC().Format(time.RFC3339)
			}
			fmt.Fprintf(&extra, `<tr><td>%s</td><td>%s</td><td>%s</td><td>%d</td><td><a href="probe?report=%s">probe</a></td></tr>`,
				html.EscapeString(s.Name), html.EscapeString(status), last, s.Series, url.QueryEscape(s.Name))
		}
		extra.WriteString("</table>")
		description := "Prometheus exporter for Toggl Track saved reports"
		if demo {
			description += " (DEMO MODE)"
		}
		page, err := web.NewLandingPage(web.LandingConfig{
			Name:        program,
			Description: description,
			Version:     version.Info(),
			Links: []web.LandingLinks{
				{Address: metricsPath, Text: "Metrics", Description: "every report and the exporter's own metrics"},
				{Address: "/config", Text: "Configuration", Description: "the loaded configuration, secrets redacted"},
				{Address: "/sd", Text: "Service discovery", Description: "every report as a /probe target, for Prometheus' http_sd_configs"},
				{Address: "/-/healthy", Text: "Health"},
				{Address: "/-/ready", Text: "Readiness"},
			},
			ExtraHTML: extra.String(),
			ExtraCSS:  ".demo { background: #fff3cd; padding: .5em; } table { border-collapse: collapse; } td, th { padding: .2em .6em; text-align: left; }",
		})
		if err != nil {
			level.Error(logger).Log("msg", "cannot render the landing page", "err", err)
			http.Error(w, "cannot render the landing page", http.StatusInternalServerError)
			return
		}
		page.ServeHTTP(w, r)
	})
}
