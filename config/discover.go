package config

import (
	"errors"
	"fmt"
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

// Discover is one discover entry: every saved report that the workspace's listing shows
// (and include and exclude let through) becomes a report with the entry's defaults.
type Discover struct {
	WorkspaceID  int64          `yaml:"workspace_id"`
	APIToken     Secret         `yaml:"api_token,omitempty"`
	APITokenFile string         `yaml:"api_token_file,omitempty"`
	Interval     model.Duration `yaml:"interval"`
	Include      string         `yaml:"include,omitempty"`
	Exclude      string         `yaml:"exclude,omitempty"`
	// Defaults are the settings of every report the entry finds (no name, no token).
	Defaults Report `yaml:"defaults"`

	// Resolved.APIToken is the API token that lists the workspace (the entry's own,
	// else the global one, else $TOGGL_API_TOKEN), filled in by Load.
	Resolved         Resolved `yaml:"-" json:"-"`
	include, exclude *regexp.Regexp
}

// discover fills in the entry's secrets and defaults and checks them.
func (k *completion) discover(i int, e *Discover, fallback func() string) {
	place := fmt.Sprintf("discover[%d]", i)
	e.Resolved.APIToken = k.workspace(place, e.WorkspaceID, pair{"api_token", e.APIToken, e.APITokenFile}, e.Interval, fallback)
	e.include = k.pattern(place, "include", e.Include)
	e.exclude = k.pattern(place, "exclude", e.Exclude)
	// The reports' credentials default to the token that lists them.
	k.settings(place+": defaults", &e.Defaults, func() string { return e.Resolved.APIToken })
}

// workspace checks the settings every workspace entry (discover, members) has, and
// returns the API token that lists the workspace: its own (api), else fallback's.
func (k *completion) workspace(place string, id int64, api pair, interval model.Duration, fallback func() string) string {
	k.check(id > 0, place, "workspace_id: required, a number > 0")
	k.check(interval >= minDiscoverInterval, place, "interval: must be at least 1s")
	if api.set() {
		return k.secret(place, api, true, checkAPIToken)
	}
	token := fallback()
	if token == "" {
		k.errorf(place, nil, "api_token or api_token_file: required (or the top-level api_token, or $%s): listing a workspace needs an API token", EnvAPIToken)
	}
	return token
}

// pattern compiles the include or exclude expr to match whole names; nil
// for none. Its errors never quote expr.
func (k *completion) pattern(place, key, expr string) *regexp.Regexp {
	if expr == "" {
		return nil
	}
	re, err := regexp.Compile("^(?:" + expr + ")$")
	var se *syntax.Error
	switch {
	case errors.As(err, &se): // its Expr would quote the value
		k.errorf(place, nil, "%s: not a valid RE2 regular expression: %s", key, se.Code)
	case err != nil:
		k.errorf(place, nil, "%s: not a valid RE2 regular expression", key)
	}
	return re
}

// Lets tells whether include and exclude let through a saved report named name in Toggl.
func (e *Discover) Lets(name string) bool {
	return (e.include == nil || e.include.MatchString(name)) && (e.exclude == nil || !e.exclude.MatchString(name))
}

// Report returns the report that e makes of a saved report it listed with token: e's
// defaults, run with token; the caller names it. The error says why token is unusable,
// never quoting it.
func (e *Discover) Report(token string) (Report, error) {
	if err := checkReportToken(token); err != nil {
		return Report{}, fmt.Errorf("token: %w", err)
	}
	rep := e.Defaults
	rep.Token, rep.DiscoveredFrom = Secret(token), e.WorkspaceID
	rep.Resolved.Token = token
	rep.Breakdowns = slices.Clone(rep.Breakdowns)
	return rep, nil
}
