package collector

import (
	"strings"
	"testing"
	"time"

	"github.com/toggl-exporter/toggl_exporter/internal/togglfake"
)

// fetchSeries are the metrics that describe fetching rather than the report's figures.
var fetchSeries = []string{
	"toggl_report_up{", "toggl_report_error{", "toggl_report_fetch_failures_total{",
	"toggl_report_fetches_total{", "toggl_report_fetch_duration_seconds{",
	"toggl_api_quota_remaining{", "toggl_api_quota_reset_timestamp_seconds{",
	"toggl_report_last_success_timestamp_seconds{", "toggl_report_fetch_pages{",
	"toggl_report_refresh_interval_seconds{",
}

// valueSeries returns the series of report that carry its cached figures (values,
// info, period), with their samples.
func (x exposition) valueSeries(report string) map[string]float64 {
	out := map[string]float64{}
	for k, v := range x.values {
		if !strings.Contains(k, `report="`+report+`"`) {
			continue
		}
		fetch := false
		for _, p := range fetchSeries {
			fetch = fetch || strings.HasPrefix(k, p)
		}
		if !fetch {
			out[k] = v
		}
	}
	return out
}

// TestStaleValuesThroughTheStack: Toggl answers 500 after one good fetch. Every refresh
// fails; the last good figures are served, unchanged, with up 0 and the true
// last-success time, until they are max_stale (30m) old; then they vanish; when Toggl
// recovers they come back.
func TestStaleValuesThroughTheStack(t *testing.T) {
	s := newFaultStack(t)
	s.apply(faultConfig)
	x := s.rescrape()
	x.up(t, "faulty", faultySeconds)
	good := x.valueSeries("faulty")
	if len(good) < 8 {
		t.Fatalf("only %d value series: %v", len(good), good)
	}
	success := s.clock.Now()
	s.fake.SetFault(secretToken, togglfake.Fault{Status: 500})

	for i := 1; i <= 5; i++ { // refreshes at +6m ... +30m, all failing
		s.clock.Advance(6 * time.Minute)
		x := s.rescrape()
		x.down(t, "faulty", "500")
		x.want(t, float64(i), "toggl_report_fetch_failures_total", "faulty", "code", "500")
		x.want(t, float64(success.Unix()), "toggl_report_last_success_timestamp_seconds", "faulty")
		got := x.valueSeries("faulty")
		for k, v := range good {
			if got[k] != v {
				t.Errorf("at +%s: %s = %g, want the last good %g", s.clock.Now().Sub(success), k, got[k], v)
			}
		}
		if len(got) != len(good) {
			t.Errorf("at +%s: %d value series, want the %d last good ones", s.clock.Now().Sub(success), len(got), len(good))
		}
		x.up(t, "neighbour", neighbourSeconds)
	}
	if n := s.fake.Count(secretToken); n != 6 {
		t.Errorf("%d requests, want 6", n)
	}

	// +31m: no refresh yet (the last attempt was at +30m), but the values are too old.
	s.clock.Advance(time.Minute)
	x = s.rescrape()
	x.down(t, "faulty", "500")
	if got := x.valueSeries("faulty"); len(got) > 0 {
		t.Errorf("values older than max_stale still served: %v", got)
	}
	x.lacks(t, "toggl_report_tracked_seconds", "faulty")
	// Today the last-success time vanishes with the values (SPEC: "when the served values
	// were fetched"); if it is ever kept, for alerts on staleness, it must stay true.
	if v, ok := x.value("toggl_report_last_success_timestamp_seconds", "faulty"); ok && v != float64(success.Unix()) {
		t.Errorf("last success %g after max_stale, want the true %d", v, success.Unix())
	}
	x.want(t, 5, "toggl_report_fetch_failures_total", "faulty", "code", "500") // health stays
	x.want(t, 6, "toggl_report_fetches_total", "faulty")
	x.up(t, "neighbour", neighbourSeconds)
	if st := s.status("faulty"); st.Series != 0 || st.LastSuccess != success {
		t.Errorf("status %+v, want no series and the true last success", st)
	}

	// Toggl recovers: at the next refresh the values are back, fresh.
	s.fake.SetFault(secretToken, togglfake.Fault{})
	s.clock.Advance(5 * time.Minute)
	x = s.rescrape()
	x.up(t, "faulty", faultySeconds)
	x.want(t, float64(s.clock.Now().Unix()), "toggl_report_last_success_timestamp_seconds", "faulty")
	if got := x.valueSeries("faulty"); len(got) != len(good) {
		t.Errorf("%d value series after recovery, want %d", len(got), len(good))
	}
}
