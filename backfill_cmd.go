package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/alecthomas/kingpin/v2"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/toggl-exporter/toggl_exporter/backfill"
	"github.com/toggl-exporter/toggl_exporter/config"
	"github.com/toggl-exporter/toggl_exporter/internal/togglfake"
)

// backfillCommand is `toggl_exporter backfill`: its flags fill in the backfill.
type backfillCommand struct {
	backfill.Command
	cmd *kingpin.CmdClause
}

func newBackfillCommand(app *kingpin.Application) *backfillCommand {
	b := &backfillCommand{Command: backfill.Command{Labels: map[string]string{}}, cmd: app.Command("backfill", "Write the reports' history as OpenMetrics for `promtool tsdb create-blocks-from openmetrics`: "+
		"for each day, the values the server would have served at its end.")}
	b.cmd.Flag("report", "Report to backfill (repeatable); default every report.").StringsVar(&b.Reports)
	b.cmd.Flag("from", "First day to write, YYYY-MM-DD, in each report's timezone.").Required().StringVar(&b.From)
	b.cmd.Flag("to", "Last day to write, YYYY-MM-DD; default yesterday in each report's timezone.").StringVar(&b.To)
	b.cmd.Flag("output", "File to write; default standard output.").StringVar(&b.Output)
	b.cmd.Flag("dry-run", "Print the requests it would make and how long the quota makes them take; send none.").BoolVar(&b.DryRun)
	b.cmd.Flag("label", "NAME=VALUE added to every sample (repeatable): the labels your scrape adds, e.g. job=toggl, so that dashboards selecting on them find the history.").
		PlaceHolder("NAME=VALUE").StringMapVar(&b.Labels)
	b.cmd.Flag("demo", "Backfill from the built-in simulated Toggl API, no account needed: alone, the demo's reports (as --demo serves them); with --config.file, that file's reports, rehearsed.").BoolVar(&b.Demo)
	return b
}

// run backfills the reports of the configuration at path (--demo: see demoConfig) and
// returns the exit code. A hang-up or SIGTERM stops it as Ctrl-C does.
func (b *backfillCommand) run(ctx context.Context, path string, pathSet bool, stdout, stderr io.Writer, now time.Time) int {
	b.ConfigFile = path
	load := func() (*config.Config, error) { return config.Load(path, nil) }
	if b.Demo {
		if !pathSet {
			b.ConfigFile = ""
		}
		url, stop, err := startFake(pathSet)
		if err != nil {
			fmt.Fprintf(stderr, "backfill: --demo: %v\n", err)
			return 1
		}
		defer stop()
		load = func() (*config.Config, error) { return demoConfig(path, pathSet, url, stderr) }
	}
	cfg, err := load()
	if err != nil {
		fmt.Fprintf(stderr, "backfill: %s: %v\n", cmp.Or(b.ConfigFile, "the demo"), err)
		return 1
	}
	c := newClient(cfg, nil)
	defer c.CloseIdleConnections()
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	return b.Run(ctx, cfg, c, stdout, stderr, now)
}

// demoConfig is backfill --demo's configuration against the fake at url: with the user's
// file (rehearse), its reports, missing secrets stood in for; else the demo's reports, as
// --demo discovers them, with every breakdown and the period their saved report covers.
func demoConfig(path string, rehearse bool, url string, stderr io.Writer) (*config.Config, error) {
	if rehearse {
		lookupEnv, readFile := togglfake.StandIns(func(kind, name string, err error) {
			fmt.Fprintf(stderr, "backfill: REHEARSAL: a stand-in replaces the %s %s, which is missing (%v)\n", kind, name, err)
		})
		safe := config.NewSafeConfig(prometheus.NewRegistry()) // the one loader that takes readFile
		if _, err := safe.ReloadWith(path, lookupEnv, readFile); err != nil {
			return nil, err
		}
		cfg := safe.Get()
		cfg.APIURL = url
		return cfg, nil
	}
	yml := fmt.Sprintf("api_url: %s\nreports:\n", url)
	for _, d := range togglfake.DemoReports {
		period := cmp.Or(d.Period, map[string]string{"summary": "last_30_days"}[d.Type], "this_week") // else detailed or weekly
		yml += fmt.Sprintf("  - {name: %s, token: %s, period: %s, breakdowns: [%s]}\n", d.Name, d.Token, period, strings.Join(config.AllBreakdowns, ", "))
	}
	return config.Parse([]byte(yml), "", func(string) (string, bool) { return "", false }) // no $TOGGL_API_TOKEN for the fake
}
