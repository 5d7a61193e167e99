package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
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
	if _, err := backfill.NewOutput(io.Discard, *b.labels); err != nil { // checked before the plan, for --dry-run
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

	w, closeOutput := io.Writer(stdout), func() error { return nil }
	if *b.output != "" {
		f, err := os.Create(*b.output)
		if err != nil {
			return fail("--output: %v", err)
		}
		w, closeOutput = f, f.Close
	}
	out, _ := backfill.NewOutput(w, *b.labels) // the labels were checked above
	c := newClient(cfg, nil)
	defer c.CloseIdleConnections()
	// A hang-up stops the run as Ctrl-C does: the days written stay, and it says how to go on.
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	stderr = newProgress(stderr) // what follows ends an open progress bar's line first
	runErr := backfill.Run(ctx, jobs, out, backfill.Options{Fetcher: c, Progress: stderr})
	outErr := errors.Join(out.Close(), closeOutput())
	var stopped *backfill.StoppedError
	if errors.As(runErr, &stopped) && errors.Is(runErr, context.Canceled) {
		runErr = &backfill.StoppedError{Restart: stopped.Restart, Err: errors.New("interrupted")}
	}
	if runErr == nil && outErr != nil {
		return fail("writing the output: %v", outErr)
	}
	importHint := fmt.Sprintf("\n  promtool tsdb create-blocks-from openmetrics %s DATA_DIR", cmp.Or(*b.output, "FILE"))
	if runErr != nil {
		fmt.Fprintf(stderr, "backfill: %v\n", runErr)
		if outErr == nil && out.Samples() > 0 {
			fmt.Fprintf(stderr, "backfill: %d samples of the finished days written; import them with%s\n", out.Samples(), importHint)
		}
		if stopped != nil {
			fmt.Fprintln(stderr, "backfill: to go on, run")
			for _, cmd := range b.restart(configPath, stopped.Restart, out.Samples() > 0) {
				fmt.Fprintln(stderr, "  "+cmd)
			}
		}
		return 1
	}
	fmt.Fprintf(stderr, "backfill: %d samples written; import them with%s\n", out.Samples(), importHint)
	return 0
}

// restartSuffix is what restart adds to an --output name; a restart of a restart
// replaces it.
var restartSuffix = regexp.MustCompile(`-from-\d{4}-\d\d-\d\d-to-\d{4}-\d\d-\d\d(-\d+)?$`)

// restart returns the command lines that go on from where a stopped run ended: every flag
// the run was given, --from the first unfinished day (one line per set of reports that
// share their days, which are all but the one that stopped midway), and, when the output
// holds days (written), an --output of their own, so that the finished days are not
// written over before they are imported.
func (b *backfillCommand) restart(configPath string, jobs []backfill.Job, written bool) []string {
	type days struct{ from, to string }
	var order []days
	reports := map[days][]string{}
	for _, j := range jobs {
		d := days{j.From.Format(time.DateOnly), j.To.Format(time.DateOnly)}
		if reports[d] == nil {
			order = append(order, d)
		}
		reports[d] = append(reports[d], j.Report.Name)
	}
	lines := make([]string, 0, len(order))
	used := map[string]bool{*b.output: true} // never the output that holds the finished days
	for _, d := range order {
		args := []string{"toggl_exporter", "backfill", "--config.file=" + configPath}
		for _, r := range reports[d] {
			args = append(args, "--report="+r)
		}
		args = append(args, "--from="+d.from, "--to="+d.to)
		if *b.output != "" && !written {
			args = append(args, "--output="+*b.output)
		} else if *b.output != "" {
			ext := filepath.Ext(*b.output)
			stem := restartSuffix.ReplaceAllString(strings.TrimSuffix(*b.output, ext), "") + "-from-" + d.from + "-to-" + d.to
			name := stem + ext
			for n := 2; used[name]; n++ {
				name = stem + "-" + strconv.Itoa(n) + ext
			}
			used[name] = true
			args = append(args, "--output="+name)
		}
		for _, k := range slices.Sorted(maps.Keys(*b.labels)) {
			args = append(args, "--label="+k+"="+(*b.labels)[k])
		}
		for i, a := range args {
			args[i] = shellQuote(a)
		}
		lines = append(lines, strings.Join(args, " "))
	}
	return lines
}

// shellQuote quotes s for a POSIX shell when it holds anything but plain characters.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || strings.ContainsRune("-_./:=@%+,", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
