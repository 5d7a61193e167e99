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
				if len(c.Reports) != 0 || e.WorkspaceID != 1234567 || e.Interval != DefaultDiscoverInterval || e.Resolved.APIToken != discoverToken {
					t.Errorf("entry %+v, reports %d", e, len(c.Reports))
				}
				d := e.Defaults
				if !slices.Equal(d.Breakdowns, DefaultBreakdowns) || d.MinRefreshInterval != DefaultMinRefreshInterval || d.Resolved.APIToken != discoverToken || d.Resolved.Location != time.UTC {
					t.Errorf("defaults %+v", d)
				}
			}},
		{"token from the environment, defaults of their own", "discover:\n  - workspace_id: 1\n    interval: 1s\n    include: 'Team.*'\n    defaults:\n      breakdowns: [tags]\n      period: last_7_days\n      min_refresh_interval: 10m\n      max_stale: 1h\n",
			map[string]string{EnvAPIToken: discoverToken}, func(t *testing.T, c *Config) {
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

func TestName(t *testing.T) {
	for in, want := range map[string]string{
		"team-week":                 "team-week",
		"Team Week":                 "team-week",
		"  Clients — last month!  ": "clients-last-month",
		"a - b":                     "a-b",
		"v1.2_final":                "v1.2_final",
		"Café":                      "caf",
		"":                          "report",
		"???":                       "report",
		"日本":                        "report",
	} {
		if got := Name(in); got != want {
			t.Errorf("Name(%q) = %q, want %q", in, got, want)
		}
		if !validName.MatchString(Name(in)) {
			t.Errorf("Name(%q) = %q is not a valid report name", in, Name(in))
		}
	}
}

func TestWithDiscovered(t *testing.T) {
	const config = "api_token: " + discoverToken + "\nreports:\n  - name: team-week\n    token: " + savedToken + "\n  - name: taken-9\n    token: " + savedToken + "\n  - name: taken\n    token: " + savedToken + "\n" +
		"discover:\n  - workspace_id: 11\n    exclude: '(?i)private.*'\n    defaults: {breakdowns: [tags, users]}\n  - workspace_id: 22\n    include: 'Dup|Other'\n"
	c, err := Parse([]byte(config), "", envMap(nil))
	if err != nil {
		t.Fatal(err)
	}
	tok := func(i int) Secret { return Secret(strings.Repeat(string(rune('a'+i)), 32)) }
	lists := [][]SavedReport{
		{
			{ID: 1, Name: "Team Week", Token: tok(1)}, // clashes with a configured report
			{ID: 2, Name: "Clients / Month", Token: tok(2)},
			{ID: 3, Name: "Dup", Token: tok(3)}, // clashes with a report of the other entry
			{ID: 4, Name: "Private notes", Token: tok(4)},
			{ID: 5, Name: "bad token", Token: "short"},
			{ID: 9, Name: "Taken", Token: tok(9)}, // taken, and taken-9 too
		},
		{
			{ID: 6, Name: "Dup", Token: tok(6)},
			{ID: 7, Name: "Other", Token: tok(7)},
			{ID: 8, Name: "Filtered out", Token: tok(8)},
		},
	}
	got, errs := c.WithDiscovered(lists)
	type rep struct {
		name       string
		token      string
		breakdowns []string
		from       int64
	}
	var reps []rep
	for _, r := range got.Reports {
		reps = append(reps, rep{r.Name, r.Resolved.Token, r.Breakdowns, r.DiscoveredFrom})
		if r.DiscoveredFrom != 0 && (r.Resolved.APIToken != discoverToken || r.Token.String() != "<secret>" || r.Resolved.Location == nil) {
			t.Errorf("%s: resolved %v, token %q", r.Name, r.Resolved, r.Token)
		}
	}
	tags, dflt := []string{"tags", "users"}, DefaultBreakdowns
	want := []rep{
		{"team-week", savedToken, dflt, 0},
		{"taken-9", savedToken, dflt, 0},
		{"taken", savedToken, dflt, 0},
		{"team-week-1", string(tok(1)), tags, 11},
		{"clients-month", string(tok(2)), tags, 11},
		{"dup-3", string(tok(3)), tags, 11},
		{"dup-6", string(tok(6)), dflt, 22},
		{"other", string(tok(7)), dflt, 22},
	}
	if !slices.EqualFunc(reps, want, func(a, b rep) bool {
		return a.name == b.name && a.token == b.token && slices.Equal(a.breakdowns, b.breakdowns) && a.from == b.from
	}) {
		t.Errorf("reports:\n got %v\nwant %v", reps, want)
	}
	wantErrs := []string{
		`discover[0]: saved report 5 "bad token": token: too short (16 characters at least; real report tokens have 32); left out`,
		`discover[0]: saved report 9 "Taken": the name taken-9 is taken; left out`,
	}
	var gotErrs []string
	for _, e := range errs {
		gotErrs = append(gotErrs, e.Error())
	}
	if !slices.Equal(gotErrs, wantErrs) {
		t.Errorf("errors:\n got %q\nwant %q", gotErrs, wantErrs)
	}
	if len(c.Reports) != 3 {
		t.Errorf("WithDiscovered changed the configuration it was called on: %d reports", len(c.Reports))
	}

	out, err := got.Redacted()
	if err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		if strings.Contains(string(out), string(tok(i))) {
			t.Errorf("/config shows a listed token:\n%s", out)
		}
	}
	if !strings.Contains(string(out), "name: clients-month\n    token: <secret>\n") || !strings.Contains(string(out), "discovered_from_workspace: 11") {
		t.Errorf("/config does not show the discovered reports as such:\n%s", out)
	}

	// Nothing listed yet: the configured reports only.
	if got, errs := c.WithDiscovered(nil); len(got.Reports) != 3 || errs != nil {
		t.Errorf("WithDiscovered(nil) = %d reports, %v", len(got.Reports), errs)
	}
}
