package config

import (
	"cmp"
	"errors"
	"fmt"
	"regexp"
	"regexp/syntax"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/model"
)

// DefaultDiscoverInterval is how often a discover entry lists its workspace.
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

// SavedReport is one saved report as a workspace's listing shows it (toggl-api.md,
// "Listing a workspace's saved reports").
type SavedReport struct {
	ID             int64
	Name           string // the name given in Toggl
	Token          Secret // the report token: printed, it is "<secret>"
	Public         bool
	FixedDaterange bool
	Params         map[string]any // the saved filters, as Toggl keeps them
}

// discover fills in the entry's secrets and defaults and checks them.
func (k *completion) discover(i int, e *Discover, fallback func() string) {
	place := fmt.Sprintf("discover[%d]", i)
	k.check(e.WorkspaceID > 0, place, "workspace_id: required, a number > 0")
	if api := (pair{"api_token", e.APIToken, e.APITokenFile}); api.set() {
		e.Resolved.APIToken = k.secret(place, api, true, checkAPIToken)
	} else if e.Resolved.APIToken = fallback(); e.Resolved.APIToken == "" {
		k.errorf(place, nil, "api_token or api_token_file: required (or the top-level api_token, or $%s): listing a workspace needs an API token", EnvAPIToken)
	}
	k.check(e.Interval >= minDiscoverInterval, place, "interval: must be at least 1s")
	e.include = k.pattern(place, "include", e.Include)
	e.exclude = k.pattern(place, "exclude", e.Exclude)
	// The reports' credentials default to the token that lists them.
	k.settings(place+": defaults", &e.Defaults, func() string { return e.Resolved.APIToken })
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

// WithDiscovered returns a copy of c that also holds the reports discovered by its
// entries: lists[i] is the latest listing of c.Discover[i] (nil when there is none).
// Each listed report that include and exclude let through becomes a report with the
// entry's defaults, its token and DiscoveredFrom, named by Name. A name that a
// configured report or another discovered one also has gets "-<id>" appended, so that
// names do not depend on the order of the listing. A listed report that still cannot
// have a name of its own, or whose token is unusable, is left out, with an error saying
// so (never quoting the token).
func (c *Config) WithDiscovered(lists [][]SavedReport) (*Config, []error) {
	type found struct {
		entry int
		saved SavedReport
	}
	var errs []error
	var listed []found
	slugs := map[string]int{}
	for i, e := range c.Discover[:min(len(c.Discover), len(lists))] {
		for _, s := range lists[i] {
			if e.include != nil && !e.include.MatchString(s.Name) || e.exclude != nil && e.exclude.MatchString(s.Name) {
				continue
			}
			if err := checkReportToken(string(s.Token)); err != nil {
				errs = append(errs, fmt.Errorf("discover[%d]: saved report %d %q: token: %w; left out", i, s.ID, s.Name, err))
				continue
			}
			listed = append(listed, found{i, s})
			slugs[Name(s.Name)]++
		}
	}
	out := *c
	out.Reports = slices.Clone(c.Reports)
	taken := map[string]bool{}
	for _, r := range c.Reports {
		taken[r.Name] = true
	}
	for _, f := range listed {
		name, e := Name(f.saved.Name), c.Discover[f.entry]
		if taken[name] || slugs[name] > 1 {
			name += "-" + strconv.FormatInt(f.saved.ID, 10)
		}
		if taken[name] {
			errs = append(errs, fmt.Errorf("discover[%d]: saved report %d %q: the name %s is taken; left out", f.entry, f.saved.ID, f.saved.Name, name))
			continue
		}
		taken[name] = true
		rep := e.Defaults
		rep.Name, rep.Token, rep.DiscoveredFrom = name, f.saved.Token, e.WorkspaceID
		rep.Resolved.Token = string(f.saved.Token)
		rep.Breakdowns = slices.Clone(rep.Breakdowns)
		out.Reports = append(out.Reports, rep)
	}
	return &out, errs
}

// notName matches the runs of characters that a report name made by Name
// cannot hold.
var notName = regexp.MustCompile(`[^a-z0-9_.]+`)

// Name makes a Toggl report name into a report name: lower case, every run of
// characters other than a-z 0-9 _ . one "-", none at either end; "report" when nothing
// is left.
func Name(toggl string) string {
	return cmp.Or(strings.Trim(notName.ReplaceAllString(strings.ToLower(toggl), "-"), "-"), "report")
}
