package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/alecthomas/kingpin/v2"

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
