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

// event is a line of `go test -json` (see `go doc test2json`).
type event struct {
	Action, Package, Test, Output string
}

// missingTool matches the message testkit.NeedTool skips a test with.
var missingTool = regexp.MustCompile(`none of (.+) on PATH; install: (.+)`)

// report gathers what the passes print and count.
type report struct {
	mu                      sync.Mutex
	w                       io.Writer
	passed, failed, skipped int
	problems                []string            // failures outside any test
	missing                 map[string][]string // "tools (how to install)" -> tests skipped
	pkgs                    map[string]*pkg     // by pass and package
}

// pkg is a package's output until it ends, printed then in one piece.
type pkg struct {
	out    strings.Builder
	tests  map[string]string // output of tests not ended yet
	failed bool              // some test failed
}

// run runs one `go test -json` per pass, all at once, and returns the exit code.
func run(stdout, stderr io.Writer, passes [][]string) int {
	start := time.Now()
	r := &report{w: stdout, missing: map[string][]string{}, pkgs: map[string]*pkg{}}
	errs := make([]error, len(passes))
	var wg sync.WaitGroup
	for i, args := range passes {
		wg.Go(func() { errs[i] = r.goTest(stderr, fmt.Sprint(i), args) })
	}
	wg.Wait()
	for i, err := range errs {
		// A failure counted already explains go test's exit status.
		if _, exit := err.(*exec.ExitError); err != nil && !(exit && (r.failed > 0 || len(r.problems) > 0)) {
			r.problems = append(r.problems, fmt.Sprintf("go test %s: %v", strings.Join(passes[i], " "), err))
		}
	}

	if len(r.missing) > 0 {
		n := 0
		for _, tests := range r.missing {
			n += len(tests)
		}
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

// goTest runs `go test -json` with args and reports its events.
func (r *report) goTest(stderr io.Writer, pass string, args []string) error {
	cmd := exec.Command("go", append([]string{"test", "-json"}, args...)...)
	cmd.Stderr = stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	sc := bufio.NewScanner(out)
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		var e event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			e = event{Action: "build-output", Output: sc.Text() + "\n"} // go test's own words
		}
		r.event(pass, e)
	}
	scanErr := sc.Err()
	io.Copy(io.Discard, out)
	err = cmd.Wait()
	if scanErr != nil {
		return fmt.Errorf("reading its output: %w", scanErr)
	}
	return err
}

// event handles one event of a pass, as `go test` without -v would show it: a test's output
// only if it fails, a benchmark's results always, a package's lines at its end.
func (r *report) event(pass string, e event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if e.Action == "build-output" {
		io.WriteString(r.w, e.Output)
		return
	}
	p := r.pkgs[pass+" "+e.Package]
	if p == nil {
		p = &pkg{tests: map[string]string{}}
		r.pkgs[pass+" "+e.Package] = p
	}
	switch {
	case e.Test == "" && e.Action == "output":
		if e.Output != "PASS\n" {
			p.out.WriteString(e.Output)
		}
	case e.Test == "" && (e.Action == "pass" || e.Action == "fail" || e.Action == "skip"):
		if e.Action == "fail" && !p.failed {
			r.problems = append(r.problems, e.Package+" failed outside its tests")
		}
		io.WriteString(r.w, p.out.String())
		delete(r.pkgs, pass+" "+e.Package)
	case e.Test == "":
	case e.Action == "output":
		if strings.HasPrefix(e.Output, "=== ") || e.Output == e.Test+"\n" {
			return // framing that -v adds
		}
		if strings.HasPrefix(e.Test, "Benchmark") {
			p.out.WriteString(e.Output)
			return
		}
		p.tests[e.Test] += e.Output
	case e.Action == "pass" || e.Action == "fail" || e.Action == "skip":
		out := p.tests[e.Test]
		delete(p.tests, e.Test)
		switch e.Action {
		case "pass":
			r.passed++
		case "fail":
			r.failed++
			p.failed = true
			p.out.WriteString(out)
		case "skip":
			r.skipped++
			if m := missingTool.FindStringSubmatch(out); m != nil {
				tools := m[1] + " (" + m[2] + ")"
				r.missing[tools] = append(r.missing[tools], path.Base(e.Package)+"."+e.Test)
			}
		}
	}
}
