package collector

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/common/model"

	"github.com/toggl-exporter/toggl_exporter/client"
	"github.com/toggl-exporter/toggl_exporter/config"
	"github.com/toggl-exporter/toggl_exporter/internal/testkit"
	"github.com/toggl-exporter/toggl_exporter/internal/togglfake"
)

// Benchmarks of the exporter's hot paths, each beside its baseline in the same run; the
// figures are in docs/performance.md. They also run in CI once each as a smoke test:
//
//	go test -run='^$' -bench=. -benchtime=1x ./...

// benchSizes are the numbers of time entries of the generated reports.
var benchSizes = []struct {
	name    string
	entries int
}{{"1k", 1000}, {"10k", 10000}, {"100k", 100000}}

var benchTypes = []string{"detailed", "summary", "weekly"}

// largeFigures are the figures a generated report must aggregate to. They are computed from
// the time entries of the detailed report of the same size, read with encoding/json, not
// from the body of the report they describe.
type largeFigures struct {
	rows     int // detailed rows, summary groups (by project) or weekly rows (by project and user)
	seconds  int64
	projects int // distinct projects, no project counting as one
}

// expect returns the figures of the generated reports of each type whose entries are those
// of the generated detailed report detailed, by type.
func expect(detailed []byte) map[string]largeFigures {
	var r struct {
		DetailedResults struct {
			Report []struct {
				UserID      int64  `json:"user_id"`
				ProjectID   *int64 `json:"project_id"`
				TimeEntries []struct {
					Seconds int64 `json:"seconds"`
				} `json:"time_entries"`
			} `json:"report"`
		} `json:"detailed_results"`
	}
	if err := json.Unmarshal(detailed, &r); err != nil {
		panic(err) // togglfake writes valid JSON
	}
	var exp largeFigures
	projects, weekly := map[int64]bool{}, map[[2]int64]bool{}
	for _, row := range r.DetailedResults.Report {
		var project int64
		if row.ProjectID != nil {
			project = *row.ProjectID
		}
		for _, te := range row.TimeEntries {
			exp.seconds += te.Seconds
		}
		projects[project], weekly[[2]int64{project, row.UserID}] = true, true
	}
	exp.projects = len(projects)
	byType := map[string]largeFigures{}
	for typ, rows := range map[string]int{"detailed": len(r.DetailedResults.Report), "summary": len(projects), "weekly": len(weekly)} {
		exp.rows = rows
		byType[typ] = exp
	}
	return byType
}

// The generated reports and their figures, made once per run: the 100k-entry ones take
// seconds to generate and to read.
var (
	benchBodiesMu sync.Mutex
	benchBodies   = map[string][]byte{}               // by type and entries
	benchFigures  = map[int]map[string]largeFigures{} // by entries, then type
)

// largeBody returns the generated report of typ with n entries and its figures.
func largeBody(typ string, n int) ([]byte, largeFigures) {
	benchBodiesMu.Lock()
	defer benchBodiesMu.Unlock()
	body := func(typ string) []byte {
		key := fmt.Sprint(typ, n)
		if _, ok := benchBodies[key]; !ok {
			benchBodies[key] = togglfake.LargeJSON(typ, n)
		}
		return benchBodies[key]
	}
	if _, ok := benchFigures[n]; !ok {
		benchFigures[n] = expect(body("detailed"))
	}
	return body(typ), benchFigures[n][typ]
}

// decodeAggregate is what a fetch does with a body: decode it into an Aggregator, finish.
func decodeAggregate(body []byte) (*Snapshot, error) {
	agg := newAggregator(config.Report{})
	rep, err := client.Decode(bytes.NewReader(body), agg)
	if err != nil {
		return nil, err
	}
	return agg.finish(rep), nil
}

// checkSnapshot fails unless s holds the figures the generator promised.
func checkSnapshot(tb testing.TB, s *Snapshot, exp largeFigures) {
	tb.Helper()
	var tracked, projects float64
	nProjects := 0
	for _, sr := range s.series {
		switch sr.family {
		case trackedFamily:
			tracked = sr.value
		case projectTrackedFamily:
			projects += sr.value
			nProjects++
		}
	}
	if tracked != float64(exp.seconds) || projects != float64(exp.seconds) || nProjects != exp.projects {
		tb.Fatalf("tracked %v s, projects sum to %v s over %d; want %d s over %d",
			tracked, projects, nProjects, exp.seconds, exp.projects)
	}
	if s.Entities != exp.rows {
		tb.Fatalf("%d rows, want %d", s.Entities, exp.rows)
	}
}

// BenchmarkDecodeAggregate measures decoding a report while aggregating it (what a fetch
// costs once the body arrives), per type and size, beside the baseline: encoding/json's
// Unmarshal of the same bytes into an `any`, which only parses.
func BenchmarkDecodeAggregate(b *testing.B) {
	for _, typ := range benchTypes {
		for _, size := range benchSizes {
			b.Run(typ+"-"+size.name, func(b *testing.B) {
				body, exp := largeBody(typ, size.entries)
				s, err := decodeAggregate(body)
				if err != nil {
					b.Fatal(err)
				}
				checkSnapshot(b, s, exp)
				testkit.BenchDecode(b, "decode+aggregate", body, func(body []byte) error {
					_, err := decodeAggregate(body)
					return err
				})
			})
		}
	}
}

// benchConfig configures n reports, each with its own token and API token (so that no
// two share a rate limit), fetching at most fetches at a time.
func benchConfig(n, fetches int) *config.Config {
	cfg := &config.Config{
		MinRefreshInterval:   model.Duration(5 * time.Minute),
		MaxStale:             model.Duration(30 * time.Minute),
		Timeout:              model.Duration(30 * time.Second),
		MaxConcurrentFetches: fetches,
	}
	for i := range n {
		cfg.Reports = append(cfg.Reports, config.Report{ // with the values config.Load fills in
			Name:               fmt.Sprintf("report-%02d", i),
			Resolved:           config.Resolved{Token: fmt.Sprintf("tok-%02d", i), APIToken: fmt.Sprintf("api-%02d", i)},
			MinRefreshInterval: cfg.MinRefreshInterval, MaxStale: cfg.MaxStale, Timeout: cfg.Timeout,
		})
	}
	return cfg
}

// seriesFetcher answers every report with a detailed report of 150 projects and 95 users:
// about 500 series with the default breakdowns.
type seriesFetcher struct{}

func (seriesFetcher) Run(_ context.Context, _ client.Request, sink client.Sink) (*client.Report, *client.Response, error) {
	rep := &client.Report{Name: "Busy team", Type: "detailed", Block: client.BlockDetailed,
		Totals:       &client.Totals{Seconds: 1, Rates: []client.Rate{{BillableSeconds: 1, Currency: "EUR", HourlyRateInCents: 9000}}},
		Dictionaries: client.Dictionaries{Projects: map[int64]client.Project{}, Users: map[int64]client.Entity{}}}
	for p := range int64(150) {
		rep.Dictionaries.Projects[p+1] = client.Project{ID: p + 1, Name: fmt.Sprintf("Project %d", p+1)}
	}
	for u := range int64(95) {
		rep.Dictionaries.Users[u+1] = client.Entity{ID: u + 1, Name: fmt.Sprintf("User %d", u+1)}
	}
	for i := range int64(3000) {
		sink.DetailedRow(&client.DetailedRow{UserID: i%95 + 1, ProjectID: i%150 + 1, Billable: i%3 == 0, Seconds: 600 + i})
	}
	return rep, &client.Response{StatusCode: 200, Duration: time.Millisecond}, nil
}

// cpuTime is the CPU time (user and system) the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkCachedScrape measures a scrape of /metrics answered from the cache: 10 reports
// of about 500 series each, collected, gathered and encoded as text. cpu-ns/op is the CPU
// it costs (its collection runs one goroutine per report). The baseline is client_golang
// alone: gathering and encoding the same number of series held in GaugeVecs.
func BenchmarkCachedScrape(b *testing.B) {
	e := New(Options{})
	e.Apply(benchConfig(10, 8), seriesFetcher{})
	h := e.MetricsHandler(prometheus.NewRegistry(), HandlerOpts{})
	get := func() *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/metrics", nil))
		return w
	}
	warm := get()
	series := 0
	for _, line := range strings.Split(warm.Body.String(), "\n") {
		if line != "" && !strings.HasPrefix(line, "#") {
			series++
		}
	}
	if warm.Code != http.StatusOK || series < 5000 {
		b.Fatalf("warm-up scrape: %d, %d series", warm.Code, series)
	}
	for _, st := range e.Status() {
		if st.Series < 490 || st.Series > 510 {
			b.Fatalf("report %s has %d series, want about 500", st.Name, st.Series)
		}
	}
	b.Run("10x500-series", func(b *testing.B) {
		b.ReportAllocs()
		cpu := cpuTime()
		for b.Loop() {
			if w := get(); w.Body.Len() != warm.Body.Len() {
				b.Fatalf("scrape of %d bytes, the first was %d", w.Body.Len(), warm.Body.Len())
			}
		}
		b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/op")
		b.ReportMetric(float64(series), "series")
	})
	b.Run("baseline=GaugeVec-same-series", func(b *testing.B) {
		reg := prometheus.NewRegistry()
		g := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "toggl_bench_seconds", Help: "Baseline."}, []string{"report", "id", "name"})
		reg.MustRegister(g)
		for i := range series {
			g.WithLabelValues(fmt.Sprintf("report-%02d", i%10), strconv.Itoa(i), fmt.Sprintf("Project %d", i)).Set(float64(i))
		}
		h := promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
		b.ReportAllocs()
		cpu := cpuTime()
		for b.Loop() {
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/metrics", nil))
		}
		b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/op")
		b.ReportMetric(float64(series), "series")
	})
}

// BenchmarkColdScrape measures the wall time of a first scrape of 50 reports with
// different credentials, each answered by the fake Toggl after 200 ms, through the real
// client: with max_concurrent_fetches at its default (8) and at 50. The baseline is one
// such report alone: one upstream latency. latencies/op is the wall time in upstream
// latencies.
func BenchmarkColdScrape(b *testing.B) {
	const latency = 200 * time.Millisecond
	fake := togglfake.New()
	body := togglfake.DetailedJSON(togglfake.DetailedSpec{Entries: 20, Projects: 5, Users: 3})
	for i := range 50 {
		fake.Set(fmt.Sprintf("tok-%02d", i), togglfake.Report{Body: body,
			Auth: togglfake.Auth{APIToken: fmt.Sprintf("api-%02d", i)}, Fault: togglfake.Fault{HeaderDelay: latency}})
	}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	run := func(b *testing.B, reports, fetches int) {
		b.ReportAllocs()
		for b.Loop() {
			b.StopTimer()
			c := client.New(client.Options{BaseURL: srv.URL})
			e := New(Options{})
			e.Apply(benchConfig(reports, fetches), c)
			h := e.MetricsHandler(prometheus.NewRegistry(), HandlerOpts{})
			b.StartTimer()
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/metrics", nil))
			b.StopTimer()
			if up := strings.Count(w.Body.String(), "\ntoggl_report_up{"); w.Code != http.StatusOK || up != reports {
				b.Fatalf("scrape: status %d, %d reports", w.Code, up)
			}
			for _, st := range e.Status() {
				if !st.Up {
					b.Fatalf("report %s is down: %s %s", st.Name, st.Code, st.Message)
				}
			}
			b.StartTimer()
		}
		b.ReportMetric(float64(b.Elapsed())/float64(b.N)/float64(latency), "latencies/op")
	}
	b.Run("baseline=1-report", func(b *testing.B) { run(b, 1, 8) })
	b.Run("50-reports/max_concurrent_fetches=8", func(b *testing.B) { run(b, 50, 8) })
	b.Run("50-reports/max_concurrent_fetches=50", func(b *testing.B) { run(b, 50, 50) })
}

// peakEnv tells TestPeakMemory's child what to do: "stream URL" or "baseline URL".
const peakEnv = "TOGGL_EXPORTER_PEAK_MEMORY"

// TestPeakMemory measures the peak memory (VmHWM) of a process that fetches a generated
// detailed report over HTTP from this one and decodes and aggregates it, as a fetch does,
// for 10k and 100k time entries; and, as the baseline, of one that reads the same body
// whole and unmarshals it into an `any`. Streaming must stay under the size of the body
// plus 30 MB (the target), and grow far less than the body does. It is a
// benchmark so that it runs without the race detector (whose shadow memory would be
// measured too): CI's benchmark pass checks the targets.
//
//	go test -run '^$' -bench PeakMemory -v ./collector/
func BenchmarkPeakMemory(b *testing.B) {
	t := b
	if os.Getenv(peakEnv) != "" {
		return // the child runs TestPeakMemoryChild
	}
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("no /proc/self/status: VmHWM cannot be read here")
	}
	if testing.Short() {
		t.Skip("generates and decodes a 47 MB report in child processes")
	}
	dir := t.TempDir()
	peak := map[string]int64{}
	sizes := map[int]int64{}
	for _, n := range []int{10000, 100000} {
		path := filepath.Join(dir, fmt.Sprintf("detailed-%d.json", n))
		body, exp := largeBody("detailed", n)
		seconds := exp.seconds
		if err := os.WriteFile(path, body, 0o644); err != nil {
			t.Fatal(err)
		}
		sizes[n] = int64(len(body))
		// The body is served from the file, so this process never holds it either.
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			f, err := os.Open(path)
			if err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			defer f.Close()
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.Copy(w, f)
		}))
		modes := []string{"stream", "baseline"}
		if raceEnabled() {
			modes = modes[:1] // the baseline takes 800 MB and seconds under the race detector
		}
		for _, mode := range modes {
			cmd := exec.Command(os.Args[0], "-test.run=^TestPeakMemoryChild$", "-test.v")
			cmd.Env = append(os.Environ(), peakEnv+"="+mode+" "+srv.URL)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("%s %d: %v\n%s", mode, n, err, out)
			}
			var hwm, tracked int64
			for _, line := range strings.Split(string(out), "\n") {
				if _, err := fmt.Sscanf(strings.TrimSpace(line), "peak: VmHWM %d kB, tracked %d s", &hwm, &tracked); err == nil {
					break
				}
			}
			if hwm == 0 {
				t.Fatalf("%s %d: no figure in the child's output:\n%s", mode, n, out)
			}
			if mode == "stream" && tracked != seconds {
				t.Errorf("%s %d: tracked %d s, want %d", mode, n, tracked, seconds)
			}
			peak[fmt.Sprint(mode, n)] = hwm << 10
			t.Logf("%-8s %6d entries, body %5.1f MB: peak RSS (VmHWM) %5.1f MB", mode, n, mb(sizes[n]), mb(hwm<<10))
		}
		srv.Close()
	}
	stream, body := peak["stream100000"], sizes[100000]
	if limit := body + 30<<20; stream > limit {
		t.Errorf("streaming peak %.1f MB for a %.1f MB body, over the target of %.1f MB", mb(stream), mb(body), mb(limit))
	}
	// Flat in the body size: 10× the entries (and about 9× the body) cost a few MB at most.
	if grow := stream - peak["stream10000"]; grow > 10<<20 {
		t.Errorf("streaming peak grew by %.1f MB from 10k to 100k entries", mb(grow))
	}
	b.ReportMetric(mb(stream), "peak-MiB-100k")
	b.ReportMetric(mb(peak["stream10000"]), "peak-MiB-10k")
}

func mb(n int64) float64 { return float64(n) / (1 << 20) }

// raceEnabled reports whether the test binary was built with -race.
func raceEnabled() bool {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, s := range bi.Settings {
		if s.Key == "-race" {
			return s.Value == "true"
		}
	}
	return false
}

// TestPeakMemoryChild is BenchmarkPeakMemory's child process.
func TestPeakMemoryChild(t *testing.T) {
	mode, url, ok := strings.Cut(os.Getenv(peakEnv), " ")
	if !ok {
		t.Skip("run by TestPeakMemory")
	}
	var tracked int64
	switch mode {
	case "stream":
		c := client.New(client.Options{BaseURL: url})
		agg := newAggregator(config.Report{})
		rep, _, err := c.Run(context.Background(), client.Request{Token: "peak"}, agg)
		if err != nil {
			t.Fatal(err)
		}
		s := agg.finish(rep)
		for _, sr := range s.series {
			if sr.family == trackedFamily {
				tracked = int64(sr.value)
			}
		}
	case "baseline":
		resp, err := http.Post(url+"/reports/api/v3/shared/peak", "application/json", strings.NewReader("{}"))
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		var v any
		if err := json.Unmarshal(body, &v); err != nil {
			t.Fatal(err)
		}
		runtime.KeepAlive(v)
	}
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			fmt.Printf("peak: VmHWM %s, tracked %d s\n", strings.Join(strings.Fields(rest), " "), tracked)
		}
	}
}
