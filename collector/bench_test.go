package collector

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sync"
	"testing"

	"github.com/toggl-exporter/toggl_exporter/client"
	"github.com/toggl-exporter/toggl_exporter/client/togglfake"
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

var benchTypes = []string{togglfake.TypeDetailed, togglfake.TypeSummary, togglfake.TypeWeekly}

type benchBody struct {
	body []byte
	exp  togglfake.Expected
}

var (
	benchBodiesMu sync.Mutex
	benchBodies   = map[string]benchBody{}
)

// largeBody returns the generated report of typ with n entries, generated once per run.
func largeBody(typ string, n int) ([]byte, togglfake.Expected) {
	benchBodiesMu.Lock()
	defer benchBodiesMu.Unlock()
	key := fmt.Sprint(typ, n)
	bb, ok := benchBodies[key]
	if !ok {
		bb.body, bb.exp = togglfake.LargeJSON(typ, togglfake.LargeSpec(n))
		benchBodies[key] = bb
	}
	return bb.body, bb.exp
}

// decodeAggregate is what a fetch does with a body: decode it into an Aggregator, finish.
func decodeAggregate(body []byte) (*Snapshot, error) {
	agg := NewAggregator(AggregateOptions{})
	rep, err := client.Decode(bytes.NewReader(body), agg)
	if err != nil {
		return nil, err
	}
	return agg.Finish(rep), nil
}

// checkSnapshot fails unless s holds the figures the generator promised.
func checkSnapshot(tb testing.TB, s *Snapshot, exp togglfake.Expected) {
	tb.Helper()
	var tracked, projects float64
	nProjects := 0
	for _, sr := range s.series {
		switch sr.metric {
		case mTracked:
			tracked = sr.value
		case mProjectTracked:
			projects += sr.value
			nProjects++
		}
	}
	if tracked != float64(exp.Seconds) || projects != float64(exp.Seconds) || nProjects != len(exp.ProjectSeconds) {
		tb.Fatalf("tracked %v s, projects sum to %v s over %d; want %d s over %d",
			tracked, projects, nProjects, exp.Seconds, len(exp.ProjectSeconds))
	}
	if s.Entities != exp.Rows {
		tb.Fatalf("%d rows, want %d", s.Entities, exp.Rows)
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
				b.Run("decode+aggregate", func(b *testing.B) {
					b.SetBytes(int64(len(body)))
					b.ReportAllocs()
					for b.Loop() {
						if _, err := decodeAggregate(body); err != nil {
							b.Fatal(err)
						}
					}
				})
				b.Run("baseline=json.Unmarshal-any", func(b *testing.B) {
					b.SetBytes(int64(len(body)))
					b.ReportAllocs()
					for b.Loop() {
						var v any
						if err := json.Unmarshal(body, &v); err != nil {
							b.Fatal(err)
						}
					}
				})
			})
		}
	}
}
