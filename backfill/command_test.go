package backfill

import (
	"bytes"
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/toggl-exporter/toggl_exporter/client"
	"github.com/toggl-exporter/toggl_exporter/config"
	"github.com/toggl-exporter/toggl_exporter/internal/togglfake"
)

// TestBackfillCommand: what `backfill` prints and sends for its flags, from the dry run's
// figures (on the configured hourly_quota) to a run that writes OpenMetrics.
func TestBackfillCommand(t *testing.T) {
	fake := togglfake.New()
	fake.Set(token, togglfake.Agency{Loc: berlin, First: time.Date(2026, 10, 1, 0, 0, 0, 0, berlin), Last: time.Date(2026, 11, 30, 0, 0, 0, 0, berlin)}.Report("weekly"))
	hs := httptest.NewServer(fake)
	defer hs.Close()
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "toggl.yml")
	if err := os.WriteFile(cfgPath, fmt.Appendf(nil, `
api_url: %s
requests_per_second: 100
hourly_quota: 100
reports:
  - name: team
    token: %s
    period: this_week
    timezone: Europe/Berlin
  - name: other
    token: %s
    period: today
`, hs.URL, token, token), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(cfgPath, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := client.New(client.Options{BaseURL: hs.URL, RequestsPerSecond: 100})
	out := filepath.Join(dir, "history.om")

	for _, tc := range []struct {
		name     string
		cmd      Command
		code     int
		requests int
		stderr   []string
	}{
		{"dry run", Command{Reports: []string{"team"}, From: "2026-10-05", To: "2026-11-01", DryRun: true}, 0, 0,
			[]string{`report "team" (period this_week, timezone Europe/Berlin): 2026-10-05 to 2026-11-01, 28 days`, "4 requests, one per 7 days",
				"paced within hourly_quota (100 requests an hour): about 4s", "no request sent"}},
		{"unknown report", Command{Reports: []string{"nope"}, From: "2026-10-05"}, 1, 0, []string{`--report "nope": no such report in ` + cfgPath, "(have team, other)"}},
		{"bad label", Command{From: "2026-10-05", Labels: map[string]string{"2x": "y"}}, 1, 0, []string{`--label: label "2x": not a valid label name`}},
		{"bad date", Command{From: "5.10.2026"}, 1, 0, []string{`--from "5.10.2026": want YYYY-MM-DD`}},
		{"today", Command{From: "2026-11-20", To: "2026-12-01"}, 1, 0, []string{"not before today"}},
		{"run", Command{Reports: []string{"team"}, From: "2026-10-05", To: "2026-11-01", Output: out, Labels: map[string]string{"job": "toggl"}}, 0, 4,
			[]string{"team: 4/4 requests of seven days (4 sent with pages), through 2026-11-01\n", "samples written", "promtool tsdb create-blocks-from openmetrics " + out}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake.Reset()
			tc.cmd.ConfigFile = cfgPath
			var stdout, stderr bytes.Buffer
			if code := tc.cmd.Run(context.Background(), cfg, c, &stdout, &stderr, now); code != tc.code {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tc.code, stderr.String())
			}
			for _, want := range tc.stderr {
				if !strings.Contains(stderr.String(), want) {
					t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
				}
			}
			if n := fake.Count(token); n != tc.requests {
				t.Errorf("%d requests, want %d", n, tc.requests)
			}
			if strings.Contains(stderr.String(), token) {
				t.Error("the report token is in the output")
			}
		})
	}
	text, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(string(text), "# EOF\n") || !strings.Contains(string(text), "# TYPE toggl_report_tracked_seconds gauge") ||
		!strings.Contains(string(text), `toggl_report_tracked_seconds{job="toggl",report="team"}`) {
		t.Errorf("output is not OpenMetrics with the tracked seconds:\n%.500s", text)
	}
}

// TestBackfillRestart: the restart lines repeat every flag, quoted for a shell, one line
// per set of reports that share their days; a restart's output name replaces the
// suffix of the one before, and is never the output that holds the finished days.
func TestBackfillRestart(t *testing.T) {
	c := Command{ConfigFile: "my.yml", Output: "out/h-from-2026-10-05-to-2026-11-01.om", Labels: map[string]string{"job": "toggl", "team": "ops 'night'"}}
	jobs := []Job{
		{Report: config.Report{Name: "team week"}, From: date("2026-10-19"), To: date("2026-11-01")},
		{Report: config.Report{Name: "a"}, From: date("2026-10-05"), To: date("2026-11-01")},
		{Report: config.Report{Name: "b"}, From: date("2026-10-05"), To: date("2026-11-01")},
	}
	labels := ` --label=job=toggl '--label=team=ops '\''night'\'''`
	want := []string{
		`toggl_exporter backfill --config.file=my.yml '--report=team week' --from=2026-10-19 --to=2026-11-01 --output=out/h-from-2026-10-19-to-2026-11-01.om` + labels,
		`toggl_exporter backfill --config.file=my.yml --report=a --report=b --from=2026-10-05 --to=2026-11-01 --output=out/h-from-2026-10-05-to-2026-11-01-2.om` + labels,
	}
	if got := c.restart(jobs, true); !slices.Equal(got, want) {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// The demo's own reports: no configuration file, --demo again.
	demo := Command{Demo: true}
	if got, want := demo.restart(jobs[:1], false), "toggl_exporter backfill --demo '--report=team week' --from=2026-10-19 --to=2026-11-01"; len(got) != 1 || got[0] != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestBackfillMeter: on a terminal, progress redraws one bar in place and ends it when
// done; a note ends an open bar's line first and passes through whole; not on a
// terminal, each step is a plain line.
func TestBackfillMeter(t *testing.T) {
	steps := []Progress{
		{Report: "team-week", Done: 1, Total: 4, Sent: 1, Through: date("2026-10-07")},
		{Report: "team-week", Done: 2, Total: 4, Sent: 3, Through: date("2026-10-14")},
		{Report: "team-week", Done: 4, Total: 4, Sent: 5, Through: date("2026-10-28")},
	}
	var out bytes.Buffer
	m := &meter{w: &out, bar: true}
	m.progress(steps[0])
	m.progress(steps[1])
	fmt.Fprintln(m, "team-week: Toggl says 429; waiting 1s")
	m.progress(steps[2])
	m.progress(Progress{Report: "month", Done: 1, Total: 3, Days: true, Sent: 2, Through: date("2026-10-01")})
	want := "\r\033[Kteam-week [#######.......................] 1/4 requests of seven days (1 sent with pages), through 2026-10-07" +
		"\r\033[Kteam-week [###############...............] 2/4 requests of seven days (3 sent with pages), through 2026-10-14" +
		"\nteam-week: Toggl says 429; waiting 1s\n" +
		"\r\033[Kteam-week [##############################] 4/4 requests of seven days (5 sent with pages), through 2026-10-28\n" +
		"\r\033[Kmonth [##########....................] 1/3 days, through 2026-10-01"
	if got := out.String(); got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	out.Reset()
	plain := &meter{w: &out}
	plain.progress(steps[0])
	if got, want := out.String(), "team-week: 1/4 requests of seven days (1 sent with pages), through 2026-10-07\n"; got != want {
		t.Errorf("not on a terminal: %q, want %q", got, want)
	}
	if isTerminal(&out) {
		t.Error("a buffer is no terminal")
	}
	f, err := os.CreateTemp(t.TempDir(), "progress")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if isTerminal(f) {
		t.Error("a file is no terminal")
	}
}
