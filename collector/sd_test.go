package collector

import (
	"encoding/json"
	"net/http/httptest"
	"reflect"
	"testing"
	"time"
)

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
