package config

import (
	"encoding/json"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestBodyDeepCopy(t *testing.T) {
	c := mustLoad(t, "testdata/full.yml", map[string]string{"PUBLIC_TOKEN": "p1234567890abcdef1234567890p", "OWN_API_TOKEN": "o1234567890abcdef1234567890o"})
	r := reportNamed(t, c, "team-week")
	now := mustTime(t, "2024-03-31T12:00:00+02:00")

	first := r.Body(now)
	want := map[string]any{
		"billable":    true,
		"project_ids": []any{int64(1), int64(2)},
		"tag_ids":     []any{nil, int64(7)},
		"rounding":    int64(-1),
		"description": "standup",
		"start_date":  "2024-03-31", // week_start: sunday, Europe/Berlin
		"end_date":    "2024-04-06",
	}
	if !reflect.DeepEqual(first, want) {
		t.Fatalf("Body:\n got %#v\nwant %#v", first, want)
	}
	if out, err := json.Marshal(first); err != nil || !strings.Contains(string(out), `"tag_ids":[null,7]`) {
		t.Fatalf("Body marshals as %s, %v", out, err)
	}

	// Mutate everything reachable from the result.
	first["billable"] = false
	first["project_ids"].([]any)[0] = 99
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

	path := writeConfig(t, "reports:\n  - name: a\n    token: abc1234567890abcdef1234567890abc\n    params: {start_date: '2024-01-01', end_date: '2024-01-31', grouping: users}\n", nil)
	c = mustLoad(t, path, nil)
	b = c.Reports[0].Body(time.Now())
	if b["start_date"] != "2024-01-01" || b["end_date"] != "2024-01-31" || b["grouping"] != "users" {
		t.Errorf("fixed dates: %#v", b)
	}
}

func TestBodyPeriodUsesLocation(t *testing.T) {
	path := writeConfig(t, "reports:\n  - name: a\n    token: abc1234567890abcdef1234567890abc\n    period: today\n    timezone: Asia/Tokyo\n  - name: b\n    token: abc1234567890abcdef1234567890abc\n    period: last_7_days\n", nil)
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
	c := mustLoad(t, "testdata/full.yml", map[string]string{"PUBLIC_TOKEN": "p1234567890abcdef1234567890p", "OWN_API_TOKEN": "o1234567890abcdef1234567890o"})
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				b := c.Reports[0].Body(time.Now())
				b["project_ids"].([]any)[0] = nil
			}
		})
	}
	wg.Wait()
}

// TestParams checks the closed set of request parameters: every key of
// toggl-api.md but first_timestamp, each value of its kind.
func TestParams(t *testing.T) {
	path := writeConfig(t, `reports:
  - name: a
    token: abc1234567890abcdef1234567890abc
    params:
      start_date: 2024-01-01
      end_date: "2024-01-31"
      user_ids: [1]
      client_ids: []
      project_ids: [null, 2]
      task_ids: [3]
      tag_ids: [4]
      group_ids: [5]
      description: "meeting"
      billable: false
      rounding: 1
      rounding_minutes: 15
      grouped: true
      grouping: users
      sub_grouping: time_entries
`, nil)
	c := mustLoad(t, path, nil)
	out, err := json.Marshal(c.Reports[0].Body(time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"billable":false,"client_ids":[],"description":"meeting","end_date":"2024-01-31","group_ids":[5],"grouped":true,` +
		`"grouping":"users","project_ids":[null,2],"rounding":1,"rounding_minutes":15,"start_date":"2024-01-01",` +
		`"sub_grouping":"time_entries","tag_ids":[4],"task_ids":[3],"user_ids":[1]}`
	if string(out) != want {
		t.Errorf("got  %s\nwant %s", out, want)
	}
	if len(paramRules) != 15 {
		t.Errorf("%d parameters, want the 15 of toggl-api.md without first_timestamp", len(paramRules))
	}
}
