package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/alecthomas/kingpin/v2"

	"github.com/toggl-exporter/toggl_exporter/backfill"
	"github.com/toggl-exporter/toggl_exporter/config"
	"github.com/toggl-exporter/toggl_exporter/internal/testkit"
	"github.com/toggl-exporter/toggl_exporter/internal/togglfake"
)

func TestBackfillCommand(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	const token = "backfill0123456789abcdef01234567"
	fake := togglfake.New()
	fake.Set(token, togglfake.Agency{Loc: berlin, First: time.Date(2026, 10, 1, 0, 0, 0, 0, berlin), Last: time.Date(2026, 11, 30, 0, 0, 0, 0, berlin)}.Report("weekly"))
	hs := httptest.NewServer(fake)
	defer hs.Close()
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "toggl.yml")
	if err := os.WriteFile(cfgPath, fmt.Appendf(nil, `
api_url: %s
requests_per_second: 100
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
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	out := filepath.Join(dir, "history.om")

	for _, tc := range []struct {
		name     string
		args     []string
		code     int
		requests int
		stderr   []string
	}{
		{"dry run", []string{"--report", "team", "--from", "2026-10-05", "--to", "2026-11-01", "--dry-run"}, 0, 0,
			[]string{`report "team" (period this_week, timezone Europe/Berlin): 2026-10-05 to 2026-11-01, 28 days`, "4 requests, one per 7 days", "no request sent"}},
		{"unknown report", []string{"--report", "nope", "--from", "2026-10-05"}, 1, 0, []string{`--report "nope": no such report`, "(have team, other)"}},
		{"bad label", []string{"--from", "2026-10-05", "--label", "2x=y"}, 1, 0, []string{`--label: label "2x": not a valid label name`}},
		{"bad date", []string{"--from", "5.10.2026"}, 1, 0, []string{`--from "5.10.2026": want YYYY-MM-DD`}},
		{"today", []string{"--from", "2026-11-20", "--to", "2026-12-01"}, 1, 0, []string{"not before today"}},
		{"run", []string{"--report", "team", "--from", "2026-10-05", "--to", "2026-11-01", "--output", out, "--label", "job=toggl"}, 0, 4,
			[]string{"4/4 requests of seven days", "samples written", "promtool tsdb create-blocks-from openmetrics " + out}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake.Reset()
			app := kingpin.New("test", "")
			b := newBackfillCommand(app)
			if _, err := app.Parse(append([]string{"backfill"}, tc.args...)); err != nil {
				t.Fatal(err)
			}
			var stdout, stderr bytes.Buffer
			if code := b.run(context.Background(), cfgPath, &stdout, &stderr, now); code != tc.code {
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

// TestBackfillCommandStops: a run stopped by a hang-up or SIGTERM while its third request
// is in flight, or by a write error, keeps every finished day in its output, which
// promtool imports, and prints the command that goes on: every flag it was given, from
// the first unfinished day, into an output of its own. That command writes the rest.
func TestBackfillCommandStops(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	const token = "backfill0123456789abcdef01234567"
	srv := togglfake.New()
	srv.Set(token, togglfake.Agency{Loc: berlin, First: time.Date(2026, 10, 1, 0, 0, 0, 0, berlin), Last: time.Date(2026, 11, 30, 0, 0, 0, 0, berlin)}.Report("weekly"))
	var signalAt atomic.Int64 // the request that sends it; 0: none
	var sig atomic.Value
	release := make(chan struct{}) // the run has stopped
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n := signalAt.Load(); n > 0 && int64(srv.Count(token)) == n-1 {
			syscall.Kill(os.Getpid(), sig.Load().(syscall.Signal))
			select { // until the run has given the request up
			case <-release:
			case <-time.After(10 * time.Second):
			}
			return
		}
		srv.ServeHTTP(w, r)
	}))
	defer hs.Close()
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "toggl.yml")
	if err := os.WriteFile(cfgPath, fmt.Appendf(nil, "api_url: %s\nrequests_per_second: 100\nreports:\n  - name: team\n    token: %s\n    period: this_week\n    timezone: Europe/Berlin\n",
		hs.URL, token), 0o600); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	run := func(args ...string) (int, string) {
		app := kingpin.New("test", "")
		configFile := app.Flag("config.file", "").String()
		b := newBackfillCommand(app)
		if _, err := app.Parse(args); err != nil {
			t.Fatal(err)
		}
		var stdout, stderr bytes.Buffer
		code := b.run(context.Background(), *configFile, &stdout, &stderr, now)
		return code, stderr.String()
	}
	days := func(file string) int {
		text, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasSuffix(string(text), "# EOF\n") {
			t.Errorf("%s does not end with # EOF", file)
		}
		return strings.Count(string(text), `toggl_report_tracked_seconds{job="toggl",report="team"}`)
	}
	promtool := testkit.NeedTool(t, "promtool")

	for _, tc := range []struct {
		name, output string
		signal       syscall.Signal
		requests     int
		from         string // of the restart
	}{
		{"hang-up", filepath.Join(dir, "hup.om"), syscall.SIGHUP, 3, "2026-10-19"},
		{"SIGTERM", filepath.Join(dir, "term.om"), syscall.SIGTERM, 3, "2026-10-19"},
		{"write error", "/dev/full", 0, 1, "2026-10-05"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv.Reset()
			if tc.signal != 0 {
				sig.Store(tc.signal)
				signalAt.Store(3)
			}
			code, stderr := run("backfill", "--config.file="+cfgPath, "--report=team", "--from=2026-10-05", "--to=2026-11-01", "--output="+tc.output, "--label=job=toggl")
			signalAt.Store(0)
			if tc.signal != 0 {
				select {
				case release <- struct{}{}:
				case <-time.After(10 * time.Second):
				}
			}
			if code != 1 {
				t.Errorf("exit %d, want 1", code)
			}
			if n := srv.Count(token); n != tc.requests-1 && tc.signal != 0 || tc.signal == 0 && n != tc.requests {
				t.Errorf("%d requests answered, want %d before the stop", n, tc.requests)
			}
			ext := filepath.Ext(tc.output)
			rest := strings.TrimSuffix(tc.output, ext) + "-from-" + tc.from + "-to-2026-11-01" + ext
			if tc.signal == 0 {
				rest = tc.output // nothing written: nothing to keep
			}
			restart := "toggl_exporter backfill --config.file=" + cfgPath + " --report=team --from=" + tc.from + " --to=2026-11-01 --output=" + rest + " --label=job=toggl"
			if !strings.Contains(stderr, "\n  "+restart+"\n") {
				t.Fatalf("stderr lacks the restart command %q:\n%s", restart, stderr)
			}
			if tc.signal == 0 {
				if !strings.Contains(stderr, "writing the output") {
					t.Errorf("stderr does not say the write failed:\n%s", stderr)
				}
				return
			}
			if !strings.Contains(stderr, "interrupted") {
				t.Errorf("stderr does not say it was interrupted:\n%s", stderr)
			}
			if n := days(tc.output); n != 14 {
				t.Errorf("%d days in the output, want the 14 finished", n)
			}
			if out, err := exec.Command(promtool, "tsdb", "create-blocks-from", "openmetrics", tc.output, filepath.Join(dir, tc.name+"-data")).CombinedOutput(); err != nil {
				t.Errorf("promtool refuses the output: %v\n%s", err, out)
			}
			code, stderr = run(strings.Fields(restart)[1:]...)
			if code != 0 || days(rest) != 14 {
				t.Errorf("the restart: exit %d, %d days; stderr:\n%s", code, days(rest), stderr)
			}
		})
	}
}

// TestBackfillRestart: the restart lines repeat every flag, quoted for a shell, one line
// per set of reports that share their days; a restart's output name replaces the
// suffix of the one before, and is never the output that holds the finished days.
func TestBackfillRestart(t *testing.T) {
	app := kingpin.New("test", "")
	b := newBackfillCommand(app)
	if _, err := app.Parse([]string{"backfill", "--from=2026-10-05", "--output=out/h-from-2026-10-05-to-2026-11-01.om", "--label=job=toggl", "--label=team=ops 'night'"}); err != nil {
		t.Fatal(err)
	}
	day := func(s string) time.Time { d, _ := time.Parse(time.DateOnly, s); return d }
	jobs := []backfill.Job{
		{Report: config.Report{Name: "team week"}, From: day("2026-10-19"), To: day("2026-11-01")},
		{Report: config.Report{Name: "a"}, From: day("2026-10-05"), To: day("2026-11-01")},
		{Report: config.Report{Name: "b"}, From: day("2026-10-05"), To: day("2026-11-01")},
	}
	labels := ` --label=job=toggl '--label=team=ops '\''night'\'''`
	want := []string{
		`toggl_exporter backfill --config.file=my.yml '--report=team week' --from=2026-10-19 --to=2026-11-01 --output=out/h-from-2026-10-19-to-2026-11-01.om` + labels,
		`toggl_exporter backfill --config.file=my.yml --report=a --report=b --from=2026-10-05 --to=2026-11-01 --output=out/h-from-2026-10-05-to-2026-11-01-2.om` + labels,
	}
	if got := b.restart("my.yml", jobs, true); !slices.Equal(got, want) {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
