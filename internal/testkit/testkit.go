// Package testkit is what the project's tests share: finding the real tools, building the
// exporter, capturing a process' output, benchmarking decoders. cmd/runtests runs the suite.
package testkit

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// NeedTool returns the path of the first of names on PATH. Without one, the test fails
// under CI=true and is skipped otherwise, saying how to install it (cmd/runtests lists it).
func NeedTool(t testing.TB, names ...string) string {
	t.Helper()
	for _, n := range names {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	hint := cmp.Or(install[names[0]], `see README.md, "Testing the deployment files"`)
	msg := fmt.Sprintf("none of %s on PATH; install: %s", strings.Join(names, ", "), hint)
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// install says how to get the tool NeedTool names first, as .ci/run does (a test checks it).
var install = map[string]string{
	"prometheus":     "apt-get install prometheus",
	"promtool":       "apt-get install prometheus",
	"alertmanager":   "apt-get install prometheus-alertmanager",
	"amtool":         "apt-get install prometheus-alertmanager",
	"buildah":        "apt-get install buildah",
	"podman":         "apt-get install podman",
	"runc":           "apt-get install runc",
	"docker-compose": "apt-get install docker-compose",
	"kubectl":        "go install sigs.k8s.io/kustomize/kustomize/v5@v5.7.1",
	"helm":           "go install helm.sh/helm/v3/cmd/helm@v3.22.0",
	"actionlint":     "go install github.com/rhysd/actionlint/cmd/actionlint@v1.7.12",
	"goreleaser":     "go install github.com/goreleaser/goreleaser/v2@v2.15.1",
}

// BuildExporter builds the exporter at root into out as a release is built: statically,
// version and revision set through -ldflags.
func BuildExporter(root, out, version, revision string) error {
	const pkg = "github.com/prometheus/common/version"
	ldflags := fmt.Sprintf("-X %s.Version=%s -X %s.Revision=%s", pkg, version, pkg, revision)
	// Two tries: a build racing with another go command over the shared build cache has
	// been seen to fail once with "could not import ... (open : no such file)".
	for try := 1; ; try++ {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags", ldflags, "-o", out, ".")
		cmd.Dir, cmd.Env = root, append(os.Environ(), "CGO_ENABLED=0")
		msg, err := cmd.CombinedOutput()
		cancel()
		switch {
		case err == nil:
			return nil
		case try == 2:
			return fmt.Errorf("go build: %v\n%s", err, msg)
		}
		fmt.Fprintf(os.Stderr, "building the exporter failed, retrying once: %v\n%s", err, msg)
	}
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

// BenchDecode runs fn on body as the sub-benchmark name, then the baseline, encoding/json's
// Unmarshal into an `any`, in the same run; each reports MB/s and allocations.
func BenchDecode(b *testing.B, name string, body []byte, fn func([]byte) error) {
	for _, name := range []string{name, "baseline=json.Unmarshal-any"} {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				if err := fn(body); err != nil {
					b.Fatal(err)
				}
			}
		})
		fn = func(body []byte) error { return json.Unmarshal(body, new(any)) }
	}
}
