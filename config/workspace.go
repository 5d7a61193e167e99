package config

import (
	"errors"
	"fmt"
	"maps"
	"regexp"
	"regexp/syntax"
	"slices"
	"time"

	"github.com/prometheus/common/model"
)

// DefaultDiscoverInterval is how often a discover or members entry lists its workspace.
const DefaultDiscoverInterval = model.Duration(time.Hour)

// minDiscoverInterval is the shortest interval accepted: one listing a second is what
// Toggl's rate limit allows, and tests need no less.
const minDiscoverInterval = model.Duration(time.Second)

// maxWeekHours bounds expected hours: a week has no more.
const maxWeekHours = 168

// Workspace is what discover and members entries share: a workspace listed every
// interval with an API token.
type Workspace struct {
	WorkspaceID  int64          `yaml:"workspace_id"`
	APIToken     Secret         `yaml:"api_token,omitempty"`
	APITokenFile string         `yaml:"api_token_file,omitempty"`
	Interval     model.Duration `yaml:"interval"`

	// Resolved.APIToken is the API token that lists the workspace (the entry's own,
	// else the global one, else $TOGGL_API_TOKEN), filled in by Load.
	Resolved Resolved `yaml:"-" json:"-"`
}

// Discover is one discover entry: every saved report that the workspace's listing shows
// (and include and exclude let through) becomes a report with the entry's defaults.
type Discover struct {
	Workspace `yaml:",inline"`
	Include   string `yaml:"include,omitempty"`
	Exclude   string `yaml:"exclude,omitempty"`
	// Defaults are the settings of every report the entry finds (no name, no token).
	Defaults Report `yaml:"defaults"`
	// IncludeRE and ExcludeRE are Include and Exclude compiled to match whole names, nil
	// when unset; filled in by Load.
	IncludeRE, ExcludeRE *regexp.Regexp `yaml:"-" json:"-"`
}

// Members is one members entry: a workspace whose member list is read every interval,
// so that the reports with it as their roster list everyone, with expected hours.
type Members struct {
	Workspace `yaml:",inline"`
	// ExpectedHoursPerWeek is every member's expected time a week, but for those in
	// ExpectedHours (by user id); 0 expects nothing.
	ExpectedHoursPerWeek float64           `yaml:"expected_hours_per_week,omitempty"`
	ExpectedHours        map[int64]float64 `yaml:"expected_hours,omitempty"`
}

// workspace checks what every workspace entry has, the i-th of the list key (seen
// holds the index of each workspace listed before it), and fills in the API token that
// lists it: its own, else fallback's. It returns the entry's place.
func (k *completion) workspace(key string, i int, w *Workspace, seen map[int64]int, fallback func() string) string {
	place := fmt.Sprintf("%s[%d]", key, i)
	k.check(w.WorkspaceID > 0, place, "workspace_id: required, a number > 0")
	if j, twice := seen[w.WorkspaceID]; twice && w.WorkspaceID > 0 {
		k.errorf(place, nil, "workspace_id: listed twice (also %s[%d])", key, j)
	} else {
		seen[w.WorkspaceID] = i
	}
	k.check(w.Interval >= minDiscoverInterval, place, "interval: must be at least 1s")
	if api := (secretRef{"api_token", w.APIToken, w.APITokenFile}); api.set() {
		w.Resolved.APIToken = k.secret(place, api, apiTokenRule)
	} else if w.Resolved.APIToken = fallback(); w.Resolved.APIToken == "" {
		k.errorf(place, nil, "api_token or api_token_file: required (or the top-level api_token, or $%s): listing a workspace needs an API token", EnvAPIToken)
	}
	return place
}

// workspaces completes the discover and members entries; a discover entry of a
// workspace with members gives its reports that roster.
func (k *completion) workspaces(c *Config, fallback func() string) {
	seen := map[int64]int{}
	for i := range c.Discover {
		e := &c.Discover[i]
		place := k.workspace("discover", i, &e.Workspace, seen, fallback)
		e.IncludeRE = k.pattern(place, "include", e.Include)
		e.ExcludeRE = k.pattern(place, "exclude", e.Exclude)
		if e.Defaults.Roster == 0 && c.MembersOf(e.WorkspaceID) != nil {
			e.Defaults.Roster = e.WorkspaceID
		}
		// The reports' credentials default to the token that lists them.
		k.settings(place+": defaults", &e.Defaults, func() string { return e.Resolved.APIToken })
	}
	clear(seen)
	for i := range c.Members {
		m := &c.Members[i]
		place := k.workspace("members", i, &m.Workspace, seen, fallback)
		k.check(m.ExpectedHoursPerWeek >= 0 && m.ExpectedHoursPerWeek <= maxWeekHours, place, "expected_hours_per_week: must be from 0 to %d", maxWeekHours)
		for _, user := range slices.Sorted(maps.Keys(m.ExpectedHours)) {
			h := m.ExpectedHours[user]
			k.check(h >= 0 && h <= maxWeekHours, place, "expected_hours[%d]: must be from 0 to %d", user, maxWeekHours)
		}
	}
}

// pattern compiles the include or exclude expr to match whole names; nil
// for none. Its errors never quote expr.
func (k *completion) pattern(place, key, expr string) *regexp.Regexp {
	if expr == "" {
		return nil
	}
	re, err := regexp.Compile("^(?:" + expr + ")$")
	if se := (*syntax.Error)(nil); errors.As(err, &se) { // its Expr would quote the value
		k.errorf(place, nil, "%s: not a valid RE2 regular expression: %s", key, se.Code)
	} else if err != nil {
		k.errorf(place, nil, "%s: not a valid RE2 regular expression", key)
	}
	return re
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
