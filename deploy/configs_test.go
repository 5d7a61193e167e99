package deploy_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestExampleConfigurations has the exporter check (--config.check: no network) the
// configurations the deployments ship: docker compose's, with its tokens in the
// environment, and the Kubernetes ConfigMap's, with its Secret's files.
func TestExampleConfigurations(t *testing.T) {
	bin := exporterBinary(t)

	t.Run("docker compose", func(t *testing.T) {
		env := append(cleanEnv(), "TOGGL_API_TOKEN=api-token-0123456789abcdef0123456", "TEAM_WEEK_TOKEN=week-token-0123456789abcdef012345", "TEAM_TODAY_TOKEN=today-token-0123456789abcdef01234")
		checkConfig(t, bin, env, "toggl_exporter/toggl.yml")
	})

	t.Run("kubernetes", func(t *testing.T) {
		const secrets = "/etc/toggl_exporter/secrets"
		data, err := os.ReadFile("kubernetes/base/toggl.yml")
		if err != nil {
			t.Fatal(err)
		}
		var secret struct {
			StringData map[string]string `yaml:"stringData"`
		}
		readYAML(t, "kubernetes/base/secret.yaml", &secret)
		dir := t.TempDir()
		for k, v := range secret.StringData {
			if err := os.WriteFile(filepath.Join(dir, k), []byte(v+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		if !strings.Contains(string(data), secrets+"/") {
			t.Fatalf("kubernetes/base/toggl.yml reads no file under %s", secrets)
		}
		cfg := filepath.Join(dir, "toggl.yml")
		if err := os.WriteFile(cfg, []byte(strings.ReplaceAll(string(data), secrets, dir)), 0o644); err != nil {
			t.Fatal(err)
		}
		checkConfig(t, bin, cleanEnv(), cfg)
	})
}

func checkConfig(t *testing.T, bin string, env []string, path string) {
	t.Helper()
	p := start(t, "config check", env, bin, "--config.check", "--config.file="+path)
	select {
	case <-p.done:
	case <-time.After(time.Minute):
		t.Fatal("--config.check did not finish in a minute")
	}
	if !p.cmd.ProcessState.Success() {
		t.Errorf("--config.check %s: %v\n%s", path, p.cmd.ProcessState, p.out.String())
	}
}
