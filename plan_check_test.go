package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/toggl-exporter/toggl_exporter/config"
)

// TestPrintPlan: --config.check prints, per credential (never its secret), the planned
// requests an hour against hourly_quota with the page assumption, and the reports that
// would refresh less often than they ask.
func TestPrintPlan(t *testing.T) {
	const secret = "0123456789abcdefSECRET6789abcdef"
	cfg, err := config.Parse([]byte(`hourly_quota: 240
api_token: `+secret+`
reports:
  - name: week
    token: 0123456789abcdef0123456789abcdef
    period: this_week
    min_refresh_interval: 1m
  - name: last
    token: 2123456789abcdef0123456789abcdef
    period: last_month
  - name: ops
    token: 3123456789abcdef0123456789abcdef
    email: ops@example.com
    password: pw-0123456789abcdef
    min_refresh_interval: 1h
    max_stale: 2h
`), t.TempDir(), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	printPlan(&b, cfg, time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC))
	out := b.String()
	for _, want := range []string{
		"each report assumed to cost 10 requests a refresh",
		// week: 10 × 60 an hour; last: closed, 10 × 1 an hour; week gets 240 - 10 = 230
		// an hour, a refresh every 3600/23 s = 2m36.5s, rounded up to the second.
		"api_token credentials of week, last: 610 requests/hour at min_refresh_interval, 239 planned, against hourly_quota 240",
		"week: refreshed every 2m37s, less often than 1m0s",
		"email credentials of ops: 10 requests/hour at min_refresh_interval, 10 planned, against hourly_quota 240",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("plan lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "    last:") || strings.Contains(out, "SECRET") || strings.Contains(out, "ops@example.com") {
		t.Errorf("plan names a report that fits, or a secret:\n%s", out)
	}
}

// TestPrintReports: --config.check prints, per report, the days its period covers now in
// its timezone (or that it has none) and the kind of its credentials, never a secret.
func TestPrintReports(t *testing.T) {
	const secret = "0123456789abcdefSECRET6789abcdef"
	cfg, err := config.Parse([]byte(`reports:
  - name: week
    token: 0123456789abcdef0123456789abcdef
    period: this_week
    timezone: Europe/Berlin
    api_token: `+secret+`
  - name: saved
    token: 1123456789abcdef0123456789abcdef
  - name: ops
    token: 3123456789abcdef0123456789abcdef
    email: ops@example.com
    password: pw-0123456789abcdef
    period: last_month
`), t.TempDir(), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	printReports(&b, cfg, time.Date(2026, 3, 15, 23, 30, 0, 0, time.UTC)) // Monday 00:30 in Berlin
	want := `reports (the days of each period now; the kind of credentials):
  report week: this_week, now 2026-03-16 to 2026-03-22 (Europe/Berlin); api_token credentials
  report saved: no period: the saved report's own dates; no credentials (the report token alone)
  report ops: last_month, now 2026-02-01 to 2026-02-28 (UTC); email credentials
`
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}

// TestCheckConfigPlanListings: the plan of --config.check counts the discover and members
// listings on the credentials that list (one request every interval), and assumes a
// summary (params with grouping or sub_grouping) costs 1 request; the summary line counts
// the members entries.
func TestCheckConfigPlanListings(t *testing.T) {
	const secret = "0123456789abcdefSECRET6789abcdef"
	path := filepath.Join(t.TempDir(), "toggl.yml")
	if err := os.WriteFile(path, []byte(`hourly_quota: 100
api_token: `+secret+`
discover:
  - workspace_id: 1234567
    interval: 1m
members:
  - workspace_id: 1234567
reports:
  - name: sum
    token: 0123456789abcdef0123456789abcdef
    params: {grouping: projects}
    min_refresh_interval: 1m
`), 0o600); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr strings.Builder
	if code := checkConfig(path, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	out := stdout.String()
	for _, want := range []string{
		"1 report(s), 1 workspace(s) to discover, 1 workspace(s) to list the members of",
		"1 when its params set grouping or sub_grouping",
		"a listing 1 request every interval",
		"reports that discover finds are not counted",
		// sum: 1 × 60 an hour; discover: 60, members: 1 an hour; sum gets 100 - 61 = 39
		// an hour, a refresh every 3600/39 s = 1m32s.
		"api_token credentials of sum, discover[0] (workspace 1234567), members[0] (workspace 1234567): 121 requests/hour at min_refresh_interval, 100 planned, against hourly_quota 100",
		"sum: refreshed every 1m32s, less often than 1m0s",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "SECRET") {
		t.Errorf("output holds the API token:\n%s", out)
	}
}

// TestMaxRequestsHelp: --web.max-requests' help names every endpoint it bounds, /sd too.
func TestMaxRequestsHelp(t *testing.T) {
	for _, f := range serveCmd.Model().Flags {
		if f.Name == "web.max-requests" && !strings.Contains(f.Help, "/metrics, /probe and /sd") {
			t.Errorf("--web.max-requests: %q does not name /metrics, /probe and /sd", f.Help)
		}
	}
}
