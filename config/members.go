package config

import "github.com/prometheus/common/model"

// Members is one members entry: the people of a workspace, listed every Interval, and
// how many hours each is expected to track. A report whose Roster names the workspace
// lists every member in its user breakdowns and exports their expected time.
// Parsing and validation: see the discovery branch.
type Members struct {
	WorkspaceID int64          `yaml:"workspace_id"`
	Interval    model.Duration `yaml:"interval"`
	// ExpectedHoursPerWeek is every member's default; ExpectedHours overrides it per
	// user id. Toggl's own working_hours_in_minutes is not used: its unit is undocumented.
	ExpectedHoursPerWeek float64           `yaml:"expected_hours_per_week,omitempty"`
	ExpectedHours        map[int64]float64 `yaml:"expected_hours,omitempty"`
}

