package testkit

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestMain(m *testing.M) { os.Exit(RunTests(m)) }

// childEnv names the variable that makes TestToolUser act: the tests below run this test
// binary again as a child, with a private TMPDIR, as `go test` would run a package.
const childEnv = "TESTKIT_CHILD_TOOL"

// TestToolUser is the child's test: it needs the tool named by childEnv.
func TestToolUser(t *testing.T) {
	tool := os.Getenv(childEnv)
	if tool == "" {
		t.Skip("only run as a child of TestSkipsAreReported")
	}
	NeedTool(t, tool)
}

// child runs this test binary with the given -test.run pattern, TMPDIR and CI, needing
// tool, and returns its combined output and whether it passed.
func child(t *testing.T, tmp, run, tool, ci string) (string, bool) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run="+run)
	cmd.Env = append(os.Environ(), "TMPDIR="+tmp, childEnv+"="+tool, "CI="+ci)
	out, err := cmd.CombinedOutput()
	if _, exit := err.(*exec.ExitError); err != nil && !exit {
		t.Fatal(err)
	}
	return string(out), err == nil
}

// TestSkipsAreReported checks that a test skipped for a missing tool is listed, with how
// to install the tool, by the run that skipped it and by the next run that calls no
// NeedTool (the benchmark run of the README's test command, whose output go test shows);
// that a run with the tool present clears the record; and that CI=true fails instead.
func TestSkipsAreReported(t *testing.T) {
	tmp := t.TempDir()
	const missing = "helm-not-installed-here"
	want := regexp.MustCompile(`(?s)=== SKIPPED: 1 tests of .* for missing tools.*` +
		`no ` + missing + ` \(see README.md, "Testing the deployment files"\): TestToolUser\n.*bash \.ci/run`)

	out, ok := child(t, tmp, "^TestToolUser$", missing, "")
	if !ok || !want.MatchString(out) {
		t.Fatalf("the run that skips (passed %v) says:\n%s", ok, out)
	}
	files, _ := filepath.Glob(filepath.Join(tmp, "toggl_exporter-skipped-*"))
	if len(files) != 1 {
		t.Fatalf("skip records %v, want one", files)
	}
	out, ok = child(t, tmp, "^$", missing, "")
	if !ok || !want.MatchString(out) {
		t.Fatalf("the next run without tests (passed %v) says:\n%s", ok, out)
	}

	out, ok = child(t, tmp, "^TestToolUser$", "go", "")
	if !ok || strings.Contains(out, "SKIPPED") {
		t.Fatalf("with the tool present (passed %v):\n%s", ok, out)
	}
	if out, _ := child(t, tmp, "^$", missing, ""); strings.Contains(out, "SKIPPED") {
		t.Fatalf("the record outlived a run that found the tool:\n%s", out)
	}

	out, ok = child(t, tmp, "^TestToolUser$", missing, "true")
	if ok || !strings.Contains(out, "none of "+missing+" on PATH") {
		t.Fatalf("under CI=true a missing tool must fail (passed %v):\n%s", ok, out)
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
