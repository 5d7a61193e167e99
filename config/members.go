package config

import (
	"fmt"
	"maps"
	"slices"
	"strconv"

	"github.com/prometheus/common/model"
	"go.yaml.in/yaml/v3"
)

// maxWeekHours bounds expected hours: a week has no more.
const maxWeekHours = 168

// Members is one members entry: a workspace whose member list is read every interval,
// so that the reports with it as their roster list everyone, with expected hours.
type Members struct {
	WorkspaceID  int64          `yaml:"workspace_id"`
	APIToken     Secret         `yaml:"api_token,omitempty"`
	APITokenFile string         `yaml:"api_token_file,omitempty"`
	Interval     model.Duration `yaml:"interval"`
	// ExpectedHoursPerWeek is every member's expected time a week, but for those in
	// ExpectedHours (by user id); 0 expects nothing.
	ExpectedHoursPerWeek float64           `yaml:"expected_hours_per_week,omitempty"`
	ExpectedHours        map[int64]float64 `yaml:"expected_hours,omitempty"`

	// Resolved.APIToken is the API token that lists the members (the entry's own, else
	// the global one, else $TOGGL_API_TOKEN), filled in by Load.
	Resolved Resolved `yaml:"-" json:"-"`
}

// WeeklyHours returns the hours a week that user is expected to work.
func (m *Members) WeeklyHours(user int64) float64 {
	if h, ok := m.ExpectedHours[user]; ok {
		return h
	}
	return m.ExpectedHoursPerWeek
}

// MembersOf returns the members entry of workspace; nil when there is none.
func (c *Config) MembersOf(workspace int64) *Members {
	for i := range c.Members {
		if c.Members[i].WorkspaceID == workspace {
			return &c.Members[i]
		}
	}
	return nil
}

// members fills in and checks the members entries and the rosters that name them; a
// discover entry of a workspace with members gives its reports that roster.
func (k *completion) members(c *Config, fallback func() string) {
	for i := range c.Members {
		m := &c.Members[i]
		place := fmt.Sprintf("members[%d]", i)
		m.Resolved.APIToken = k.workspace(place, m.WorkspaceID, pair{"api_token", m.APIToken, m.APITokenFile}, m.Interval, fallback)
		k.check(m.ExpectedHoursPerWeek >= 0 && m.ExpectedHoursPerWeek <= maxWeekHours, place, "expected_hours_per_week: must be from 0 to %d", maxWeekHours)
		for _, user := range slices.Sorted(maps.Keys(m.ExpectedHours)) {
			h := m.ExpectedHours[user]
			k.check(h >= 0 && h <= maxWeekHours, place, "expected_hours[%d]: must be from 0 to %d", user, maxWeekHours)
		}
		if j := slices.IndexFunc(c.Members, func(o Members) bool { return o.WorkspaceID == m.WorkspaceID }); j < i && m.WorkspaceID > 0 {
			k.errorf(place, nil, "workspace_id: listed twice (also members[%d])", j)
		}
	}
	roster := func(place string, ws int64) {
		k.check(ws == 0 || c.MembersOf(ws) != nil, place, "roster: no members entry lists workspace %d", ws)
	}
	for i, r := range c.Reports {
		roster(reportPlace(i, r.Name), r.Roster)
	}
	for i := range c.Discover {
		e := &c.Discover[i]
		if e.Defaults.Roster == 0 && c.MembersOf(e.WorkspaceID) != nil {
			e.Defaults.Roster = e.WorkspaceID
		}
		roster(fmt.Sprintf("discover[%d]: defaults", i), e.Defaults.Roster)
	}
}

// hoursByUser decodes expected_hours, the mapping n of user ids to hours, under key.
func (d *decoder) hoursByUser(place, key string, n *yaml.Node) map[int64]float64 {
	out := map[int64]float64{}
	for _, e := range d.entries(n, place) {
		id, err := strconv.ParseInt(e.key.Value, 10, 64)
		if err != nil || id <= 0 {
			d.errorf(place, e.key, "%s: a key is not a user id (want a number > 0)", key)
			continue
		}
		if item, h := fmt.Sprintf("%s[%d]", key, id), 0.0; d.plain(place, item, e.val) {
			d.value(place, item, e.val, &h) // null too is an error: it is no number of hours
			out[id] = h
		}
	}
	return out
}
