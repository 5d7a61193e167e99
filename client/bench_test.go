package client

import (
	"bytes"
	"regexp"
	"sync"
	"testing"

	"github.com/toggl-exporter/toggl_exporter/internal/testkit"
	"github.com/toggl-exporter/toggl_exporter/internal/togglfake"
)

// Decoding alone (no sink), beside the baseline json.Unmarshal into an `any` of the same
// bytes. Decoding with aggregation, scrapes and peak memory are measured in
// collector/bench_test.go; docs/performance.md has the figures.

var (
	benchMu     sync.Mutex
	benchBodies = map[string][]byte{}
)

func benchBody(typ string, entries int) []byte {
	benchMu.Lock()
	defer benchMu.Unlock()
	key := typ + string(rune(entries))
	if b, ok := benchBodies[key]; ok {
		return b
	}
	b := togglfake.LargeJSON(typ, entries)
	benchBodies[key] = b
	return b
}

func benchDecode(b *testing.B, body []byte) {
	testkit.BenchDecode(b, "decode", body, func(body []byte) error {
		_, err := Decode(bytes.NewReader(body), nil)
		return err
	})
}

// BenchmarkDecode decodes the generated reports of 10k and 100k entries of each type.
func BenchmarkDecode(b *testing.B) {
	for _, typ := range []string{"detailed", "summary", "weekly"} {
		b.Run(typ+"-10k", func(b *testing.B) { benchDecode(b, benchBody(typ, 10000)) })
		b.Run(typ+"-100k", func(b *testing.B) { benchDecode(b, benchBody(typ, 100000)) })
	}
}

// BenchmarkDecodeNumericStrings decodes a detailed report whose rows (nine in ten) send
// their project id as a string: the tolerant conversions on the same 10k entries.
func BenchmarkDecodeNumericStrings(b *testing.B) {
	body := regexp.MustCompile(`"project_id":(\d+)`).ReplaceAll(benchBody("detailed", 10000), []byte(`"project_id":"$1"`))
	rep, err := Decode(bytes.NewReader(body), nil)
	if err != nil || rep.Block != BlockDetailed {
		b.Fatal(err)
	}
	benchDecode(b, body)
}

// TestDecodeAllocationsFlat: a row allocates nothing (the decoder reuses one row value and
// its slices, see docs/performance.md), so ten times the rows cost no more allocations
// beyond the few that grow the dictionaries and buffers.
func TestDecodeAllocationsFlat(t *testing.T) {
	for _, typ := range []string{"detailed", "summary", "weekly"} {
		small, large := togglfake.LargeJSON(typ, 200), togglfake.LargeJSON(typ, 2000)
		allocs := func(body []byte) float64 {
			return testing.AllocsPerRun(2, func() {
				if _, err := Decode(bytes.NewReader(body), nil); err != nil {
					t.Fatal(err)
				}
			})
		}
		// 1,800 more entries: an allocation in every other row would add 900 or more.
		if a, b := allocs(small), allocs(large); b-a > 900 {
			t.Errorf("%s: %.0f allocations for 200 entries, %.0f for 2,000: the rows allocate", typ, a, b)
		}
	}
}
