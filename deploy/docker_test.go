package deploy_test

import (
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/toggl-exporter/toggl_exporter/internal/togglfake"
)

// containerTools runs buildah and podman on a private, throw-away image store (vfs: no
// overlay mounts needed), so that the test leaves nothing behind.
type containerTools struct {
	storage []string
}

func newContainerTools(t *testing.T) containerTools {
	dir, err := os.MkdirTemp("", "toggl-containers-")
	if err != nil {
		t.Fatal(err)
	}
	c := containerTools{storage: []string{
		"--root", filepath.Join(dir, "root"),
		"--runroot", filepath.Join(dir, "run"),
		"--storage-driver", "vfs",
	}}
	// Last: no container of this store may still be writing to it. On a loaded machine a
	// container removed moments ago may still hold files; try a few times.
	t.Cleanup(func() {
		if podman, err := exec.LookPath("podman"); err == nil {
			runErr(time.Minute, ".", podman, c.args("rm", "--all", "--force", "--time", "0")...)
		}
		for i := 0; ; i++ {
			err := os.RemoveAll(dir)
			if err == nil {
				return
			}
			if i == 10 {
				t.Errorf("removing the image store: %v", err)
				return
			}
			time.Sleep(300 * time.Millisecond)
		}
	})
	return c
}

func (c containerTools) args(args ...string) []string {
	return append(slices.Clone(c.storage), args...)
}

// buildReleaseImage builds the Dockerfile's release target from a locally built exporter,
// as CI does: no base image is pulled. It returns the image name.
func buildReleaseImage(t *testing.T, c containerTools) string {
	t.Helper()
	builder := needTool(t, "buildah", "podman")
	bin := exporterBinary(t)
	ctx := t.TempDir()
	copyFile(t, bin, filepath.Join(ctx, "dist", "toggl_exporter"), 0o755)
	copyFile(t, "/etc/ssl/certs/ca-certificates.crt", filepath.Join(ctx, "dist", "ca-certificates.crt"), 0o644)
	const image = "localhost/toggl_exporter:deploytest"
	build := "bud"
	if filepath.Base(builder) == "podman" {
		build = "build"
	}
	run(t, 5*time.Minute, ".", builder, c.args(build, "--pull=never", "--target", "release",
		"-f", filepath.Join(repoRoot(t), "Dockerfile"), "-t", image, ctx)...)
	return image
}

func copyFile(t *testing.T, from, to string, mode os.FileMode) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatalf("%v (Debian: ca-certificates)", err)
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, mode); err != nil {
		t.Fatal(err)
	}
}

// TestContainerImage builds the release image with buildah (or podman), checks its
// configuration (non-root user, entrypoint, port, default command) and its files (the
// binary and the CA bundle, nothing else).
func TestContainerImage(t *testing.T) {
	t.Parallel()
	buildah := needTool(t, "buildah")
	c := newContainerTools(t)
	image := buildReleaseImage(t, c)

	var info struct {
		OCIv1 struct {
			Config struct {
				User         string              `json:"User"`
				ExposedPorts map[string]struct{} `json:"ExposedPorts"`
				Entrypoint   []string            `json:"Entrypoint"`
				Cmd          []string            `json:"Cmd"`
			} `json:"config"`
		} `json:"OCIv1"`
	}
	out := run(t, time.Minute, ".", buildah, c.args("inspect", "--type", "image", image)...)
	if err := json.Unmarshal([]byte(out), &info); err != nil {
		t.Fatalf("buildah inspect: %v", err)
	}
	cfg := info.OCIv1.Config
	if cfg.User != "65534:65534" {
		t.Errorf("user %q, want 65534:65534", cfg.User)
	}
	if _, ok := cfg.ExposedPorts["9981/tcp"]; !ok || len(cfg.ExposedPorts) != 1 {
		t.Errorf("exposed ports %v, want 9981/tcp", cfg.ExposedPorts)
	}
	if !slices.Equal(cfg.Entrypoint, []string{"/bin/toggl_exporter"}) {
		t.Errorf("entrypoint %q", cfg.Entrypoint)
	}
	if !slices.Equal(cfg.Cmd, []string{"--config.file=/etc/toggl_exporter/toggl.yml"}) {
		t.Errorf("cmd %q", cfg.Cmd)
	}

	// The image's files: mount a working container's root (vfs: a plain directory).
	ctr := strings.TrimSpace(run(t, time.Minute, ".", buildah, c.args("from", "--pull-never", image)...))
	t.Cleanup(func() { runErr(time.Minute, ".", buildah, c.args("rm", ctr)...) })
	mnt := strings.TrimSpace(run(t, time.Minute, ".", buildah, c.args("mount", ctr)...))
	t.Cleanup(func() { runErr(time.Minute, ".", buildah, c.args("umount", ctr)...) })
	var files []string
	filepath.WalkDir(mnt, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(mnt, path)
			files = append(files, rel)
		}
		return nil
	})
	slices.Sort(files)
	if want := []string{"bin/toggl_exporter", "etc/ssl/certs/ca-certificates.crt"}; !slices.Equal(files, want) {
		t.Errorf("files %v, want %v", files, want)
	}
	if st, err := os.Stat(filepath.Join(mnt, "bin/toggl_exporter")); err != nil || st.Mode().Perm()&0o005 != 0o005 {
		t.Errorf("binary: %v, mode %v: must be executable by user 65534", err, st.Mode())
	}
}

// TestContainerRuns runs the release image with podman and runc as the deployments do
// (read-only root filesystem, host loopback), scrapes it, and checks that the process runs
// as nobody: once with a mounted configuration against a fake Toggl on the host, once in
// --demo mode. Explicit ulimits: podman's defaults exceed what this sandbox lets runc set.
func TestContainerRuns(t *testing.T) {
	t.Parallel()
	podman := needTool(t, "podman")
	runc := needTool(t, "runc")
	c := newContainerTools(t)
	image := buildReleaseImage(t, c)
	global := c.args("--runtime", runc, "--cgroup-manager", "cgroupfs", "--events-backend", "file")
	// No tmpfs on /tmp either: Docker's --read-only and Kubernetes' readOnlyRootFilesystem give none.
	runFlags := []string{"--read-only", "--read-only-tmpfs=false", "--network", "host", "--ulimit", "nofile=4096:4096", "--ulimit", "nproc=1024:1024"}

	// flags reach the binary through the entrypoint
	out := run(t, 2*time.Minute, ".", podman, append(append(append(global, "run", "--rm"), runFlags...), image, "--version")...)
	if !strings.Contains(out, "0.0.0-deploytest") {
		t.Errorf("--version: %s", out)
	}

	// runContainer starts the image with args and returns the base URL of its web server.
	runContainer := func(t *testing.T, volumes []string, args ...string) (string, string) {
		port := freePort(t)
		name := "toggl-exporter-deploytest-" + port
		cmd := append(append(global, "run", "-d", "--name", name), runFlags...)
		for _, v := range volumes {
			cmd = append(cmd, "-v", v)
		}
		cmd = append(append(cmd, image), append(args, "--web.listen-address=127.0.0.1:"+port)...)
		run(t, 2*time.Minute, ".", podman, cmd...)
		t.Cleanup(func() {
			if t.Failed() {
				logs, _ := runErr(time.Minute, ".", podman, append(global, "logs", name)...)
				t.Logf("container logs:\n%s", tail(logs, 4000))
			}
			runErr(time.Minute, ".", podman, append(global, "rm", "-f", "-t", "2", name)...)
		})
		return "http://127.0.0.1:" + port, name
	}

	check := func(t *testing.T, base, name string) {
		deadline := time.Now().Add(time.Minute)
		var body string
		for {
			resp, err := http.Get(base + "/metrics")
			if err == nil {
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				body = string(b)
				if regexp.MustCompile(`(?m)^toggl_report_up\{report="[^"]+"\} 1$`).MatchString(body) {
					break
				}
			}
			if state, _ := runErr(time.Minute, ".", podman, append(global, "inspect", "--format", "{{.State.Status}}", name)...); strings.TrimSpace(state) == "exited" {
				t.Fatalf("the container exited")
			}
			if time.Now().After(deadline) {
				t.Fatalf("no healthy report in %s/metrics after a minute (%v):\n%s", base, err, tail(body, 2000))
			}
			time.Sleep(500 * time.Millisecond)
		}
		if !strings.Contains(body, `version="0.0.0-deploytest"`) {
			t.Error("toggl_exporter_build_info does not carry the version from ldflags")
		}
		pid := strings.TrimSpace(run(t, time.Minute, ".", podman, append(global, "inspect", "--format", "{{.State.Pid}}", name)...))
		status, err := os.ReadFile("/proc/" + pid + "/status")
		if err != nil {
			t.Fatal(err)
		}
		if uid := regexp.MustCompile(`(?m)^Uid:\s+(\d+)`).FindSubmatch(status); uid == nil || string(uid[1]) != "65534" {
			t.Errorf("container process uid %q, want 65534", uid)
		}
	}

	t.Run("configuration file", func(t *testing.T) {
		fake := httptest.NewServer(togglfake.Demo())
		t.Cleanup(fake.Close)
		var cfg strings.Builder
		fmt.Fprintf(&cfg, "api_url: %s\nreports:\n", fake.URL)
		for _, r := range togglfake.DemoReports {
			fmt.Fprintf(&cfg, "  - name: %s\n    token: %s\n", r.Name, r.Token)
		}
		path := filepath.Join(t.TempDir(), "toggl.yml")
		if err := os.WriteFile(path, []byte(cfg.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		base, name := runContainer(t, []string{path + ":/etc/toggl_exporter/toggl.yml:ro"},
			"--config.file=/etc/toggl_exporter/toggl.yml")
		check(t, base, name)
	})

	// What `docker run IMAGE --demo` and docker-compose.yml (read_only) do.
	t.Run("demo", func(t *testing.T) {
		base, name := runContainer(t, nil, "--demo")
		check(t, base, name)
	})
}
