package testkit

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// childEnv names the variable that makes TestToolUser act: the test below runs this test
// binary again as a child.
const childEnv = "TESTKIT_CHILD_TOOL"

// TestToolUser is the child's test: it needs the tool named by childEnv.
func TestToolUser(t *testing.T) {
	tool := os.Getenv(childEnv)
	if tool == "" {
		t.Skip("only run as a child of TestNeedTool")
	}
	NeedTool(t, tool)
}

// TestNeedTool checks that a missing tool skips the test saying how to install it (the
// message cmd/runtests lists at the end of the run, see its tests), that a tool present
// runs it, and that under CI=true a missing tool fails it.
func TestNeedTool(t *testing.T) {
	const missing = "helm-not-installed-here"
	for _, tc := range []struct{ tool, ci, want string }{
		{missing, "", "none of " + missing + ` on PATH; install: see README.md, "Testing the deployment files"\n--- SKIP: TestToolUser`},
		{"go", "", "--- PASS: TestToolUser"},
		{missing, "true", "none of " + missing + " on PATH.*\n--- FAIL: TestToolUser"},
	} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestToolUser$", "-test.v")
		cmd.Env = append(os.Environ(), childEnv+"="+tc.tool, "CI="+tc.ci)
		out, err := cmd.CombinedOutput()
		if _, exit := err.(*exec.ExitError); err != nil && !exit {
			t.Fatal(err)
		}
		if !regexp.MustCompile(tc.want).Match(out) || (err == nil) != (tc.ci == "") {
			t.Errorf("needing %s with CI=%q (exit %v):\n%s", tc.tool, tc.ci, err, out)
		}
	}
}

// TestInstallHintsMatchCI keeps the hints NeedTool prints in step with what .ci/run installs.
func TestInstallHintsMatchCI(t *testing.T) {
	ci, err := os.ReadFile(filepath.Join("..", "..", ".ci", "run"))
	if err != nil {
		t.Fatal(err)
	}
	for tool, hint := range install {
		if pkg, ok := strings.CutPrefix(hint, "apt-get install "); ok {
			if !regexp.MustCompile(`(?m)^\s+.*\b` + regexp.QuoteMeta(pkg) + `\b`).Match(ci) {
				t.Errorf("%s: .ci/run does not apt-get install %s", tool, pkg)
			}
			continue
		}
		if !strings.Contains(string(ci), hint) {
			t.Errorf("%s: .ci/run does not %s", tool, hint)
		}
	}
}
