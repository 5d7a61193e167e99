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
// environment, and the Kubernetes ConfigMap's with its Secret's files. Each of the Secret's
// placeholders is refused, so that the base never runs with them (its init container stops);
// with tokens in their place the configuration is valid.
func TestExampleConfigurations(t *testing.T) {
	t.Parallel()
	bin := exporterBinary(t)

	t.Run("docker compose", func(t *testing.T) {
		env := append(cleanEnv(), "TOGGL_API_TOKEN=api-token-0123456789abcdef0123456", "TEAM_WEEK_TOKEN=week-token-0123456789abcdef012345", "TEAM_TODAY_TOKEN=today-token-0123456789abcdef01234")
		checkConfig(t, bin, env, "toggl_exporter/toggl.yml")
	})

	t.Run("kubernetes", func(t *testing.T) {
		var secret struct {
			StringData map[string]string `yaml:"stringData"`
		}
		readYAML(t, "kubernetes/base/secret.yaml", &secret)
		out, err := checkSecretConfig(t, bin, "kubernetes/base/toggl.yml", secret.StringData)
		if err == nil {
			t.Fatalf("--config.check accepts the Secret's placeholders:\n%s", out)
		}
		if n := strings.Count(out, "_file: not a valid"); n != len(secret.StringData) {
			t.Errorf("%d of the %d placeholders refused as not a valid token:\n%s", n, len(secret.StringData), out)
		}
		for key := range secret.StringData {
			secret.StringData[key] = "a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5"
		}
		if out, err := checkSecretConfig(t, bin, "kubernetes/base/toggl.yml", secret.StringData); err != nil {
			t.Errorf("with tokens in the Secret: %v\n%s", err, out)
		}
	})
}

// checkSecretConfig runs --config.check on the configuration at path, whose token files
// under /etc/toggl_exporter/secrets are the Secret's data.
func checkSecretConfig(t *testing.T, bin, path string, data map[string]string) (string, error) {
	t.Helper()
	const secrets = "/etc/toggl_exporter/secrets"
	cfg, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(cfg), secrets+"/") {
		t.Fatalf("%s reads no file under %s", path, secrets)
	}
	dir := t.TempDir()
	for k, v := range data {
		if err := os.WriteFile(filepath.Join(dir, k), []byte(v+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	p := filepath.Join(dir, "toggl.yml")
	if err := os.WriteFile(p, []byte(strings.ReplaceAll(string(cfg), secrets, dir)), 0o644); err != nil {
		t.Fatal(err)
	}
	return runErr(time.Minute, ".", bin, "--config.check", "--config.file="+p)
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
