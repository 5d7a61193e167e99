package main

// End-to-end tests: they build the binary, run it on loopback against the fake Toggl API
// (internal/togglfake) and check what a user sees: /metrics against a golden file that
// promtool also checks, /probe, /config, the landing page, reloads, --config.check, and
// that no secret ever reaches an answer or the log.

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/toggl-exporter/toggl_exporter/internal/testkit"
	"github.com/toggl-exporter/toggl_exporter/internal/togglfake"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// binary is the exporter built once for all tests, with a known version.
var binary string

const testVersion = "1.2.3-e2e"

func TestMain(m *testing.M) {
	flag.Parse()
	dir, err := os.MkdirTemp("", "toggl_exporter-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "toggl_exporter")
	if err := testkit.BuildExporter(".", binary, testVersion, "e2e0000"); err != nil {
		fmt.Fprintln(os.Stderr, "building the exporter:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// Distinctive secrets: none of them may ever appear outside the configuration.
const (
	secretToken     = "tokSECRETdetailed0123456789"
	secretToken2    = "tokSECRETsummary0123456789"
	secretToken3    = "tokSECRETweekly0123456789"
	secretAPIToken  = "apiSECRETtoken0123456789abcdef"
	secretPassword  = "pwSECRET-hunter2-0123456789"
	secretFailToken = "tokSECRETfailing0123456789"
)

var secrets = []string{secretToken, secretToken2, secretToken3, secretAPIToken, secretPassword, secretFailToken}

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("client", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// exporter is one running exporter process.
type exporter struct {
	url    string
	cmd    *exec.Cmd
	stderr *testkit.SyncBuffer
}

func freeAddress(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// start runs the exporter with args and waits until it is ready.
func start(t *testing.T, env []string, args ...string) *exporter {
	t.Helper()
	addr := freeAddress(t)
	cmd := exec.Command(binary, append([]string{"--web.listen-address=" + addr}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	e := &exporter{url: "http://" + addr, cmd: cmd, stderr: &testkit.SyncBuffer{}}
	cmd.Stderr = e.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("exporter log:\n%s", e.stderr.String())
		}
	})
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := http.Get(e.url + "/-/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return e
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("exporter not ready after 15s: %v\n%s", err, e.stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// get fetches path and returns status and body, with Prometheus' timeout header.
func (e *exporter) get(t *testing.T, path string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, e.url+path, nil)
	req.Header.Set("X-Prometheus-Scrape-Timeout-Seconds", "10")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

func (e *exporter) post(t *testing.T, path string) (int, string) {
	t.Helper()
	resp, err := http.Post(e.url+path, "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// world is a fake Toggl API with one report of each type, each with its own kind of
// credentials, plus a failing report per status, and a configuration pointing at it.
type world struct {
	fake   *togglfake.Fake
	server *httptest.Server
	dir    string
	config string
	env    []string
	// reports is how many reports the world's configuration holds (writeConfig's seven).
	reports int
}

func newWorld(t *testing.T) *world {
	t.Helper()
	w := &world{fake: togglfake.New(), dir: t.TempDir(), reports: 7}
	w.server = httptest.NewServer(w.fake)
	t.Cleanup(w.server.Close)
	w.fake.Set(secretToken, togglfake.Report{Body: fixture(t, "detailed.json")})
	w.fake.Set(secretToken2, togglfake.Report{Body: fixture(t, "summary_map.json"), Auth: togglfake.Auth{APIToken: secretAPIToken}})
	w.fake.Set(secretToken3, togglfake.Report{Body: fixture(t, "weekly.json"), Auth: togglfake.Auth{Email: "ops@example.com", Password: secretPassword}})
	for _, status := range []int{401, 403, 404, 500} {
		w.fake.Set(fmt.Sprintf("%s%d", secretFailToken, status), togglfake.Report{Fault: togglfake.Fault{Status: status}})
	}
	w.write(t, "token-detailed", secretToken+"\n")
	w.write(t, "api-token", "  "+secretAPIToken+"\n")
	w.write(t, "password", secretPassword)
	w.env = []string{"SUMMARY_TOKEN=" + secretToken2, "TOGGL_API_TOKEN="}
	w.config = w.writeConfig(t, "")
	return w
}

func (w *world) write(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(w.dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// writeConfig writes toggl.yml with the world's reports plus extra YAML appended to the
// reports list.
func (w *world) writeConfig(t *testing.T, extra string) string {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "api_url: %s\nrequests_per_second: 100\ntimeout: 5s\nreports:\n", w.server.URL)
	fmt.Fprintf(&b, "  - name: detailed\n    token_file: token-detailed\n    breakdowns: [projects, users, clients, tags, tasks]\n")
	fmt.Fprintf(&b, "  - name: summary\n    token: ${SUMMARY_TOKEN}\n    api_token_file: api-token\n    breakdowns: [projects, users, clients]\n")
	fmt.Fprintf(&b, "  - name: weekly\n    token: %s\n    email: ops@example.com\n    password_file: password\n", secretToken3)
	for _, status := range []int{401, 403, 404, 500} {
		fmt.Fprintf(&b, "  - name: failing-%d\n    token: %s%d\n", status, secretFailToken, status)
	}
	b.WriteString(extra)
	return w.write(t, "toggl.yml", b.String())
}

// unstable matches series whose values change from run to run.
var unstable = regexp.MustCompile(`^(go_|process_|promhttp_|toggl_exporter_build_info|toggl_exporter_config_last_reload_success_timestamp_seconds|toggl_report_last_success_timestamp_seconds|toggl_report_fetch_duration_seconds|toggl_api_quota_reset_timestamp_seconds)`)

// stable drops the unstable series (and their HELP/TYPE lines) from an exposition.
func stable(exposition string) string {
	var out []string
	for _, line := range strings.Split(exposition, "\n") {
		name := strings.TrimPrefix(strings.TrimPrefix(line, "# HELP "), "# TYPE ")
		if line == "" || unstable.MatchString(name) {
			continue
		}
		out = append(out, line)
	}
	return strings.Join(out, "\n") + "\n"
}

func TestEndToEndMetrics(t *testing.T) {
	w := newWorld(t)
	e := start(t, w.env, "--config.file="+w.config)
	status, body := e.get(t, "/metrics")
	if status != http.StatusOK {
		t.Fatalf("/metrics: %d\n%s", status, body)
	}
	for _, want := range []string{
		`toggl_report_up{report="detailed"} 1`,
		`toggl_report_up{report="summary"} 1`,
		`toggl_report_up{report="weekly"} 1`,
		`toggl_report_error{code="401",report="failing-401"} 1`,
		`toggl_report_error{code="403",report="failing-403"} 1`,
		`toggl_report_error{code="404",report="failing-404"} 1`,
		`toggl_report_error{code="500",report="failing-500"} 1`,
		`toggl_report_up{report="failing-500"} 0`,
		`toggl_exporter_config_last_reload_successful 1`,
		`toggl_exporter_build_info{branch="",goarch=`,
		`version="` + testVersion + `"`,
		"go_goroutines ", "process_open_fds ", "promhttp_metric_handler_requests_total",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	got := stable(body)
	golden := filepath.Join("testdata", "e2e-metrics.prom")
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -run TestEndToEndMetrics -update . and review the file)", err)
	}
	if got != string(want) {
		t.Errorf("/metrics differs from %s (-update rewrites it):\n%s", golden, lineDiff(string(want), got))
	}
	// Each request is recorded by the fake: credentials of each kind were sent.
	kinds := map[string]string{}
	for _, r := range w.fake.Requests() {
		kinds[r.Token] = r.AuthKind
		if !r.AuthOK {
			t.Errorf("request for a report was refused by the fake (auth kind %s)", r.AuthKind)
		}
		if !strings.HasPrefix(r.UserAgent, "toggl_exporter/"+testVersion) {
			t.Errorf("User-Agent %q", r.UserAgent)
		}
	}
	if kinds[secretToken] != togglfake.AuthNone || kinds[secretToken2] != togglfake.AuthAPIToken || kinds[secretToken3] != togglfake.AuthEmail {
		t.Errorf("auth kinds sent: detailed %s, summary %s, weekly %s", kinds[secretToken], kinds[secretToken2], kinds[secretToken3])
	}

	promtool := testkit.NeedTool(t, "promtool")
	for name, text := range map[string]string{"golden file": string(want), "live /metrics": body} {
		cmd := exec.Command(promtool, "check", "metrics")
		cmd.Stdin = strings.NewReader(text)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("promtool check metrics on the %s: %v\n%s", name, err, out)
		}
	}
}

// lineDiff lists the lines only in want (-) and only in got (+).
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	for _, l := range w {
		if !slices.Contains(g, l) {
			fmt.Fprintf(&b, "- %s\n", l)
		}
	}
	for _, l := range g {
		if !slices.Contains(w, l) {
			fmt.Fprintf(&b, "+ %s\n", l)
		}
	}
	return b.String()
}

// startFetches waits for the fetch of every report that the exporter makes at start, and
// returns how many requests the fake has seen.
func startFetches(t *testing.T, w *world) int {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); len(w.fake.Requests()) < w.reports; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d of the %d reports fetched at start", len(w.fake.Requests()), w.reports)
		}
	}
	time.Sleep(50 * time.Millisecond) // none more is coming
	n := len(w.fake.Requests())
	if n != w.reports {
		t.Fatalf("%d requests at start for %d reports, want one each", n, w.reports)
	}
	return n
}

func TestEndToEndProbe(t *testing.T) {
	w := newWorld(t)
	e := start(t, w.env, "--config.file="+w.config)
	startFetches(t, w) // every report once; /probe of one report fetches no other
	status, body := e.get(t, "/probe?report=weekly")
	if status != http.StatusOK || !strings.Contains(body, `toggl_report_up{report="weekly"} 1`) {
		t.Fatalf("/probe?report=weekly: %d\n%s", status, body)
	}
	if strings.Contains(body, `report="detailed"`) || strings.Contains(body, "go_goroutines") {
		t.Errorf("/probe serves more than its report:\n%s", body)
	}
	if n := w.fake.Count(secretToken); n != 1 {
		t.Errorf("the detailed report was fetched %d times after /probe?report=weekly, want the 1 at start", n)
	}
	for _, path := range []string{"/probe", "/probe?report=", "/probe?report=nope", "/probe?report=" + secretToken} {
		status, body := e.get(t, path)
		if status != http.StatusBadRequest || !strings.Contains(body, "report") {
			t.Errorf("%s: %d %q, want 400 naming the problem", path, status, body)
		}
	}
}

// TestNoSecretsAnywhere drives every failure the fake can produce and checks that no
// token, API token or password reaches an answer or the log.
func TestNoSecretsAnywhere(t *testing.T) {
	w := newWorld(t)
	faults := map[string]togglfake.Fault{
		"echo-401":  {Status: 401, Body: "Incorrect token " + secretFailToken + "echo-401 for " + secretAPIToken},
		"echo-500":  {Status: 500, Body: "boom at /reports/api/v3/shared/" + secretFailToken + "echo-500"},
		"timeout":   {HeaderDelay: 10 * time.Second},
		"reset":     {Reset: true},
		"truncated": {Truncate: 100},
		"html":      {Body: "<html><body>" + secretFailToken + "html</body></html>", ContentType: "text/html"},
		"empty":     {EmptyBody: true},
		"wrongtype": {Body: `{"report_name": 5, "detailed_results": "` + secretFailToken + `wrongtype"}`},
		"quota":     {Status: 402, Header: http.Header{"X-Toggl-Quota-Remaining": {"0"}, "X-Toggl-Quota-Resets-In": {"600"}}},
		"toofast":   {Status: 429, Header: http.Header{"Retry-After": {"30"}}},
	}
	var extra strings.Builder
	for name, f := range faults {
		w.fake.Set(secretFailToken+name, togglfake.Report{Body: fixture(t, "detailed.json"), Fault: f, Auth: togglfake.Auth{APIToken: secretAPIToken}})
		fmt.Fprintf(&extra, "  - name: fault-%s\n    token: %s%s\n    api_token_file: api-token\n    timeout: 1s\n", name, secretFailToken, name)
	}
	// A report with a wrong password: 401 from the fake.
	fmt.Fprintf(&extra, "  - name: wrong-password\n    token: %s\n    email: ops@example.com\n    password: %s-wrong\n", secretToken3, secretPassword)
	w.writeConfig(t, extra.String())
	e := start(t, w.env, "--config.file="+w.config, "--log.level=debug")

	var answers strings.Builder
	for _, path := range []string{"/metrics", "/", "/config", "/probe?report=fault-reset", "/probe?report=wrong-password", "/-/healthy", "/-/ready"} {
		_, body := e.get(t, path)
		answers.WriteString(body)
	}
	_, body := e.get(t, "/metrics")
	for name := range faults {
		if !strings.Contains(body, `toggl_report_up{report="fault-`+name+`"} 0`) {
			t.Errorf("fault %s: report not down", name)
		}
	}
	// A broken configuration: the reload error must not echo a secret either.
	w.write(t, "toggl.yml", "reports:\n  - name: x\n    token: "+secretToken+"\n    bogus: "+secretPassword+"\n")
	status, reloadBody := e.post(t, "/-/reload")
	if status != http.StatusInternalServerError {
		t.Errorf("reload of a broken file: %d %s", status, reloadBody)
	}
	answers.WriteString(reloadBody)
	_, landing := e.get(t, "/")
	answers.WriteString(landing)
	if !strings.Contains(landing, "fault-echo-401") || !strings.Contains(landing, "down: 401") {
		t.Errorf("landing page lacks the report status:\n%s", landing)
	}

	log := e.stderr.String()
	for _, s := range secrets {
		if strings.Contains(answers.String(), s) {
			t.Errorf("secret %q in an HTTP answer", s)
		}
		if strings.Contains(log, s) {
			t.Errorf("secret %q in the log", s)
		}
	}
	if !strings.Contains(log, `report=fault-echo-401`) || !strings.Contains(log, "code=401") {
		t.Errorf("the log does not say which report failed and why:\n%s", log)
	}
	if !strings.Contains(answers.String(), "<secret>") {
		t.Errorf("/config does not show redacted secrets")
	}
}

func TestConfigCheck(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name, config string
		ok           bool
		want         []string
	}{
		{"valid", "reports:\n  - name: a\n    token: abc1234567890abcdef1234567890abc\n    period: this_week\n", true,
			[]string{"valid", "1 report", "report a: this_week, now ", "(UTC); no credentials", "quota plan", "anonymous credentials of a:"}},
		{"unknown key", "reports:\n  - name: a\n    token: abc1234567890abcdef1234567890abc\n    tokn: x\n", false, []string{`reports[0] "a"`, "line 4", "tokn"}},
		{"missing token file", "reports:\n  - name: team-week\n    token_file: /nonexistent/token\n", false, []string{`reports[0] "team-week"`, "token_file", "/nonexistent/token"}},
		{"duplicate name", "reports:\n  - name: a\n    token: abc1234567890abcdef1234567890abc\n  - name: a\n    token: def1234567890abcdef1234567890def\n", false, []string{`reports[0] "a": duplicate name`, "reports[1]"}},
		{"invalid duration", "min_refresh_interval: 5 minutes\nreports:\n  - name: a\n    token: abc1234567890abcdef1234567890abc\n", false, []string{"min_refresh_interval"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := write(strings.ReplaceAll(tc.name, " ", "-")+".yml", tc.config)
			cmd := exec.Command(binary, "--config.check", "--config.file="+path)
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			err := cmd.Run()
			if tc.ok != (err == nil) {
				t.Fatalf("exit: %v, want ok=%v\n%s", err, tc.ok, out.String())
			}
			for _, w := range tc.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, out.String())
				}
			}
		})
	}
}

func TestReload(t *testing.T) {
	w := newWorld(t)
	e := start(t, w.env, "--config.file="+w.config)
	if status, _ := e.get(t, "/-/reload"); status != http.StatusMethodNotAllowed {
		t.Errorf("GET /-/reload: %d, want 405", status)
	}
	// An invalid file is rejected and the old configuration keeps serving.
	w.write(t, "toggl.yml", "reports: [\n")
	status, body := e.post(t, "/-/reload")
	if status != http.StatusInternalServerError || !strings.Contains(body, "toggl.yml") && !strings.Contains(strings.ToLower(body), "yaml") {
		t.Errorf("reload of an invalid file: %d %q, want 500 with a message", status, body)
	}
	_, metrics := e.get(t, "/metrics")
	if !strings.Contains(metrics, "toggl_exporter_config_last_reload_successful 0") || !strings.Contains(metrics, `toggl_report_up{report="detailed"} 1`) {
		t.Errorf("after a rejected reload: want successful 0 and the old reports served")
	}
	// SIGHUP applies a fixed file with one more report.
	w.fake.Set("tok-new-0123456789abcdef01234567", togglfake.Report{Body: fixture(t, "weekly.json")})
	w.writeConfig(t, "  - name: added\n    token: tok-new-0123456789abcdef01234567\n")
	if err := e.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, metrics = e.get(t, "/metrics")
		if strings.Contains(metrics, `toggl_report_up{report="added"} 1`) && strings.Contains(metrics, "toggl_exporter_config_last_reload_successful 1") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("SIGHUP did not load the new report:\n%s", stable(metrics))
		}
		time.Sleep(100 * time.Millisecond)
	}
	if n := w.fake.Count(secretToken); n != 1 {
		t.Errorf("unchanged report fetched %d times across reloads, want 1 (cache kept)", n)
	}
}

func TestVersion(t *testing.T) {
	out, err := exec.Command(binary, "--version").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "toggl_exporter, version "+testVersion) || !strings.Contains(string(out), "revision: e2e0000") {
		t.Errorf("--version: %v\n%s", err, out)
	}
}

// TestDemo: --demo serves one report of each type, says so in the log and on the landing
// page with the one setting that differs from the defaults, covers this week in
// team-week, and finds its reports through its workspace's listing. One exporter serves
// every check: each start waits some seconds on the pace of the first fetches.
func TestDemo(t *testing.T) {
	e := start(t, []string{"TZ=UTC"}, "--demo")
	// The listing runs in the background: the start does not wait for it.
	listed := fmt.Sprintf(`toggl_discovery_reports{workspace_id="4242"} %d`, len(togglfake.DemoReports))
	waitFor(t, "listing of the demo's reports", func() bool {
		_, body := e.get(t, "/metrics")
		return strings.Contains(body, listed)
	})
	_, body := e.get(t, "/metrics")
	for _, r := range togglfake.DemoReports {
		if !strings.Contains(body, `toggl_report_up{report="`+r.Name+`"} 1`) {
			t.Errorf("demo report %s is not up", r.Name)
		}
		if !strings.Contains(body, `report_type="`+r.Type+`"`) {
			t.Errorf("demo lacks a %s report", r.Type)
		}
	}
	now := time.Now().UTC()
	monday := time.Date(now.Year(), now.Month(), now.Day()-(int(now.Weekday())+6)%7, 0, 0, 0, 0, time.UTC)
	if want := fmt.Sprintf(`toggl_report_period_start_timestamp_seconds{report="team-week"} %g`, float64(monday.Unix())); !strings.Contains(body, want) {
		t.Errorf("team-week is not this week: want %s", want)
	}
	if _, landing := e.get(t, "/"); !strings.Contains(landing, "DEMO MODE") || !strings.Contains(landing, "every breakdown") {
		t.Errorf("landing page does not say it is a demo, with which settings")
	}
	if !strings.Contains(e.stderr.String(), "DEMO MODE") {
		t.Errorf("log does not say it is a demo")
	}

	if !strings.Contains(body, fmt.Sprintf(`toggl_discovery_reports{workspace_id="4242"} %d`, len(togglfake.DemoReports))) || !strings.Contains(body, `toggl_discovery_up{workspace_id="4242"} 1`) {
		t.Errorf("the demo did not discover its %d reports:\n%s", len(togglfake.DemoReports), stable(body))
	}
	_, cfg := e.get(t, "/config")
	if strings.Contains(cfg, togglfake.DemoAPIToken) || strings.Count(cfg, "discovered_from_workspace: 4242") != len(togglfake.DemoReports) {
		t.Errorf("/config:\n%s", cfg)
	}
	if strings.Contains(e.stderr.String(), togglfake.DemoAPIToken) {
		t.Errorf("the log shows the demo's API token")
	}
}

// TestRehearsal: --demo with --config.file serves the user's own reports from the
// simulated API, each for the dates its period asks (yesterday's figure is the fake's
// figure for yesterday), with stand-ins for a missing token file and an unset variable,
// said loudly in the log, and a token that is there never shown.
func TestRehearsal(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "token"), []byte(secretToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	config := filepath.Join(dir, "toggl.yml")
	if err := os.WriteFile(config, []byte(`requests_per_second: 100
reports:
  - name: yesterday
    token_file: token
    period: yesterday
  - name: week
    token_file: /nonexistent/week-token
    period: last_7_days
  - name: by-client
    token: ${REHEARSAL_UNSET_TOKEN}
    period: this_month
    params: {grouping: clients, sub_grouping: users}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	e := start(t, []string{"TZ=UTC"}, "--demo", "--config.file="+config)
	_, body := e.get(t, "/metrics")
	yesterday := time.Now().UTC().AddDate(0, 0, -1)
	want := togglfake.Agency{Loc: time.UTC}.Tracked(yesterday, yesterday, time.Now())
	for _, line := range []string{
		`toggl_report_up{report="yesterday"} 1`, `toggl_report_up{report="week"} 1`, `toggl_report_up{report="by-client"} 1`,
		fmt.Sprintf(`toggl_report_tracked_seconds{report="yesterday"} %g`, float64(want)),
		`toggl_report_info{public="true",report="by-client",report_name="Agency",report_type="summary"} 1`,
	} {
		if !strings.Contains(body, line) {
			t.Errorf("/metrics lacks %s", line)
		}
	}
	week := regexp.MustCompile(`toggl_report_tracked_seconds\{report="week"\} (\S+)`).FindStringSubmatch(body)
	if week == nil {
		t.Fatalf("no tracked seconds for week")
	}
	if got, _ := strconv.ParseFloat(week[1], 64); got <= float64(want) {
		t.Errorf("last_7_days tracked %s, want more than yesterday's %d", week[1], want)
	}
	log := e.stderr.String()
	if !strings.Contains(log, "DEMO MODE") || !strings.Contains(log, "/nonexistent/week-token") || !strings.Contains(log, "REHEARSAL_UNSET_TOKEN") {
		t.Errorf("the log does not say what was stood in for:\n%s", log)
	}
	_, landing := e.get(t, "/")
	if !strings.Contains(landing, "DEMO MODE") || !strings.Contains(landing, html.EscapeString(config)) {
		t.Errorf("landing page does not say it rehearses %s", config)
	}
	_, cfg := e.get(t, "/config")
	for _, text := range []string{body, log, landing, cfg} {
		if strings.Contains(text, secretToken) {
			t.Errorf("the token is shown: %.200s", text)
		}
	}
}

// TestNoFileDescriptorLeak scrapes a dedicated pair of reports, one answering and one
// whose connection the fake resets, and counts the exporter's open descriptors before and
// after, as node_exporter does. Each scrape is one /probe of one report, so fetches never
// overlap and the client keeps at most one idle connection to the fake: the count is
// exact, and a leak of one descriptor per scrape (a body or connection not closed) fails.
func TestNoFileDescriptorLeak(t *testing.T) {
	fake := togglfake.New()
	upstream := httptest.NewServer(fake)
	t.Cleanup(upstream.Close)
	fake.Set("tok-ok-0123456789", togglfake.Report{Body: fixture(t, "detailed.json")})
	fake.Set("tok-reset-0123456789", togglfake.Report{Fault: togglfake.Fault{Reset: true}})
	dir := t.TempDir()
	cfg := filepath.Join(dir, "toggl.yml")
	// A tiny refresh interval so that every scrape fetches.
	yml := fmt.Sprintf("api_url: %s\nrequests_per_second: 100\nmin_refresh_interval: 1ms\nreports:\n"+
		"  - name: ok\n    token: tok-ok-0123456789\n  - name: reset\n    token: tok-reset-0123456789\n", upstream.URL)
	if err := os.WriteFile(cfg, []byte(yml), 0o600); err != nil {
		t.Fatal(err)
	}
	e := start(t, []string{"TOGGL_API_TOKEN="}, "--config.file="+cfg)
	fdDir := fmt.Sprintf("/proc/%d/fd", e.cmd.Process.Pid)
	fds := func() map[string]string {
		entries, err := os.ReadDir(fdDir)
		if err != nil {
			t.Skipf("cannot count file descriptors: %v", err)
		}
		m := make(map[string]string, len(entries))
		for _, d := range entries {
			m[d.Name()], _ = os.Readlink(filepath.Join(fdDir, d.Name()))
		}
		return m
	}
	scrape := func() {
		for _, r := range []string{"ok", "reset"} {
			if status, body := e.get(t, "/probe?report="+r); status != http.StatusOK {
				t.Fatalf("/probe?report=%s: %d %s", r, status, body)
			}
		}
	}
	scrape() // the first connections: the test's to the exporter, the exporter's to the fake
	before := fds()
	const scrapes = 20
	for range scrapes {
		scrape()
	}
	after := fds()
	// The connection pools (the test's to the exporter, the exporter's to the fake) may hold a
	// few more or fewer idle connections from one moment to the next; a leak of one
	// descriptor per scrape shows as 20.
	const poolSlack = 4
	if len(after) > len(before)+poolSlack {

		var grown []string
		for fd, target := range after {
			if before[fd] != target {
				grown = append(grown, fd+" -> "+target)
			}
		}
		slices.Sort(grown)
		t.Errorf("open file descriptors went from %d to %d over %d scrapes; new: %s", len(before), len(after), scrapes, strings.Join(grown, ", "))
	}
	if n := fake.Count("tok-reset-0123456789"); n < scrapes {
		t.Errorf("the failing report was fetched %d times, want every scrape", n)
	}
}

// TestBadWebFlags: a telemetry path the exporter cannot serve, or a negative
// --web.max-requests, is refused at start with exit code 1 and a message naming the
// flag, never a panic.
func TestBadWebFlags(t *testing.T) {
	w := newWorld(t)
	var args []string
	for _, path := range []string{"/probe", "/", "metrics", "", "/config", "/-/reload", "/-/healthy", "/sd", "/metrics/", "//metrics", "/me trics", "/{x}"} {
		args = append(args, "--web.telemetry-path="+path)
	}
	for _, arg := range append(args, "--web.max-requests=-1") {
		t.Run(arg, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, binary, "--config.file="+w.config, "--web.listen-address="+freeAddress(t), arg)
			cmd.Env = append(os.Environ(), w.env...)
			out, err := cmd.CombinedOutput()
			if code := cmd.ProcessState.ExitCode(); code != 1 {
				t.Errorf("exit code %d (%v), want 1", code, err)
			}
			flag, _, _ := strings.Cut(arg, "=")
			if !strings.Contains(string(out), flag) || strings.Contains(string(out), "panic") || strings.Contains(string(out), "goroutine ") {
				t.Errorf("want a message naming %s and no panic:\n%s", flag, out)
			}
		})
	}
	// A path of its own is served, and the landing page links it.
	e := start(t, w.env, "--config.file="+w.config, "--web.telemetry-path=/toggl/metrics")
	if status, body := e.get(t, "/toggl/metrics"); status != http.StatusOK || !strings.Contains(body, "toggl_report_up") {
		t.Errorf("/toggl/metrics: %d", status)
	}
	if _, landing := e.get(t, "/"); !strings.Contains(landing, `href="/toggl/metrics"`) {
		t.Errorf("landing page does not link /toggl/metrics")
	}
}

// TestMethods: the read-only endpoints answer GET and HEAD only, the reload POST only;
// anything else is a 405 naming the allowed methods, and starts no upstream fetch.
func TestMethods(t *testing.T) {
	w := newWorld(t)
	e := start(t, w.env, "--config.file="+w.config)
	atStart := startFetches(t, w)
	tests := []struct {
		method, path string
		status       int
		allow        string
	}{
		{http.MethodDelete, "/probe?report=detailed", 405, "GET, HEAD"},
		{http.MethodPost, "/probe?report=detailed", 405, "GET, HEAD"},
		{http.MethodPost, "/metrics", 405, "GET, HEAD"},
		{http.MethodPut, "/config", 405, "GET, HEAD"},
		{http.MethodPost, "/-/healthy", 405, "GET, HEAD"},
		{http.MethodDelete, "/-/ready", 405, "GET, HEAD"},
		{http.MethodPost, "/", 405, "GET, HEAD"},
		{http.MethodGet, "/-/reload", 405, "POST"},
		{http.MethodPut, "/-/reload", 405, "POST"},
		{http.MethodHead, "/config", 200, ""},
		{http.MethodHead, "/-/healthy", 200, ""},
		{http.MethodHead, "/", 200, ""},
		{http.MethodGet, "/nowhere", 404, ""},
	}
	for _, tc := range tests {
		req, _ := http.NewRequest(tc.method, e.url+tc.path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.status || resp.Header.Get("Allow") != tc.allow {
			t.Errorf("%s %s: %d, Allow %q; want %d, Allow %q", tc.method, tc.path, resp.StatusCode, resp.Header.Get("Allow"), tc.status, tc.allow)
		}
	}
	if n := len(w.fake.Requests()) - atStart; n != 0 {
		t.Errorf("refused requests made %d upstream requests", n)
	}
	// HEAD is a GET without the body: it scrapes.
	req, _ := http.NewRequest(http.MethodHead, e.url+"/probe?report=detailed", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("HEAD /probe: %d", resp.StatusCode)
	}
}

// TestLandingPageLinks: every link of the landing page answers 200 (the toolkit's pprof
// links answered 404).
func TestLandingPageLinks(t *testing.T) {
	w := newWorld(t)
	e := start(t, w.env, "--config.file="+w.config)
	_, page := e.get(t, "/")
	base, _ := url.Parse(e.url + "/")
	links := regexp.MustCompile(`href="([^"]*)"`).FindAllStringSubmatch(page, -1)
	if len(links) < 5 {
		t.Fatalf("only %d links on the landing page:\n%s", len(links), page)
	}
	for _, m := range links {
		ref, err := url.Parse(html.UnescapeString(m[1]))
		if err != nil {
			t.Errorf("link %q: %v", m[1], err)
			continue
		}
		u := base.ResolveReference(ref)
		if u.Host != base.Host {
			t.Errorf("link %q leaves the exporter", m[1])
			continue
		}
		if status, _ := e.get(t, u.RequestURI()); status != http.StatusOK {
			t.Errorf("link %q answers %d", m[1], status)
		}
	}
}

// heldScrape sends a GET in the background; cancel abandons it, result waits for it.
type heldScrape struct {
	cancel context.CancelFunc
	done   chan heldAnswer
}

type heldAnswer struct {
	status int
	body   string
	err    error
}

func (e *exporter) getAsync(path string) *heldScrape {
	ctx, cancel := context.WithCancel(context.Background())
	h := &heldScrape{cancel: cancel, done: make(chan heldAnswer, 1)}
	go func() {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, e.url+path, nil)
		req.Header.Set("X-Prometheus-Scrape-Timeout-Seconds", "30")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			h.done <- heldAnswer{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		h.done <- heldAnswer{resp.StatusCode, string(b), err}
	}()
	return h
}

func (h *heldScrape) result(t *testing.T, limit time.Duration) heldAnswer {
	t.Helper()
	select {
	case a := <-h.done:
		return a
	case <-time.After(limit):
		t.Fatalf("no answer within %s", limit)
		return heldAnswer{}
	}
}

// slowWorld is the world plus reports slow-0 .. slow-<n-1>, refreshed at every scrape,
// fetched once fast; from then on their upstream answers after delay.
func slowWorld(t *testing.T, n int, delay time.Duration) (*world, []string, func(*exporter)) {
	t.Helper()
	w := newWorld(t)
	var extra strings.Builder
	var tokens []string
	for i := range n {
		tok := fmt.Sprintf("tok-slow-%d-0123456789", i)
		tokens = append(tokens, tok)
		w.fake.Set(tok, togglfake.Report{Body: fixture(t, "weekly.json")})
		fmt.Fprintf(&extra, "  - name: slow-%d\n    token: %s\n    min_refresh_interval: 1ms\n    max_stale: 1ms\n    timeout: 1m\n", i, tok) // nothing to serve: scrapes wait
	}
	w.writeConfig(t, extra.String())
	// slowDown waits for the start's fetch of each slow report, then slows its answers. It
	// scrapes none: at min_refresh_interval and max_stale 1ms a scrape in the millisecond
	// after a fetch serves that fetch's values and refreshes in the background, and a
	// refresh left running would be joined by the scrapes the tests hold, which then send
	// no request of their own.
	slowDown := func(e *exporter) {
		for i, tok := range tokens {
			waitFor(t, fmt.Sprintf("the start's fetch of slow-%d", i), func() bool {
				_, landing := e.get(t, "/")
				return strings.Contains(landing, fmt.Sprintf("<tr><td>slow-%d</td><td>up</td>", i))
			})
			w.fake.SetFault(tok, togglfake.Fault{HeaderDelay: delay})
		}
		time.Sleep(5 * time.Millisecond) // the values are stale: a scrape waits for its own fetch
	}
	return w, tokens, slowDown
}

// waitUpstream waits until the fake has seen more than n requests for token: the scrape
// that started them is inside the exporter's handler.
func waitUpstream(t *testing.T, f *togglfake.Fake, token string, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for f.Count(token) <= n {
		if time.Now().After(deadline) {
			t.Fatalf("no upstream request for %s within 10s", token)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestMaxRequests: with --web.max-requests=2 and two /probe scrapes held inside the
// handler (their upstream does not answer), a third request, /metrics or /probe, is
// refused with a 503 at once: one limit for both; once they end, scrapes are served again.
func TestMaxRequests(t *testing.T) {
	w, tokens, slowDown := slowWorld(t, 2, time.Minute)
	e := start(t, w.env, "--config.file="+w.config, "--web.max-requests=2")
	slowDown(e)
	var held []*heldScrape
	for i, tok := range tokens {
		n := w.fake.Count(tok)
		h := e.getAsync(fmt.Sprintf("/probe?report=slow-%d", i))
		t.Cleanup(h.cancel)
		held = append(held, h)
		waitUpstream(t, w.fake, tok, n)
	}
	for _, path := range []string{"/metrics", "/probe?report=detailed"} {
		status, body := e.get(t, path)
		if status != http.StatusServiceUnavailable || !strings.Contains(body, "--web.max-requests") {
			t.Errorf("%s with 2 scrapes held: %d %q, want 503 naming --web.max-requests", path, status, body)
		}
	}
	if status, _ := e.get(t, "/-/healthy"); status != http.StatusOK {
		t.Errorf("/-/healthy is limited too: %d", status)
	}
	for _, h := range held {
		h.cancel()
		h.result(t, 10*time.Second)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		status, _ := e.get(t, "/probe?report=detailed")
		if status == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/probe still %d after the held scrapes ended", status)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// The slow reports' fetches go on in the background: a short scrape timeout.
	req, _ := http.NewRequest(http.MethodGet, e.url+"/metrics", nil)
	req.Header.Set("X-Prometheus-Scrape-Timeout-Seconds", "1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(metrics), `promhttp_metric_handler_requests_total{code="503"} 1`) {
		t.Errorf("the refused /metrics is not counted as a 503")
	}
}

// TestGracefulShutdown: SIGTERM during a scrape lets it finish with its report, then
// the process exits 0, saying so in the log.
func TestGracefulShutdown(t *testing.T) {
	w, tokens, slowDown := slowWorld(t, 1, time.Second)
	e := start(t, w.env, "--config.file="+w.config)
	slowDown(e)
	n := w.fake.Count(tokens[0])
	h := e.getAsync("/probe?report=slow-0")
	waitUpstream(t, w.fake, tokens[0], n)
	if err := e.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	a := h.result(t, 15*time.Second)
	if a.err != nil || a.status != http.StatusOK || !strings.Contains(a.body, `toggl_report_up{report="slow-0"} 1`) {
		t.Errorf("scrape in flight at SIGTERM: %d %v\n%s", a.status, a.err, a.body)
	}
	exited := make(chan error, 1)
	go func() { exited <- e.cmd.Wait() }()
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("exit after SIGTERM: %v, want 0", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the exporter did not exit within 15s of SIGTERM")
	}
	log := e.stderr.String()
	for _, want := range []string{`msg="shutting down"`, "msg=stopped"} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %s:\n%s", want, log)
		}
	}
}

// TestLandingPageAnswers: right after start, before anything scrapes, the landing page
// shows every report with its figures, and says for a report that is down what to do.
func TestLandingPageAnswers(t *testing.T) {
	w := newWorld(t)
	e := start(t, w.env, "--config.file="+w.config)
	startFetches(t, w)
	var landing string
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		_, landing = e.get(t, "/")
		if !strings.Contains(landing, "not fetched yet") || time.Now().After(deadline) {
			break
		}
	}
	for _, want := range []string{
		// detailed.json: 7200 s tracked, 6600 s billable; weekly.json: 13200 and 7200.
		"<td>detailed</td><td>up</td>", "<td>2.0 h</td><td>1.8 h</td><td>complete</td>",
		"<td>weekly</td><td>up</td>", "<td>3.7 h</td><td>2.0 h</td>",
		"<td>failing-403</td><td>down: 403:", "copy its token again",
		"<td>failing-404</td><td>down: 404:", "the report does not exist",
	} {
		if !strings.Contains(landing, want) {
			t.Errorf("landing page lacks %q:\n%s", want, landing)
		}
	}
	if strings.Contains(landing, "not fetched yet") {
		t.Errorf("a report is still not fetched:\n%s", landing)
	}
}

// TestReloadKeepsTheQuotaBlock: a reload that changes requests_per_second and
// max_response_bytes (so a new client is built) keeps the credential's one-hour quota
// block: no request goes out until it ends.
func TestReloadKeepsTheQuotaBlock(t *testing.T) {
	w := newWorld(t)
	const token = "tok-quota-0123456789abcdef012345"
	w.fake.Set(token, togglfake.Report{Fault: togglfake.Fault{Status: 402,
		Header: http.Header{"X-Toggl-Quota-Remaining": {"0"}, "X-Toggl-Quota-Resets-In": {"3600"}}}})
	one := func(extra string) {
		p := w.write(t, "toggl.yml", fmt.Sprintf("api_url: %s\nmin_refresh_interval: 1s\nmax_stale: 1m\n%sreports:\n  - name: spent\n    token: %s\n", w.server.URL, extra, token))
		w.config = p
	}
	one("")
	e := start(t, w.env, "--config.file="+w.config)
	for deadline := time.Now().Add(10 * time.Second); w.fake.Count(token) == 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the report was not fetched at start")
		}
	}
	for i, extra := range []string{"requests_per_second: 5\n", "max_response_bytes: 1MiB\nrequests_per_second: 2\n"} {
		one(extra)
		if status, body := e.post(t, "/-/reload"); status != http.StatusOK {
			t.Fatalf("reload %d: %d %s", i, status, body)
		}
		time.Sleep(1100 * time.Millisecond) // past min_refresh_interval: a scrape would fetch
		status, body := e.get(t, "/metrics")
		if status != http.StatusOK || !strings.Contains(body, `toggl_report_error{code="402",report="spent"} 1`) {
			t.Errorf("reload %d: /metrics %d does not say 402:\n%s", i, status, body)
		}
	}
	if n := w.fake.Count(token); n != 1 {
		t.Errorf("%d requests with a spent quota across reloads that built new clients, want 1", n)
	}
}
