package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"
	"go.yaml.in/yaml/v3"
)

// envMap turns a map into a lookupEnv function.
func envMap(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}
}

// writeConfig writes the configuration and its side files into a fresh
// directory and returns the configuration's path.
func writeConfig(t *testing.T, config string, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, "toggl.yml")
	if err := os.WriteFile(path, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// reportNamed returns the report called name.
func reportNamed(t *testing.T, c *Config, name string) *Report {
	t.Helper()
	for i := range c.Reports {
		if c.Reports[i].Name == name {
			return &c.Reports[i]
		}
	}
	t.Fatalf("no report %q", name)
	return nil
}

func mustLoad(t *testing.T, path string, env map[string]string) *Config {
	t.Helper()
	c, err := Load(path, envMap(env))
	if err != nil {
		t.Fatalf("Load(%s): %v", path, err)
	}
	return c
}

// errorLines splits a joined error into its messages.
func errorLines(err error) []string {
	if err == nil {
		return nil
	}
	var out []string
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			out = append(out, errorLines(e)...)
		}
		return out
	}
	return []string{err.Error()}
}

const ok = "  - name: ok\n    token: abc1234567890abcdef1234567890abc\n"

// loadErrorTests are invalid configurations and the messages they give.
var loadErrorTests = []struct {
	name   string
	config string
	files  map[string]string
	env    map[string]string
	want   []string // each must be one of the messages ({{dir}} is the config's directory)
	count  int      // if > 0, the exact number of messages
}{
	{
		name:   "unknown top-level key with line",
		config: "api_url: https://x.example\nfoo: 1\nreports:\n" + ok,
		want:   []string{`line 2: unknown field "foo"`},
		count:  1,
	},
	{
		name:   "unknown report key with line and place",
		config: "reports:\n  - name: a\n    token: abc1234567890abcdef1234567890abc\n    colour: blue\n",
		want:   []string{`reports[0] "a": line 4: unknown field "colour"`},
		count:  1,
	},
	{
		name:   "typo gets a suggestion",
		config: "reports:\n  - name: a\n    tokn_file: x\n    token: abc1234567890abcdef1234567890abc\n",
		want:   []string{`reports[0] "a": line 3: unknown field "tokn_file" (did you mean "token_file"?)`},
	},
	{
		name:   "report key at top level",
		config: "token: abc1234567890abcdef1234567890abc\nreports:\n" + ok,
		want:   []string{`line 1: unknown field "token" (a report setting: put it under a report)`},
	},
	{
		name:   "global key in a report",
		config: "reports:\n  - name: a\n    token: abc1234567890abcdef1234567890abc\n    max_concurrent_fetches: 3\n",
		want:   []string{`reports[0] "a": line 4: unknown field "max_concurrent_fetches" (a global setting: put it at the top level)`},
	},
	{
		name:   "request parameter in a report",
		config: "reports:\n  - name: a\n    token: abc1234567890abcdef1234567890abc\n    billable: true\n",
		want:   []string{`reports[0] "a": line 4: unknown field "billable" (a request parameter: put it under params)`},
	},
	{
		name:   "key set twice",
		config: "reports:\n  - name: a\n    token: abc1234567890abcdef1234567890abc\n    name: b\n",
		want:   []string{`reports[0] "a": line 4: "name" set twice (first at line 2)`},
	},
	{
		name:   "missing token file",
		config: "reports:\n  - name: ok\n    token: abc1234567890abcdef1234567890abc\n  - name: b\n    token: abc1234567890abcdef1234567890abc\n  - name: team-week\n    token_file: missing\n",
		want:   []string{`reports[2] "team-week": token_file: open {{dir}}/missing: no such file or directory`},
		count:  1,
	},
	{
		name:   "duplicate names",
		config: "reports:\n  - name: a\n    token: abc1234567890abcdef1234567890abc\n  - name: a\n    token: abc1234567890abcdef1234567890abc\n  - name: b\n    token: abc1234567890abcdef1234567890abc\n  - name: a\n    token: abc1234567890abcdef1234567890abc\n",
		want:   []string{`reports[0] "a": duplicate name (also reports[1], reports[3])`},
		count:  1,
	},
	{
		name:   "invalid global duration",
		config: "min_refresh_interval: 5x\nreports:\n" + ok,
		want:   []string{`line 1: min_refresh_interval: not a valid duration (want e.g. 30s, 5m or 1h30m)`},
	},
	{
		name:   "duration without unit in a report",
		config: "reports:\n  - name: a\n    token: abc1234567890abcdef1234567890abc\n    timeout: 30\n",
		want:   []string{`reports[0] "a": line 4: timeout: not a valid duration (want e.g. 30s, 5m or 1h30m)`},
	},
	{
		name:   "negative duration",
		config: "timeout: -5s\nreports:\n" + ok,
		want:   []string{`line 1: timeout: not a valid duration (want e.g. 30s, 5m or 1h30m)`},
	},
	{
		name:   "wrong types",
		config: "max_concurrent_fetches: many\nrequests_per_second: [1]\nreports:\n  - name: [a]\n    token: abc1234567890abcdef1234567890abc\n    breakdowns: projects\n",
		want: []string{
			`line 1: max_concurrent_fetches: expected an integer, got a string`,
			`line 2: requests_per_second: expected a number, got a list`,
			`reports[0]: line 4: name: expected a string, got a list`,
			`reports[0]: line 6: breakdowns: expected a list of strings, got a string`,
		},
		count: 4,
	},
	{
		name:   "list item not a string",
		config: "reports:\n  - name: a\n    token: abc1234567890abcdef1234567890abc\n    breakdowns: [projects, {a: 1}]\n",
		want:   []string{`reports[0] "a": line 4: breakdowns[1]: expected a string, got a mapping`},
		count:  1,
	},
	{
		name:   "reports not a list",
		config: "reports:\n  name: a\n",
		want:   []string{`line 2: reports: expected a list of reports, got a mapping`},
	},
	{
		name:   "report not a mapping",
		config: "reports:\n  - a\n",
		want:   []string{`reports[0]: line 2: expected a mapping (name: ..., token_file: ...), got a string`},
	},
	{
		name:   "invalid name",
		config: "reports:\n  - name: team week/1\n    token: abc1234567890abcdef1234567890abc\n",
		want:   []string{`reports[0]: name: must match [A-Za-z0-9_.-]+`},
		count:  1,
	},
	{
		name:   "name required",
		config: "reports:\n" + ok + ok + ok + "  - token: abc1234567890abcdef1234567890abc\n",
		want:   []string{`reports[3]: name: required`},
	},
	{
		name:   "token and token_file",
		config: "reports:\n  - name: a\n    token: abc1234567890abcdef1234567890abc\n    token_file: t\n",
		files:  map[string]string{"t": "abc"},
		want:   []string{`reports[0] "a": token and token_file: set only one`},
		count:  1,
	},
	{
		name:   "no token",
		config: "reports:\n  - name: a\n",
		want:   []string{`reports[0] "a": token or token_file: required`},
	},
	{
		name:   "two kinds of credentials",
		config: "reports:\n" + ok + "  - name: x\n    token: abc1234567890abcdef1234567890abc\n    api_token: t\n    email: a@example.com\n    password: p\n",
		want:   []string{`reports[1] "x": at most one kind of credentials: api_token and email`},
		count:  1,
	},
	{
		name:   "api_token_file and password_file",
		config: "reports:\n  - name: x\n    token: abc1234567890abcdef1234567890abc\n    api_token_file: t\n    password_file: p\n",
		want:   []string{`reports[0] "x": at most one kind of credentials: api_token_file and password_file`},
	},
	{
		name:   "email without password",
		config: "reports:\n" + ok + "  - name: x\n    token: abc1234567890abcdef1234567890abc\n    email: a@example.com\n",
		want:   []string{`reports[1] "x": email requires password or password_file`},
		count:  1,
	},
	{
		name:   "password without email",
		config: "reports:\n  - name: x\n    token: abc1234567890abcdef1234567890abc\n    password_file: p\n",
		want:   []string{`reports[0] "x": password_file requires email`},
	},
	{
		name:   "not an email",
		config: "reports:\n  - name: x\n    token: abc1234567890abcdef1234567890abc\n    email: nobody\n    password: p\n",
		want:   []string{`reports[0] "x": email: not an e-mail address (want user@domain)`},
	},
	{
		name:   "both api_token and api_token_file",
		config: "api_token: a\napi_token_file: b\nreports:\n  - name: x\n    token: abc1234567890abcdef1234567890abc\n    api_token: a\n    api_token_file: b\n",
		want: []string{
			`api_token and api_token_file: set only one`,
			`reports[0] "x": api_token and api_token_file: set only one`,
		},
		count: 2,
	},
	{
		name:   "bad period",
		config: "reports:\n  - name: x\n    token: abc1234567890abcdef1234567890abc\n    period: fortnight\n",
		want:   []string{`reports[0] "x": line 4: period: unknown period (want today, yesterday, this_week, last_week, this_month, last_month, this_year, last_year, last_7_days, last_30_days or last_N_days)`},
	},
	{
		name: "typos in values",
		config: "reports:\n  - name: x\n    token: abc1234567890abcdef1234567890abc\n    period: this_weak\n    week_start: Mondya\n" +
			"    breakdowns:\n      - projets\n      - Users\n",
		want: []string{
			`reports[0] "x": line 4: period: unknown period (want today, yesterday, this_week, last_week, this_month, last_month, this_year, last_year, last_7_days, last_30_days or last_N_days) (did you mean "this_week"?)`,
			`reports[0] "x": line 5: week_start: unknown weekday (want monday, tuesday, ..., sunday) (did you mean "monday"?)`,
			`reports[0] "x": line 7: breakdowns[0]: unknown breakdown (want projects, users, clients, tags, tasks, project_users) (did you mean "projects"?)`,
			`reports[0] "x": line 8: breakdowns[1]: unknown breakdown (want projects, users, clients, tags, tasks, project_users) (did you mean "users"?)`,
		},
		count: 4,
	},
	{
		name:   "period N out of range",
		config: "reports:\n  - name: x\n    token: abc1234567890abcdef1234567890abc\n    period: last_0_days\n  - name: y\n    token: abc1234567890abcdef1234567890abc\n    period: last_9999_days\n",
		want: []string{
			`reports[0] "x": line 4: period: last_N_days: N must be between 1 and 3660`,
			`reports[1] "y": line 7: period: last_N_days: N must be between 1 and 3660`,
		},
	},
	{
		name:   "bad timezone",
		config: "reports:\n  - name: x\n    token: abc1234567890abcdef1234567890abc\n    timezone: Mars/Olympus_Mons\n  - name: y\n    token: abc1234567890abcdef1234567890abc\n    timezone: Local\n",
		want: []string{
			`reports[0] "x": timezone: unknown time zone (want an IANA name such as Europe/Berlin)`,
			`reports[1] "y": timezone: want an IANA name such as Europe/Berlin, not Local`,
		},
	},
	{
		name:   "bad week_start",
		config: "reports:\n  - name: x\n    token: abc1234567890abcdef1234567890abc\n    week_start: funday\n",
		want:   []string{`reports[0] "x": line 4: week_start: unknown weekday (want monday, tuesday, ..., sunday) (did you mean "sunday"?)`},
	},
	{
		name:   "bad breakdowns",
		config: "reports:\n  - name: x\n    token: abc1234567890abcdef1234567890abc\n    breakdowns: [projects, workspaces, projects]\n",
		want: []string{
			`reports[0] "x": line 4: breakdowns[1]: unknown breakdown (want projects, users, clients, tags, tasks, project_users)`,
			`reports[0] "x": line 4: breakdowns[2]: listed twice (also breakdowns[0])`,
		},
		count: 2,
	},
	{
		name:   "negative and zero max_series_per_breakdown",
		config: "reports:\n  - name: x\n    token: abc1234567890abcdef1234567890abc\n    max_series_per_breakdown: -1\n  - name: y\n    token: abc1234567890abcdef1234567890abc\n    max_series_per_breakdown: 0\n",
		want: []string{
			`reports[0] "x": max_series_per_breakdown: must be >= 1`,
			`reports[1] "y": max_series_per_breakdown: must be >= 1`,
		},
	},
	{
		name:   "unset variable",
		config: "reports:\n  - name: a\n    token: ${TEAM_TOKEN}\n",
		want:   []string{`reports[0] "a": token: environment variable "TEAM_TOKEN" is not set`},
	},
	{
		name:   "malformed variable reference",
		config: "api_token: ${1X}\nreports:\n  - name: a\n    token: ab${TEAM\n",
		want: []string{
			`api_token: malformed "${...}" reference: want ${NAME} with NAME made of letters, digits and _ (write "$${" for a literal "${")`,
			`reports[0] "a": token: unterminated "${" (write "$${" for a literal "${")`,
		},
	},
	{
		name:   "variable set but empty",
		config: "reports:\n  - name: a\n    token: ${EMPTY}\n",
		env:    map[string]string{"EMPTY": " "},
		want:   []string{`reports[0] "a": token: empty value`},
	},
	{
		name:   "global max_stale below min_refresh_interval",
		config: "min_refresh_interval: 10m\nmax_stale: 5m\nreports:\n" + ok,
		want:   []string{`max_stale: must be >= min_refresh_interval`},
		count:  1,
	},
	{
		name:   "report max_stale below min_refresh_interval",
		config: "reports:\n  - name: a\n    token: abc1234567890abcdef1234567890abc\n    min_refresh_interval: 1h\n  - name: b\n    token: abc1234567890abcdef1234567890abc\n    max_stale: 1m\n",
		want: []string{
			`reports[0] "a": max_stale (the top level's) must be >= min_refresh_interval`,
			`reports[1] "b": max_stale must be >= min_refresh_interval (the top level's)`,
		},
		count: 2,
	},
	{
		name:   "global values out of range",
		config: "min_refresh_interval: 0s\ntimeout: 0\nmax_response_bytes: 0\nrequests_per_second: 0\nmax_concurrent_fetches: 0\nreports:\n" + ok,
		want: []string{
			`min_refresh_interval: must be > 0`,
			`timeout: must be > 0`,
			`max_response_bytes: must be > 0`,
			`requests_per_second: must be a finite number > 0`,
			`max_concurrent_fetches: must be >= 1`,
		},
		count: 5,
	},
	{
		name:   "infinite rate",
		config: "requests_per_second: .inf\nreports:\n" + ok,
		want:   []string{`requests_per_second: must be a finite number > 0`},
	},
	{
		name:   "bad size",
		config: "max_response_bytes: 64XB\nreports:\n" + ok,
		want:   []string{`line 1: max_response_bytes: not a valid size (want e.g. 64MiB, 500KB or a number of bytes)`},
	},
	{
		name:   "api_url",
		config: "api_url: /relative\nreports:\n" + ok,
		want:   []string{`api_url: want an absolute http:// or https:// URL`},
	},
	{
		name:   "api_url scheme",
		config: "api_url: ftp://x.example\nreports:\n" + ok,
		want:   []string{`api_url: want an absolute http:// or https:// URL`},
	},
	{
		name:   "api_url query",
		config: "api_url: https://x.example/?a=b\nreports:\n" + ok,
		want:   []string{`api_url: must not have a query or a fragment`},
	},
	{
		name:   "no reports",
		config: "api_url: https://x.example\n",
		want:   []string{`reports: at least one report required (or a discover entry)`},
	},
	{
		name:   "empty reports",
		config: "reports: []\n",
		want:   []string{`reports: at least one report required (or a discover entry)`},
	},
	{
		name:   "empty file",
		config: "# nothing\n",
		want:   []string{`reports: required (the configuration is empty; or list a workspace under discover)`},
	},
	{
		name:   "not a mapping",
		config: "- reports\n",
		want:   []string{`line 1: the configuration must be a mapping (api_url: ..., reports: [...]), got a list`},
	},
	{
		name:   "two documents",
		config: "reports:\n" + ok + "---\nreports: []\n",
		want:   []string{`line 4: a second YAML document: the configuration must be a single document`},
	},
	{
		name:   "syntax error",
		config: "reports:\n\t- name: a\n",
		want:   []string{`line 2: a tab in the indentation; indent with spaces`},
	},
	{
		name:   "empty secret file",
		config: "reports:\n  - name: a\n    token_file: empty\n  - name: b\n    token_file: blank\n",
		files:  map[string]string{"empty": "", "blank": " \n\t\n"},
		want: []string{
			`reports[0] "a": token_file: {{dir}}/empty is empty`,
			`reports[1] "b": token_file: {{dir}}/blank is empty`,
		},
	},
	{
		name:   "secret file is a directory",
		config: "reports:\n  - name: a\n    token_file: sub\n",
		files:  map[string]string{"sub/x": "x"},
		want:   []string{`reports[0] "a": token_file: {{dir}}/sub: not a regular file`},
	},
	{
		name:   "period with start_date",
		config: "reports:\n  - name: a\n    token: abc1234567890abcdef1234567890abc\n    period: today\n    params: {start_date: '2024-01-01', billable: true}\n",
		want:   []string{`reports[0] "a": params.start_date: cannot be combined with period, which sets it at every fetch`},
		count:  1,
	},
	{
		name:   "params dates",
		config: "reports:\n  - name: a\n    token: abc1234567890abcdef1234567890abc\n    params: {start_date: 2024-13-01}\n",
		want:   []string{`reports[0] "a": line 4: params.start_date: expected a date YYYY-MM-DD, got a string`},
	},
	{
		name:   "params dates reversed",
		config: "reports:\n  - name: b\n    token: abc1234567890abcdef1234567890abc\n    params: {start_date: '2024-02-01', end_date: '2024-01-01'}\n",
		want:   []string{`reports[0] "b": params: end_date is before start_date`},
	},
	{
		name: "params closed set",
		config: "reports:\n  - name: a\n    token: abc1234567890abcdef1234567890abc\n    params:\n      first_timestamp: 1\n      projcet_ids: [1]\n      colour: red\n" +
			"      user_ids: [x]\n      billable: \"yes\"\n      rounding: 2\n      grouping: tags\n      sub_grouping: [users]\n      tag_ids: 5\n      rounding_minutes: -1\n      description: {a: b}\n",
		want: []string{
			`reports[0] "a": line 5: params.first_timestamp: the exporter pages by itself; remove it`,
			`reports[0] "a": line 6: params: unknown field "projcet_ids" (did you mean "project_ids"?)`,
			`reports[0] "a": line 7: params: unknown field "colour"`,
			`reports[0] "a": line 8: params.user_ids: expected a list of integer ids, got a list`,
			`reports[0] "a": line 9: params.billable: expected true or false, got a string`,
			`reports[0] "a": line 10: params.rounding: expected -1, 0 or 1, got an integer`,
			`reports[0] "a": line 11: params.grouping: expected projects, users or clients, got a string`,
			`reports[0] "a": line 12: params.sub_grouping: expected time_entries, users, clients, projects or tasks, got a list`,
			`reports[0] "a": line 13: params.tag_ids: expected a list of integer ids, got an integer`,
			`reports[0] "a": line 14: params.rounding_minutes: expected an integer >= 0, got an integer`,
			`reports[0] "a": line 15: params.description: expected a string, got a mapping`,
		},
		count: 11,
	},
	{
		name:   "params not a mapping",
		config: "reports:\n  - name: a\n    token: abc1234567890abcdef1234567890abc\n    params: [billable]\n",
		want:   []string{`reports[0] "a": line 4: params: expected a mapping, got a list`},
	},
	{
		name:   "max_pages",
		config: "reports:\n  - name: a\n    token: abc1234567890abcdef1234567890abc\n    max_pages: 0\n",
		want:   []string{`reports[0] "a": max_pages: must be >= 1`},
		count:  1,
	},
	{
		name:   "max_pages kind",
		config: "reports:\n  - name: team-week\n    token: abc1234567890abcdef1234567890abc\n    max_pages: 2.5\n  - name: b\n    token: abc1234567890abcdef1234567890abc\n    max_pages: many\n",
		want: []string{
			`reports[0] "team-week": line 4: max_pages: expected an integer, got a number`,
			`reports[1] "b": line 7: max_pages: expected an integer, got a string`,
		},
		count: 2,
	},
	{
		name:   "short tokens",
		config: "api_token: shortapitoken\nreports:\n  - name: a\n    token: abc123\n  - name: b\n    token_file: t\n    api_token: x\n",
		files:  map[string]string{"t": "0123456789abcde\n"},
		want: []string{
			`api_token: too short (16 characters at least; real API tokens have 32)`,
			`reports[0] "a": token: too short (16 characters at least; real report tokens have 32)`,
			`reports[1] "b": token_file: too short (16 characters at least; real report tokens have 32)`,
			`reports[1] "b": api_token: too short (16 characters at least; real API tokens have 32)`,
		},
		count: 4,
	},
	{
		name:   "short environment token",
		config: "reports:\n  - name: a\n    token: abc1234567890abcdef1234567890abc\n",
		env:    map[string]string{"TOGGL_API_TOKEN": "abc"},
		want:   []string{`environment variable TOGGL_API_TOKEN: too short (16 characters at least; real API tokens have 32)`},
	},
	{
		name:   "bad merge",
		config: "reports:\n  - <<: [a]\n    name: x\n    token: abc1234567890abcdef1234567890abc\n",
		want:   []string{`reports[0] "x": line 2: <<: expected a mapping, got a string`},
	},
}

// loadErrorConfigs returns the configurations of loadErrorTests.
func loadErrorConfigs() []string {
	var out []string
	for _, tt := range loadErrorTests {
		out = append(out, tt.config)
	}
	return out
}

func TestLoadErrors(t *testing.T) {
	for _, tt := range loadErrorTests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeConfig(t, tt.config, tt.files)
			c, err := Load(path, envMap(tt.env))
			if err == nil {
				t.Fatalf("Load: no error, config %+v", c)
			}
			if c != nil {
				t.Errorf("Load returned a config with an error")
			}
			got := errorLines(err)
			dir := filepath.Dir(path)
			for _, w := range tt.want {
				w = strings.ReplaceAll(w, "{{dir}}", dir)
				if !slices.Contains(got, w) {
					t.Errorf("missing message\n  %s\ngot:\n  %s", w, strings.Join(got, "\n  "))
				}
			}
			if tt.count > 0 && len(got) != tt.count {
				t.Errorf("got %d messages, want %d:\n  %s", len(got), tt.count, strings.Join(got, "\n  "))
			}
		})
	}
}

// TestLoadErrorsFixture checks a fixture with several unknown keys: all are
// reported, each with its line.
func TestLoadErrorsFixture(t *testing.T) {
	_, err := Load("testdata/unknown-keys.yml", envMap(nil))
	want := []string{
		`line 2: unknown field "tiemout" (did you mean "timeout"?)`,
		`reports[0] "team-week": line 6: unknown field "colour"`,
		`reports[0] "team-week": line 7: unknown field "billable" (a request parameter: put it under params)`,
		`reports[1] "other": line 10: unknown field "max_response_bytes" (a global setting: put it at the top level)`,
	}
	if got := errorLines(err); !reflect.DeepEqual(got, want) {
		t.Errorf("got\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.yml"), nil)
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("got %v, want a not-exist error", err)
	}
}

func TestDefaults(t *testing.T) {
	c := mustLoad(t, "testdata/minimal.yml", nil)
	wantGlobal := Config{
		APIURL:               "https://api.track.toggl.com",
		MinRefreshInterval:   model.Duration(5 * time.Minute),
		MaxStale:             model.Duration(30 * time.Minute),
		Timeout:              model.Duration(30 * time.Second),
		MaxResponseBytes:     64 << 20,
		RequestsPerSecond:    1,
		MaxConcurrentFetches: 8,
		// hourly_quota unset: learned from Toggl's headers
		ClosedRefreshInterval: model.Duration(time.Hour),
	}
	got := *c
	got.Reports, got.fingerprint = nil, [32]byte{}
	if !reflect.DeepEqual(got, wantGlobal) {
		t.Errorf("globals:\n got %+v\nwant %+v", got, wantGlobal)
	}
	r := c.Reports[0]
	if r.Timezone != "UTC" || r.WeekStart != "monday" || r.MaxSeriesPerBreakdown != 500 || r.MaxPages != 20 ||
		!slices.Equal(r.Breakdowns, []string{"projects", "users"}) || r.Period != "" {
		t.Errorf("report defaults: %+v", r)
	}
	if r.MinRefreshInterval != c.MinRefreshInterval || r.MaxStale != c.MaxStale || r.Timeout != c.Timeout {
		t.Errorf("report timing not inherited: %+v", r)
	}
	res := r.Resolved
	if res.Location != time.UTC || res.WeekStart != time.Monday || !res.Period.IsZero() || res.Token != "abc1234567890abcdef1234567890abc" ||
		res.APIToken != "" || res.Email != "" || res.Password != "" {
		t.Errorf("resolved: %#v", res)
	}
	// The default breakdowns are a copy: changing one report's cannot
	// change the defaults.
	c.Reports[0].Breakdowns[0] = "changed"
	if DefaultBreakdowns[0] != "projects" {
		t.Error("DefaultBreakdowns shares its array with a report")
	}
}

func TestFull(t *testing.T) {
	env := map[string]string{"PUBLIC_TOKEN": "publictoken00000000000000000001", "OWN_API_TOKEN": "  ownapitoken0000000000000000001\n"}
	c := mustLoad(t, "testdata/full.yml", env)
	if c.APIURL != "https://toggl.example.com/proxy" {
		t.Errorf("api_url %q: want the trailing slash trimmed", c.APIURL)
	}
	if c.MaxResponseBytes != 500*1024 || c.RequestsPerSecond != 0.5 || c.MaxConcurrentFetches != 4 ||
		c.Timeout != model.Duration(20*time.Second) {
		t.Errorf("globals: %+v", c)
	}
	if len(c.Reports) != 4 {
		t.Fatalf("%d reports", len(c.Reports))
	}
	berlin, _ := time.LoadLocation("Europe/Berlin")

	tw := reportNamed(t, c, "team-week")
	if tw.Resolved.Token != "teamweektoken000000000000000001" {
		t.Errorf("team-week token %q: want the file's content, trimmed", tw.Resolved.Token)
	}
	if tw.Resolved.APIToken != "globalapitoken0000000000000001" {
		t.Errorf("team-week api token %q: want the global api_token_file's content", tw.Resolved.APIToken)
	}
	if tw.Resolved.Period.String() != "this_week" || tw.Resolved.Location.String() != berlin.String() ||
		tw.Resolved.WeekStart != time.Sunday || tw.WeekStart != "sunday" {
		t.Errorf("team-week calendar: %v %v %v", tw.Resolved.Period, tw.Resolved.Location, tw.Resolved.WeekStart)
	}
	if tw.MinRefreshInterval != model.Duration(15*time.Minute) || tw.MaxStale != model.Duration(time.Hour) ||
		!slices.Equal(tw.Breakdowns, []string{"projects", "users", "tags"}) || tw.MaxSeriesPerBreakdown != 100 || tw.MaxPages != 5 {
		t.Errorf("team-week settings: %+v", tw)
	}

	pub := reportNamed(t, c, "public.report")
	if pub.Resolved.Token != env["PUBLIC_TOKEN"] || pub.Resolved.APIToken != "globalapitoken0000000000000001" {
		t.Errorf("public.report: %#v", pub.Resolved)
	}
	if pub.Token != "${PUBLIC_TOKEN}" {
		t.Errorf("the raw field should keep the reference, got %q", string(pub.Token))
	}

	em := reportNamed(t, c, "by_email")
	if em.Resolved.APIToken != "" || em.Resolved.Email != "ops@example.com" || em.Resolved.Password != "pass word:with colon" {
		t.Errorf("by_email: %q %q %q", em.Resolved.APIToken, em.Resolved.Email, em.Resolved.Password)
	}
	if em.MaxStale != model.Duration(2*time.Hour) || em.Timeout != model.Duration(5*time.Second) ||
		em.MinRefreshInterval != model.Duration(10*time.Minute) {
		t.Errorf("by_email timing: %+v", em)
	}
	if !slices.Equal(em.Breakdowns, []string{"project_users", "clients"}) {
		t.Errorf("by_email breakdowns %v", em.Breakdowns)
	}

	if pub.MaxPages != DefaultMaxPages {
		t.Errorf("public.report max_pages %d, want the default", pub.MaxPages)
	}

	own := reportNamed(t, c, "own-api")
	if own.Resolved.APIToken != "ownapitoken0000000000000000001" {
		t.Errorf("own-api api token %q: want the variable's value, trimmed", own.Resolved.APIToken)
	}
	if own.Breakdowns == nil || len(own.Breakdowns) != 0 {
		t.Errorf("own-api breakdowns %#v: want explicitly empty", own.Breakdowns)
	}
}

func TestMerge(t *testing.T) {
	c := mustLoad(t, "testdata/merge.yml", nil)
	d := reportNamed(t, c, "derived")
	if d.Resolved.Token != "def1234567890abcdef1234567890def" || d.Timezone != "Europe/Berlin" || d.Period != "last_7_days" || d.Params["billable"] != true {
		t.Errorf("derived: %+v", d)
	}
	// The merged params are a separate map from the base's.
	d.Params["billable"] = false
	if reportNamed(t, c, "base").Params["billable"] != true {
		t.Error("merged params share the base's map")
	}
}

func TestSecretResolution(t *testing.T) {
	tests := []struct {
		name   string
		config string // one report named "r"; global settings before it
		files  map[string]string
		env    map[string]string
		want   Resolved // only Token, APIToken, Email, Password compared
	}{
		{
			name:   "token file trimmed, relative to the config",
			config: "reports:\n  - name: r\n    token_file: secrets/t\n",
			files:  map[string]string{"secrets/t": "\n\t tok1234567890abcdef1234567890123 \r\n"},
			want:   Resolved{Token: "tok1234567890abcdef1234567890123"},
		},
		{
			name:   "variable in the middle and escaped dollar",
			config: "reports:\n  - name: r\n    token: tok1234567890abcdef1234567890tok\n    email: a@example.com\n    password: pre-${PW}-$${NOT}-$x-post\n",
			env:    map[string]string{"PW": "p@ss"},
			want:   Resolved{Token: "tok1234567890abcdef1234567890tok", Email: "a@example.com", Password: "pre-p@ss-${NOT}-$x-post"},
		},
		{
			name:   "password file keeps inner spaces",
			config: "reports:\n  - name: r\n    token: tok1234567890abcdef1234567890tok\n    email: a@example.com\n    password_file: pw\n",
			files:  map[string]string{"pw": "  two words \n"},
			want:   Resolved{Token: "tok1234567890abcdef1234567890tok", Email: "a@example.com", Password: "two words"},
		},
		{
			name:   "report api token beats global and environment",
			config: "api_token: global1234567890abcdef1234567890glo\nreports:\n  - name: r\n    token: tok1234567890abcdef1234567890tok\n    api_token_file: own\n",
			files:  map[string]string{"own": "own1234567890abcdef1234567890own\n"},
			env:    map[string]string{"TOGGL_API_TOKEN": "env1234567890abcdef1234567890env"},
			want:   Resolved{Token: "tok1234567890abcdef1234567890tok", APIToken: "own1234567890abcdef1234567890own"},
		},
		{
			name:   "global api token beats environment",
			config: "api_token: ${G}\nreports:\n  - name: r\n    token: tok1234567890abcdef1234567890tok\n",
			env:    map[string]string{"G": "global1234567890abcdef1234567890glo", "TOGGL_API_TOKEN": "env1234567890abcdef1234567890env"},
			want:   Resolved{Token: "tok1234567890abcdef1234567890tok", APIToken: "global1234567890abcdef1234567890glo"},
		},
		{
			name:   "global api token file",
			config: "api_token_file: g\nreports:\n  - name: r\n    token: tok1234567890abcdef1234567890tok\n",
			files:  map[string]string{"g": "global1234567890abcdef1234567890glo\n"},
			want:   Resolved{Token: "tok1234567890abcdef1234567890tok", APIToken: "global1234567890abcdef1234567890glo"},
		},
		{
			name:   "environment fallback",
			config: "reports:\n  - name: r\n    token: tok1234567890abcdef1234567890tok\n",
			env:    map[string]string{"TOGGL_API_TOKEN": " env1234567890abcdef1234567890env\n"},
			want:   Resolved{Token: "tok1234567890abcdef1234567890tok", APIToken: "env1234567890abcdef1234567890env"},
		},
		{
			name:   "empty environment variable means none",
			config: "reports:\n  - name: r\n    token: tok1234567890abcdef1234567890tok\n",
			env:    map[string]string{"TOGGL_API_TOKEN": ""},
			want:   Resolved{Token: "tok1234567890abcdef1234567890tok"},
		},
		{
			name:   "email report takes no fallback",
			config: "api_token: global1234567890abcdef1234567890glo\nreports:\n  - name: r\n    token: tok1234567890abcdef1234567890tok\n    email: a@example.com\n    password: pw\n",
			env:    map[string]string{"TOGGL_API_TOKEN": "env1234567890abcdef1234567890env"},
			want:   Resolved{Token: "tok1234567890abcdef1234567890tok", Email: "a@example.com", Password: "pw"},
		},
		{
			name:   "public report, no credentials anywhere",
			config: "reports:\n  - name: r\n    token: tok1234567890abcdef1234567890tok\n",
			want:   Resolved{Token: "tok1234567890abcdef1234567890tok"},
		},
		{
			name:   "absolute path",
			config: "reports:\n  - name: r\n    token_file: {{dir}}/abs\n",
			files:  map[string]string{"abs": "absolute1234567890abcdef123456789"},
			want:   Resolved{Token: "absolute1234567890abcdef123456789"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, content := range tt.files {
				p := filepath.Join(dir, name)
				os.MkdirAll(filepath.Dir(p), 0o755)
				if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			path := filepath.Join(dir, "toggl.yml")
			os.WriteFile(path, []byte(strings.ReplaceAll(tt.config, "{{dir}}", dir)), 0o600)
			// Run from elsewhere: relative paths must not depend on the
			// working directory.
			t.Chdir(t.TempDir())
			c := mustLoad(t, path, tt.env)
			got := c.Reports[0].Resolved
			got = Resolved{Token: got.Token, APIToken: got.APIToken, Email: got.Email, Password: got.Password}
			if got != tt.want {
				t.Errorf("got  %q %q %q %q\nwant %q %q %q %q", got.Token, got.APIToken, got.Email, got.Password,
					tt.want.Token, tt.want.APIToken, tt.want.Email, tt.want.Password)
			}
		})
	}
}

// TestEnvironmentDefault checks that a nil lookupEnv reads the process
// environment, and a given one is used instead of it.
func TestEnvironmentDefault(t *testing.T) {
	t.Setenv("TOGGL_API_TOKEN", "fromprocess1234567890abcdef12345")
	t.Setenv("TEST_REPORT_TOKEN", "tokenfromprocess")
	data := []byte("reports:\n  - name: r\n    token: ${TEST_REPORT_TOKEN}\n")
	c, err := Parse(data, ".", nil)
	if err != nil {
		t.Fatal(err)
	}
	if r := c.Reports[0].Resolved; r.APIToken != "fromprocess1234567890abcdef12345" || r.Token != "tokenfromprocess" {
		t.Errorf("nil lookupEnv: %q %q", r.APIToken, r.Token)
	}
	c, err = Parse(data, ".", envMap(map[string]string{"TOGGL_API_TOKEN": "fromfunc1234567890abcdef12345678", "TEST_REPORT_TOKEN": "tokfromfunc1234567890abcdef12345"}))
	if err != nil {
		t.Fatal(err)
	}
	if r := c.Reports[0].Resolved; r.APIToken != "fromfunc1234567890abcdef12345678" || r.Token != "tokfromfunc1234567890abcdef12345" {
		t.Errorf("given lookupEnv: %q %q", r.APIToken, r.Token)
	}
}

// TestNoSecretInErrors feeds malformed secrets through every path and
// checks that no message ever shows them.
func TestNoSecretInErrors(t *testing.T) {
	secrets := []string{"S3CRETFILETOKEN", "S3CRETENVVALUE", "S3CRETPASSWORD", "S3CRETAPITOKEN", "S3CRETLITERAL", "S3CRETURLPASS", "S3CRETFALLBACK"}
	config := `api_url: https://user:S3CRETURLPASS@toggl.example.com/
api_token: "S3CRETAPITOKEN with spaces"
max_concurrent_fetches: S3CRETLITERALINT
reports:
  - name: file-token
    token_file: tokfile
  - name: env-token
    token: ${MALFORMED}
  - name: pw
    token: abc1234567890abcdef1234567890abc
    email: a@example.com
    password_file: pwfile
  - name: literal
    token: "S3CRETLITERAL/with?bad#chars"
  - name: apitok
    token: abc1234567890abcdef1234567890abc
    api_token: "${MALFORMED}"
`
	files := map[string]string{
		"tokfile": "S3CRETFILETOKEN is not:a token\n",
		"pwfile":  "S3CRETPASSWORD\nsecond line\n",
	}
	env := map[string]string{"MALFORMED": "S3CRETENVVALUE with: spaces", "TOGGL_API_TOKEN": "S3CRETFALLBACK:x"}
	check := func(t *testing.T, err error) {
		t.Helper()
		if err == nil {
			t.Fatal("no error")
		}
		for _, s := range secrets {
			if strings.Contains(err.Error(), s) {
				t.Errorf("error shows secret %s:\n%v", s, err)
			}
		}
	}
	// Structural errors first (the bad integer) ...
	path := writeConfig(t, config, files)
	_, err := Load(path, envMap(env))
	check(t, err)
	if !strings.Contains(err.Error(), "line 3: max_concurrent_fetches: expected an integer, got a string") {
		t.Errorf("unexpected: %v", err)
	}
	// ... then, with that fixed, the secrets themselves.
	path = writeConfig(t, strings.Replace(config, "S3CRETLITERALINT", "2", 1)+"  - name: fallback\n    token: abc1234567890abcdef1234567890abc\n", files)
	_, err = Load(path, envMap(env))
	check(t, err)
	for _, w := range []string{
		"api_url: must not hold credentials (use api_token_file)",
		"api_token: not a valid API token (contains whitespace, a control character or ':')",
		`reports[0] "file-token": token_file: not a valid report token`,
		`reports[1] "env-token": token: not a valid report token`,
		`reports[2] "pw": password_file: contains a control character (several lines in the file?)`,
		`reports[3] "literal": token: not a valid report token`,
		`reports[4] "apitok": api_token: not a valid API token`,
	} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("missing %q in\n%v", w, err)
		}
	}
	for _, tt := range []struct{ why, config, want string }{
		{"the fallback is only consulted when no global token is set", "reports:\n  - name: a\n    token: abc1234567890abcdef1234567890abc\n",
			"environment variable TOGGL_API_TOKEN: not a valid API token"},
		{"a secret in a non-string place", "reports:\n  - name: a\n    token: {S3CRETLITERAL: 1}\n    password: [S3CRETPASSWORD]\n", ""},
		{"a URL that does not parse", "api_url: \"https://u:S3CRETURLPASS@exa mple.com\"\nreports:\n  - name: a\n    token: abc1234567890abcdef1234567890abc\n", ""},
	} {
		_, err = Load(writeConfig(t, tt.config, nil), envMap(env))
		check(t, err)
		if !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: unexpected: %v", tt.why, err)
		}
	}
}

// secretConfig has every kind of secret as a literal.
const secretConfig = `api_token: GLOBALAPITOKENLITERAL
reports:
  - name: a
    token: REPORTTOKENLITERAL
    api_token: REPORTAPITOKENLITERAL
  - name: b
    token: ${B_TOKEN}
    email: someone@example.com
    password: PASSWORDLITERAL
  - name: c
    token_file: tokenfile
    api_token_file: apifile
  - name: d
    token: REPORTTOKENLITERAL2
    email: someone@example.com
    password_file: pwfile
`

var secretValues = []string{"GLOBALAPITOKENLITERAL", "REPORTTOKENLITERAL", "REPORTAPITOKENLITERAL", "PASSWORDLITERAL",
	"BTOKENFROMENV0123456789", "TOKENFROMFILE0123456789", "APITOKENFROMFILE0123456789", "PASSWORDFROMFILE"}

func loadSecretConfig(t *testing.T) *Config {
	t.Helper()
	path := writeConfig(t, secretConfig, map[string]string{
		"tokenfile": "TOKENFROMFILE0123456789", "apifile": "APITOKENFROMFILE0123456789", "pwfile": "PASSWORDFROMFILE",
	})
	return mustLoad(t, path, map[string]string{"B_TOKEN": "BTOKENFROMENV0123456789"})
}

func TestRedacted(t *testing.T) {
	c := loadSecretConfig(t)
	out, err := c.Redacted()
	if err != nil {
		t.Fatal(err)
	}
	s := string(out)
	for _, v := range secretValues {
		if strings.Contains(s, v) {
			t.Errorf("Redacted shows %s:\n%s", v, s)
		}
	}
	if n := strings.Count(s, "<secret>"); n != 6 {
		t.Errorf("%d <secret>, want 6:\n%s", n, s)
	}
	for _, w := range []string{"token_file: tokenfile", "api_token_file: apifile", "password_file: pwfile",
		"email: someone@example.com", "max_response_bytes: 64MiB", "min_refresh_interval: 5m", "timezone: UTC"} {
		if !strings.Contains(s, w) {
			t.Errorf("Redacted lacks %q:\n%s", w, s)
		}
	}
	// What Redacted renders is a configuration this package accepts
	// structurally: no field it would reject as unknown.
	if err := decode(out, &Config{}); err != nil {
		t.Errorf("Redacted output does not decode: %v", err)
	}
	// The full fixture renders its values.
	full := mustLoad(t, "testdata/full.yml", map[string]string{"PUBLIC_TOKEN": "p1234567890abcdef1234567890p", "OWN_API_TOKEN": "o1234567890abcdef1234567890o"})
	out, err = full.Redacted()
	if err != nil {
		t.Fatal(err)
	}
	var back map[string]any
	if err := yaml.Unmarshal(out, &back); err != nil {
		t.Fatal(err)
	}
	if back["max_response_bytes"] != "500KiB" || back["api_url"] != "https://toggl.example.com/proxy" {
		t.Errorf("Redacted full: %s", out)
	}
}

// TestSecretsNeverPrinted checks fmt and JSON renderings of a loaded
// configuration.
func TestSecretsNeverPrinted(t *testing.T) {
	c := loadSecretConfig(t)
	js, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{
		fmt.Sprintf("%v", c), fmt.Sprintf("%+v", c), fmt.Sprintf("%#v", c), fmt.Sprint(c.Reports),
		fmt.Sprintf("%v", c.Reports[0].Resolved), c.Reports[1].Token.String(), string(js),
	} {
		for _, v := range secretValues {
			if strings.Contains(s, v) {
				t.Errorf("shows %s: %s", v, s)
			}
		}
	}
	if Secret("").String() != "" || Secret("x").String() != "<secret>" {
		t.Error("Secret.String")
	}
}
