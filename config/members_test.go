package config

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"
)

func TestMembersLoad(t *testing.T) {
	const config = "api_token: " + discoverToken + "\nreports:\n  - name: team\n    token: " + savedToken + "\n    roster: 7\n" +
		"discover:\n  - workspace_id: 7\n  - workspace_id: 8\n  - workspace_id: 9\n    defaults: {roster: 7}\n" +
		"members:\n  - workspace_id: 7\n    interval: 5m\n    expected_hours_per_week: 40\n    expected_hours: {\"4242\": 20, 17: 0, 18: 7.5}\n" +
		"  - workspace_id: 8\n    api_token: memberstoken0123456789abcdef0123\n"
	c, err := Parse([]byte(config), "", envMap(nil))
	if err != nil {
		t.Fatal(err)
	}
	m := c.Members[0]
	if m.WorkspaceID != 7 || m.Interval != model.Duration(5*time.Minute) || m.Resolved.APIToken != discoverToken || m.ExpectedHoursPerWeek != 40 {
		t.Errorf("members[0] %+v", m)
	}
	for user, want := range map[int64]float64{4242: 20, 17: 0, 18: 7.5, 1: 40} {
		if got := m.WeeklyHours(user); got != want {
			t.Errorf("WeeklyHours(%d) = %v, want %v", user, got, want)
		}
	}
	if m := c.Members[1]; m.Interval != defaultInterval || m.Resolved.APIToken != "memberstoken0123456789abcdef0123" || m.WeeklyHours(1) != 0 {
		t.Errorf("members[1] %+v", m)
	}
	if c.MembersOf(8) != &c.Members[1] || c.MembersOf(9) != nil {
		t.Error("MembersOf does not find the entries")
	}
	// A discovered report gets its workspace's roster, unless its defaults name one.
	var rosters []int64
	for _, e := range c.Discover {
		rosters = append(rosters, e.Defaults.Roster)
	}
	if c.Reports[0].Roster != 7 || !slices.Equal(rosters, []int64{7, 8, 7}) {
		t.Errorf("report roster %d, discover rosters %v; want 7 and [7 8 7]", c.Reports[0].Roster, rosters)
	}
	out, err := c.Redacted()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), "memberstoken") || !strings.Contains(string(out), "members:\n  - workspace_id: 7\n    interval: 5m\n    expected_hours_per_week: 40\n    expected_hours:\n      17: 0\n      18: 7.5\n      4242: 20\n") ||
		!strings.Contains(string(out), "api_token: <secret>") || !strings.Contains(string(out), "    roster: 7\n") {
		t.Errorf("/config:\n%s", out)
	}
}

func TestMembersErrors(t *testing.T) {
	const entry = "discover:\n  - workspace_id: 7\n    api_token: " + discoverToken + "\nmembers:\n  - workspace_id: 7\n    api_token: " + discoverToken + "\n"
	tests := []struct {
		name, config string
		want         string
	}{
		{"no workspace_id", "reports: []\n" + entry + "  - api_token: " + discoverToken + "\n", "members[1]: workspace_id: required, a number > 0"},
		{"no token", entry + "  - workspace_id: 8\n", "members[1]: api_token or api_token_file: required (or the top-level api_token, or $TOGGL_API_TOKEN): listing a workspace needs an API token"},
		{"short token", entry + "  - workspace_id: 8\n    api_token: S3cret\n", "members[1]: api_token: too short (16 characters at least; real API tokens have 32)"},
		{"interval too short", entry + "    interval: 10ms\n", "members[0]: interval: must be at least 1s"},
		{"too many hours", entry + "    expected_hours_per_week: 169\n", "members[0]: expected_hours_per_week: must be from 0 to 168"},
		{"negative hours", entry + "    expected_hours_per_week: -1\n", "members[0]: expected_hours_per_week: must be from 0 to 168"},
		{"hours not a number", entry + "    expected_hours_per_week: S3cret\n", "members[0]: line 7: expected_hours_per_week: expected a number, got a string"},
		{"a user's hours", entry + "    expected_hours: {12: 200}\n", "members[0]: expected_hours[12]: must be from 0 to 168"},
		{"a user's hours not a number", entry + "    expected_hours: {12: S3cret}\n", "members[0]: line 7: expected_hours[12]: expected a number, got a string"},
		{"a user's hours null", entry + "    expected_hours: {12: null}\n", "members[0]: line 7: expected_hours[12]: expected a number, got null"},
		{"not a user id", entry + "    expected_hours: {S3cret: 2}\n", "members[0]: line 7: expected_hours: a key is not a user id (want a number > 0)"},
		{"user id 0", entry + "    expected_hours: {0: 2}\n", "members[0]: line 7: expected_hours: a key is not a user id (want a number > 0)"},
		{"expected_hours a list", entry + "    expected_hours: [1]\n", "members[0]: line 7: expected_hours: expected a mapping of user ids to hours, got a list"},
		{"twice the same workspace", entry + "  - workspace_id: 7\n    api_token: " + discoverToken + "\n", "members[1]: workspace_id: listed twice (also members[0])"},
		{"misspelt key", entry + "    expected_hour: {}\n", `members[0]: line 7: unknown field "expected_hour" (did you mean "expected_hours"?)`},
		{"not a list", entry[:strings.Index(entry, "members")] + "members: {workspace_id: 7}\n", "line 4: members: expected a list of workspaces, got a mapping"},
		{"a report's roster without members", "reports:\n  - name: a\n    token: " + savedToken + "\n    roster: 9\n" + entry, `reports[0] "a": roster: no members entry lists workspace 9`},
		{"defaults' roster without members", "discover:\n  - workspace_id: 8\n    api_token: " + discoverToken + "\n    defaults: {roster: 9}\n", "discover[0]: defaults: roster: no members entry lists workspace 9"},
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
