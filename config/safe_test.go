package config

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestSafeConfigReload(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "toggl.yml")
	write := func(name, content string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	const good = "reports:\n  - name: a\n    token_file: tok\n  - name: b\n    token: ${B}\n  - name: c\n    token: abc1234567890abcdef1234567890abc\n"
	write("toggl.yml", good)
	write("tok", "token1234567890abcdef1234567890001\n")
	env := map[string]string{"B": "btoken1234567890abcdef123456789", "TOGGL_API_TOKEN": "api1234567890abcdef1234567890001"}

	reg := prometheus.NewRegistry()
	sc := NewSafeConfig(reg)
	clock := time.Unix(1700000000, 0)
	sc.now = func() time.Time { return clock }
	gauges := func() (float64, float64) {
		return testutil.ToFloat64(sc.success), testutil.ToFloat64(sc.successTime)
	}
	reload := func(wantChanged bool) *Config {
		t.Helper()
		changed, err := sc.ReloadWith(path, envMap(env), nil)
		if err != nil {
			t.Fatalf("ReloadWith: %v", err)
		}
		if changed != wantChanged {
			t.Fatalf("changed = %v, want %v", changed, wantChanged)
		}
		return sc.Get()
	}

	if sc.Get() != nil {
		t.Fatal("Get before the first load is not nil")
	}
	first := reload(true)
	if first == nil || first.Reports[0].Resolved.Token != "token1234567890abcdef1234567890001" {
		t.Fatalf("first load: %+v", first)
	}
	if ok, ts := gauges(); ok != 1 || ts != 1700000000 {
		t.Errorf("gauges after success: %v %v", ok, ts)
	}

	// Unchanged: skipped, same pointer; the timestamp still moves.
	clock = clock.Add(time.Minute)
	if got := reload(false); got != first {
		t.Error("unchanged reload replaced the config")
	}
	if ok, ts := gauges(); ok != 1 || ts != 1700000060 {
		t.Errorf("gauges after unchanged reload: %v %v", ok, ts)
	}

	// Invalid file: error, old config kept, success 0, timestamp kept.
	write("toggl.yml", good+"    colour: blue\n")
	clock = clock.Add(time.Minute)
	changed, err := sc.ReloadWith(path, envMap(env), nil)
	if err == nil || changed || !strings.Contains(err.Error(), `unknown field "colour"`) {
		t.Errorf("invalid reload: %v %v", changed, err)
	}
	if sc.Get() != first {
		t.Error("invalid reload replaced the config")
	}
	if ok, ts := gauges(); ok != 0 || ts != 1700000060 {
		t.Errorf("gauges after failure: %v %v", ok, ts)
	}

	// Back to the same content: nothing to change, but success again.
	write("toggl.yml", good)
	if got := reload(false); got != first {
		t.Error("restored file replaced the config")
	}
	if ok, _ := gauges(); ok != 1 {
		t.Error("success gauge not restored")
	}

	// A secret file changes: reload.
	write("tok", "token1234567890abcdef1234567890002\n")
	second := reload(true)
	if second == first || second.Reports[0].Resolved.Token != "token1234567890abcdef1234567890002" {
		t.Error("changed token file not picked up")
	}
	// Only whitespace around it changes: the trimmed content is what counts.
	write("tok", " token1234567890abcdef1234567890002 \n\n")
	reload(false)

	// An environment variable changes: reload.
	env["B"] = "btoken1234567890abcdef12345678902"
	if got := reload(true); got.Reports[1].Resolved.Token != "btoken1234567890abcdef12345678902" {
		t.Error("changed variable not picked up")
	}
	env["TOGGL_API_TOKEN"] = "api1234567890abcdef1234567890002"
	if got := reload(true); got.Reports[2].Resolved.APIToken != "api1234567890abcdef1234567890002" {
		t.Error("changed TOGGL_API_TOKEN not picked up")
	}
	// A variable the configuration does not use: no change.
	env["UNUSED"] = "x"
	reload(false)

	// A secret file disappears: error, old config kept.
	os.Remove(filepath.Join(dir, "tok"))
	cur := sc.Get()
	if _, err := sc.ReloadWith(path, envMap(env), nil); err == nil || sc.Get() != cur {
		t.Errorf("missing secret file: %v", err)
	}

	if problems, err := testutil.GatherAndLint(reg); err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %v", problems, err)
	}
	if n, err := testutil.GatherAndCount(reg, "toggl_exporter_config_last_reload_successful",
		"toggl_exporter_config_last_reload_success_timestamp_seconds"); err != nil || n != 2 {
		t.Errorf("registered metrics: %d %v", n, err)
	}
}

func TestSafeConfigNilRegistry(t *testing.T) {
	sc := NewSafeConfig(nil)
	if _, err := sc.ReloadWith("testdata/minimal.yml", nil, nil); err != nil {
		t.Fatal(err)
	}
	if sc.Get() == nil {
		t.Fatal("no config")
	}
}

// TestSafeConfigConcurrent reloads while readers read (for -race).
func TestSafeConfigConcurrent(t *testing.T) {
	sc := NewSafeConfig(prometheus.NewRegistry())
	path := writeConfig(t, "reports:\n  - name: a\n    token: abc1234567890abcdef1234567890abc\n", nil)
	if _, err := sc.ReloadWith(path, nil, nil); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			for j := range 50 {
				if i%2 == 0 {
					os.WriteFile(path, []byte("reports:\n  - name: a\n    token: abc1234567890abcdef1234567890abc"+strings.Repeat("d", j%3)+"\n"), 0o600)
					sc.ReloadWith(path, nil, nil)
				} else if c := sc.Get(); c == nil || len(c.Reports) != 1 {
					t.Error("reader saw no config")
				}
			}
		})
	}
	wg.Wait()
}

func TestSafeConfigReloadData(t *testing.T) {
	sc := NewSafeConfig(nil)
	changed, err := sc.ReloadData([]byte("reports:\n  - name: demo\n    token: demo1234567890abcdef1234567890de\n"), "", envMap(nil))
	if err != nil || !changed || sc.Get().Reports[0].Resolved.Token != "demo1234567890abcdef1234567890de" {
		t.Fatalf("ReloadData = %v, %v; config %+v", changed, err, sc.Get())
	}
	if testutil.ToFloat64(sc.success) != 1 {
		t.Errorf("success gauge not set")
	}
	if changed, err := sc.ReloadData([]byte("reports:\n  - name: demo\n    token: demo1234567890abcdef1234567890de\n"), "", envMap(nil)); err != nil || changed {
		t.Errorf("same data again: changed %v, %v", changed, err)
	}
	old := sc.Get()
	if _, err := sc.ReloadData([]byte("reports: ["), "", envMap(nil)); err == nil || sc.Get() != old || testutil.ToFloat64(sc.success) != 0 {
		t.Errorf("invalid data: err %v, config kept %v, gauge %v", err, sc.Get() == old, testutil.ToFloat64(sc.success))
	}
}
