package deploy_test

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// The release: VERSION, CHANGELOG.md, .goreleaser.yaml, the GitHub workflows, and the
// version the binary and the manifests carry.

// version returns the VERSION file's version.
func version(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(t), "VERSION"))
	if err != nil {
		t.Fatal(err)
	}
	v := strings.TrimSpace(string(b))
	if !regexp.MustCompile(`^\d+\.\d+\.\d+(-[\w.]+)?$`).MatchString(v) {
		t.Fatalf("VERSION %q is not a semantic version", v)
	}
	return v
}

// TestChangelogTopEntryIsVersion checks CHANGELOG.md as the Prometheus projects keep it:
// its newest entry is `## VERSION / YYYY-MM-DD`, and every change line is tagged.
func TestChangelogTopEntryIsVersion(t *testing.T) {
	t.Parallel()
	v := version(t)
	data, err := os.ReadFile(filepath.Join(repoRoot(t), "CHANGELOG.md"))
	if err != nil {
		t.Fatal(err)
	}
	heading := regexp.MustCompile(`(?m)^## (\S+) / (\d{4}-\d{2}-\d{2})$`)
	m := heading.FindSubmatch(data)
	if m == nil {
		t.Fatal("CHANGELOG.md has no `## VERSION / YYYY-MM-DD` entry")
	}
	if string(m[1]) != v {
		t.Errorf("CHANGELOG.md's newest entry is %s, VERSION says %s", m[1], v)
	}
	if _, err := time.Parse(time.DateOnly, string(m[2])); err != nil {
		t.Errorf("entry date: %v", err)
	}
	tag := regexp.MustCompile(`^\* \[(CHANGE|FEATURE|ENHANCEMENT|BUGFIX|SECURITY)\] \S`)
	for i, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "* ") && !tag.MatchString(line) {
			t.Errorf("CHANGELOG.md:%d: %q: want * [CHANGE|FEATURE|ENHANCEMENT|BUGFIX|SECURITY] ...", i+1, line)
		}
	}
}

// TestBinaryVersion builds the exporter as `go build` does, without -ldflags, and as the
// Makefile does: --version names VERSION either way.
func TestBinaryVersion(t *testing.T) {
	t.Parallel()
	goTool := needTool(t, "go")
	root, v := repoRoot(t), version(t)
	bin := filepath.Join(t.TempDir(), "toggl_exporter")
	run(t, 5*time.Minute, root, goTool, "build", "-o", bin, ".")
	out := run(t, time.Minute, root, bin, "--version")
	if want := "toggl_exporter, version " + v + " "; !strings.HasPrefix(out, want) {
		t.Errorf("--version of a plain go build: %q, want it to start with %q", out, want)
	}

	mk := run(t, time.Minute, root, needTool(t, "make"), "-n", "build")
	if !strings.Contains(mk, "common/version.Version="+v+" ") {
		t.Errorf("make build does not set the version %s:\n%s", v, mk)
	}
}

// TestManifestsNameTheRelease: the kustomize base and the Helm chart name the image of this
// version, never :latest, and `make image` builds it.
func TestManifestsNameTheRelease(t *testing.T) {
	t.Parallel()
	root, v := repoRoot(t), version(t)
	var k struct {
		Images []struct {
			Name    string `yaml:"name"`
			NewName string `yaml:"newName"`
			NewTag  string `yaml:"newTag"`
		} `yaml:"images"`
	}
	readYAML(t, filepath.Join(root, "deploy/kubernetes/base/kustomization.yaml"), &k)
	if len(k.Images) != 1 || k.Images[0].NewName != "ghcr.io/toggl-exporter/toggl_exporter" || k.Images[0].NewTag != "v"+v {
		t.Errorf("kustomize base images %+v, want ghcr.io/toggl-exporter/toggl_exporter:v%s", k.Images, v)
	}
	var chart struct {
		Version    string `yaml:"version"`
		AppVersion string `yaml:"appVersion"`
	}
	readYAML(t, filepath.Join(root, "deploy/helm/toggl-exporter/Chart.yaml"), &chart)
	if chart.AppVersion != v {
		t.Errorf("Chart.yaml appVersion %q, VERSION %q", chart.AppVersion, v)
	}

	// Until the release is published, `make image` builds it under that very name, so that a
	// cluster the image is loaded into runs the manifests unchanged.
	mk := run(t, time.Minute, root, needTool(t, "make"), "-n", "image", "CONTAINER_ENGINE=engine")
	if want := " -t ghcr.io/toggl-exporter/toggl_exporter:v" + v + " "; !strings.HasPrefix(mk, "engine build ") || !strings.Contains(mk, want) ||
		!strings.Contains(mk, "VERSION="+v+" ") {
		t.Errorf("make image does not build %s with version %s:\n%s", want, v, mk)
	}
}

// goreleaserConfig is the part of .goreleaser.yaml the release depends on.
type goreleaserConfig struct {
	Builds []struct {
		Goos    []string `yaml:"goos"`
		Goarch  []string `yaml:"goarch"`
		Env     []string `yaml:"env"`
		Ldflags []string `yaml:"ldflags"`
	} `yaml:"builds"`
	Checksum struct {
		Algorithm string `yaml:"algorithm"`
	} `yaml:"checksum"`
	DockersV2 []struct {
		Dockerfile string   `yaml:"dockerfile"`
		Images     []string `yaml:"images"`
		Tags       []string `yaml:"tags"`
		Platforms  []string `yaml:"platforms"`
		ExtraFiles []string `yaml:"extra_files"`
		Flags      []string `yaml:"flags"`
	} `yaml:"dockers_v2"`
}

// TestGoreleaserConfig runs `goreleaser check` on .goreleaser.yaml (it rejects unknown
// keys) and checks what the release must make: static binaries for linux, darwin and
// windows on amd64 and arm64 carrying the version, sha256 checksums, and the image of the
// Dockerfile's goreleaser target for linux/amd64 and linux/arm64 on ghcr.io.
func TestGoreleaserConfig(t *testing.T) {
	t.Parallel()
	goreleaser := needTool(t, "goreleaser")
	root := repoRoot(t)
	run(t, 2*time.Minute, root, goreleaser, "check")

	var cfg goreleaserConfig
	readYAML(t, filepath.Join(root, ".goreleaser.yaml"), &cfg)
	if len(cfg.Builds) != 1 {
		t.Fatalf("%d builds, want 1", len(cfg.Builds))
	}
	b := cfg.Builds[0]
	if !slices.Equal(b.Goos, []string{"linux", "darwin", "windows"}) || !slices.Equal(b.Goarch, []string{"amd64", "arm64"}) {
		t.Errorf("builds for %v × %v", b.Goos, b.Goarch)
	}
	if !slices.Contains(b.Env, "CGO_ENABLED=0") || !slices.ContainsFunc(b.Ldflags, func(f string) bool {
		return strings.Contains(f, "github.com/prometheus/common/version.Version={{ .Version }}")
	}) {
		t.Errorf("builds: env %v, ldflags %v: want static binaries carrying the version", b.Env, b.Ldflags)
	}
	if cfg.Checksum.Algorithm != "sha256" {
		t.Errorf("checksum algorithm %q", cfg.Checksum.Algorithm)
	}
	if len(cfg.DockersV2) != 1 {
		t.Fatalf("%d images, want 1", len(cfg.DockersV2))
	}
	d := cfg.DockersV2[0]
	if !slices.Equal(d.Images, []string{"ghcr.io/toggl-exporter/toggl_exporter"}) || !slices.Contains(d.Tags, "v{{ .Version }}") ||
		!slices.Equal(d.Platforms, []string{"linux/amd64", "linux/arm64"}) || !slices.Equal(d.Flags, []string{"--target=goreleaser"}) {
		t.Errorf("image %+v", d)
	}
}

// TestGoreleaserImageStage builds the Dockerfile's goreleaser target with buildah from a
// context laid out as GoReleaser's dockers_v2 lays it out (one binary per platform), for
// both platforms of the release image: each image has its platform's architecture and
// binary.
func TestGoreleaserImageStage(t *testing.T) {
	t.Parallel()
	buildah := needTool(t, "buildah")
	c := newContainerTools(t)
	ctx := t.TempDir()
	copyFile(t, "/etc/ssl/certs/ca-certificates.crt", filepath.Join(ctx, "build", "ca-certificates.crt"), 0o644)
	for _, arch := range []string{"amd64", "arm64"} {
		if err := os.MkdirAll(filepath.Join(ctx, "linux", arch), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(ctx, "linux", arch, "toggl_exporter"), []byte("binary for "+arch), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, arch := range []string{"amd64", "arm64"} {
		image := "localhost/toggl_exporter:goreleaser-" + arch
		run(t, 5*time.Minute, ".", buildah, c.args("bud", "--pull=never", "--platform", "linux/"+arch, "--target", "goreleaser",
			"-f", filepath.Join(repoRoot(t), "Dockerfile"), "-t", image, ctx)...)
		out := run(t, time.Minute, ".", buildah, c.args("inspect", "--type", "image", "--format", "{{.OCIv1.Architecture}} {{.OCIv1.Config.User}}", image)...)
		if got, want := strings.TrimSpace(out), arch+" 65534:65534"; got != want {
			t.Errorf("%s: architecture and user %q, want %q", image, got, want)
		}
		ctr := strings.TrimSpace(run(t, time.Minute, ".", buildah, c.args("from", "--pull-never", "--platform", "linux/"+arch, image)...))
		t.Cleanup(func() { runErr(time.Minute, ".", buildah, c.args("rm", ctr)...) })
		mnt := strings.TrimSpace(run(t, time.Minute, ".", buildah, c.args("mount", ctr)...))
		t.Cleanup(func() { runErr(time.Minute, ".", buildah, c.args("umount", ctr)...) })
		if got, err := os.ReadFile(filepath.Join(mnt, "bin", "toggl_exporter")); err != nil || string(got) != "binary for "+arch {
			t.Errorf("%s: /bin/toggl_exporter %q, %v", image, got, err)
		}
		if _, err := os.Stat(filepath.Join(mnt, "etc/ssl/certs/ca-certificates.crt")); err != nil {
			t.Errorf("%s: %v", image, err)
		}
	}
}

// workflow is the part of a GitHub Actions workflow these tests check.
type workflow struct {
	On   map[string]any `yaml:"on"`
	Jobs map[string]struct {
		Needs any `yaml:"needs"`
		Steps []struct {
			Uses string            `yaml:"uses"`
			Run  string            `yaml:"run"`
			With map[string]string `yaml:"with"`
		} `yaml:"steps"`
	} `yaml:"jobs"`
}

// runs reports whether a job of w has a step running cmd, and which job.
func (w workflow) runs(cmd string) string {
	for name, j := range w.Jobs {
		for _, s := range j.Steps {
			if strings.Contains(s.Run, cmd) {
				return name
			}
		}
	}
	return ""
}

// TestWorkflows runs actionlint on .github/workflows and checks their shape: CI runs
// .ci/run (the README's test command with every tool) on pull requests and pushes; the
// release runs on v* tags, tests first, checks the tag against VERSION, and releases with
// the GoReleaser version .ci/run installs.
func TestWorkflows(t *testing.T) {
	t.Parallel()
	actionlint := needTool(t, "actionlint")
	root := repoRoot(t)
	run(t, 2*time.Minute, root, actionlint)

	var ci, rel workflow
	readYAML(t, filepath.Join(root, ".github/workflows/ci.yml"), &ci)
	readYAML(t, filepath.Join(root, ".github/workflows/release.yml"), &rel)
	if _, ok := ci.On["pull_request"]; !ok || ci.runs("bash .ci/run") == "" {
		t.Errorf("ci.yml: on %v; want pull_request and a step running bash .ci/run", ci.On)
	}
	if _, ok := ci.On["push"]; !ok {
		t.Errorf("ci.yml: on %v; want push", ci.On)
	}
	push, _ := rel.On["push"].(map[string]any)
	if tags, _ := push["tags"].([]any); len(tags) != 1 || tags[0] != "v*" {
		t.Errorf("release.yml: on %v; want push of tags v*", rel.On)
	}
	testJob := rel.runs("bash .ci/run")
	if testJob == "" {
		t.Fatal("release.yml runs no tests (bash .ci/run)")
	}
	if rel.runs(`test "$GITHUB_REF_NAME" = "v$(cat VERSION)"`) == "" {
		t.Error("release.yml does not check the tag against VERSION")
	}
	ciRun, err := os.ReadFile(filepath.Join(root, ".ci/run"))
	if err != nil {
		t.Fatal(err)
	}
	var released bool
	for name, j := range rel.Jobs {
		for _, s := range j.Steps {
			if !strings.HasPrefix(s.Uses, "goreleaser/goreleaser-action@") {
				continue
			}
			released = true
			if j.Needs != testJob {
				t.Errorf("release.yml: job %s releases without needing %s", name, testJob)
			}
			if v := s.With["version"]; !strings.Contains(string(ciRun), "goreleaser/v2@"+v+"\n") {
				t.Errorf("release.yml uses GoReleaser %q, .ci/run checks with another", v)
			}
		}
	}
	if !released {
		t.Error("release.yml has no GoReleaser step")
	}
}
