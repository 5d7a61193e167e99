package backfill

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/toggl-exporter/toggl_exporter/config"
)

// Command is `toggl_exporter backfill` as its flags ask for it.
type Command struct {
	ConfigFile string // "": the demo's own reports
	Demo       bool
	Reports    []string // --report: default every report
	From, To   string   // YYYY-MM-DD; To "" is yesterday
	Output     string   // "" is stdout
	DryRun     bool
	Labels     map[string]string
}

// Run backfills cfg's reports through f and returns the exit code; plan, progress and
// errors go to stderr. ctx ending interrupts it: the finished days stay, and it says how to go on.
func (c *Command) Run(ctx context.Context, cfg *config.Config, f Fetcher, stdout, stderr io.Writer, now time.Time) int {
	fail := func(format string, args ...any) int {
		fmt.Fprintf(stderr, "backfill: "+format+"\n", args...)
		return 1
	}
	from, err := time.Parse(time.DateOnly, c.From)
	if err != nil {
		return fail("--from %q: want YYYY-MM-DD", c.From)
	}
	var to time.Time
	if c.To != "" {
		if to, err = time.Parse(time.DateOnly, c.To); err != nil {
			return fail("--to %q: want YYYY-MM-DD", c.To)
		}
	}
	reports, err := cfg.ReportsNamed(c.Reports, cmp.Or(c.ConfigFile, "the demo"))
	if err != nil {
		return fail("%v", err)
	}
	out, err := NewOutput(stdout, c.Labels) // checked before the plan, for --dry-run
	if err != nil {
		return fail("--label: %v", err)
	}
	jobs, err := Plan(reports, from, to, now)
	if err != nil {
		return fail("%v", err)
	}
	PrintPlan(stderr, jobs, cfg.HourlyQuota)
	if c.DryRun {
		fmt.Fprintln(stderr, "dry run: no request sent")
		return 0
	}

	closeOutput := func() error { return nil }
	if c.Output != "" {
		f, err := os.Create(c.Output)
		if err != nil {
			return fail("--output: %v", err)
		}
		out, _ = NewOutput(f, c.Labels) // the labels were checked above
		closeOutput = f.Close
	}
	m := &meter{w: stderr, bar: isTerminal(stderr)}
	stderr = m // what follows ends an open progress bar's line first
	err = Run(ctx, jobs, out, Options{Fetcher: f, Progress: m.progress, Notes: m})
	outErr := errors.Join(out.Close(), closeOutput())
	importHint := fmt.Sprintf("\n  promtool tsdb create-blocks-from openmetrics %s DATA_DIR", cmp.Or(c.Output, "FILE"))
	var stopped *StoppedError
	if !errors.As(err, &stopped) { // Run stops with a StoppedError, or ends with nil
		if outErr != nil {
			return fail("writing the output: %v", outErr)
		}
		fmt.Fprintf(stderr, "backfill: %d samples written; import them with%s\n", out.samples, importHint)
		return 0
	}
	if errors.Is(err, context.Canceled) {
		stopped.Err = errors.New("interrupted")
	}
	fmt.Fprintf(stderr, "backfill: %v\n", stopped)
	if outErr == nil && out.samples > 0 {
		fmt.Fprintf(stderr, "backfill: %d samples of the finished days written; import them with%s\n", out.samples, importHint)
	}
	fmt.Fprintf(stderr, "backfill: to go on, run\n  %s\n", strings.Join(c.restart(stopped.Restart, out.samples > 0), "\n  "))
	return 1
}

// restartSuffix is what restart adds to an --output name, replaced in a restart's restart.
var restartSuffix = regexp.MustCompile(`-from-\d{4}-\d\d-\d\d-to-\d{4}-\d\d-\d\d(-\d+)?$`)

// restart returns the command lines that go on where a stopped run ended: every flag it
// was given, --from the first unfinished day (a line per set of reports sharing their
// days), and, when the output holds days (written), an --output of their own.
func (c *Command) restart(jobs []Job, written bool) []string {
	type days struct{ from, to string }
	var order []days
	reports := map[days][]string{} // their --report flags
	for _, j := range jobs {
		d := days{j.From.Format(time.DateOnly), j.To.Format(time.DateOnly)}
		if reports[d] == nil {
			order = append(order, d)
		}
		reports[d] = append(reports[d], "--report="+j.Report.Name)
	}
	lines := make([]string, 0, len(order))
	used := map[string]bool{c.Output: true} // never the output that holds the finished days
	for _, d := range order {
		args := []string{"toggl_exporter", "backfill"}
		if c.ConfigFile != "" {
			args = append(args, "--config.file="+c.ConfigFile)
		}
		if c.Demo {
			args = append(args, "--demo")
		}
		args = append(append(args, reports[d]...), "--from="+d.from, "--to="+d.to)
		if output := c.Output; output != "" {
			if written {
				ext := filepath.Ext(output)
				stem := restartSuffix.ReplaceAllString(strings.TrimSuffix(output, ext), "") + "-from-" + d.from + "-to-" + d.to
				output = stem + ext
				for n := 2; used[output]; n++ {
					output = stem + "-" + strconv.Itoa(n) + ext
				}
				used[output] = true
			}
			args = append(args, "--output="+output)
		}
		for _, k := range slices.Sorted(maps.Keys(c.Labels)) {
			args = append(args, "--label="+k+"="+c.Labels[k])
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
	if plain, _ := regexp.MatchString(`^[-\w./:=@%+,]+$`, s); plain { // a few a run: compiled when asked
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// meter shows a run's progress on w: a line per step, or on a terminal (bar) one line
// redrawn with a bar, which whatever else is written through it ends first.
type meter struct {
	w         io.Writer
	bar, open bool // on a terminal; a bar line is drawn and not ended
}

// isTerminal says whether w is a terminal, where a bar can be redrawn.
func isTerminal(w io.Writer) bool {
	f, _ := w.(*os.File)
	fi, err := f.Stat() // a nil *os.File says os.ErrInvalid
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

func (m *meter) Write(b []byte) (int, error) {
	if m.open {
		fmt.Fprint(m.w, "\n")
		m.open = false
	}
	return m.w.Write(b)
}

func (m *meter) progress(p Progress) {
	what := fmt.Sprintf("%d/%d requests of seven days (%d sent with pages), through %s", p.Done, p.Total, p.Sent, p.Through.Format(time.DateOnly))
	if p.Days {
		what = fmt.Sprintf("%d/%d days, through %s", p.Done, p.Total, p.Through.Format(time.DateOnly))
	}
	if !m.bar {
		fmt.Fprintf(m.w, "%s: %s\n", p.Report, what)
		return
	}
	const width = 30
	filled := min(width*p.Done/p.Total, width) // a job has a step at least
	fmt.Fprintf(m.w, "\r\033[K%s [%s%s] %s", p.Report, strings.Repeat("#", filled), strings.Repeat(".", width-filled), what)
	m.open = p.Done < p.Total
	if !m.open {
		fmt.Fprint(m.w, "\n")
	}
}
