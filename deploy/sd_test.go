package deploy_test

import (
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/toggl-exporter/toggl_exporter/internal/togglfake"
)

// shardRelabels returns the sharding recipe that prometheus.yml gives in the comment of
// its /probe job, for server shard of n.
func shardRelabels(t *testing.T, shard, n int) []any {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(promDir, "prometheus.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var rules []any
	for line := range strings.SplitSeq(string(data), "\n") {
		item, ok := strings.CutPrefix(strings.TrimSpace(line), "#     # - ")
		if !ok {
			continue
		}
		item = strings.ReplaceAll(item, "modulus: 2", fmt.Sprintf("modulus: %d", n))
		item = strings.ReplaceAll(item, "regex: '0'", fmt.Sprintf("regex: '%d'", shard))
		var rule map[string]any
		if err := yaml.Unmarshal([]byte(item), &rule); err != nil {
			t.Fatalf("prometheus.yml: sharding rule %q: %v", item, err)
		}
		rules = append(rules, rule)
	}
	if len(rules) != 2 {
		t.Fatalf("prometheus.yml: %d sharding rules in the /probe job's comment, want hashmod and keep", len(rules))
	}
	return rules
}

// TestServiceDiscoverySharding: one /probe job pointed at the exporter's /sd scrapes every
// report; two Prometheus servers with the hashmod recipe split the reports between them,
// none lost and none twice, and the report label comes once (no exported_report).
func TestServiceDiscoverySharding(t *testing.T) {
	t.Parallel()
	var reports []string
	for i := range 9 {
		reports = append(reports, fmt.Sprintf("team-%d", i))
	}
	addr := startSDExporter(t, reports)

	const shards = 2
	// Both servers start before either is waited on: their discovery and scrapes overlap.
	urls := make([]string, shards)
	for shard := range shards {
		job, _ := commentedProbeJob(t)
		job["http_sd_configs"] = []any{map[string]any{"url": "http://" + addr + "/sd", "refresh_interval": "1s"}}
		job["scrape_interval"] = "1s"
		job["relabel_configs"] = append(job["relabel_configs"].([]any), shardRelabels(t, shard, shards)...)
		path := filepath.Join(t.TempDir(), "prometheus.yml")
		writeYAML(t, path, map[string]any{"scrape_configs": []any{job}})
		urls[shard] = startPrometheus(t, path)
	}
	kept := map[string][]int{}
	for shard, url := range urls {
		var got []string
		eventually(t, fmt.Sprintf("shard %d scraping its reports", shard), time.Minute, func() []string {
			n, series, err := promQuery(url, `toggl_report_up{job="toggl-probe"} == 1`)
			if err != nil {
				return []string{err.Error()}
			}
			got = got[:0]
			for _, s := range series {
				if s["exported_report"] != "" || s["instance"] != s["report"] {
					return []string{fmt.Sprintf("labels %v: want report once, as the instance", s)}
				}
				got = append(got, s["report"])
			}
			if n == 0 {
				return []string{"no report up yet"}
			}
			var targets struct {
				Data struct {
					ActiveTargets []struct{} `json:"activeTargets"`
				} `json:"data"`
			}
			if err := getJSON(url+"/api/v1/targets?state=active", &targets); err != nil || len(targets.Data.ActiveTargets) != n {
				return []string{fmt.Sprintf("%d reports up of %d targets (%v)", n, len(targets.Data.ActiveTargets), err)}
			}
			return nil
		})
		for _, r := range got {
			kept[r] = append(kept[r], shard)
		}
	}
	for _, r := range reports {
		if len(kept[r]) != 1 {
			t.Errorf("report %s scraped by shards %v, want exactly one", r, kept[r])
		}
	}
	if len(kept) != len(reports) {
		t.Errorf("scraped %d reports, want %d: %v", len(kept), len(reports), kept)
	}
	perShard := map[int]int{}
	for _, s := range kept {
		perShard[s[0]]++
	}
	if len(perShard) != shards || slices.Contains([]int{perShard[0], perShard[1]}, 0) {
		t.Errorf("reports per shard %v: both shards should have some", perShard)
	}
}

// startSDExporter starts the exporter with the named reports (each a healthy summary
// report of a fake Toggl) and returns its address, for tests of /sd.
func startSDExporter(t *testing.T, names []string) string {
	t.Helper()
	fake := togglfake.New()
	upstream := httptest.NewServer(fake)
	t.Cleanup(upstream.Close)
	body, err := os.ReadFile(filepath.Join("..", "client", "testdata", "summary_map.json"))
	if err != nil {
		t.Fatal(err)
	}
	var yml strings.Builder
	fmt.Fprintf(&yml, "api_url: %s\nrequests_per_second: 100\nreports:\n", upstream.URL)
	for i, name := range names {
		token := fmt.Sprintf("sd-report-token-%02d-0123456789abcd", i)
		fake.Set(token, togglfake.Report{Body: body})
		fmt.Fprintf(&yml, "  - name: %s\n    token: %s\n", name, token)
	}
	cfgPath := filepath.Join(t.TempDir(), "toggl.yml")
	if err := os.WriteFile(cfgPath, []byte(yml.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := "127.0.0.1:" + freePort(t)
	exp := start(t, "exporter", cleanEnv(), exporterBinary(t), "--config.file="+cfgPath, "--web.listen-address="+addr)
	waitHTTP(t, exp, "http://"+addr+"/-/ready", time.Minute)
	return addr
}
