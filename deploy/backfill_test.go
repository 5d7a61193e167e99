package deploy_test

import (
	"fmt"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/toggl-exporter/toggl_exporter/internal/togglfake"
)

// TestBackfillIntoPrometheus runs `toggl_exporter backfill` against the fake, imports its
// output with promtool, starts Prometheus on the blocks and reads a backfilled day back:
// the tracked time of this_week at the end of a Wednesday is Monday to Wednesday's.
func TestBackfillIntoPrometheus(t *testing.T) {
	t.Parallel()
	promtool := needTool(t, "promtool")
	needTool(t, "prometheus")
	bin := exporterBinary(t)
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	for _, typ := range []string{"weekly", "detailed"} {
		t.Run(typ, func(t *testing.T) {
			t.Parallel()
			const token, pageSize = "backfill0123456789abcdef01234567", 20
			history := togglfake.Agency{Loc: berlin, First: time.Date(2026, 9, 1, 0, 0, 0, 0, berlin), Last: time.Date(2026, 11, 30, 0, 0, 0, 0, berlin)}
			fake := togglfake.New()
			rep := history.Report(typ)
			rep.Paging = &togglfake.Paging{Size: pageSize}
			fake.Set(token, rep)
			hs := httptest.NewServer(fake)
			defer hs.Close()
			dir := t.TempDir()
			cfg := filepath.Join(dir, "toggl.yml")
			if err := os.WriteFile(cfg, fmt.Appendf(nil, "api_url: %s\nrequests_per_second: 50\nreports:\n  - name: team\n    token: %s\n    period: this_week\n    timezone: Europe/Berlin\n    max_pages: 50\n",
				hs.URL, token), 0o600); err != nil {
				t.Fatal(err)
			}
			file := filepath.Join(dir, "history.om")
			out, err := runErr(time.Minute, dir, bin, "backfill", "--config.file="+cfg, "--from=2026-10-05", "--to=2026-11-01", "--output="+file, "--label=job=toggl")
			if err != nil {
				t.Fatalf("backfill: %v\n%s", err, out)
			}
			// Four weeks: one request each for weekly; detailed adds its pages.
			requests := fake.Count(token)
			t.Logf("%d requests for four weeks of %s rows, %d rows a page", requests, typ, pageSize)
			if typ == "weekly" && requests != 4 || requests < 4 || requests > 4*(1+7*togglfake.AgencyEntriesPerDay/pageSize) {
				t.Errorf("%d requests for four weeks", requests)
			}

			data := filepath.Join(dir, "data")
			run(t, 2*time.Minute, dir, promtool, "tsdb", "create-blocks-from", "openmetrics", file, data)
			promCfg := filepath.Join(dir, "prometheus.yml")
			if err := os.WriteFile(promCfg, []byte("scrape_configs: []\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			port := freePort(t)
			p := start(t, "prometheus", nil, needTool(t, "prometheus"), "--config.file="+promCfg, "--storage.tsdb.path="+data,
				"--storage.tsdb.retention.time=100y", "--web.listen-address=127.0.0.1:"+port, "--log.level=warn")
			base := "http://127.0.0.1:" + port
			waitHTTP(t, p, base+"/-/ready", time.Minute)

			wednesday := time.Date(2026, 10, 21, 23, 59, 59, 0, berlin)
			want := history.Tracked(time.Date(2026, 10, 19, 0, 0, 0, 0, berlin), time.Date(2026, 10, 21, 0, 0, 0, 0, berlin), time.Now())
			var r struct {
				Status string
				Data   struct {
					Result []struct {
						Metric map[string]string
						Value  [2]any
					}
				}
			}
			q := url.Values{"query": {`toggl_report_tracked_seconds{job=~"toggl",report="team"}`}, "time": {strconv.FormatInt(wednesday.Unix(), 10)}}
			if err := getJSON(base+"/api/v1/query?"+q.Encode(), &r); err != nil {
				t.Fatal(err)
			}
			if r.Status != "success" || len(r.Data.Result) != 1 {
				t.Fatalf("query: %+v", r)
			}
			if got := r.Data.Result[0].Value[1]; got != strconv.FormatInt(want, 10) {
				t.Errorf("tracked seconds at the end of Wednesday 2026-10-21: %v, want %d", got, want)
			}
			// The breakdowns came along, selected as the dashboard selects them with the live names and labels.
			q = url.Values{"query": {`max by (report, project) (toggl_report_project_tracked_seconds{job=~"toggl",report="team",project="Website Relaunch",client="Acme Corp"})`}, "time": {strconv.FormatInt(wednesday.Unix(), 10)}}
			if err := getJSON(base+"/api/v1/query?"+q.Encode(), &r); err != nil || len(r.Data.Result) != 1 {
				t.Errorf("no project series at the end of the day: %v %+v", err, r)
			}
		})
	}
}
