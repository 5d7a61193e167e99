package config

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"
)

const (
	discoverToken = "listingtoken0123456789abcdef0123"
	savedToken    = "savedreporttoken0123456789abcdef"
)

func TestDiscoverLoad(t *testing.T) {
	tests := []struct {
		name, config string
		env          map[string]string
		check        func(t *testing.T, c *Config)
	}{
		{"smallest: a workspace and a token", "discover:\n  - workspace_id: 1234567\n    api_token: ${TOK}\n",
			map[string]string{"TOK": discoverToken}, func(t *testing.T, c *Config) {
				e := c.Discover[0]
				if len(c.Reports) != 0 || e.WorkspaceID != 1234567 || e.Interval != defaultInterval || e.Resolved.APIToken != discoverToken {
					t.Errorf("entry %+v, reports %d", e, len(c.Reports))
				}
				d := e.Defaults
				if !slices.Equal(d.Breakdowns, DefaultBreakdowns) || d.MinRefreshInterval != model.Duration(5*time.Minute) || d.Resolved.APIToken != discoverToken || d.Resolved.Location != time.UTC {
					t.Errorf("defaults %+v", d)
				}
			}},
		{"token from the environment, defaults of their own", "discover:\n  - workspace_id: 1\n    interval: 1s\n    include: 'Team.*'\n    defaults:\n      breakdowns: [tags]\n      period: last_7_days\n      min_refresh_interval: 10m\n      max_stale: 1h\n",
			map[string]string{envAPIToken: discoverToken}, func(t *testing.T, c *Config) {
				e := c.Discover[0]
				if e.Interval != model.Duration(time.Second) || e.Resolved.APIToken != discoverToken {
					t.Errorf("entry %+v", e)
				}
				d := e.Defaults
				if !slices.Equal(d.Breakdowns, []string{"tags"}) || d.Resolved.Period.String() != "last_7_days" || d.MinRefreshInterval != model.Duration(10*time.Minute) {
					t.Errorf("defaults %+v", d)
				}
			}},
		{"reports with their own credentials", "api_token: " + discoverToken + "\ndiscover:\n  - workspace_id: 1\n    defaults: {email: a@example.com, password: pw}\n",
			nil, func(t *testing.T, c *Config) {
				if r := c.Discover[0].Defaults.Resolved; r.APIToken != "" || r.Email != "a@example.com" || c.Discover[0].Resolved.APIToken != discoverToken {
					t.Errorf("resolved %v", r)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse([]byte(tt.config), "", envMap(tt.env))
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, c)
			out, err := c.Redacted()
			if err != nil || strings.Contains(string(out), discoverToken) {
				t.Errorf("Redacted: %v\n%s", err, out)
			}
		})
	}
}

func TestDiscoverErrors(t *testing.T) {
	const entry = "discover:\n  - workspace_id: 7\n    api_token: " + discoverToken + "\n"
	tests := []struct {
		name, config string
		want         string
	}{
		{"no workspace_id", "discover:\n  - api_token: " + discoverToken + "\n", "discover[0]: workspace_id: required, a number > 0"},
		{"negative workspace_id", "discover:\n  - workspace_id: -3\n    api_token: " + discoverToken + "\n", "discover[0]: workspace_id: required, a number > 0"},
		{"workspace_id not a number", "discover:\n  - workspace_id: seven\n", "discover[0]: line 2: workspace_id: expected an integer, got a string"},
		{"no token", "discover:\n  - workspace_id: 7\n", "discover[0]: api_token or api_token_file: required (or the top-level api_token, or $TOGGL_API_TOKEN): listing a workspace needs an API token"},
		{"short token", "discover:\n  - workspace_id: 7\n    api_token: short\n", "discover[0]: api_token: too short (16 characters at least; real API tokens have 32)"},
		{"interval too short", entry + "    interval: 500ms\n", "discover[0]: interval: must be at least 1s"},
		{"bad include", entry + "    include: '(S3cret'\n", "discover[0]: include: not a valid RE2 regular expression: missing closing )"},
		{"bad exclude", entry + "    exclude: 'S3cret**'\n", "discover[0]: exclude: not a valid RE2 regular expression: invalid nested repetition operator"},
		{"name in defaults", entry + "    defaults: {name: x}\n", `discover[0]: defaults: line 4: unknown field "name" (discovery sets it from the listing)`},
		{"token in defaults", entry + "    defaults: {token_file: /x}\n", `discover[0]: defaults: line 4: unknown field "token_file" (discovery sets it from the listing)`},
		{"discovered_from_workspace in defaults", entry + "    defaults: {discovered_from_workspace: 3}\n", `discover[0]: defaults: line 4: unknown field "discovered_from_workspace"`},
		{"bad defaults", entry + "    defaults: {breakdowns: [colors]}\n", "discover[0]: defaults: line 4: breakdowns[0]: unknown breakdown (want projects, users, clients, tags, tasks, project_users)"},
		{"typo in a defaults value", entry + "    defaults:\n      period: last_moth\n", `discover[0]: defaults: line 5: period: unknown period (want today, yesterday, this_week, last_week, this_month, last_month, this_year, last_year, last_7_days, last_30_days or last_N_days) (did you mean "last_month"?)`},
		{"typo in a defaults key", entry + "    defaults:\n      breakdown: [tags]\n", `discover[0]: defaults: line 5: unknown field "breakdown" (did you mean "breakdowns"?)`},
		{"defaults not a mapping", entry + "    defaults: [projects]\n", "discover[0]: line 4: defaults: expected a mapping of report settings, got a list"},
		{"report key in an entry", entry + "    breakdowns: [tags]\n", `discover[0]: line 4: unknown field "breakdowns" (a report setting: put it under defaults)`},
		{"misspelt key", entry + "    intervall: 1m\n", `discover[0]: line 4: unknown field "intervall" (did you mean "interval"?)`},
		{"twice the same workspace", entry + "  - workspace_id: 7\n    api_token: " + discoverToken + "\n", "discover[1]: workspace_id: listed twice (also discover[0])"},
		{"not a list", "discover: {workspace_id: 7}\n", "line 1: discover: expected a list of workspaces, got a mapping"},
		{"discovered_from_workspace in a report", "reports:\n  - name: a\n    token: " + savedToken + "\n    discovered_from_workspace: 7\n", `reports[0] "a": line 4: unknown field "discovered_from_workspace"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.config), "", envMap(nil))
			got := errorLines(err)
			if !slices.Contains(got, tt.want) {
				t.Errorf("missing message\n  %s\ngot:\n  %s", tt.want, strings.Join(got, "\n  "))
			}
			if err != nil && strings.Contains(err.Error(), "S3cret") {
				t.Errorf("the error quotes a value: %v", err)
			}
		})
	}
}
