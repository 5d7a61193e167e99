// Command toggl_exporter executes saved Toggl Track reports when Prometheus scrapes it and
// exposes what they hold as metrics.
package main

import (
	"cmp"
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	stdlog "log"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"slices"
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
	"github.com/prometheus/common/version"
	"github.com/prometheus/exporter-toolkit/web"
	"github.com/prometheus/exporter-toolkit/web/kingpinflag"
	slgk "github.com/tjhop/slog-gokit"

	"github.com/toggl-exporter/toggl_exporter/client"
	"github.com/toggl-exporter/toggl_exporter/collector"
	"github.com/toggl-exporter/toggl_exporter/config"
	"github.com/toggl-exporter/toggl_exporter/discovery"
	"github.com/toggl-exporter/toggl_exporter/internal/togglfake"
	"github.com/toggl-exporter/toggl_exporter/server"
)

const program = "toggl_exporter"

// versionFile is the version of a plain `go build` or `go run`; a release build sets
// version.Version through -ldflags from the same file.
//
//go:embed VERSION
var versionFile string

func init() { version.Version = cmp.Or(version.Version, strings.TrimSpace(versionFile)) }

// The server's flags belong to its command, serve, the default one, so that the other
// commands' --help lists only their own; usage shows them with the program's (see run).
var (
	configFileSet bool
	configFile    = kingpin.Flag("config.file", "Configuration file (YAML).").IsSetByUser(&configFileSet).Default("toggl.yml").String()
	serveCmd      = kingpin.Command("serve", "Serve the reports as metrics (the default command).").Default()
	configCheck   = serveCmd.Flag("config.check", "Validate the configuration file (files readable, values sane), print what is wrong, and exit 0 or 1; when valid, print each report's period now, its kind of credentials and the refresh plan. Makes no network request.").Bool()
	demo          = serveCmd.Flag("demo", "Run against a built-in simulated Toggl API: alone, with sample reports of all three types; with --config.file, to rehearse that file's reports before having tokens (any token is accepted, missing secret files and variables are stood in for). No account needed.").Bool()
	metricsPath   = serveCmd.Flag("web.telemetry-path", "Path under which to expose metrics.").Default("/metrics").String()
	timeoutOffset = serveCmd.Flag("scrape.timeout-offset", "Subtracted from Prometheus' X-Prometheus-Scrape-Timeout-Seconds to leave time to answer.").Default("0.5s").Duration()
	logLevel      = serveCmd.Flag("log.level", "Only log messages with the given severity or above. One of: [debug, info, warn, error]").Default("info").Enum("debug", "info", "warn", "error")
	logFormat     = serveCmd.Flag("log.format", "Output format of log messages. One of: [logfmt, json]").Default("logfmt").Enum("logfmt", "json")
	maxRequests   = serveCmd.Flag("web.max-requests", "Most /metrics, /probe and /sd requests served at once; beyond it they are answered 503 at once. 0 means no limit.").Default("40").Int()
	maxConns      = serveCmd.Flag("web.max-connections", "Most HTTP connections held open at once; beyond it a new one closes the longest idle one, or is closed. 0 means no limit.").Default("100").Int()
	toolkitFlags  = kingpinflag.AddFlags(serveCmd, ":9981")
	backfillCmd   = newBackfillCommand(kingpin.CommandLine)
	describeCmd   = newDescribeCommand(kingpin.CommandLine)
)

// usage is kingpin's, plus, in the program's own help, the flags of the default command.
var usage = strings.Replace(kingpin.DefaultUsageTemplate, "{{if .Context.Args -}}", `{{if not .Context.SelectedCommand}}{{range .App.Commands}}{{if .Default -}}
Flags of {{.Name}}, the default command:
{{.Flags|FlagsToTwoColumns|FormatTwoColumns}}
{{end}}{{end}}{{end -}}
{{if .Context.Args -}}`, 1)

func main() { os.Exit(run()) }

func run() int {
	kingpin.Version(version.Print(program))
	kingpin.HelpFlag.Short('h')
	kingpin.UsageTemplate(usage)
	switch kingpin.Parse() {
	case backfillCmd.cmd.FullCommand():
		return backfillCmd.run(context.Background(), *configFile, configFileSet, os.Stdout, os.Stderr, time.Now())
	case describeCmd.cmd.FullCommand():
		return describeCmd.run(context.Background(), *configFile, nil, os.Stdout, os.Stderr, time.Now())
	}

	logger, toolkitLogger, httpLogger := newLoggers(os.Stderr, *logFormat, *logLevel)

	if *configCheck {
		return checkConfig(*configFile, os.Stdout, os.Stderr)
	}
	if err := server.CheckFlags(*metricsPath, *maxRequests, *maxConns); err != nil {
		level.Error(logger).Log("msg", "invalid flag", "err", err)
		return 1
	}

	level.Info(logger).Log("msg", "starting "+program, "version", version.Info(), "build_context", version.BuildContext())

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), versioncollector.NewCollector(program))
	exporter := collector.New(collector.Options{Logger: logger, FetchOnApply: true})
	listings := discovery.New(logger, exporter)
	defer listings.Stop()
	reg.MustRegister(listings)
	reloader := &reloader{path: *configFile, logger: logger, safe: config.NewSafeConfig(reg), listings: listings, limits: client.NewLimits(nil)}
	site := server.Site{Name: program, MetricsPath: *metricsPath, TimeoutOffset: *timeoutOffset, MaxRequests: *maxRequests,
		Registry: reg, Exporter: exporter, Config: listings.Config, Reload: reloader.reload, Logger: logger}
	if *demo {
		note, stop, err := startDemo(logger, reloader, configFileSet)
		if err != nil {
			level.Error(logger).Log("msg", "cannot start the demo", "err", err)
			return 1
		}
		defer stop()
		site.DemoNote = note
	}
	if err := reloader.reload(); err != nil {
		level.Error(logger).Log("msg", "cannot load the configuration", "file", reloader.path, "err", err)
		return 1
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	go func() {
		for range hup {
			_ = reloader.reload() // logged by reload
		}
	}()
	stop := make(chan os.Signal, 2)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)

	srv := server.New(site.Handler(), httpLogger, *maxConns)
	listen := func() error { return web.ListenAndServe(srv, toolkitFlags, toolkitLogger) }
	if err := server.Serve(srv, listen, stop, server.ShutdownGrace, exporter.Close, logger); err != nil {
		level.Error(logger).Log("msg", "cannot serve", "err", err)
		return 1
	}
	return 0
}

// newLoggers returns the go-kit logger of the process and, writing through it (one stream,
// one format, one key order: level ts caller msg), the toolkit's slog and net/http's log.
func newLoggers(w io.Writer, format, lvl string) (log.Logger, *slog.Logger, *stdlog.Logger) {
	root := log.NewLogfmtLogger(log.NewSyncWriter(w))
	if format == "json" {
		root = log.NewJSONLogger(log.NewSyncWriter(w))
	}
	root = level.NewFilter(root, level.Allow(level.ParseDefault(lvl, level.InfoValue())))
	var sl slog.Level                 // info unless lvl names another:
	_ = sl.UnmarshalText([]byte(lvl)) // slog's names are go-kit's (debug, info, warn, error)
	// slog-gokit sends level, caller, time, msg, ...: its time moves after the level as ts,
	// where level.Info(logger) puts it on the exporter's own lines.
	toolkit := log.LoggerFunc(func(kv ...any) error {
		for i := 2; i+1 < len(kv) && i <= 4; i += 2 {
			if t, ok := kv[i+1].(time.Time); ok && kv[i] == slog.TimeKey {
				ts := []any{"ts", t.UTC().Format(time.RFC3339Nano)}
				kv = slices.Insert(slices.Delete(kv, i, i+2), 2, ts...)
				break
			}
		}
		return root.Log(kv...)
	})
	withTS := log.With(root, "ts", log.DefaultTimestampUTC)
	// net/http's lines carry its file:line (Lshortfile), which the adapter logs as caller.
	httpLog := stdlog.New(log.NewStdlibAdapter(level.Error(withTS)), "", stdlog.Lshortfile)
	return log.With(withTS, "caller", log.DefaultCaller), slog.New(slgk.NewGoKitHandler(toolkit, sl)), httpLog
}

// checkConfig implements --config.check: load and validate, without network access.
func checkConfig(path string, stdout, stderr io.Writer) int {
	cfg, err := config.Load(path, nil)
	if err != nil {
		fmt.Fprintf(stderr, "%s: configuration is invalid:\n  %s\n", path, strings.ReplaceAll(err.Error(), "\n", "\n  "))
		return 1
	}
	fmt.Fprintf(stdout, "%s: configuration is valid: %d report(s), %d workspace(s) to discover, %d workspace(s) to list the members of\n",
		path, len(cfg.Reports), len(cfg.Discover), len(cfg.Members))
	now := time.Now()
	printReports(stdout, cfg, now)
	printPlan(stdout, cfg, now)
	return 0
}

// printReports prints each report's days at now and its kind of credentials (no secret).
func printReports(w io.Writer, cfg *config.Config, now time.Time) {
	if len(cfg.Reports) > 0 {
		fmt.Fprintln(w, "reports (the days of each period now; the kind of credentials):")
	}
	for _, r := range cfg.Reports {
		period := "no period: the saved report's own dates"
		if start, end := r.Resolved.Window(now); !start.IsZero() {
			period = fmt.Sprintf("%s, now %s to %s (%s)", r.Resolved.Period, start.Format(time.DateOnly), end.AddDate(0, 0, -1).Format(time.DateOnly), r.Resolved.Location)
		}
		creds := collector.Credentials(r).Kind() + " credentials"
		if creds == "anonymous credentials" {
			creds = "no credentials (the report token alone)"
		}
		fmt.Fprintf(w, "  report %s: %s; %s\n", r.Name, period, creds)
	}
}

// printPlan prints the quota plan per credential, named by its kind and what it fetches.
func printPlan(w io.Writer, cfg *config.Config, now time.Time) {
	plans := collector.Plan(cfg, now)
	if len(plans) == 0 {
		return
	}
	fmt.Fprintf(w, "quota plan (each report assumed to cost %d requests a refresh, a detailed report of a team's week, or 1 when its params set grouping or sub_grouping, a summary; "+
		"a weekly report costs 1 once fetched; a listing 1 request every interval, more when over 50 saved reports):\n", collector.AssumedPages)
	if len(cfg.Discover) > 0 {
		fmt.Fprintln(w, "  (the reports that discover finds are not counted: they are known once listed, each costing what a report does)")
	}
	for _, p := range plans {
		budget := fmt.Sprintf("hourly_quota %d", p.Budget)
		if p.Learned {
			budget = fmt.Sprintf("%d an hour until Toggl's quota headers tell the plan (hourly_quota unset: nine tenths of the Free plan's 30)", p.Budget)
		}
		fmt.Fprintf(w, "  %s credentials of %s: %.0f requests/hour at min_refresh_interval, %.0f planned, against %s\n",
			p.Kind, strings.Join(append(p.Reports, p.Listings...), ", "), p.PerHour, p.Planned, budget)
		for _, r := range p.Stretched {
			closed := ""
			if r.Closed {
				closed = " (closed period: closed_refresh_interval)"
			}
			fmt.Fprintf(w, "    %s: refreshed every %s, less often than %s%s; raise hourly_quota if your plan allows more\n", r.Name, r.Interval, r.Floor, closed)
		}
	}
}

// describeCommand is `toggl_exporter describe` and its flags.
type describeCommand struct {
	cmd    *kingpin.CmdClause
	report string
	json   bool
}

func newDescribeCommand(app *kingpin.Application) *describeCommand {
	c := &describeCommand{cmd: app.Command("describe", "Run one report once, every page, and print what Toggl sent, for a bug report: "+
		"counts, field names and header names only, never a token, name, e-mail or description.")}
	c.cmd.Flag("report", "The report to run: configured, or found by a discover entry's listing.").Required().StringVar(&c.report)
	c.cmd.Flag("json", "Print the same as one JSON object.").BoolVar(&c.json)
	return c
}

// run describes the report and returns the exit code: 1 when the report is neither
// configured nor listed by a discover entry, or the run did not get to the end (what it
// saw is printed all the same). limits are the upstream etiquette to respect; nil starts
// afresh.
func (c *describeCommand) run(ctx context.Context, configPath string, limits *client.Limits, stdout, stderr io.Writer, now time.Time) int {
	cfg, err := config.Load(configPath, nil)
	if err != nil {
		fmt.Fprintf(stderr, "describe: %s: %v\n", configPath, err)
		return 1
	}
	cl := newClient(cfg, limits)
	defer cl.CloseIdleConnections()
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	reports, err := cfg.ReportsNamed([]string{c.report}, configPath)
	if err != nil && len(cfg.Discover) > 0 { // not configured: perhaps listed, as the server would find it
		var problems []string
		if cfg, problems, err = discovery.ListOnce(ctx, cfg, cl); err == nil {
			for _, p := range problems {
				fmt.Fprintf(stderr, "describe: a listed report is left out: %s\n", p)
			}
			reports, err = cfg.ReportsNamed([]string{c.report}, configPath+" or its discover listings")
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "describe: %v\n", err)
		return 1
	}
	d := collector.Describe(ctx, reports[0], cl, now)
	if c.json {
		b, _ := json.MarshalIndent(d, "", "  ") // plain values: cannot fail
		_, err = fmt.Fprintf(stdout, "%s\n", b)
	} else {
		err = d.WriteText(stdout)
	}
	if err != nil || d.Error != "" {
		return 1
	}
	return 0
}

// reloader applies the configuration through the listings, one reload at a time (SIGHUP
// and /-/reload may race).
type reloader struct {
	mu       sync.Mutex
	path     string // of the configuration file; "(demo)" for the demo's
	demo     []byte // the demo's configuration, loaded instead of path when set
	logger   log.Logger
	safe     *config.SafeConfig
	listings *discovery.Discovery
	limits   *client.Limits // the upstream etiquette, kept for the life of the process
	client   *client.Client
	clientOf *config.Config // the configuration client was made from
	// A rehearsal (startDemo) stands in for missing secrets and sends everything to apiURL.
	lookupEnv func(string) (string, bool)
	readFile  func(string) ([]byte, error)
	apiURL    string
}

func (r *reloader) reload() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	load := func() (bool, error) { return r.safe.ReloadWith(r.path, r.lookupEnv, r.readFile) }
	if r.demo != nil {
		load = func() (bool, error) { return r.safe.ReloadData(r.demo, "", nil) }
	}
	changed, err := load()
	if err != nil {
		if r.safe.Get() != nil { // at start the caller says it
			level.Error(r.logger).Log("msg", "configuration rejected; the previous one keeps serving", "file", r.path, "err", err)
		}
		return err
	}
	cfg := r.safe.Get()
	if r.apiURL != "" {
		c := *cfg
		c.APIURL = r.apiURL
		cfg = &c
	}
	// Only a change of the API URL, body limit or request rate makes a new client; the
	// backoffs and quota blocks are in r.limits, which it shares.
	if o := r.clientOf; o == nil || o.APIURL != cfg.APIURL || o.MaxResponseBytes != cfg.MaxResponseBytes ||
		o.RequestsPerSecond != cfg.RequestsPerSecond || o.HourlyQuota != cfg.HourlyQuota {
		if r.client != nil {
			defer r.client.CloseIdleConnections() // once no new fetch can take it
		}
		r.client, r.clientOf = newClient(cfg, r.limits), cfg
	}
	if changed {
		level.Info(r.logger).Log("msg", "configuration loaded", "file", r.path, "reports", len(cfg.Reports), "discover", len(cfg.Discover), "members", len(cfg.Members))
	} else {
		level.Info(r.logger).Log("msg", "configuration unchanged", "file", r.path)
	}
	r.listings.Set(cfg, r.client) // unchanged, it lists again the workspaces whose listing failed
	return nil
}

// newClient returns the client cfg asks for; a nil limits is the client's own.
func newClient(cfg *config.Config, limits *client.Limits) *client.Client {
	return client.New(client.Options{BaseURL: cfg.APIURL, UserAgent: program + "/" + version.Version,
		MaxResponseBytes: int64(cfg.MaxResponseBytes), RequestsPerSecond: cfg.RequestsPerSecond, HourlyQuota: cfg.HourlyQuota, Limits: limits})
}

// startDemo serves the fake Toggl API on loopback and points r at it: to rehearse the
// user's file, or with the demo's configuration, held in memory (the image may have no
// writable /tmp). It returns what the landing page says of the demo's settings.
func startDemo(logger log.Logger, r *reloader, rehearse bool) (note string, stop func(), err error) {
	url, stop, err := startFake(rehearse)
	if err != nil {
		return "", nil, err
	}
	if rehearse {
		r.apiURL = url
		r.lookupEnv, r.readFile = togglfake.StandIns(func(kind, name string, err error) {
			level.Warn(logger).Log("msg", "REHEARSAL: a stand-in replaces a secret that is missing", kind, name, "err", err)
		})
		level.Warn(logger).Log("msg", "DEMO MODE: rehearsing the reports of "+r.path+" against a built-in fake Toggl API that accepts any token: not real data", "fake_api", url)
		return "The reports are those of " + r.path + ", answered with the demo's data; any token is accepted.", stop, nil
	}
	// The reports are discovered, as a user's are, with every breakdown the dashboard shows.
	r.path, r.demo = "(demo)", fmt.Appendf(nil, "# Generated by --demo: a simulated Toggl API on loopback.\napi_url: %[1]s\n"+
		"discover:\n  - workspace_id: %[2]d\n    api_token: %[3]s\n    defaults:\n      breakdowns: [%[4]s]\n"+
		"members:\n  - workspace_id: %[2]d\n    api_token: %[3]s\n    expected_hours_per_week: 40\n",
		url, togglfake.DemoWorkspaceID, togglfake.DemoAPIToken, strings.Join(config.AllBreakdowns, ", "))
	level.Warn(logger).Log("msg", "DEMO MODE: serving simulated reports from a built-in fake Toggl API, not real data", "fake_api", url)
	return fmt.Sprintf("Its settings are the defaults but one: every breakdown (%s; the default is %s).",
		strings.Join(config.AllBreakdowns, ", "), strings.Join(config.DefaultBreakdowns, ", ")), stop, nil
}

// startFake serves the demo's fake Toggl API, or with rehearse the one that answers any
// token, on loopback.
func startFake(rehearse bool) (url string, stop func(), err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	fake := togglfake.Demo()
	if rehearse {
		fake = togglfake.Rehearsal()
	}
	srv := &http.Server{Handler: fake, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	return "http://" + ln.Addr().String(), func() { srv.Close() }, nil
}
