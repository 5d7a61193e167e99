package main

import (
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
