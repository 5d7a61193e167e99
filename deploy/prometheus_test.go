package deploy_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"
	"go.yaml.in/yaml/v3"

	"github.com/toggl-exporter/toggl_exporter/internal/togglfake"
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
		Interval      string `yaml:"interval"`
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
	t.Parallel()
	promtool := needTool(t, "promtool")
	// check config also checks the rule files it names
	run(t, time.Minute, promDir, promtool, "check", "config", "prometheus.yml")
}

func TestPromtoolCheckRules(t *testing.T) {
	t.Parallel()
	promtool := needTool(t, "promtool")
	run(t, time.Minute, promDir, promtool, "check", "rules", "rules.yml", "alerts.yml")
}

// TestPromtoolRuleTests runs the promtool unit tests of the recording rules and alerts.
func TestPromtoolRuleTests(t *testing.T) {
	t.Parallel()
	promtool := needTool(t, "promtool")
	run(t, 2*time.Minute, promDir, promtool, "test", "rules", "rules_test.yml", "alerts_test.yml", "team_alerts_test.yml")
}

// TestEveryAlertHasFiringAndQuietCases: each alert is covered by promtool cases where it
// fires and cases where it must not, with samples no sparser than the 5m lookback: beyond
// it a series vanishes between its samples, no alert stays pending for its "for", and a
// case where it must not fire passes whatever the rule says.
func TestEveryAlertHasFiringAndQuietCases(t *testing.T) {
	t.Parallel()
	var alerts ruleFile
	readYAML(t, filepath.Join(promDir, "alerts.yml"), &alerts)
	fires, quiet := map[string]int{}, map[string]int{}
	for _, file := range []string{"alerts_test.yml", "team_alerts_test.yml"} {
		var tests ruleTestFile
		readYAML(t, filepath.Join(promDir, file), &tests)
		if !slices.Contains(tests.RuleFiles, "alerts.yml") {
			t.Errorf("%s does not load alerts.yml: %v", file, tests.RuleFiles)
		}
		for _, tc := range tests.Tests {
			if d, err := model.ParseDuration(tc.Interval); err != nil || time.Duration(d) > 5*time.Minute {
				t.Errorf("%s: %q: interval %q, want at most the 5m lookback", file, tc.Name, tc.Interval)
			}
			for _, a := range tc.AlertRuleTest {
				if len(a.ExpAlerts) > 0 {
					fires[a.Alertname]++
				} else {
					quiet[a.Alertname]++
				}
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
	t.Parallel()
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

// runbookBase is where every alert's runbook_url points, followed by #<alert name in lower
// case> (GitHub's anchor of a heading that is the alert name).
const runbookBase = "https://github.com/toggl-exporter/toggl_exporter/blob/main/docs/runbook.md"

// TestAlertConventions: monitoring-mixin style, and a runbook entry for each alert.
func TestAlertConventions(t *testing.T) {
	t.Parallel()
	var alerts ruleFile
	readYAML(t, filepath.Join(promDir, "alerts.yml"), &alerts)
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
		// A summary may name labels (TogglTimerRunningTooLong names the user), but is one
		// sentence.
		if s := r.Annotations["summary"]; s == "" || !strings.HasSuffix(s, ".") || strings.Count(s, ". ") > 0 {
			t.Errorf("%s: summary %q: one sentence", name, s)
		}
		if d := r.Annotations["description"]; !strings.Contains(d, "{{") || !strings.HasSuffix(d, ".") {
			t.Errorf("%s: description %q: templated sentences", name, d)
		}
		if got, want := r.Annotations["runbook_url"], runbookBase+"#"+strings.ToLower(name); got != want {
			t.Errorf("%s: runbook_url %q, want %q", name, got, want)
		}
		if len(r.Annotations) != 3 {
			t.Errorf("%s: annotations %v, want summary, description, runbook_url", name, r.Annotations)
		}
	}
	// The alerts the deployment promises (the runbook).
	for _, want := range []string{
		"TogglExporterDown", "TogglReportsAllFailing", "TogglReportFailing", "TogglReportUnauthorized",
		"TogglReportNotFound", "TogglAPIQuotaExhausted", "TogglAPIQuotaLow", "TogglReportStale",
		"TogglReportIncomplete", "TogglNoTimeTracked", "TogglProjectOverEstimate", "TogglTimerRunningTooLong",
		"TogglListingFailing",
	} {
		if !seen[want] {
			t.Errorf("alert %s missing", want)
		}
	}
}

// TestRunbookEntries: docs/runbook.md has an entry for every alert, at the anchor its
// runbook_url names: a heading that is the alert name, or an explicit <a id>.
func TestRunbookEntries(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(filepath.Join("..", "docs", "runbook.md"))
	if errors.Is(err, fs.ErrNotExist) && os.Getenv("CI") != "true" {
		t.Skip("docs/runbook.md does not exist yet in this tree")
	}
	if err != nil {
		t.Fatal(err)
	}
	var alerts ruleFile
	readYAML(t, filepath.Join(promDir, "alerts.yml"), &alerts)
	for _, r := range alerts.rules() {
		heading := regexp.MustCompile(`(?m)^#{2,4} ` + r.Alert + `\s*$`)
		anchor := `<a id="` + strings.ToLower(r.Alert) + `"></a>`
		if !heading.Match(data) && !strings.Contains(string(data), anchor) {
			t.Errorf("%s: no runbook entry in docs/runbook.md (a heading \"## %s\" or %s)", r.Alert, r.Alert, anchor)
		}
	}
}

// TestPagingAlerts: only the alerts that mean "no Toggl figures are collected at all" page
// (critical). One report's token, existence, quota or staleness waits until morning: a share
// token regenerated at 3 a.m. must not wake anyone.
func TestPagingAlerts(t *testing.T) {
	t.Parallel()
	var alerts ruleFile
	readYAML(t, filepath.Join(promDir, "alerts.yml"), &alerts)
	var critical []string
	for _, r := range alerts.rules() {
		if r.Labels["severity"] == "critical" {
			critical = append(critical, r.Alert)
		}
	}
	slices.Sort(critical)
	if want := []string{"TogglExporterDown", "TogglReportsAllFailing"}; !slices.Equal(critical, want) {
		t.Errorf("critical alerts %v, want %v", critical, want)
	}
}

// promConfig is the part of prometheus.yml the tests read.
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

// TestScrapeConfig: the shipped configuration scrapes each report once, through one /metrics
// job that names no report (so that going from --demo to real reports changes nothing in
// it), with a job name the alerts select, and loads the rules and alerts.
func TestScrapeConfig(t *testing.T) {
	t.Parallel()
	var cfg promConfig
	readYAML(t, filepath.Join(promDir, "prometheus.yml"), &cfg)
	reports := map[string]bool{}
	for _, r := range togglfake.DemoReports {
		reports[r.Name] = true
	}
	for _, r := range composeReports(t) {
		reports[r] = true
	}
	if len(cfg.ScrapeConfigs) != 1 {
		t.Errorf("%d scrape jobs, want one: a report scraped by two jobs is stored and alerted on twice", len(cfg.ScrapeConfigs))
	}
	for _, sc := range cfg.ScrapeConfigs {
		if !strings.HasPrefix(sc.JobName, "toggl") {
			t.Errorf("job %q: TogglExporterDown selects job=~\"toggl.*\"", sc.JobName)
		}
		if sc.MetricsPath != "" && sc.MetricsPath != "/metrics" {
			t.Errorf("job %s: metrics_path %q, want /metrics", sc.JobName, sc.MetricsPath)
		}
		for _, s := range sc.StaticConfigs {
			for _, tg := range s.Targets {
				if reports[tg] {
					t.Errorf("job %s: target %q is a report name: the list of reports belongs to the exporter's configuration", sc.JobName, tg)
				}
			}
		}
	}
	if !slices.Equal(cfg.RuleFiles, []string{"rules.yml", "alerts.yml"}) {
		t.Errorf("rule_files %v", cfg.RuleFiles)
	}
}

// uncomment returns the block prometheus.yml carries commented out ("  # ...") from the
// line whose text is first to the last line indented deeper than it, uncommented and
// dedented.
func uncomment(t *testing.T, data, first string) string {
	t.Helper()
	indent := func(s string) int { return len(s) - len(strings.TrimLeft(s, " ")) }
	var b strings.Builder
	depth := -1
	for line := range strings.SplitSeq(data, "\n") {
		body, ok := strings.CutPrefix(line, "  # ")
		if depth < 0 {
			if ok && strings.TrimSpace(body) == first {
				depth = indent(body)
				b.WriteString(body[depth:] + "\n")
			}
			continue
		}
		if !ok || indent(body) <= depth {
			break
		}
		b.WriteString(body[depth:] + "\n")
	}
	if depth < 0 {
		t.Fatalf("prometheus.yml: no commented %q", first)
	}
	return b.String()
}

// commentedProbeJob returns the /probe job and the metric_relabel_configs for the toggl job
// that prometheus.yml carries commented out, decoded.
func commentedProbeJob(t *testing.T) (job map[string]any, dropReports []any) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(promDir, "prometheus.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var jobs []map[string]any
	if err := yaml.Unmarshal([]byte(uncomment(t, string(data), "- job_name: toggl-probe")), &jobs); err != nil || len(jobs) != 1 {
		t.Fatalf("prometheus.yml: the commented /probe job: %v", err)
	}
	var relabel struct {
		Configs []any `yaml:"metric_relabel_configs"`
	}
	if err := yaml.Unmarshal([]byte(uncomment(t, string(data), "metric_relabel_configs:")), &relabel); err != nil || len(relabel.Configs) == 0 {
		t.Fatalf("prometheus.yml: the commented metric_relabel_configs: %v", err)
	}
	return jobs[0], relabel.Configs
}

// TestCommentedProbeJob: the /probe job of prometheus.yml, once uncommented as its comment
// says (with the toggl job keeping only the exporter's own metrics), is a valid
// configuration whose targets are discovered from the exporter's /sd.
func TestCommentedProbeJob(t *testing.T) {
	t.Parallel()
	promtool := needTool(t, "promtool")
	job, drop := commentedProbeJob(t)
	var probe struct {
		HTTPSD []struct {
			URL string `yaml:"url"`
		} `yaml:"http_sd_configs"`
		StaticConfigs []any `yaml:"static_configs"`
		HonorLabels   bool  `yaml:"honor_labels"`
	}
	remarshal(t, job, &probe)
	// The targets come from the exporter, never from a list kept here.
	if len(probe.HTTPSD) != 1 || probe.HTTPSD[0].URL != "http://toggl-exporter:9981/sd" || len(probe.StaticConfigs) > 0 {
		t.Errorf("the commented /probe job: http_sd_configs %v, static_configs %v; want the exporter's /sd only", probe.HTTPSD, probe.StaticConfigs)
	}
	if !probe.HonorLabels {
		t.Errorf("the commented /probe job: honor_labels false: the report label would come twice (report, exported_report)")
	}

	var cfg map[string]any
	readYAML(t, filepath.Join(promDir, "prometheus.yml"), &cfg)
	dir := t.TempDir()
	for _, rf := range cfg["rule_files"].([]any) {
		data, err := os.ReadFile(filepath.Join(promDir, rf.(string)))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, rf.(string)), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	jobs := cfg["scrape_configs"].([]any)
	jobs[0].(map[string]any)["metric_relabel_configs"] = drop
	cfg["scrape_configs"] = append(jobs, job)
	path := filepath.Join(dir, "prometheus.yml")
	writeYAML(t, path, cfg)
	run(t, time.Minute, dir, promtool, "check", "config", path)
}

// remarshal decodes v, as YAML, into out.
func remarshal(t *testing.T, v, out any) {
	t.Helper()
	data, err := yaml.Marshal(v)
	if err == nil {
		err = yaml.Unmarshal(data, out)
	}
	if err != nil {
		t.Fatal(err)
	}
}
