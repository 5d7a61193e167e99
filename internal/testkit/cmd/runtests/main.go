// Command runtests is the README's test command. It runs `go test -json` and prints what
// `go test` prints without -v (each package's result, benchmark lines, the output of what
// failed), then, as its last lines, the tests skipped for a missing tool (testkit.NeedTool)
// and a one-line total. It exits non-zero when anything failed.
//
// Without arguments it runs the whole suite in two passes at once: the tests under the race
// detector, and every benchmark once without it (the race detector would multiply their time
// and distort what BenchmarkPeakMemory measures). With arguments it runs one pass with them:
//
//	go run ./internal/testkit/cmd/runtests
//	go run ./internal/testkit/cmd/runtests -count=1 -run Helm ./deploy/
package main

import (
	"bufio"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/go-json-experiment/json"
)

// suite is the whole suite. -p and -parallel above the 2 CPUs of the project's machine:
// many tests (deploy/, package main) mostly wait on the processes they run.
var suite = [][]string{
	{"-race", "-count=1", "-p=4", "-parallel=4", "./..."},
	{"-count=1", "-run=^$", "-bench=.", "-benchtime=1x", "./..."},
}

func main() {
	passes := suite
	if len(os.Args) > 1 {
		passes = [][]string{os.Args[1:]}
	}
	os.Exit(run(os.Stdout, os.Stderr, passes))
}

// missingTool matches the message testkit.NeedTool skips a test with.
var missingTool = regexp.MustCompile(`none of (.+) on PATH; install: (.+)`)

// report is what the passes print and count, guarded by mu.
type report struct {
	mu                      sync.Mutex
	w                       io.Writer
	passed, failed, skipped int
	problems                []string            // failures outside any test
	missing                 map[string][]string // "tools (how to install)" -> tests skipped
}

// run runs one `go test -json` per pass, all at once, and returns the exit code.
func run(stdout, stderr io.Writer, passes [][]string) int {
	start := time.Now()
	r := &report{w: stdout, missing: map[string][]string{}}
	var wg sync.WaitGroup
	for _, args := range passes {
		wg.Go(func() { r.goTest(stderr, args) })
	}
	wg.Wait()
	if len(r.missing) > 0 {
		n := len(slices.Concat(slices.Collect(maps.Values(r.missing))...))
		fmt.Fprintf(stdout, "\n=== SKIPPED: %d tests, for missing tools (under CI=true they fail):\n", n)
		for _, tools := range slices.Sorted(maps.Keys(r.missing)) {
			slices.Sort(r.missing[tools])
			fmt.Fprintf(stdout, "    %s: %s\n", tools, strings.Join(r.missing[tools], ", "))
		}
		fmt.Fprintln(stdout, `    bash .ci/run installs them all (Debian, as root); see README.md, "Testing the deployment files".`)
	}
	total := fmt.Sprintf("%d passed, %d failed, %d skipped in %s", r.passed, r.failed, r.skipped, time.Since(start).Round(100*time.Millisecond))
	if len(r.problems) > 0 {
		total += "; FAIL: " + strings.Join(r.problems, "; ")
	}
	fmt.Fprintln(stdout, total)
	if r.failed > 0 || len(r.problems) > 0 {
		return 1
	}
	return 0
}

// goTest runs `go test -json` with args and prints its events as `go test` without -v
// would: a package's lines when it ends (the other pass runs meanwhile), with its benchmark
// lines and the output of its tests that failed.
func (r *report) goTest(stderr io.Writer, args []string) {
	cmd := exec.Command("go", append([]string{"test", "-json"}, args...)...)
	out, w := io.Pipe()
	cmd.Stdout, cmd.Stderr = w, stderr
	go func() { w.CloseWithError(cmd.Run()) }() // the scan ends with Run's error
	held := map[string]string{}                 // output held back: a package's under its path, a test's under "path test"
	failed := map[string]bool{}                 // packages that failed
	sc := bufio.NewScanner(out)
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		var e struct{ Action, Package, Test, Output string } // see `go doc test2json`
		if json.Unmarshal(sc.Bytes(), &e) != nil {
			e.Action, e.Output = "build-output", sc.Text()+"\n" // go test's own words
		}
		test, pkg := e.Package+" "+e.Test, e.Package
		end := e.Action == "pass" || e.Action == "fail" || e.Action == "skip"
		r.mu.Lock()
		switch {
		case e.Action == "build-output":
			io.WriteString(r.w, e.Output)
		case e.Action == "output" && (strings.HasPrefix(e.Output, "=== ") || e.Output == "PASS\n" || e.Test != "" && e.Output == e.Test+"\n"):
			// framing that -v adds
		case e.Action == "output" && (e.Test == "" || strings.HasPrefix(e.Test, "Benchmark")):
			held[pkg] += e.Output
		case e.Action == "output":
			held[test] += e.Output
		case !end:
		case e.Test == "":
			if e.Action == "fail" && !failed[pkg] {
				r.problems = append(r.problems, pkg+" failed outside its tests")
				failed[pkg] = true
			}
			io.WriteString(r.w, held[pkg])
			delete(held, pkg)
		case e.Action == "pass":
			r.passed++
		case e.Action == "fail":
			r.failed++
			failed[pkg] = true
			held[pkg] += held[test]
		default:
			r.skipped++
			if m := missingTool.FindStringSubmatch(held[test]); m != nil {
				tools := m[1] + " (" + m[2] + ")"
				r.missing[tools] = append(r.missing[tools], path.Base(pkg)+"."+e.Test)
			}
		}
		if end {
			delete(held, test)
		}
		r.mu.Unlock()
	}
	err := sc.Err()
	io.Copy(io.Discard, out) // after a line too long, so that go test can end
	// A failure counted already explains go test's exit status.
	if _, exit := err.(*exec.ExitError); err != nil && !(exit && len(failed) > 0) {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.problems = append(r.problems, fmt.Sprintf("go test %s: %v", strings.Join(args, " "), err))
	}
}
