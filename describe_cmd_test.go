package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/alecthomas/kingpin/v2"
	"github.com/go-kit/log"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/toggl-exporter/toggl_exporter/client"
	"github.com/toggl-exporter/toggl_exporter/collector"
	"github.com/toggl-exporter/toggl_exporter/config"
	"github.com/toggl-exporter/toggl_exporter/internal/togglfake"
	"github.com/toggl-exporter/toggl_exporter/server"
)

// described is the JSON `describe --json` prints (decoded strictly: a field the test does
// not know fails it).
type described struct {
	Report        string                `json:"report"`
	ReportType    string                `json:"report_type"`
	ResultBlock   string                `json:"result_block"`
	Requests      int                   `json:"requests"`
	Pages         int                   `json:"pages"`
	MaxPages      int                   `json:"max_pages"`
	Headers       map[string]int        `json:"headers"`
	Rows          int                   `json:"rows"`
	SubGroups     int                   `json:"sub_groups"`
	TimeEntries   *describedEntries     `json:"time_entries"`
	Running       *describedRunning     `json:"running_entries"`
	Seconds       *describedSeconds     `json:"seconds"`
	Dimensions    map[string]dimensions `json:"dimensions"`
	Dictionaries  map[string]int        `json:"dictionaries"`
	Quota         *describedQuota       `json:"quota"`
	UnknownFields []string              `json:"unknown_fields"`
	Error         string                `json:"error"`
}

type describedEntries struct {
	Sent      int `json:"sent"`
	Distinct  int `json:"distinct"`
	WithoutID int `json:"without_id"`
}

type describedRunning struct {
	Count int            `json:"count"`
	Shown map[string]int `json:"shown"`
}

type describedSeconds struct {
	Rows     int64 `json:"rows"`
	Totals   int64 `json:"totals"`
	Complete bool  `json:"complete"`
}

type dimensions struct {
	Used        string `json:"used"`
	From        string `json:"from"`
	Request     string `json:"request"`
	InputParams string `json:"input_params"`
	SavedParams string `json:"saved_params"`
}

type describedQuota struct {
	Remaining       *int64   `json:"remaining"`
	ResetsInSeconds *float64 `json:"resets_in_seconds"`
}

// fixtureFacts counts what a fixture holds, read with encoding/json rather than the
// exporter's decoder: what describe must say of it.
type fixtureFacts struct {
	rows, subGroups int
	entries         *describedEntries // distinct only; sent depends on the paging
	running         *describedRunning
	seconds         *describedSeconds
	dicts           map[string]int
	strs            []string // every string value of the body: none may be printed
}

func factsOf(t *testing.T, body []byte) fixtureFacts {
	t.Helper()
	var top map[string]any
	if err := json.Unmarshal(body, &top); err != nil {
		t.Fatal(err)
	}
	f := fixtureFacts{dicts: map[string]int{}, seconds: &describedSeconds{Complete: true}}
	for name, d := range top["dictionaries"].(map[string]any) {
		if name != "filters" {
			f.dicts[name] = len(d.(map[string]any))
		}
	}
	num := func(v any) int64 { n, _ := v.(float64); return int64(n) }
	block := map[string]any{}
	for _, k := range []string{"detailed_results", "summary_results", "weekly_results"} {
		if b, ok := top[k].(map[string]any); ok {
			block = b
		}
	}
	f.seconds.Totals = num(block["totals"].(map[string]any)["seconds"])
	switch report := block["report"].(type) {
	case []any: // detailed or weekly rows
		f.rows = len(report)
		for _, r := range report {
			row := r.(map[string]any)
			for _, s := range anySlice(row["seconds"]) { // weekly days
				f.seconds.Rows += num(s)
			}
			entries := anySlice(row["time_entries"])
			if entries == nil {
				continue
			}
			if f.entries == nil {
				f.entries, f.running = &describedEntries{}, &describedRunning{Shown: map[string]int{}}
			}
			for _, e := range entries {
				te := e.(map[string]any)
				f.entries.Distinct++
				secs, timed := te["seconds"].(float64)
				stop, stopped := te["stop"].(string)
				f.seconds.Rows += max(int64(secs), 0)
				if !stopped || stop == "" || !timed || secs < 0 {
					f.running.Count++
					shape := map[bool]string{true: "stop set", false: "stop null"}[stopped] + ", "
					switch {
					case !timed:
						shape += "seconds null"
					case secs < 0:
						shape += "seconds negative"
					default:
						shape += "seconds positive"
					}
					f.running.Shown[shape]++
				}
			}
		}
	case map[string]any: // summary groups
		for _, g := range report["groups"].([]any) {
			f.rows++
			for _, sg := range g.(map[string]any)["sub_groups"].([]any) {
				f.subGroups++
				f.seconds.Rows += num(sg.(map[string]any)["seconds"])
			}
		}
	}
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case string:
			f.strs = append(f.strs, v)
		case []any:
			for _, e := range v {
				walk(e)
			}
		case map[string]any:
			for _, e := range v {
				walk(e)
			}
		}
	}
	walk(top)
	return f
}

func anySlice(v any) []any { s, _ := v.([]any); return s }

// saysNothingOf fails when out holds a secret or any string value of the fixture but the
// API's own vocabulary (report types, the dimensions).
func saysNothingOf(t *testing.T, out string, f fixtureFacts, vocabulary ...string) {
	t.Helper()
	for _, s := range append(slices.Clone(secrets), f.strs...) {
		if len(s) < 4 || slices.Contains(vocabulary, s) {
			continue
		}
		if strings.Contains(out, s) {
			t.Errorf("the output holds %q from the fixture:\n%s", s, out)
		}
	}
}

func TestDescribeCommand(t *testing.T) {
	fake := togglfake.New()
	hs := httptest.NewServer(fake)
	defer hs.Close()
	body := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join("testdata", "describe", name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	detailed, summary, weekly := body("detailed.json"), body("summary.json"), body("weekly.json")
	auth := togglfake.Auth{APIToken: secretAPIToken}
	fake.Set(secretToken, togglfake.Report{Body: detailed, Auth: auth, Paging: &togglfake.Paging{Size: 3}})
	fake.Set(secretToken2, togglfake.Report{Body: summary, Auth: auth})
	fake.Set(secretToken3, togglfake.Report{Body: weekly, Auth: auth})
	cfgPath := filepath.Join(t.TempDir(), "toggl.yml")
	if err := os.WriteFile(cfgPath, fmt.Appendf(nil, `
api_url: %s
requests_per_second: 100
api_token: %s
reports:
  - name: team-detailed
    token: %s
  - name: team-summary
    token: %s
    params: {grouping: users}
  - name: team-weekly
    token: %s
`, hs.URL, secretAPIToken, secretToken, secretToken2, secretToken3), 0o600); err != nil {
		t.Fatal(err)
	}
	describeWith := func(t *testing.T, path string, limits *client.Limits, args ...string) (code int, stdout, stderr string) {
		t.Helper()
		app := kingpin.New("test", "")
		c := newDescribeCommand(app)
		if _, err := app.Parse(append([]string{"describe"}, args...)); err != nil {
			t.Fatal(err)
		}
		var out, errOut bytes.Buffer
		code = c.run(context.Background(), path, limits, &out, &errOut, time.Now())
		return code, out.String(), errOut.String()
	}
	describe := func(t *testing.T, limits *client.Limits, args ...string) (code int, stdout, stderr string) {
		t.Helper()
		return describeWith(t, cfgPath, limits, args...)
	}
	noQuota := func(d *described) { d.Quota = nil }
	const remaining = 100

	for _, tc := range []struct {
		report, fixture string
		body            []byte
		want            func(f fixtureFacts) described
		vocabulary      []string
	}{
		{"team-detailed", "detailed.json", detailed, func(f fixtureFacts) described {
			// Pages of 3 rows ordered by start: rows 3 and 4 start at the same second, so
			// the second page starts again at row 3: 8 rows and 10 entries sent.
			entries := *f.entries
			entries.Sent = entries.Distinct + 1
			return described{ReportType: "detailed", ResultBlock: "detailed_results", Requests: 3, Pages: 3, Rows: f.rows + 1,
				Headers: map[string]int{"X-Page-Size": 3, "X-Next-Timestamp": 2, "X-Next-ID": 2, "X-Next-Row-Number": 2,
					"X-Toggl-Quota-Remaining": 3, "X-Toggl-Quota-Resets-In": 3},
				TimeEntries: &entries, Running: f.running,
				UnknownFields: []string{"detailed_results.report[].approval_status", "detailed_results.report[].time_entries[].tz_name",
					"detailed_results.totals.overtime_seconds", "dictionaries.projects[].billing_contact", "report_owner_email"},
				Quota: &describedQuota{Remaining: new(int64(remaining - 3))}}
		}, []string{"detailed"}},
		{"team-summary", "summary.json", summary, func(f fixtureFacts) described {
			return described{ReportType: "summary", ResultBlock: "summary_results", Requests: 1, Pages: 1, Rows: f.rows, SubGroups: f.subGroups,
				Headers: map[string]int{"X-Toggl-Quota-Remaining": 1, "X-Toggl-Quota-Resets-In": 1},
				Dimensions: map[string]dimensions{
					"grouping":     {Used: "users", From: "request", Request: "users"},
					"sub_grouping": {Used: "projects", From: "saved_params", SavedParams: "projects"},
				},
				UnknownFields: []string{"summary_results.report.groups[].avatar_hint", "summary_results.report.groups[].sub_groups[].estimated_share"},
				Quota:         &describedQuota{Remaining: new(int64(remaining - 1))}}
		}, []string{"summary", "projects", "sub_grouping"}},
		{"team-weekly", "weekly.json", weekly, func(f fixtureFacts) described {
			return described{ReportType: "weekly", ResultBlock: "weekly_results", Requests: 1, Pages: 1, Rows: f.rows,
				Headers:       map[string]int{"X-Toggl-Quota-Remaining": 1, "X-Toggl-Quota-Resets-In": 1},
				UnknownFields: []string{"weekly_results.report[].note", "weekly_results.report[].planned_seconds"},
				Quota:         &describedQuota{Remaining: new(int64(remaining - 1))}}
		}, []string{"weekly"}},
	} {
		t.Run(tc.report, func(t *testing.T) {
			f := factsOf(t, tc.body)
			fake.SetQuota(remaining, time.Hour)
			code, stdout, stderr := describe(t, nil, "--report", tc.report, "--json")
			if code != 0 {
				t.Fatalf("exit %d; stderr:\n%s", code, stderr)
			}
			var got described
			dec := json.NewDecoder(strings.NewReader(stdout))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&got); err != nil {
				t.Fatalf("%v:\n%s", err, stdout)
			}
			want := tc.want(f)
			want.Report, want.MaxPages, want.Seconds, want.Dictionaries = tc.report, 20, f.seconds, f.dicts
			if got.Quota == nil || got.Quota.ResetsInSeconds == nil || *got.Quota.ResetsInSeconds <= 3500 {
				t.Errorf("quota = %+v, want the reset within the hour", got.Quota)
			} else {
				got.Quota.ResetsInSeconds = nil
			}
			if !reflect.DeepEqual(got, want) {
				g, _ := json.MarshalIndent(got, "", "  ")
				w, _ := json.MarshalIndent(want, "", "  ")
				t.Errorf("describe --json:\n%s\nwant:\n%s", g, w)
			}
			saysNothingOf(t, stdout, f, tc.vocabulary...)

			fake.SetQuota(0, 0) // no quota headers
			code, text, stderr := describe(t, nil, "--report", tc.report)
			if code != 0 {
				t.Fatalf("exit %d; stderr:\n%s", code, stderr)
			}
			noQuota(&want)
			for _, line := range []string{
				fmt.Sprintf("report %q: report_type %s, result block %s", tc.report, want.ReportType, want.ResultBlock),
				fmt.Sprintf("pages read: %d (max_pages 20)", want.Pages),
				fmt.Sprintf("seconds: %d summed from the rows, totals.seconds %d: complete", f.seconds.Rows, f.seconds.Totals),
				"unknown fields: " + strings.Join(want.UnknownFields, ", "),
			} {
				if !strings.Contains(text, line) {
					t.Errorf("the text lacks %q:\n%s", line, text)
				}
			}
			saysNothingOf(t, text, f, tc.vocabulary...)
		})
	}
	fake.SetQuota(0, 0)

	t.Run("landing page", func(t *testing.T) {
		// While serving, the landing page says in short what describe says in full.
		cfg, err := config.Load(cfgPath, nil)
		if err != nil {
			t.Fatal(err)
		}
		e := collector.New(collector.Options{})
		e.Apply(cfg, newClient(cfg, nil))
		col, err := e.Collector(context.Background(), "team-detailed", "team-weekly")
		if err != nil {
			t.Fatal(err)
		}
		testutil.CollectAndCount(col)
		rec := httptest.NewRecorder()
		site := server.Site{MetricsPath: "/metrics", Registry: prometheus.NewRegistry(), Exporter: e, Config: func() *config.Config { return cfg }, Logger: log.NewNopLogger()}
		site.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
		page := rec.Body.String()
		for _, want := range []string{
			"<td>3 page(s), paging headers: X-Page-Size; unknown fields: detailed_results.report[].approval_status, " +
				"detailed_results.report[].time_entries[].tz_name, detailed_results.totals.overtime_seconds (+2 more): run toggl_exporter describe</td>",
			"<td>1 page(s), paging headers: none; unknown fields: weekly_results.report[].note, weekly_results.report[].planned_seconds: run toggl_exporter describe</td>",
		} {
			if !strings.Contains(page, want) {
				t.Errorf("the landing page lacks %q:\n%s", want, page)
			}
		}
	})

	t.Run("unknown report", func(t *testing.T) {
		fake.Reset()
		code, stdout, stderr := describe(t, nil, "--report", "nope")
		if code != 1 || stdout != "" || !strings.Contains(stderr, `--report "nope": no such report`) ||
			!strings.Contains(stderr, "(have team-detailed, team-summary, team-weekly)") {
			t.Errorf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
		}
		if n := len(fake.Requests()); n != 0 {
			t.Errorf("%d requests sent", n)
		}
	})

	t.Run("discovered report", func(t *testing.T) {
		// A report that only a discover entry finds is described once the workspace is
		// listed, as the server would serve it; a configured one costs no listing.
		fake.Reset()
		fake.SetWorkspace(7, togglfake.Workspace{APIToken: secretAPIToken, Reports: []togglfake.SavedReport{
			{ID: 31, Name: "Team Weekly (listed)", Token: secretToken3, Public: true},
		}})
		path := filepath.Join(t.TempDir(), "discover.yml")
		if err := os.WriteFile(path, fmt.Appendf(nil, "api_url: %s\nrequests_per_second: 100\napi_token: %s\nreports:\n  - name: team-summary\n    token: %s\n"+
			"discover:\n  - workspace_id: 7\n", hs.URL, secretAPIToken, secretToken2), 0o600); err != nil {
			t.Fatal(err)
		}
		code, stdout, stderr := describeWith(t, path, nil, "--report", "team-weekly-listed")
		if code != 0 || !strings.Contains(stdout, `report "team-weekly-listed": report_type weekly`) {
			t.Errorf("exit %d; stdout:\n%s\nstderr:\n%s", code, stdout, stderr)
		}
		var listings, runs int
		for _, r := range fake.Requests() {
			switch {
			case r.Path != "":
				listings++
			case r.Token == secretToken3:
				runs++
			}
		}
		if listings != 1 || runs != 1 || len(fake.Requests()) != 2 {
			t.Errorf("%d listing(s), %d run(s) of the listed report, %d requests in all; want one of each", listings, runs, len(fake.Requests()))
		}

		fake.Reset()
		if code, _, stderr := describeWith(t, path, nil, "--report", "team-summary"); code != 0 || len(fake.Requests()) != 1 {
			t.Errorf("a configured report: exit %d, %d requests (want 1, no listing); stderr:\n%s", code, len(fake.Requests()), stderr)
		}

		fake.Reset()
		code, stdout, stderr = describeWith(t, path, nil, "--report", "nope")
		if code != 1 || stdout != "" || !strings.Contains(stderr, `--report "nope": no such report in `+path+` or its discover listings (have team-summary, team-weekly-listed)`) {
			t.Errorf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
		}

		fake.SetWorkspace(7, togglfake.Workspace{APIToken: "another-api-token-0123456789abcdef"})
		code, _, stderr = describeWith(t, path, nil, "--report", "team-weekly-listed")
		if code != 1 || !strings.Contains(stderr, "describe: discover[0]: listing the saved reports of workspace 7: ") || !strings.Contains(stderr, "403") {
			t.Errorf("a listing refused: exit %d, stderr %q", code, stderr)
		}
		for _, secret := range secrets {
			if strings.Contains(stderr, secret) {
				t.Errorf("stderr shows a secret: %s", stderr)
			}
		}
	})

	t.Run("backing off", func(t *testing.T) {
		// Another use of the credentials spent the quota: the client backs off until the
		// window resets, and describe sends nothing.
		fake.SetQuota(1, time.Hour)
		limits := client.NewLimits(nil)
		c := client.New(client.Options{BaseURL: hs.URL, Limits: limits})
		if _, _, err := c.Run(context.Background(), client.Request{Token: secretToken3, Credentials: client.Credentials{APIToken: secretAPIToken}}, nil); err != nil {
			t.Fatal(err)
		}
		fake.Reset()
		code, stdout, stderr := describe(t, limits, "--report", "team-summary")
		if code != 1 || !strings.Contains(stdout, "error: the report's credentials are backing off until ") ||
			!strings.Contains(stdout, ": nothing sent") || !strings.Contains(stdout, "requests sent: 0; pages read: 0") {
			t.Errorf("exit %d; stdout:\n%s\nstderr:\n%s", code, stdout, stderr)
		}
		if n := len(fake.Requests()); n != 0 {
			t.Errorf("%d requests sent", n)
		}
	})
}
