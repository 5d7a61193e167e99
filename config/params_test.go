package config

import (
	"encoding/json"
	"reflect"
	"sync"
	"testing"
	"time"
)

func TestBodyDeepCopy(t *testing.T) {
	c := mustLoad(t, "testdata/full.yml", map[string]string{"PUBLIC_TOKEN": "p", "OWN_API_TOKEN": "o"})
	r := c.ReportByName("team-week")
	now := mustTime(t, "2024-03-31T12:00:00+02:00")

	first := r.Body(now)
	want := map[string]any{
		"billable":    true,
		"project_ids": []any{1, 2},
		"nested":      map[string]any{"a": map[string]any{"b": []any{1, "x"}}},
		"start_date":  "2024-03-31", // week_start: sunday, Europe/Berlin
		"end_date":    "2024-04-06",
	}
	if !reflect.DeepEqual(first, want) {
		t.Fatalf("Body:\n got %#v\nwant %#v", first, want)
	}
	if _, err := json.Marshal(first); err != nil {
		t.Fatalf("Body does not marshal: %v", err)
	}

	// Mutate everything reachable from the result.
	first["billable"] = false
	first["project_ids"].([]any)[0] = 99
	first["nested"].(map[string]any)["a"].(map[string]any)["b"].([]any)[1] = "changed"
	first["nested"].(map[string]any)["new"] = 1
	delete(first, "start_date")

	if _, ok := r.Params["start_date"]; ok {
		t.Error("Body wrote start_date into Params")
	}
	second := r.Body(now)
	if !reflect.DeepEqual(second, want) {
		t.Errorf("mutating a Body changed the config:\n got %#v\nwant %#v", second, want)
	}
}

func TestBodyWithoutPeriod(t *testing.T) {
	c := mustLoad(t, "testdata/minimal.yml", nil)
	b := c.Reports[0].Body(time.Now())
	if b == nil || len(b) != 0 {
		t.Errorf("Body of a report without params or period: %#v, want an empty map", b)
	}
	out, _ := json.Marshal(b)
	if string(out) != "{}" {
		t.Errorf("marshals as %s", out)
	}

	path := writeConfig(t, "reports:\n  - name: a\n    token: abc\n    params: {start_date: '2024-01-01', end_date: '2024-01-31', grouping: users}\n", nil)
	c = mustLoad(t, path, nil)
	b = c.Reports[0].Body(time.Now())
	if b["start_date"] != "2024-01-01" || b["end_date"] != "2024-01-31" || b["grouping"] != "users" {
		t.Errorf("fixed dates: %#v", b)
	}
}

func TestBodyPeriodUsesLocation(t *testing.T) {
	path := writeConfig(t, "reports:\n  - name: a\n    token: abc\n    period: today\n    timezone: Asia/Tokyo\n  - name: b\n    token: abc\n    period: last_7_days\n", nil)
	c := mustLoad(t, path, nil)
	now := mustTime(t, "2024-03-10T23:30:00Z")
	if b := c.Reports[0].Body(now); b["start_date"] != "2024-03-11" || b["end_date"] != "2024-03-11" {
		t.Errorf("Tokyo: %v", b)
	}
	if b := c.Reports[1].Body(now); b["start_date"] != "2024-03-04" || b["end_date"] != "2024-03-10" {
		t.Errorf("UTC: %v", b)
	}
}

// TestBodyConcurrent runs Body from many goroutines (for -race).
func TestBodyConcurrent(t *testing.T) {
	c := mustLoad(t, "testdata/full.yml", map[string]string{"PUBLIC_TOKEN": "p", "OWN_API_TOKEN": "o"})
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				b := c.Reports[0].Body(time.Now())
				b["nested"].(map[string]any)["a"] = nil
			}
		})
	}
	wg.Wait()
}

func TestParamsNormalised(t *testing.T) {
	path := writeConfig(t, `reports:
  - name: a
    token: abc
    params:
      ids: [1, 2.5, "x", null, true]
      deep: {list: [{k: v}], big: 18446744073709551615}
`, nil)
	c := mustLoad(t, path, nil)
	out, err := json.Marshal(c.Reports[0].Body(time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"deep":{"big":18446744073709551615,"list":[{"k":"v"}]},"ids":[1,2.5,"x",null,true]}`
	if string(out) != want {
		t.Errorf("got  %s\nwant %s", out, want)
	}
}
