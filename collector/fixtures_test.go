package collector

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/common/expfmt"

	"github.com/toggl-exporter/toggl_exporter/client"
	"github.com/toggl-exporter/toggl_exporter/config"
)

var update = flag.Bool("update", false, "rewrite the expected exposition files in testdata/")

// notReports are the fixtures that are 200s holding no report: decoding them fails.
var notReports = map[string]bool{"absent_blocks": true, "null_blocks": true}

// TestFixtures decodes each upstream fixture of the client (one per shape Toggl may send)
// with every breakdown enabled and compares the metrics with testdata/<fixture>.prom.
// The expected files were reviewed by hand against the fixtures; -update rewrites them.
func TestFixtures(t *testing.T) {
	fixtures, err := filepath.Glob("../client/testdata/*.json")
	if err != nil || len(fixtures) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	for _, path := range fixtures {
		name := strings.TrimSuffix(filepath.Base(path), ".json")
		t.Run(name, func(t *testing.T) {
			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			agg := newAggregator(config.Report{Breakdowns: []string{Projects, Users, Clients, Tags, Tasks}})
			rep, err := client.Decode(f, agg)
			if notReports[name] {
				if client.Code(err) != client.CodeDecode || !strings.Contains(err.Error(), "no result block with totals") {
					t.Fatalf("err = %v, want a decode error: no result block with totals", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			c := snapshotCollector{agg.finish(rep)}
			golden := filepath.Join("testdata", name+".prom")
			if *update {
				reg := prometheus.NewPedanticRegistry()
				reg.MustRegister(c)
				mfs, err := reg.Gather()
				if err != nil {
					t.Fatal(err)
				}
				var buf bytes.Buffer
				for _, mf := range mfs {
					if _, err := expfmt.MetricFamilyToText(&buf, mf); err != nil {
						t.Fatal(err)
					}
				}
				if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.Open(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./collector -run TestFixtures -update, then review the file)", err)
			}
			defer want.Close()
			if err := testutil.CollectAndCompare(c, want); err != nil {
				t.Error(err)
			}
			if problems, err := testutil.CollectAndLint(c); err != nil || len(problems) > 0 {
				t.Errorf("lint: %v %v", problems, err)
			}
		})
	}
}
