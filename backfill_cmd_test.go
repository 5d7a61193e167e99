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
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/alecthomas/kingpin/v2"

	"github.com/toggl-exporter/toggl_exporter/internal/testkit"
	"github.com/toggl-exporter/toggl_exporter/internal/togglfake"
)

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
		code := b.run(context.Background(), *configFile, true, &stdout, &stderr, now)
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

// TestBackfillHelp: `backfill --help` lists backfill's flags and none of the server's;
// the program's own --help still lists the server's, with their defaults.
func TestBackfillHelp(t *testing.T) {
	help := func(args ...string) string {
		out, err := exec.Command(binary, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", args, err, out)
		}
		return string(out)
	}
	server := []string{"--web.listen-address=:9981", `--web.telemetry-path="/metrics"`, "--web.max-requests=40", "--web.config.file", "--scrape.timeout-offset=0.5s", "--log.level=info", "--[no-]config.check", "--[no-]demo"}
	out := help("backfill", "--help")
	for _, want := range []string{"--from=FROM", "--[no-]dry-run", "--label=NAME=VALUE", "--[no-]demo", `--config.file="toggl.yml"`} {
		if !strings.Contains(out, want) {
			t.Errorf("backfill --help lacks %s:\n%s", want, out)
		}
	}
	for _, flag := range []string{"--web.", "--scrape.", "--log.", "--config.check"} {
		if strings.Contains(out, flag) {
			t.Errorf("backfill --help lists %s:\n%s", flag, out)
		}
	}
	out = help("--help")
	for _, want := range server {
		if !strings.Contains(out, want) {
			t.Errorf("--help lacks %s:\n%s", want, out)
		}
	}
	if !strings.Contains(help("describe", "--help"), "--report=REPORT") || strings.Contains(help("describe", "--help"), "--web.") {
		t.Errorf("describe --help:\n%s", help("describe", "--help"))
	}
}

// TestBackfillDemo: `backfill --demo` writes the demo's reports from the simulated API,
// under the names the demo server serves them, each with the period its saved report
// covers; its dry run gives the paced figures of a configuration without hourly_quota.
func TestBackfillDemo(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "demo.om")
	from := time.Now().AddDate(0, 0, -3).Format(time.DateOnly) // a request or two, at one a second
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, "backfill", "--demo", "--report=weekly-timesheet", "--from="+from, "--output="+out)
	cmd.Env = append(os.Environ(), "TOGGL_API_TOKEN=") // the demo needs none
	stderr, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("backfill --demo: %v\n%s", err, stderr)
	}
	text, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`toggl_report_tracked_seconds{report="weekly-timesheet"}`, `toggl_report_client_tracked_seconds{client="Initech",client_id="102",report="weekly-timesheet"}`, "# EOF\n"} {
		if !strings.Contains(string(text), want) {
			t.Errorf("the output lacks %s:\n%.800s", want, text)
		}
	}
	dry, err := exec.CommandContext(ctx, binary, "backfill", "--demo", "--from=2024-01-01", "--dry-run").CombinedOutput()
	if err != nil || !strings.Contains(string(dry), "paced as the client paces it with hourly_quota unset (27 requests an hour") ||
		!strings.Contains(string(dry), `report "team-week" (period this_week`) || !strings.Contains(string(dry), `report "projects-month" (period last_30_days`) ||
		!strings.Contains(string(dry), `report "team-last-week" (period last_week`) || !strings.Contains(string(dry), `report "team-today" (period today`) {
		t.Errorf("backfill --demo --dry-run: %v\n%s", err, dry)
	}
	// A report the demo does not have is named as missing from the demo.
	bad, err := exec.CommandContext(ctx, binary, "backfill", "--demo", "--report=nope", "--from="+from).CombinedOutput()
	if err == nil || !strings.Contains(string(bad), `--report "nope": no such report in the demo (have team-week,`) {
		t.Errorf("backfill --demo --report=nope: %v\n%s", err, bad)
	}
}
