package collector

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/toggl-exporter/toggl_exporter/client"
	"github.com/toggl-exporter/toggl_exporter/config"
)

// FuzzAggregate aggregates arbitrary bodies with every breakdown and a small series cap
// (so that folding happens) and gathers the result as a scrape does: whatever the body,
// a report that decodes must gather, never fail the scrape of every report. The seeds
// are the client's fixtures and the collision bodies of testdata/collisions.
func FuzzAggregate(f *testing.F) {
	var seeds []string
	for _, glob := range []string{"../client/testdata/*.json", "testdata/collisions/*.json"} {
		names, err := filepath.Glob(glob)
		if err != nil {
			f.Fatal(err)
		}
		seeds = append(seeds, names...)
	}
	for _, name := range seeds {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, uint8(2))
	}
	f.Fuzz(func(t *testing.T, body []byte, maxSeries uint8) {
		agg := newAggregator(config.Report{Breakdowns: config.AllBreakdowns, MaxSeriesPerBreakdown: int(maxSeries%8) + 1})
		rep, err := client.Decode(bytes.NewReader(body), agg)
		if err != nil {
			return // the report's decode failure: the client's fuzz target checks it
		}
		snap := agg.finish(rep)
		if _, err := seriesMetrics("r", snap); err != nil {
			t.Fatalf("the series of a decoded report cannot be gathered: %v", err)
		}
		reg := prometheus.NewPedanticRegistry() // with the health metrics, as served
		reg.MustRegister(snapshotCollector{snap})
		if _, err := reg.Gather(); err != nil {
			t.Fatalf("gathering: %v", err)
		}
	})
}
