package deploy_test

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/toggl-exporter/toggl_exporter/client/togglfake"
)

// ruleFile is the part of a Prometheus rule file the tests read.
type ruleFile struct {
	Groups []struct {
		Name  string `yaml:"name"`
		Rules []rule `yaml:"rules"`
	} `yaml:"groups"`
}

type rule struct {
	Record      string            `yaml:"record"`
	Alert       string            `yaml:"alert"`
	Expr        string            `yaml:"expr"`
	For         string            `yaml:"for"`
	Labels      map[string]string `yaml:"labels"`
	Annotations map[string]string `yaml:"annotations"`
}

func (f ruleFile) rules() []rule {
	var rs []rule
	for _, g := range f.Groups {
		rs = append(rs, g.Rules...)
	}
	return rs
}

// ruleTestFile is the part of a promtool rule test file the tests read.
type ruleTestFile struct {
	RuleFiles []string `yaml:"rule_files"`
	Tests     []struct {
		Name          string `yaml:"name"`
		AlertRuleTest []struct {
			Alertname string           `yaml:"alertname"`
			ExpAlerts []map[string]any `yaml:"exp_alerts"`
		} `yaml:"alert_rule_test"`
		PromQLExprTest []struct {
			Expr       string           `yaml:"expr"`
			ExpSamples []map[string]any `yaml:"exp_samples"`
		} `yaml:"promql_expr_test"`
	} `yaml:"tests"`
}

const promDir = "prometheus"

func TestPromtoolCheckConfig(t *testing.T) {
	promtool := needTool(t, "promtool")
	// check config also checks the rule files it names
	run(t, time.Minute, promDir, promtool, "check", "config", "prometheus.yml")
}

func TestPromtoolCheckRules(t *testing.T) {
	promtool := needTool(t, "promtool")
	run(t, time.Minute, promDir, promtool, "check", "rules", "rules.yml", "alerts.yml")
}

// TestPromtoolRuleTests runs the promtool unit tests of the recording rules and alerts.
func TestPromtoolRuleTests(t *testing.T) {
	promtool := needTool(t, "promtool")
	run(t, 2*time.Minute, promDir, promtool, "test", "rules", "rules_test.yml", "alerts_test.yml")
}

// TestEveryAlertHasFiringAndQuietCases: each alert is covered by promtool cases where it
// fires and cases where it must not.
func TestEveryAlertHasFiringAndQuietCases(t *testing.T) {
	var alerts ruleFile
	readYAML(t, filepath.Join(promDir, "alerts.yml"), &alerts)
	var tests ruleTestFile
	readYAML(t, filepath.Join(promDir, "alerts_test.yml"), &tests)
	if !slices.Contains(tests.RuleFiles, "alerts.yml") {
		t.Errorf("alerts_test.yml does not load alerts.yml: %v", tests.RuleFiles)
	}
	fires, quiet := map[string]int{}, map[string]int{}
	for _, tc := range tests.Tests {
		for _, a := range tc.AlertRuleTest {
			if len(a.ExpAlerts) > 0 {
				fires[a.Alertname]++
			} else {
				quiet[a.Alertname]++
			}
		}
	}
	rules := alerts.rules()
	if len(rules) == 0 {
		t.Fatal("no alerts in alerts.yml")
	}
	for _, r := range rules {
		if r.Alert == "" {
			t.Errorf("alerts.yml has a recording rule %q: keep them in rules.yml", r.Record)
			continue
		}
		if fires[r.Alert] == 0 {
			t.Errorf("%s: no promtool case where it fires", r.Alert)
		}
		if quiet[r.Alert] == 0 {
			t.Errorf("%s: no promtool case where it must not fire", r.Alert)
		}
	}
}

// TestEveryRecordingRuleIsTested: each recording rule has a promtool case with samples.
func TestEveryRecordingRuleIsTested(t *testing.T) {
	var rules ruleFile
	readYAML(t, filepath.Join(promDir, "rules.yml"), &rules)
	var tests ruleTestFile
	readYAML(t, filepath.Join(promDir, "rules_test.yml"), &tests)
	tested := map[string]bool{}
	for _, tc := range tests.Tests {
		for _, e := range tc.PromQLExprTest {
			if len(e.ExpSamples) > 0 {
				tested[strings.TrimSpace(e.Expr)] = true
			}
		}
	}
	for _, r := range rules.rules() {
		if r.Record == "" {
			t.Errorf("rules.yml has an alert %q: keep them in alerts.yml", r.Alert)
			continue
		}
		if !tested[r.Record] {
			t.Errorf("%s: no promql_expr_test with samples in rules_test.yml", r.Record)
		}
		if !regexp.MustCompile(`^[a-z_]+:[a-z0-9_]+:[a-z0-9_]+$`).MatchString(r.Record) {
			t.Errorf("%s: not named level:metric:operation", r.Record)
		}
	}
}

// runbookBase is where every alert's runbook_url points, followed by #runbook-<alert>.
const runbookBase = "https://github.com/toggl-exporter/toggl_exporter/blob/main/README.md"

// kebab turns an alert name into its runbook anchor: TogglAPIQuotaLow -> toggl-api-quota-low.
func kebab(name string) string {
	rs := []rune(name)
	var b strings.Builder
	for i, r := range rs {
		if i > 0 && unicode.IsUpper(r) &&
			(unicode.IsLower(rs[i-1]) || (i+1 < len(rs) && unicode.IsLower(rs[i+1]) && unicode.IsUpper(rs[i-1]))) {
			b.WriteByte('-')
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

func TestKebab(t *testing.T) {
	for in, want := range map[string]string{
		"TogglAPIQuotaLow":        "toggl-api-quota-low",
		"TogglReportUnauthorized": "toggl-report-unauthorized",
		"TogglExporterDown":       "toggl-exporter-down",
	} {
		if got := kebab(in); got != want {
			t.Errorf("kebab(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestAlertConventions: monitoring-mixin style, and a runbook entry for each alert.
func TestAlertConventions(t *testing.T) {
	var alerts ruleFile
	readYAML(t, filepath.Join(promDir, "alerts.yml"), &alerts)
	// The runbook is in the top-level README.
	var readmes string
	for _, p := range []string{"README.md", filepath.Join("..", "README.md"), filepath.Join("..", "docs", "runbook.md")} {
		if data, err := os.ReadFile(p); err == nil {
			readmes += string(data)
		}
	}
	seen := map[string]bool{}
	for _, r := range alerts.rules() {
		name := r.Alert
		if seen[name] {
			t.Errorf("%s: defined twice", name)
		}
		seen[name] = true
		if !strings.HasPrefix(name, "Toggl") {
			t.Errorf("%s: alert names start with Toggl", name)
		}
		if s := r.Labels["severity"]; s != "critical" && s != "warning" && s != "info" {
			t.Errorf("%s: severity %q, want critical, warning or info", name, s)
		}
		if r.For == "" {
			t.Errorf("%s: no `for`", name)
		}
		if s := r.Annotations["summary"]; s == "" || !strings.HasSuffix(s, ".") || strings.Contains(s, "{{") {
			t.Errorf("%s: summary %q: one plain sentence", name, s)
		}
		if d := r.Annotations["description"]; !strings.Contains(d, "{{") || !strings.HasSuffix(d, ".") {
			t.Errorf("%s: description %q: templated sentences", name, d)
		}
		anchor := "runbook-" + kebab(name)
		if got, want := r.Annotations["runbook_url"], runbookBase+"#"+anchor; got != want {
			t.Errorf("%s: runbook_url %q, want %q", name, got, want)
		}
		if !strings.Contains(readmes, `<a id="`+anchor+`"></a>`) {
			t.Errorf("%s: no runbook entry <a id=%q></a> in README.md", name, anchor)
		}
		if len(r.Annotations) != 3 {
			t.Errorf("%s: annotations %v, want summary, description, runbook_url", name, r.Annotations)
		}
	}
	// The alerts the deployment promises (the README's runbook).
	for _, want := range []string{
		"TogglExporterDown", "TogglReportFailing", "TogglReportUnauthorized", "TogglReportNotFound",
		"TogglAPIQuotaExhausted", "TogglAPIQuotaLow", "TogglReportStale", "TogglNoTimeTracked",
		"TogglProjectOverEstimate",
	} {
		if !seen[want] {
			t.Errorf("alert %s missing", want)
		}
	}
}

// scrapeConfig is the part of prometheus.yml the tests read.
type promConfig struct {
	RuleFiles     []string `yaml:"rule_files"`
	ScrapeConfigs []struct {
		JobName       string `yaml:"job_name"`
		MetricsPath   string `yaml:"metrics_path"`
		StaticConfigs []struct {
			Targets []string `yaml:"targets"`
		} `yaml:"static_configs"`
	} `yaml:"scrape_configs"`
}

// TestScrapeConfig: a /metrics job and a /probe job whose targets are the --demo reports,
// so that docker compose works out of the box; job names that the alerts select.
func TestScrapeConfig(t *testing.T) {
	var cfg promConfig
	readYAML(t, filepath.Join(promDir, "prometheus.yml"), &cfg)
	var demo []string
	for _, r := range togglfake.DemoReports {
		demo = append(demo, r.Name)
	}
	var sawMetrics, sawProbe bool
	for _, sc := range cfg.ScrapeConfigs {
		if !strings.HasPrefix(sc.JobName, "toggl") {
			t.Errorf("job %q: TogglExporterDown selects job=~\"toggl.*\"", sc.JobName)
		}
		var targets []string
		for _, s := range sc.StaticConfigs {
			targets = append(targets, s.Targets...)
		}
		switch sc.MetricsPath {
		case "", "/metrics":
			sawMetrics = true
		case "/probe":
			sawProbe = true
			slices.Sort(targets)
			slices.Sort(demo)
			if !slices.Equal(targets, demo) {
				t.Errorf("job %s: targets %v, want the demo reports %v", sc.JobName, targets, demo)
			}
		}
	}
	if !sawMetrics || !sawProbe {
		t.Errorf("want a /metrics job and a /probe job (metrics %v, probe %v)", sawMetrics, sawProbe)
	}
	if !slices.Equal(cfg.RuleFiles, []string{"rules.yml", "alerts.yml"}) {
		t.Errorf("rule_files %v", cfg.RuleFiles)
	}
}
