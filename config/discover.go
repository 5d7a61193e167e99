package config

import (
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

// complete fills in the entry's secrets and defaults and validates it.
func (e *Discover) complete(i int, c *Config, r *resolver, fallback func() string, globalOK bool) []error {
	place := fmt.Sprintf("discover[%d]", i)
	var errs []error
	fail := func(format string, args ...any) {
		errs = append(errs, errors.New(at(place, fmt.Sprintf(format, args...))))
	}
	if e.WorkspaceID <= 0 {
		fail("workspace_id: required, a number > 0")
	}
	if api := (pair{"api_token", e.APIToken, e.APITokenFile}); api.set() {
		v, err := r.resolve(api, true, checkAPIToken)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", place, err))
		}
		e.Resolved.APIToken = v
	} else if e.Resolved.APIToken = fallback(); e.Resolved.APIToken == "" {
		fail("api_token or api_token_file: required (or the top-level api_token, or $%s): listing a workspace needs an API token", EnvAPIToken)
	}
	if e.Interval < minDiscoverInterval {
		fail("interval: must be at least 1s")
	}
	for _, f := range []struct {
		key  string
		expr string
		re   **regexp.Regexp
	}{{"include", e.Include, &e.include}, {"exclude", e.Exclude, &e.exclude}} {
		if f.expr == "" {
			continue
		}
		re, err := regexp.Compile("^(?:" + f.expr + ")$")
		var se *syntax.Error
		switch {
		case errors.As(err, &se): // its Expr would quote the value
			fail("%s: not a valid RE2 regular expression: %s", f.key, se.Code)
		case err != nil:
			fail("%s: not a valid RE2 regular expression", f.key)
		}
		*f.re = re
	}
	// The reports' credentials default to the token that lists them.
	errs = append(errs, e.Defaults.completeSettings(place+": defaults", c, r, func() string { return e.Resolved.APIToken }, globalOK)...)
	return errs
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
		slug  string
	}
	var (
		errs  []error
		cands []found
		slugs = map[string]int{}
	)
	for i, e := range c.Discover {
		if i >= len(lists) {
			break
		}
		for _, s := range lists[i] {
			if e.include != nil && !e.include.MatchString(s.Name) || e.exclude != nil && e.exclude.MatchString(s.Name) {
				continue
			}
			if err := checkReportToken(string(s.Token)); err != nil {
				errs = append(errs, fmt.Errorf("discover[%d]: saved report %d %q: token: %w; left out", i, s.ID, s.Name, err))
				continue
			}
			f := found{i, s, Name(s.Name)}
			cands = append(cands, f)
			slugs[f.slug]++
		}
	}
	out := *c
	out.Reports = slices.Clone(c.Reports)
	taken := map[string]bool{}
	for _, r := range c.Reports {
		taken[r.Name] = true
	}
	for _, f := range cands {
		name := f.slug
		if taken[name] || slugs[name] > 1 {
			name += "-" + strconv.FormatInt(f.saved.ID, 10)
		}
		if taken[name] {
			errs = append(errs, fmt.Errorf("discover[%d]: saved report %d %q: the name %s is taken; left out", f.entry, f.saved.ID, f.saved.Name, name))
			continue
		}
		taken[name] = true
		e := c.Discover[f.entry]
		rep := e.Defaults
		rep.Name, rep.Token, rep.DiscoveredFrom = name, f.saved.Token, e.WorkspaceID
		rep.Resolved.Token = string(f.saved.Token)
		rep.Breakdowns = slices.Clone(rep.Breakdowns)
		out.Reports = append(out.Reports, rep)
	}
	return &out, errs
}

// Name makes a Toggl report name into a report name: lower case, every run of
// characters other than a-z 0-9 _ . one "-", none at either end; "report" when nothing
// is left.
func Name(toggl string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(toggl) {
		if 'a' <= r && r <= 'z' || '0' <= r && r <= '9' || r == '_' || r == '.' {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
		} else {
			dash = true
		}
	}
	if b.Len() == 0 {
		return "report"
	}
	return b.String()
}
