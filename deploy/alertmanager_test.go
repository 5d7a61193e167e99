package deploy_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
)

const amDir = "alertmanager"

func TestAmtoolCheckConfig(t *testing.T) {
	t.Parallel()
	amtool := needTool(t, "amtool")
	run(t, time.Minute, amDir, amtool, "check-config", "alertmanager.yml")
}

// routeCase is one entry of routes_test.yml.
type routeCase struct {
	Labels    map[string]string `yaml:"labels"`
	Receivers []string          `yaml:"receivers"`
}

// TestAmtoolRoutes runs every case of routes_test.yml through `amtool config routes test`.
func TestAmtoolRoutes(t *testing.T) {
	t.Parallel()
	amtool := needTool(t, "amtool")
	var cases []routeCase
	readYAML(t, filepath.Join(amDir, "routes_test.yml"), &cases)
	if len(cases) == 0 {
		t.Fatal("no cases in routes_test.yml")
	}
	for _, c := range cases {
		var labels []string
		for k, v := range c.Labels {
			labels = append(labels, k+"="+v)
		}
		sort.Strings(labels)
		args := append([]string{"config", "routes", "test", "--config.file=alertmanager.yml",
			"--verify.receivers=" + strings.Join(c.Receivers, ",")}, labels...)
		if out, err := runErr(time.Minute, amDir, amtool, args...); err != nil {
			t.Errorf("%v: want receivers %v: %v\n%s", labels, c.Receivers, err, out)
		}
	}
}

// TestEveryAlertIsRouted: each alert of alerts.yml has a routing case with its severity.
func TestEveryAlertIsRouted(t *testing.T) {
	t.Parallel()
	var cases []routeCase
	readYAML(t, filepath.Join(amDir, "routes_test.yml"), &cases)
	var alerts ruleFile
	readYAML(t, filepath.Join(promDir, "alerts.yml"), &alerts)
	for _, r := range alerts.rules() {
		found := slices.ContainsFunc(cases, func(c routeCase) bool {
			return c.Labels["alertname"] == r.Alert && c.Labels["severity"] == r.Labels["severity"]
		})
		if !found {
			t.Errorf("%s (severity %s): no case in routes_test.yml", r.Alert, r.Labels["severity"])
		}
	}
}

// testAlertmanagerConfig writes the shipped alertmanager.yml into dir with every receiver's
// integrations removed (the tests never notify anything) and returns its path.
func testAlertmanagerConfig(t *testing.T, dir string) string {
	t.Helper()
	var cfg map[string]any
	readYAML(t, filepath.Join(amDir, "alertmanager.yml"), &cfg)
	receivers, _ := cfg["receivers"].([]any)
	if len(receivers) == 0 {
		t.Fatal("alertmanager.yml: no receivers")
	}
	for i, r := range receivers {
		receivers[i] = map[string]any{"name": r.(map[string]any)["name"]}
	}
	path := filepath.Join(dir, "alertmanager.yml")
	writeYAML(t, path, cfg)
	return path
}

// startAlertmanager runs Debian's Alertmanager on loopback with the shipped configuration
// (receivers muted) and returns its base URL.
func startAlertmanager(t *testing.T) string {
	t.Helper()
	am := needTool(t, "alertmanager", "prometheus-alertmanager")
	dir := t.TempDir()
	cfg := testAlertmanagerConfig(t, dir)
	port := freePort(t)
	p := start(t, "alertmanager", nil, am,
		"--config.file="+cfg,
		"--storage.path="+filepath.Join(dir, "data"),
		"--web.listen-address=127.0.0.1:"+port,
		"--cluster.listen-address=",
		"--log.level=warn",
	)
	url := "http://127.0.0.1:" + port
	waitHTTP(t, p, url+"/-/ready", 30*time.Second)
	return url
}

// amAlert is an alert as Alertmanager's API v2 returns it.
type amAlert struct {
	Labels map[string]string `json:"labels"`
	Status struct {
		State       string   `json:"state"`
		InhibitedBy []string `json:"inhibitedBy"`
	} `json:"status"`
}

func amAlerts(url string) ([]amAlert, error) {
	var alerts []amAlert
	err := getJSON(url+"/api/v2/alerts", &alerts)
	return alerts, err
}

// TestAlertmanagerInhibitRules posts alerts to a real Alertmanager running the shipped
// configuration and checks which ones the inhibit rules suppress.
func TestAlertmanagerInhibitRules(t *testing.T) {
	t.Parallel()
	url := startAlertmanager(t)

	type alert = map[string]string
	firing := []alert{
		// exporter down silences its own target's report alerts, not another target's
		{"alertname": "TogglExporterDown", "severity": "critical", "job": "j1", "instance": "i1"},
		{"alertname": "TogglReportUnauthorized", "severity": "warning", "job": "j1", "instance": "i1", "report": "r1", "code": "401"},
		{"alertname": "TogglProjectOverEstimate", "severity": "info", "job": "j1", "instance": "i1", "report": "r1", "project": "p"},
		{"alertname": "TogglReportUnauthorized", "severity": "warning", "job": "j1", "instance": "i2", "report": "r2", "code": "401"},
		// a known cause silences "failing" and "stale" of the same report only
		{"alertname": "TogglReportUnauthorized", "severity": "warning", "job": "j2", "instance": "i", "report": "r3", "code": "403"},
		{"alertname": "TogglReportFailing", "severity": "warning", "job": "j2", "instance": "i", "report": "r3"},
		{"alertname": "TogglReportStale", "severity": "warning", "job": "j2", "instance": "i", "report": "r3"},
		{"alertname": "TogglReportFailing", "severity": "warning", "job": "j2", "instance": "i", "report": "r4"},
		{"alertname": "TogglReportNotFound", "severity": "warning", "job": "j2", "instance": "i", "report": "r5", "code": "404"},
		{"alertname": "TogglReportFailing", "severity": "warning", "job": "j2", "instance": "i", "report": "r5"},
		// stale silences failing
		{"alertname": "TogglReportStale", "severity": "warning", "job": "j3", "instance": "i", "report": "r6"},
		{"alertname": "TogglReportFailing", "severity": "warning", "job": "j3", "instance": "i", "report": "r6"},
		// exhausted silences low
		{"alertname": "TogglAPIQuotaExhausted", "severity": "warning", "job": "j4", "instance": "i", "report": "r7"},
		{"alertname": "TogglAPIQuotaLow", "severity": "warning", "job": "j4", "instance": "i", "report": "r7"},
		{"alertname": "TogglReportFailing", "severity": "warning", "job": "j4", "instance": "i", "report": "r7"},
		{"alertname": "TogglAPIQuotaLow", "severity": "warning", "job": "j4", "instance": "i", "report": "r8"},
		// exporter down silences a forgotten timer of its target too, and its failing
		// listings (whose series went with it), not another target's
		{"alertname": "TogglTimerRunningTooLong", "severity": "info", "job": "j1", "instance": "i1", "report": "r1", "user": "u", "project": "p"},
		{"alertname": "TogglListingFailing", "severity": "warning", "job": "j1", "instance": "i1", "listing": "discovery", "workspace_id": "1"},
		{"alertname": "TogglListingFailing", "severity": "warning", "job": "j7", "instance": "i1", "listing": "members", "workspace_id": "1"},
		// every report of a job failing silences each report's "failing" and "stale" in that
		// job only, and is not itself silenced by an exporter down in the same job
		{"alertname": "TogglReportsAllFailing", "severity": "critical", "job": "j5"},
		{"alertname": "TogglReportFailing", "severity": "warning", "job": "j5", "instance": "i", "report": "r9"},
		{"alertname": "TogglReportStale", "severity": "warning", "job": "j5", "instance": "i", "report": "r9"},
		{"alertname": "TogglReportIncomplete", "severity": "warning", "job": "j5", "instance": "i", "report": "r9"},
		{"alertname": "TogglExporterDown", "severity": "critical", "job": "j5", "instance": "other"},
		{"alertname": "TogglReportFailing", "severity": "warning", "job": "j6", "instance": "i", "report": "r10"},
	}
	suppressed := map[string]bool{ // by alertname/job/report
		"TogglReportUnauthorized/j1/r1":  true,
		"TogglProjectOverEstimate/j1/r1": true,
		"TogglReportFailing/j2/r3":       true,
		"TogglReportStale/j2/r3":         true,
		"TogglReportFailing/j2/r5":       true,
		"TogglReportFailing/j3/r6":       true,
		"TogglAPIQuotaLow/j4/r7":         true,
		"TogglReportFailing/j4/r7":       true,
		"TogglTimerRunningTooLong/j1/r1": true,
		"TogglListingFailing/j1/":        true,
		"TogglReportFailing/j5/r9":       true,
		"TogglReportStale/j5/r9":         true,
	}
	var posted []map[string]any
	now := time.Now().UTC()
	for _, a := range firing {
		posted = append(posted, map[string]any{
			"labels":   a,
			"startsAt": now.Add(-time.Minute).Format(time.RFC3339),
			"endsAt":   now.Add(time.Hour).Format(time.RFC3339),
		})
	}
	body, _ := json.Marshal(posted)
	resp, err := http.Post(url+"/api/v2/alerts", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("posting alerts: %s", resp.Status)
	}

	key := func(l map[string]string) string {
		return fmt.Sprintf("%s/%s/%s", l["alertname"], l["job"], l["report"])
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		alerts, err := amAlerts(url)
		var problems []string
		if err != nil {
			problems = append(problems, err.Error())
		} else if len(alerts) != len(firing) {
			problems = append(problems, fmt.Sprintf("%d alerts, want %d", len(alerts), len(firing)))
		} else {
			for _, a := range alerts {
				want := "active"
				if suppressed[key(a.Labels)] {
					want = "suppressed"
				}
				if a.Status.State != want {
					problems = append(problems, fmt.Sprintf("%s: %s (inhibited by %v), want %s", key(a.Labels), a.Status.State, a.Status.InhibitedBy, want))
				}
			}
		}
		if len(problems) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("inhibition:\n%s", strings.Join(problems, "\n"))
		}
		time.Sleep(500 * time.Millisecond)
	}
}
