package deploy_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/toggl-exporter/toggl_exporter/client"
	"github.com/toggl-exporter/toggl_exporter/internal/togglfake"
)

// The end-to-end proof: the exporter (built from this tree) in --demo mode plus a second
// instance against a fake Toggl where one report answers 401, Debian's Prometheus scraping
// them every second through the shipped scrape configuration with the shipped rules and
// alerts (`for:` shortened), and Debian's Alertmanager with the shipped routing.
//
// It asserts that every dashboard query on the dashboard's default view (its variables as
// Grafana sets them when it opens) returns data, from the demo's reports for every panel of
// the team lead's, and so do every dashboard variable and every recording rule; that the
// 401 fires TogglReportUnauthorized into Alertmanager (routed to the ops channel, not the
// pager, with TogglReportFailing inhibited); that the healthy reports raise no health
// alert; and that the demo fires TogglUserUnderExpectedHours for its member who tracked
// nothing last week, and no estimate alert on its 30-day report.

const (
	billingToken = "e2e-billing-7d1f0c"
	revokedToken = "e2e-revoked-93ab4e"
)

// singleCurrencyReport is a detailed report billed in one currency, with labour costs and
// estimates of a project and a task: what the margin rule and panel need (the demo bills in
// USD and EUR). Its fixed range of 90 days ending today makes the estimates meaningful to
// the dashboard, which shows them only for reports covering four weeks or more.
func singleCurrencyReport(now time.Time) []byte {
	day := now.UTC().Format("2006-01-02")
	first := now.UTC().AddDate(0, 0, -89).Format("2006-01-02")
	return []byte(fmt.Sprintf(`{
  "report_name": "Billing – Acme", "report_type": "detailed", "public": true,
  "input_params": {"start_date": %[2]q, "end_date": %[1]q},
  "dictionaries": {
    "projects": {"11": {"id": 11, "name": "Retainer", "client_id": 21, "currency": "USD", "estimated_seconds": 36000}},
    "clients": {"21": {"id": 21, "name": "Acme Corp"}},
    "tasks": {"41": {"id": 41, "name": "Monthly support", "project_id": 11, "estimated_seconds": 18000}},
    "users": {"31": {"id": 31, "name": "Ada Lovelace", "labour_cost": 4000}},
    "tags": {"51": {"id": 51, "name": "support"}}
  },
  "detailed_results": {
    "report": [
      {"user_id": 31, "project_id": 11, "task_id": 41, "description": "Support", "billable": true,
       "billable_amount_in_cents": 19100, "hourly_rate_in_cents": 9550, "currency": "USD", "tag_ids": [51], "row_number": 1,
       "time_entries": [{"id": 1, "seconds": 7200, "start": "%[1]sT08:00:00+00:00", "stop": "%[1]sT10:00:00+00:00"}]}
    ],
    "totals": {"seconds": 7200, "tracked_days": 1, "billable_amount_in_cents": 19100, "labour_cost_in_cents": 8000,
               "resolution": "day", "rates": [{"billable_seconds": 7200, "currency": "USD", "hourly_rate_in_cents": 9550}],
               "graph": [{"seconds": 7200, "billable_amount_in_cents": 19100, "labour_cost_in_cents": 8000, "by_rate": {"0": 7200}}]}
  }
}`, day, first))
}

// testPrometheusConfig writes a test variant of the shipped prometheus.yml and rule files
// into dir: 1s intervals, rule files by absolute path with every `for:` at 0s, the
// Alertmanager at am, the exporter address replaced by exporters[0], the other exporters
// added to the /metrics job, and the commented /probe job enabled, discovering the reports
// of exporters[0] through its /sd.
func testPrometheusConfig(t *testing.T, dir, am string, exporters ...string) string {
	t.Helper()
	forRe := regexp.MustCompile(`(?m)^(\s+for:\s*)\S+\s*$`)
	var cfg map[string]any
	readYAML(t, filepath.Join(promDir, "prometheus.yml"), &cfg)
	var ruleFiles []string
	for _, rf := range cfg["rule_files"].([]any) {
		data, err := os.ReadFile(filepath.Join(promDir, rf.(string)))
		if err != nil {
			t.Fatal(err)
		}
		data = forRe.ReplaceAll(data, []byte("${1}0s"))
		path := filepath.Join(dir, rf.(string))
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		ruleFiles = append(ruleFiles, path)
	}
	cfg["rule_files"] = ruleFiles
	cfg["global"] = map[string]any{"scrape_interval": "1s", "scrape_timeout": "1s", "evaluation_interval": "1s"}
	cfg["alerting"] = map[string]any{"alertmanagers": []any{map[string]any{"static_configs": []any{map[string]any{"targets": []string{am}}}}}}

	// every "toggl-exporter:9981" (targets, relabel replacements) -> the first exporter
	var replace func(v any) any
	replace = func(v any) any {
		switch x := v.(type) {
		case string:
			if x == "toggl-exporter:9981" {
				return exporters[0]
			}
		case []any:
			for i := range x {
				x[i] = replace(x[i])
			}
		case map[string]any:
			for k := range x {
				x[k] = replace(x[k])
			}
		}
		return v
	}
	replace(cfg["scrape_configs"])
	added := false
	for _, sc := range cfg["scrape_configs"].([]any) {
		job := sc.(map[string]any)
		if p, _ := job["metrics_path"].(string); p != "" && p != "/metrics" {
			continue
		}
		static := job["static_configs"].([]any)
		first := static[0].(map[string]any)
		first["targets"] = append(first["targets"].([]any), toAny(exporters[1:])...)
		added = true
	}
	if !added {
		t.Fatal("prometheus.yml: no /metrics job")
	}
	// The commented /probe job, uncommented, for the --demo reports of the first exporter:
	// the recipe its comment gives works against a real exporter.
	probe, _ := commentedProbeJob(t)
	probe["http_sd_configs"] = []any{map[string]any{"url": "http://" + exporters[0] + "/sd", "refresh_interval": "1s"}}
	cfg["scrape_configs"] = append(cfg["scrape_configs"].([]any), probe)
	path := filepath.Join(dir, "prometheus.yml")
	writeYAML(t, path, cfg)
	return path
}

func toAny(s []string) []any {
	var a []any
	for _, x := range s {
		a = append(a, x)
	}
	return a
}

// promResult is the answer of Prometheus' /api/v1/query.
type promResult struct {
	Status string `json:"status"`
	Error  string `json:"error"`
	Data   struct {
		ResultType string `json:"resultType"`
		Result     []struct {
			Metric map[string]string `json:"metric"`
		} `json:"result"`
	} `json:"data"`
}

// promQuery runs an instant query and returns how many series (or 1 for a scalar) it gave.
func promQuery(base, expr string) (int, []map[string]string, error) {
	var r promResult
	if err := getJSON(base+"/api/v1/query?query="+url.QueryEscape(expr), &r); err != nil {
		return 0, nil, err
	}
	if r.Status != "success" {
		return 0, nil, fmt.Errorf("%s", r.Error)
	}
	if r.Data.ResultType == "scalar" || r.Data.ResultType == "string" {
		return 1, nil, nil
	}
	var ms []map[string]string
	for _, s := range r.Data.Result {
		ms = append(ms, s.Metric)
	}
	return len(ms), ms, nil
}

// eventually polls check until it returns no problem or bound passes, then fails the test
// with the last problems.
func eventually(t *testing.T, what string, bound time.Duration, check func() []string) {
	t.Helper()
	deadline := time.Now().Add(bound)
	for {
		problems := check()
		if len(problems) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s, after %s:\n  %s", what, bound, strings.Join(problems, "\n  "))
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// defaultView returns the values Grafana gives the dashboard's variables when it opens with
// their defaults, from Prometheus at base: a textbox its text, a variable set to All its
// allValue, any other query variable the first of its values (in the order of its sort:
// only 0, as Prometheus lists them, and 1, alphabetical, both sorted, are known here).
func defaultView(t *testing.T, base string) (map[string]string, error) {
	t.Helper()
	view := map[string]string{}
	for _, v := range loadDashboard(t).Templating.List {
		switch {
		case v.Type == "textbox":
			var text string
			if err := json.Unmarshal(v.Query, &text); err != nil {
				t.Fatalf("variable %s: %v", v.Name, err)
			}
			view[v.Name] = text
		case v.Type != "query":
		case v.isAll():
			view[v.Name] = v.AllValue
		case v.Sort > 1:
			t.Fatalf("variable %s: sort %d: not known to this test", v.Name, v.Sort)
		default:
			selector, label := v.labelValues(t)
			_, series, err := promQuery(base, fmt.Sprintf("count by (%s) (%s)", label, substitute(view, "10s").Replace(selector)))
			var values []string
			for _, s := range series {
				values = append(values, s[label])
			}
			if err != nil || len(values) == 0 {
				return nil, fmt.Errorf("variable %s: no value: %v", v.Name, err)
			}
			view[v.Name] = slices.Min(values)
		}
	}
	return view, nil
}

func TestEndToEnd(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("end-to-end test: runs the exporter, Prometheus and Alertmanager for about a minute")
	}
	needTool(t, "prometheus")
	needTool(t, "alertmanager", "prometheus-alertmanager")
	bin := exporterBinary(t)
	dir := t.TempDir()

	// Exporter A: --demo.
	portA := freePort(t)
	a := start(t, "exporter --demo", cleanEnv(), bin, "--demo", "--web.listen-address=127.0.0.1:"+portA)
	addrA := "127.0.0.1:" + portA
	waitHTTP(t, a, "http://"+addrA+"/-/ready", 30*time.Second)

	// Exporter B: a fake Toggl with quota headers, a healthy single-currency report, and a
	// report whose token was revoked (401).
	body := singleCurrencyReport(time.Now())
	if _, err := client.Decode(bytes.NewReader(body), nil); err != nil {
		t.Fatalf("the test's report does not decode: %v", err)
	}
	fake := togglfake.New()
	fake.SetQuota(1000, time.Hour)
	fake.Set(billingToken, togglfake.Report{Body: body})
	fake.Set(revokedToken, togglfake.Report{Body: body, Fault: togglfake.Fault{Status: http.StatusUnauthorized}})
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	cfgB := filepath.Join(dir, "toggl.yml")
	writeYAML(t, cfgB, map[string]any{
		"api_url":              srv.URL,
		"min_refresh_interval": "2s",
		"max_stale":            "10m",
		"reports": []any{
			map[string]any{"name": "billing-acme", "token": billingToken, "breakdowns": []string{"projects", "users", "clients", "tasks", "tags"}},
			map[string]any{"name": "revoked", "token": revokedToken},
		},
	})
	portB := freePort(t)
	addrB := "127.0.0.1:" + portB
	b := start(t, "exporter B", cleanEnv(), bin, "--config.file="+cfgB, "--web.listen-address="+addrB)
	waitHTTP(t, b, "http://"+addrB+"/-/ready", 30*time.Second)

	amURL := startAlertmanager(t)
	promCfg := testPrometheusConfig(t, dir, strings.TrimPrefix(amURL, "http://"), addrA, addrB)
	promURL := startPrometheus(t, promCfg, "--rules.alert.resend-delay=1s")

	// 1. Every target is up: A and B through /metrics, A's reports through the /probe job
	// that prometheus.yml carries commented out.
	eventually(t, "targets not all up", time.Minute, func() []string {
		var r struct {
			Data struct {
				ActiveTargets []struct {
					Labels    map[string]string `json:"labels"`
					Health    string            `json:"health"`
					LastError string            `json:"lastError"`
				} `json:"activeTargets"`
			} `json:"data"`
		}
		if err := getJSON(promURL+"/api/v1/targets?state=active", &r); err != nil {
			return []string{err.Error()}
		}
		want := 2 + len(togglfake.DemoReports)
		var problems []string
		if len(r.Data.ActiveTargets) != want {
			problems = append(problems, fmt.Sprintf("%d active targets, want %d", len(r.Data.ActiveTargets), want))
		}
		for _, tg := range r.Data.ActiveTargets {
			if tg.Health != "up" {
				problems = append(problems, fmt.Sprintf("%s %s: %s %s", tg.Labels["job"], tg.Labels["instance"], tg.Health, tg.LastError))
			}
		}
		return problems
	})

	// 2. On the dashboard's default view, every query and variable returns data, the team
	// lead's panels from the demo's reports (exporter B's must not hide a gap in the demo's
	// first view); so does every recording rule.
	demo := map[string]bool{}
	for _, r := range togglfake.DemoReports {
		demo[r.Name] = true
	}
	var view map[string]string
	eventually(t, "the dashboard's default view", time.Minute, func() []string {
		var err error
		if view, err = defaultView(t, promURL); err != nil {
			return []string{err.Error()}
		}
		return nil
	})
	queries := dashboardQueries(t, "10s", view)
	var rules ruleFile
	readYAML(t, filepath.Join(promDir, "rules.yml"), &rules)
	for _, r := range rules.rules() {
		queries = append(queries, query{"recording rule " + r.Record, r.Record, true})
	}
	pending := slices.Clone(queries)
	eventually(t, fmt.Sprintf("queries without data on the default view %v", view), 90*time.Second, func() []string {
		var problems []string
		var still []query
		for _, q := range pending {
			n, series, err := promQuery(promURL, q.expr)
			fromDemo := q.operator || !strings.HasPrefix(q.where, "panel")
			for _, s := range series {
				fromDemo = fromDemo || demo[s["report"]]
			}
			if err != nil || n == 0 || !fromDemo {
				still = append(still, q)
				problems = append(problems, fmt.Sprintf("%s: %s: %d series, none from the demo's reports %v, %v", q.where, q.expr, n, !fromDemo, err))
			}
		}
		pending = still
		return problems
	})
	t.Logf("%d dashboard queries on the default view %v, variables and recording rules return data", len(queries), view)

	// 3. The 401 fires TogglReportUnauthorized into Alertmanager, routed to the ops channel
	// (a warning: nobody is paged for one report's token), and its generic
	// TogglReportFailing is inhibited there.
	eventually(t, "TogglReportUnauthorized not in Alertmanager", time.Minute, func() []string {
		var alerts []struct {
			Labels    map[string]string `json:"labels"`
			Receivers []struct {
				Name string `json:"name"`
			} `json:"receivers"`
			Status struct {
				State string `json:"state"`
			} `json:"status"`
		}
		if err := getJSON(amURL+"/api/v2/alerts", &alerts); err != nil {
			return []string{err.Error()}
		}
		var unauthorized, failing string
		var seen []string
		for _, a := range alerts {
			l := a.Labels
			seen = append(seen, fmt.Sprintf("%s{report=%q,code=%q}:%s", l["alertname"], l["report"], l["code"], a.Status.State))
			if l["report"] != "revoked" {
				continue
			}
			switch l["alertname"] {
			case "TogglReportUnauthorized":
				var rcv []string
				for _, r := range a.Receivers {
					rcv = append(rcv, r.Name)
				}
				sort.Strings(rcv)
				unauthorized = fmt.Sprintf("code=%s severity=%s job=%s instance=%s state=%s receivers=%v",
					l["code"], l["severity"], l["job"], l["instance"], a.Status.State, rcv)
			case "TogglReportFailing":
				failing = a.Status.State
			}
		}
		var problems []string
		want := fmt.Sprintf("code=401 severity=warning job=toggl instance=%s state=active receivers=[ops-chat]", addrB)
		if unauthorized != want {
			problems = append(problems, fmt.Sprintf("TogglReportUnauthorized{report=\"revoked\"}: %q, want %q", unauthorized, want))
		}
		if failing != "suppressed" {
			problems = append(problems, fmt.Sprintf("TogglReportFailing{report=\"revoked\"}: %q, want suppressed", failing))
		}
		if len(problems) > 0 {
			problems = append(problems, "alerts: "+strings.Join(seen, " "))
		}
		return problems
	})

	// 4. The demo's alerts: Farah, a member, tracked nothing last week, which has closed
	// (once its end is a day old: on a Monday it is not yet), and its 30-day report, which
	// does not span its projects, fires no estimate alert (see togglfake's agency).
	closed, _, err := promQuery(promURL, `time() - toggl_report_period_end_timestamp_seconds{report="team-last-week"} >= 86400`)
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "the demo's alerts", 30*time.Second, func() []string {
		alerts, err := promAlerts(promURL)
		if err != nil {
			return []string{err.Error()}
		}
		var under []string
		var problems []string
		for _, a := range alerts {
			l := a.Labels
			switch {
			case l["alertname"] == "TogglUserUnderExpectedHours" && l["instance"] == addrA && a.State == "firing":
				under = append(under, l["report"]+"/"+l["user"])
			case strings.HasPrefix(l["alertname"], "TogglProject") && demo[l["report"]]:
				problems = append(problems, fmt.Sprintf("%v %s on the demo", l, a.State))
			}
		}
		if want := "team-last-week/Farah Haddad"; closed == 1 && !slices.Equal(under, []string{want}) {
			problems = append(problems, fmt.Sprintf("TogglUserUnderExpectedHours firing for %v, want %s alone", under, want))
		}
		// Whatever the day: Farah's 0 of 5 days × 40 h / 5 = 144000 s, what the alert reads.
		farah := fmt.Sprintf(`toggl_report_user_tracked_seconds{instance=%[1]q,report="team-last-week",user="Farah Haddad"} == 0
			and on (user_id) toggl_report_user_expected_seconds{instance=%[1]q,report="team-last-week"} == 144000`, addrA)
		if n, _, err := promQuery(promURL, farah); n != 1 {
			problems = append(problems, fmt.Sprintf("%s: %d series, %v", farah, n, err))
		}
		return problems
	})
	if closed == 0 {
		t.Log("last week closed less than a day ago: TogglUserUnderExpectedHours not expected yet")
	}

	// 5. The healthy reports raise no health alert in Prometheus.
	health := []string{"TogglExporterDown", "TogglReportsAllFailing", "TogglReportFailing", "TogglReportUnauthorized",
		"TogglReportNotFound", "TogglAPIQuotaExhausted", "TogglAPIQuotaLow", "TogglReportStale", "TogglReportIncomplete"}
	eventually(t, "health alerts for healthy reports", 30*time.Second, func() []string {
		alerts, err := promAlerts(promURL)
		if err != nil {
			return []string{err.Error()}
		}
		var problems []string
		for _, a := range alerts {
			if slices.Contains(health, a.Labels["alertname"]) && a.Labels["report"] != "revoked" {
				problems = append(problems, fmt.Sprintf("%v %s", a.Labels, a.State))
			}
		}
		return problems
	})
}

// promAlert is an alert as Prometheus' /api/v1/alerts lists it.
type promAlert struct {
	Labels map[string]string `json:"labels"`
	State  string            `json:"state"`
}

// promAlerts lists the alerts of the Prometheus at promURL, pending and firing.
func promAlerts(promURL string) ([]promAlert, error) {
	var r struct {
		Data struct {
			Alerts []promAlert `json:"alerts"`
		} `json:"data"`
	}
	err := getJSON(promURL+"/api/v1/alerts", &r)
	return r.Data.Alerts, err
}
