package deploy_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"
)

type composeFile struct {
	Services map[string]struct {
		Image string `yaml:"image"`
		Build *struct {
			Context    string `yaml:"context"`
			Dockerfile string `yaml:"dockerfile"`
		} `yaml:"build"`
		Command     []string `yaml:"command"`
		Environment any      `yaml:"environment"` // a list or a map
		Volumes     []string `yaml:"volumes"`
		EnvFile     []string `yaml:"env_file"`
		ReadOnly    bool     `yaml:"read_only"`
	} `yaml:"services"`
	Volumes map[string]any `yaml:"volumes"`
}

// composeMounts returns, per service, container path -> host path (relative to deploy/) of
// the bind mounts of docker-compose.yml.
func composeMounts(t *testing.T) map[string]map[string]string {
	t.Helper()
	var c composeFile
	readYAML(t, "docker-compose.yml", &c)
	mounts := map[string]map[string]string{}
	for name, s := range c.Services {
		mounts[name] = map[string]string{}
		for _, v := range s.Volumes {
			parts := strings.Split(v, ":")
			if len(parts) < 2 {
				t.Errorf("service %s: volume %q", name, v)
				continue
			}
			mounts[name][parts[1]] = parts[0]
		}
	}
	return mounts
}

// TestComposeFilesExist: every file and folder docker-compose.yml refers to exists, named
// volumes are declared, and the Prometheus container gets every file prometheus.yml loads.
func TestComposeFilesExist(t *testing.T) {
	t.Parallel()
	var c composeFile
	readYAML(t, "docker-compose.yml", &c)
	for _, want := range []string{"toggl-exporter", "prometheus", "alertmanager", "grafana"} {
		if _, ok := c.Services[want]; !ok {
			t.Errorf("no service %s", want)
		}
	}
	for name, s := range c.Services {
		if s.Build != nil {
			ctx := filepath.Join(".", s.Build.Context)
			if _, err := os.Stat(filepath.Join(ctx, s.Build.Dockerfile)); err != nil {
				t.Errorf("service %s: build: %v", name, err)
			}
		} else if s.Image == "" {
			t.Errorf("service %s: neither build nor image", name)
		}
		for _, f := range s.EnvFile {
			if _, err := os.Stat(f); err != nil {
				t.Errorf("service %s: env_file: %v", name, err)
			}
		}
		for target, src := range composeMounts(t)[name] {
			if strings.HasPrefix(src, ".") || strings.HasPrefix(src, "/") {
				if _, err := os.Stat(src); err != nil {
					t.Errorf("service %s: volume %s -> %s: %v", name, src, target, err)
				}
			} else if _, ok := c.Volumes[src]; !ok {
				t.Errorf("service %s: named volume %q not declared", name, src)
			}
		}
	}

	// The demo is the default, and the real configuration is mounted for when it is not.
	exp := c.Services["toggl-exporter"]
	if !slices.Equal(exp.Command, []string{"--demo"}) {
		t.Errorf("toggl-exporter: command %v, want [--demo]", exp.Command)
	}
	if src := composeMounts(t)["toggl-exporter"]["/etc/toggl_exporter/toggl.yml"]; src == "" {
		t.Error("toggl-exporter: no configuration mounted at /etc/toggl_exporter/toggl.yml (the image's default --config.file)")
	}

	// Prometheus resolves rule_files next to its configuration file.
	var prom promConfig
	readYAML(t, filepath.Join(promDir, "prometheus.yml"), &prom)
	pm := composeMounts(t)["prometheus"]
	cfgSrc := pm["/etc/prometheus/prometheus.yml"]
	if filepath.Clean(cfgSrc) != filepath.Join(promDir, "prometheus.yml") {
		t.Errorf("prometheus: /etc/prometheus/prometheus.yml comes from %q", cfgSrc)
	}
	for _, rf := range prom.RuleFiles {
		if src := pm[filepath.Join("/etc/prometheus", rf)]; filepath.Clean(src) != filepath.Join(promDir, rf) {
			t.Errorf("prometheus: rule file %s is not mounted from %s (got %q)", rf, filepath.Join(promDir, rf), src)
		}
	}
	if src := composeMounts(t)["alertmanager"]["/etc/alertmanager/alertmanager.yml"]; filepath.Clean(src) != filepath.Join(amDir, "alertmanager.yml") {
		t.Errorf("alertmanager: configuration from %q", src)
	}
}

// TestComposeConfig has docker compose (or docker-compose) validate the file; no engine
// is needed for that.
func TestComposeConfig(t *testing.T) {
	t.Parallel()
	if docker, err := exec.LookPath("docker"); err == nil {
		out, err := runErr(time.Minute, ".", docker, "compose", "version")
		if err == nil {
			run(t, time.Minute, ".", docker, "compose", "-f", "docker-compose.yml", "config", "-q")
			return
		}
		t.Logf("docker compose unavailable: %s", strings.TrimSpace(out))
	}
	compose := needTool(t, "docker-compose")
	run(t, time.Minute, ".", compose, "-f", "docker-compose.yml", "config", "-q")
}

// composeConfig is the exporter's configuration docker-compose.yml mounts for real reports.
const composeConfig = "toggl_exporter/toggl.yml"

// composeReports returns the names of the reports of the compose configuration.
func composeReports(t *testing.T) []string {
	t.Helper()
	var cfg struct {
		Reports []struct {
			Name string `yaml:"name"`
		} `yaml:"reports"`
	}
	readYAML(t, composeConfig, &cfg)
	var names []string
	for _, r := range cfg.Reports {
		names = append(names, r.Name)
	}
	if len(names) == 0 {
		t.Fatalf("%s: no reports", composeConfig)
	}
	return names
}

// TestComposeOneSwitch: going from the demo to real reports is one switch, in the
// exporter's configuration: delete `command: [--demo]` and the exporter reads the mounted
// toggl.yml, whose every ${VAR} the service passes through from .env. Prometheus names no
// report (TestScrapeConfig), so nothing else changes.
func TestComposeOneSwitch(t *testing.T) {
	t.Parallel()
	var c composeFile
	readYAML(t, "docker-compose.yml", &c)
	exp := c.Services["toggl-exporter"]
	if src := composeMounts(t)["toggl-exporter"]["/etc/toggl_exporter/toggl.yml"]; filepath.Clean(src) != composeConfig {
		t.Errorf("toggl-exporter: /etc/toggl_exporter/toggl.yml (the image's default --config.file) comes from %q, want ./%s", src, composeConfig)
	}
	data, err := os.ReadFile(composeConfig)
	if err != nil {
		t.Fatal(err)
	}
	passed := map[string]bool{}
	env, _ := exp.Environment.([]any)
	for _, e := range env {
		name, _, _ := strings.Cut(e.(string), "=")
		passed[name] = true
	}
	vars := regexp.MustCompile(`\$\{(\w+)\}`).FindAllStringSubmatch(string(data), -1)
	if len(vars) == 0 {
		t.Fatalf("%s names no ${VAR}: where do its tokens come from?", composeConfig)
	}
	for _, m := range vars {
		if !passed[m[1]] {
			t.Errorf("%s names ${%s}, which toggl-exporter's environment does not pass through (%v)", composeConfig, m[1], exp.Environment)
		}
	}
}

// TestComposeKeepsHistory: compose's Prometheus keeps at least a year, so that history
// imported with `toggl_exporter backfill` is not deleted at the next compaction (the default
// retention is 15 days).
func TestComposeKeepsHistory(t *testing.T) {
	t.Parallel()
	var c composeFile
	readYAML(t, "docker-compose.yml", &c)
	var retention model.Duration
	for _, arg := range c.Services["prometheus"].Command {
		if v, ok := strings.CutPrefix(arg, "--storage.tsdb.retention.time="); ok {
			d, err := model.ParseDuration(v)
			if err != nil {
				t.Fatalf("prometheus: %s: %v", arg, err)
			}
			retention = d
		}
	}
	if time.Duration(retention) < 365*24*time.Hour {
		t.Errorf("prometheus keeps %v (no --storage.tsdb.retention.time: 15d), want at least a year", retention)
	}
}
