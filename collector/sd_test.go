package collector

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// sdGroup is one target group of Prometheus' HTTP service discovery.
type sdGroup struct {
	Targets []string          `json:"targets"`
	Labels  map[string]string `json:"labels"`
}

func TestSDHandler(t *testing.T) {
	e := New(Options{Now: (&fakeClock{now: time.Unix(1_800_000_000, 0)}).Now})
	for _, tc := range []struct {
		names []string
		want  []sdGroup
	}{
		{nil, []sdGroup{}},
		{[]string{"team-week", "clients"}, []sdGroup{
			{Targets: []string{"exporter.example:9981"}, Labels: map[string]string{"__metrics_path__": "/probe", "__param_report": "team-week", "report": "team-week"}},
			{Targets: []string{"exporter.example:9981"}, Labels: map[string]string{"__metrics_path__": "/probe", "__param_report": "clients", "report": "clients"}},
		}},
	} {
		if tc.names != nil {
			e.Apply(testConfig(tc.names...), &tokenLog{})
		}
		w := httptest.NewRecorder()
		e.SDHandler().ServeHTTP(w, httptest.NewRequest("GET", "http://exporter.example:9981/sd", nil))
		if ct := w.Header().Get("Content-Type"); ct != "application/json" {
			t.Errorf("Content-Type %q", ct)
		}
		var got []sdGroup
		if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
			t.Fatalf("%v: %s", err, w.Body)
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("names %v: got %+v, want %+v", tc.names, got, tc.want)
		}
	}
}

// TestDisjointRefusesAFamilyTwice: a report family that the exporter's own registry also
// has is not served twice; the scrape says so.
func TestDisjointRefusesAFamilyTwice(t *testing.T) {
	own := prometheus.NewRegistry()
	own.MustRegister(prometheus.NewGauge(prometheus.GaugeOpts{Name: "toggl_report_up", Help: "clash"}))
	reports := prometheus.NewRegistry()
	reports.MustRegister(prometheus.NewGauge(prometheus.GaugeOpts{Name: "toggl_report_up", Help: "clash"}),
		prometheus.NewGauge(prometheus.GaugeOpts{Name: "toggl_report_tracked_seconds", Help: "fine"}))
	mfs, err := disjoint{own, reports}.Gather()
	if err == nil || !strings.Contains(err.Error(), "toggl_report_up is gathered twice") {
		t.Errorf("err = %v, want the clash named", err)
	}
	var names []string
	for _, mf := range mfs {
		names = append(names, mf.GetName())
	}
	if fmt.Sprint(names) != "[toggl_report_up toggl_report_tracked_seconds]" {
		t.Errorf("families %v, want each once", names)
	}
}
