package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/toggl-exporter/toggl_exporter/internal/testkit"
)

// childEnv makes TestChild and BenchmarkChild act: TestRun runs them through `go test`.
const childEnv = "RUNTESTS_CHILD"

// TestChild is what TestRun's `go test` runs: a test that passes, one skipped for a
// missing tool and one that fails.
func TestChild(t *testing.T) {
	if os.Getenv(childEnv) == "" {
		t.Skip("only run by TestRun")
	}
	t.Run("passes", func(t *testing.T) { t.Log("the log of a passing test") })
	t.Run("skips", func(t *testing.T) { testkit.NeedTool(t, "tool-not-installed-here") })
	t.Run("fails", func(t *testing.T) { t.Error("the log of a failing test") })
}

func BenchmarkChild(b *testing.B) {
	if os.Getenv(childEnv) == "" {
		b.Skip("only run by TestRun")
	}
	for b.Loop() {
	}
}

// TestRun runs this package's TestChild and BenchmarkChild through run in two passes, as
// the README's test command runs the suite: the failing test's log is shown and the passing
// one's is not, the benchmark's result is shown, the last lines are the skips for missing
// tools and the total, and the exit code is 1.
func TestRun(t *testing.T) {
	if os.Getenv(childEnv) != "" {
		t.Skip("the child")
	}
	t.Setenv(childEnv, "1")
	t.Setenv("CI", "")
	var out, errs strings.Builder
	code := run(&out, &errs, [][]string{{"-count=1", "-run=^TestChild$", "."}, {"-count=1", "-run=^$", "-bench=^BenchmarkChild$", "-benchtime=1x", "."}})
	got := out.String()
	for _, want := range []string{
		`(?m)^    main_test.go:\d+: the log of a failing test\n--- FAIL: TestChild/fails \(.*\n--- FAIL: TestChild \(`,
		`(?m)^BenchmarkChild\S*\s+1\s+[\d.]+ ns/op\n`,
		`(?m)^FAIL\s+github.com/toggl-exporter/toggl_exporter/internal/testkit/cmd/runtests\s`,
		`\n=== SKIPPED: 1 tests, for missing tools \(under CI=true they fail\):\n` +
			`    tool-not-installed-here \(see README.md, "Testing the deployment files"\): runtests.TestChild/skips\n` +
			`    bash .ci/run installs them all .*\n` +
			`1 passed, 2 failed, 1 skipped in \S+\n$`,
	} {
		if !regexp.MustCompile(want).MatchString(got) {
			t.Errorf("the output does not match %s", want)
		}
	}
	if strings.Contains(got, "passing test") || strings.Contains(got, "=== RUN") {
		t.Error("the output shows what passed, as only -v would")
	}
	if code != 1 || t.Failed() {
		t.Errorf("exit code %d; stderr %q; output:\n%s", code, errs.String(), got)
	}
}

// TestRunFailsOutsideTests: a package that cannot be tested, or go test refusing its
// arguments, fails the run, and the total says so.
func TestRunFailsOutsideTests(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-run=^$", "./no-such-package"}, `FAIL: \./no-such-package failed outside its tests`},
		{[]string{"-count=x", "."}, `FAIL: go test -count=x \.: exit status 2`},
	} {
		var out, errs strings.Builder
		code := run(&out, &errs, [][]string{tc.args})
		if last := regexp.MustCompile(`(?m)^0 passed, 0 failed, 0 skipped in \S+; ` + tc.want + `\n$`); code != 1 || !last.MatchString(out.String()) {
			t.Errorf("%v: exit code %d, output:\n%s\nstderr:\n%s", tc.args, code, out.String(), errs.String())
		}
	}
}

// TestOneCommand: the README (both places), `make test` and CI run the suite with this
// command, so that what the README's figures measure is what CI runs.
func TestOneCommand(t *testing.T) {
	const cmd = "go run ./internal/testkit/cmd/runtests"
	root := filepath.Join("..", "..", "..", "..")
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(root, name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	readme, makefile, ci := read("README.md"), read("Makefile"), read(".ci/run")
	if n := strings.Count(readme, "\n"+cmd+" "); n != 2 {
		t.Errorf("README.md gives the test command %d times, want 2 (quick start, building and testing)", n)
	}
	if !strings.Contains(makefile, "\ntest:\n\t"+cmd+"\n") {
		t.Errorf("Makefile: the test target does not run %s", cmd)
	}
	if !strings.HasSuffix(ci, "\n"+cmd+"\n") {
		t.Errorf(".ci/run does not end with %s", cmd)
	}
}
