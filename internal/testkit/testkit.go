// Package testkit holds what the project's end-to-end tests share: finding the real tools
// they need, building the exporter, and capturing the output of the processes they start.
// Only tests import it.
package testkit

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// NeedTool returns the path of the first of names found on PATH. When none is, the test
// fails under CI=true (CI must install every tool) and is skipped otherwise, saying how to
// install it; RunTests lists the skips where `go test` shows them.
func NeedTool(t testing.TB, names ...string) string {
	t.Helper()
	skipped.Lock()
	skipped.calls++
	skipped.Unlock()
	for _, n := range names {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	msg := fmt.Sprintf("none of %s on PATH; install: %s", strings.Join(names, ", "), installHint(names[0]))
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	skipped.Lock()
	tools := strings.Join(names, " or ")
	skipped.tests[tools] = append(skipped.tests[tools], t.Name())
	skipped.Unlock()
	t.Skip(msg)
	return ""
}

// install says how to get each tool the tests use, as .ci/run installs it (a test checks
// that they agree).
var install = map[string]string{
	"prometheus":              "apt-get install prometheus",
	"promtool":                "apt-get install prometheus",
	"alertmanager":            "apt-get install prometheus-alertmanager",
	"prometheus-alertmanager": "apt-get install prometheus-alertmanager",
	"amtool":                  "apt-get install prometheus-alertmanager",
	"buildah":                 "apt-get install buildah",
	"podman":                  "apt-get install podman",
	"runc":                    "apt-get install runc",
	"docker-compose":          "apt-get install docker-compose",
	"kubectl":                 "go install sigs.k8s.io/kustomize/kustomize/v5@v5.7.1",
	"kustomize":               "go install sigs.k8s.io/kustomize/kustomize/v5@v5.7.1",
	"helm":                    "go install helm.sh/helm/v3/cmd/helm@v3.22.0",
	"actionlint":              "go install github.com/rhysd/actionlint/cmd/actionlint@v1.7.12",
	"goreleaser":              "go install github.com/goreleaser/goreleaser/v2@v2.15.1",
}

func installHint(tool string) string {
	if h, ok := install[tool]; ok {
		return h
	}
	return "see README.md, \"Testing the deployment files\""
}

// skipped records this test binary's NeedTool calls and the tests skipped, by the tools
// they missed.
var skipped = struct {
	sync.Mutex
	calls int
	tests map[string][]string
}{tests: map[string][]string{}}

// RunTests runs the tests of a package that uses NeedTool (call it from TestMain) and
// makes its skips visible. `go test ./...` shows a passing package's output only with -v
// or -bench, so a run whose tests called NeedTool writes its skips to a file under
// os.TempDir() (one per package directory; none when nothing was skipped), and a run that
// called none, as the benchmark half of the README's test command, prints that file on
// stderr. Every run prints its own skips too (seen with -v and on failure).
func RunTests(m *testing.M) int {
	code := m.Run()
	dir, _ := os.Getwd()
	file := filepath.Join(os.TempDir(), fmt.Sprintf("toggl_exporter-skipped-%x.txt", sha256.Sum256([]byte(dir))))
	skipped.Lock()
	defer skipped.Unlock()
	if skipped.calls == 0 {
		if s, err := os.ReadFile(file); err == nil {
			os.Stderr.Write(s)
		}
		return code
	}
	n := 0
	for _, tests := range skipped.tests {
		n += len(tests)
	}
	if n == 0 {
		os.Remove(file)
		return code
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\n=== SKIPPED: %d tests of %s at %s, for missing tools (under CI=true they fail):\n",
		n, dir, time.Now().Format(time.DateTime))
	for _, tools := range slices.Sorted(maps.Keys(skipped.tests)) {
		first, _, _ := strings.Cut(tools, " or ")
		fmt.Fprintf(&b, "    no %s (%s): %s\n", tools, installHint(first), strings.Join(skipped.tests[tools], ", "))
	}
	b.WriteString("    bash .ci/run installs them all (Debian, as root); see README.md, \"Testing the deployment files\".\n\n")
	os.Stderr.WriteString(b.String())
	if err := os.WriteFile(file, []byte(b.String()), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "recording the skipped tests:", err)
	}
	return code
}

// BuildExporter builds the exporter of the module rooted at root into out, statically
// and with version and revision set through -ldflags, as a release build is.
func BuildExporter(root, out, version, revision string) error {
	const pkg = "github.com/prometheus/common/version"
	ldflags := fmt.Sprintf("-X %s.Version=%s -X %s.Revision=%s", pkg, version, pkg, revision)
	build := func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags", ldflags, "-o", out, ".")
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if msg, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("go build: %v\n%s", err, msg)
		}
		return nil
	}
	// One retry: a build racing with another go command over the shared build cache has
	// been seen to fail once with "could not import ... (open : no such file)".
	if err := build(); err != nil {
		fmt.Fprintf(os.Stderr, "building the exporter failed, retrying once: %v\n", err)
		return build()
	}
	return nil
}

// SyncBuffer is a bytes.Buffer safe for a writing process and a reading test.
type SyncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write implements io.Writer.
func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns what was written so far.
func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// BenchBytes runs fn on body as the sub-benchmark name, reporting throughput in MB/s of
// body and allocations, so that a decoder and its baseline are measured alike.
func BenchBytes(b *testing.B, name string, body []byte, fn func([]byte) error) {
	b.Run(name, func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			if err := fn(body); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchUnmarshalAny is the baseline the decoder benchmarks are measured against:
// encoding/json's Unmarshal of the same bytes into an `any`, which only parses.
func BenchUnmarshalAny(b *testing.B, body []byte) {
	BenchBytes(b, "baseline=json.Unmarshal-any", body, func(body []byte) error {
		var v any
		return json.Unmarshal(body, &v)
	})
}
