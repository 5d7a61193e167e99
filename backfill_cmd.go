package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"syscall"
	"time"

	"github.com/alecthomas/kingpin/v2"

	"github.com/toggl-exporter/toggl_exporter/backfill"
	"github.com/toggl-exporter/toggl_exporter/config"
)

// backfillCommand is `toggl_exporter backfill` and its flags.
type backfillCommand struct {
	cmd     *kingpin.CmdClause
	reports *[]string
	from    *string
	to      *string
	output  *string
	dryRun  *bool
	labels  *map[string]string
}

func newBackfillCommand(app *kingpin.Application) *backfillCommand {
	cmd := app.Command("backfill", "Write the reports' history as OpenMetrics for `promtool tsdb create-blocks-from openmetrics`: "+
		"for each day, the values the server would have served at its end.")
	return &backfillCommand{
		cmd:     cmd,
		reports: cmd.Flag("report", "Report to backfill (repeatable); default every report.").Strings(),
		from:    cmd.Flag("from", "First day to write, YYYY-MM-DD, in each report's timezone.").Required().String(),
		to:      cmd.Flag("to", "Last day to write, YYYY-MM-DD; default yesterday in each report's timezone.").String(),
		output:  cmd.Flag("output", "File to write; default standard output.").String(),
		dryRun:  cmd.Flag("dry-run", "Print the requests it would make and how long the quota makes them take; send none.").Bool(),
		labels: cmd.Flag("label", "NAME=VALUE added to every sample (repeatable): the labels your scrape adds, e.g. job=toggl, so that dashboards selecting on them find the history.").
			PlaceHolder("NAME=VALUE").StringMap(),
	}
}

// run backfills and returns the exit code. Plan, progress and errors go to stderr.
func (b *backfillCommand) run(ctx context.Context, configPath string, stdout, stderr io.Writer, now time.Time) int {
	fail := func(format string, args ...any) int {
		fmt.Fprintf(stderr, "backfill: "+format+"\n", args...)
		return 1
	}
	from, err := time.Parse(time.DateOnly, *b.from)
	if err != nil {
		return fail("--from %q: want YYYY-MM-DD", *b.from)
	}
	var to time.Time
	if *b.to != "" {
		if to, err = time.Parse(time.DateOnly, *b.to); err != nil {
			return fail("--to %q: want YYYY-MM-DD", *b.to)
		}
	}
	cfg, err := config.Load(configPath, nil)
	if err != nil {
		return fail("%s: %v", configPath, err)
	}
	reports := cfg.Reports
	if len(*b.reports) > 0 {
		reports = nil
		for _, name := range *b.reports {
			i := slices.IndexFunc(cfg.Reports, func(r config.Report) bool { return r.Name == name })
			if i < 0 {
				return fail("--report %q: no such report in %s (have %s)", name, configPath, reportNames(cfg.Reports))
			}
			if !slices.ContainsFunc(reports, func(x config.Report) bool { return x.Name == name }) {
				reports = append(reports, cfg.Reports[i])
			}
		}
	}
	out, err := backfill.NewOutput(*b.labels)
	if err != nil {
		return fail("--label: %v", err)
	}
	jobs, err := backfill.Plan(reports, from, to, now)
	if err != nil {
		return fail("%v", err)
	}
	backfill.PrintPlan(stderr, jobs)
	if *b.dryRun {
		fmt.Fprintln(stderr, "dry run: no request sent")
		return 0
	}

	var w io.Writer = stdout
	if *b.output != "" {
		f, err := os.Create(*b.output)
		if err != nil {
			return fail("--output: %v", err)
		}
		defer f.Close()
		w = f
	}
	c := newClient(cfg, nil)
	defer c.CloseIdleConnections()
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	runErr := backfill.Run(ctx, jobs, out, backfill.Options{Fetcher: c, Progress: newProgress(stderr)})
	// What was finished is written whatever happened, so that a restart goes on from it.
	if _, err := out.WriteTo(w); err != nil {
		return fail("writing the output: %v", err)
	}
	if f, ok := w.(*os.File); ok && f != os.Stdout {
		if err := f.Close(); err != nil {
			return fail("writing the output: %v", err)
		}
	}
	if runErr != nil {
		var stopped *backfill.StoppedError
		if errors.As(runErr, &stopped) && errors.Is(runErr, context.Canceled) {
			runErr = &backfill.StoppedError{Restart: stopped.Restart, Err: errors.New("interrupted")}
		}
		return fail("%v", runErr)
	}
	fmt.Fprintf(stderr, "backfill: %d samples written; import them with\n  promtool tsdb create-blocks-from openmetrics %s DATA_DIR\n", out.Samples(), cmp.Or(*b.output, "FILE"))
	return 0
}
