// Package config loads and validates the exporter's YAML configuration:
// strict decoding (unknown keys are errors), defaults, secrets from ${VAR}
// references and *_file paths, errors that name their place, a redacted
// rendering for /config, and SafeConfig for live reloads.
package config

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"math"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
	_ "time/tzdata" // timezone: works in images without /usr/share/zoneinfo

	"github.com/prometheus/common/model"
	"go.yaml.in/yaml/v3"
)

// Defaults of the global settings.
const (
	DefaultAPIURL                = "https://api.track.toggl.com"
	DefaultMinRefreshInterval    = model.Duration(5 * time.Minute)
	DefaultMaxStale              = model.Duration(30 * time.Minute)
	DefaultTimeout               = model.Duration(30 * time.Second)
	DefaultMaxResponseBytes      = Bytes(64 << 20)
	DefaultRequestsPerSecond     = 1.0
	DefaultMaxConcurrentFetches  = 8
	DefaultMaxSeriesPerBreakdown = 500
	DefaultMaxPages              = 20
	DefaultTimezone              = "UTC"
	DefaultWeekStart             = "monday"
)

// EnvAPIToken names the environment variable holding the API token of
// reports that configure no credentials of their own, when the file sets
// no global api_token either.
const EnvAPIToken = "TOGGL_API_TOKEN"

// Breakdown names, as written in a report's breakdowns list.
const (
	BreakdownProjects = "projects"
	BreakdownUsers    = "users"
	BreakdownClients  = "clients"
	BreakdownTags     = "tags"
	BreakdownTasks    = "tasks"
	// BreakdownProjectUsers is who tracked what: one series per project and user.
	BreakdownProjectUsers = "project_users"
)

// AllBreakdowns lists every valid breakdown; DefaultBreakdowns those a
// report gets when it lists none.
var (
	AllBreakdowns     = []string{BreakdownProjects, BreakdownUsers, BreakdownClients, BreakdownTags, BreakdownTasks, BreakdownProjectUsers}
	DefaultBreakdowns = []string{BreakdownProjects, BreakdownUsers}
)

// Config is the whole configuration file. After Load it holds every
// default and every per-report override filled in; treat it as immutable.
type Config struct {
	APIURL               string         `yaml:"api_url"`
	MinRefreshInterval   model.Duration `yaml:"min_refresh_interval"`
	MaxStale             model.Duration `yaml:"max_stale"`
	Timeout              model.Duration `yaml:"timeout"`
	MaxResponseBytes     Bytes          `yaml:"max_response_bytes"`
	RequestsPerSecond    float64        `yaml:"requests_per_second"`
	MaxConcurrentFetches int            `yaml:"max_concurrent_fetches"`
	APIToken             Secret         `yaml:"api_token,omitempty"`
	APITokenFile         string         `yaml:"api_token_file,omitempty"`
	Reports              []Report       `yaml:"reports"`
	Discover             []Discover     `yaml:"discover,omitempty"`

	// fingerprint covers the file and every input its secrets came from.
	fingerprint [sha256.Size]byte
}

// Report is one saved report to export. The secret fields keep what the
// file says (possibly "${VAR}"); the values to use are in Resolved.
type Report struct {
	Name                  string         `yaml:"name,omitempty"`
	Token                 Secret         `yaml:"token,omitempty"`
	TokenFile             string         `yaml:"token_file,omitempty"`
	APIToken              Secret         `yaml:"api_token,omitempty"`
	APITokenFile          string         `yaml:"api_token_file,omitempty"`
	Email                 string         `yaml:"email,omitempty"`
	Password              Secret         `yaml:"password,omitempty"`
	PasswordFile          string         `yaml:"password_file,omitempty"`
	Params                map[string]any `yaml:"params,omitempty"`
	Period                string         `yaml:"period,omitempty"`
	Timezone              string         `yaml:"timezone,omitempty"`
	WeekStart             string         `yaml:"week_start,omitempty"`
	Breakdowns            []string       `yaml:"breakdowns,omitempty"`
	MaxSeriesPerBreakdown int            `yaml:"max_series_per_breakdown,omitempty"`
	MaxPages              int            `yaml:"max_pages,omitempty"`
	MinRefreshInterval    model.Duration `yaml:"min_refresh_interval,omitempty"`
	MaxStale              model.Duration `yaml:"max_stale,omitempty"`
	Timeout               model.Duration `yaml:"timeout,omitempty"`
	// DiscoveredFrom is the workspace a discovered report was listed in; 0 for a
	// configured one. The file cannot set it.
	DiscoveredFrom int64 `yaml:"discovered_from_workspace,omitempty"`

	// Resolved is filled in by Load.
	Resolved Resolved `yaml:"-" json:"-"`
}

// Resolved holds a report's effective secrets and parsed settings. It
// prints redacted with %v and %#v.
type Resolved struct {
	// Token is the report token (secret): it goes into the request path.
	Token string
	// APIToken is the effective API token (secret): the report's own, else
	// the global api_token/api_token_file, else $TOGGL_API_TOKEN; always
	// empty when the report uses email and password. Empty with an empty
	// Email means no Authorization header (a public report).
	APIToken string
	// Email and Password (secret) are the report's basic-auth credentials.
	Email, Password string
	// Period is the rolling window; the zero value means none.
	Period Period
	// Location is the report's timezone, never nil after Load.
	Location *time.Location
	// WeekStart is the first day of a week for this_week and last_week.
	WeekStart time.Weekday
}

// String renders r with every secret redacted.
func (r Resolved) String() string {
	loc := "<nil>"
	if r.Location != nil {
		loc = r.Location.String()
	}
	return fmt.Sprintf("{Token:%s APIToken:%s Email:%s Password:%s Period:%s Location:%s WeekStart:%s}",
		Secret(r.Token), Secret(r.APIToken), r.Email, Secret(r.Password), r.Period, loc, r.WeekStart)
}

// GoString renders r with every secret redacted.
func (r Resolved) GoString() string { return "config.Resolved" + r.String() }

// Redacted renders the configuration as YAML with every secret replaced by
// "<secret>". File paths are shown, their contents never.
func (c *Config) Redacted() ([]byte, error) {
	if c == nil {
		return nil, errors.New("no configuration loaded")
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(c); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// maxConfigBytes bounds the configuration file: a real one is a few KiB.
const maxConfigBytes = 1 << 20

// Load reads, decodes, completes and validates the configuration file at
// path, a regular file of at most 1 MiB. Relative *_file paths are relative
// to the file's directory. A nil lookupEnv means os.LookupEnv. All problems
// are reported at once (errors.Join), each naming its place; no error ever
// quotes a value of the file.
func Load(path string, lookupEnv func(string) (string, bool)) (*Config, error) {
	data, err := readRegular(path, maxConfigBytes, "the most a configuration file may hold")
	if err != nil {
		return nil, err
	}
	return Parse(data, filepath.Dir(path), lookupEnv)
}

// Parse is Load for data read elsewhere; dir anchors relative *_file paths.
func Parse(data []byte, dir string, lookupEnv func(string) (string, bool)) (*Config, error) {
	return parse(data, dir, lookupEnv, nil)
}

func parse(data []byte, dir string, lookupEnv func(string) (string, bool), readFile func(string) ([]byte, error)) (*Config, error) {
	root, err := parseDocument(data)
	if err != nil {
		return nil, err
	}
	if root == nil {
		return nil, errors.New("reports: required (the configuration is empty; or list a workspace under discover)")
	}
	cfg := &Config{
		APIURL:               DefaultAPIURL,
		MinRefreshInterval:   DefaultMinRefreshInterval,
		MaxStale:             DefaultMaxStale,
		Timeout:              DefaultTimeout,
		MaxResponseBytes:     DefaultMaxResponseBytes,
		RequestsPerSecond:    DefaultRequestsPerSecond,
		MaxConcurrentFetches: DefaultMaxConcurrentFetches,
	}
	d := &decoder{}
	d.config(root, cfg)
	if len(d.errs) > 0 {
		return nil, errors.Join(d.errs...)
	}
	r := newResolver(data, dir, lookupEnv, readFile)
	if errs := cfg.complete(r); len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	cfg.fingerprint = r.fingerprint()
	return cfg, nil
}

// complete fills in defaults and secrets and validates, returning every
// problem found.
func (c *Config) complete(r *resolver) []error {
	var errs []error
	fail := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	if u, err := checkAPIURL(c.APIURL); err != nil {
		fail("api_url: %w", err)
	} else {
		c.APIURL = u
	}
	globalOK := c.MinRefreshInterval > 0 && c.MaxStale >= c.MinRefreshInterval && c.Timeout > 0
	if c.MinRefreshInterval <= 0 {
		fail("min_refresh_interval: must be > 0")
	}
	if c.MaxStale < c.MinRefreshInterval {
		fail("max_stale: must be >= min_refresh_interval")
	}
	if c.Timeout <= 0 {
		fail("timeout: must be > 0")
	}
	if c.MaxResponseBytes <= 0 {
		fail("max_response_bytes: must be > 0")
	}
	if !(c.RequestsPerSecond > 0) || math.IsInf(c.RequestsPerSecond, 0) {
		fail("requests_per_second: must be a finite number > 0")
	}
	if c.MaxConcurrentFetches < 1 {
		fail("max_concurrent_fetches: must be >= 1")
	}

	// fallback is the API token of reports without credentials of their
	// own: the global one, else $TOGGL_API_TOKEN, read (and fingerprinted)
	// only when a report needs it.
	var fallback func() string
	if api := (pair{"api_token", c.APIToken, c.APITokenFile}); api.set() {
		v, err := r.resolve(api, true, checkAPIToken)
		if err != nil {
			errs = append(errs, err)
		}
		fallback = func() string { return v }
	} else {
		fallback = sync.OnceValue(func() string {
			v, _ := r.env(EnvAPIToken)
			v = strings.TrimSpace(v)
			if err := checkAPIToken(v); v != "" && err != nil {
				errs = append(errs, fmt.Errorf("environment variable %s: %w", EnvAPIToken, err))
				return ""
			}
			return v
		})
	}

	if len(c.Reports) == 0 && len(c.Discover) == 0 {
		fail("reports: at least one report required (or a discover entry)")
	}
	names := map[string][]int{}
	for i := range c.Reports {
		rep := &c.Reports[i]
		errs = append(errs, rep.complete(i, c, r, fallback, globalOK)...)
		if rep.Name != "" {
			names[rep.Name] = append(names[rep.Name], i)
		}
	}
	for i := range c.Reports {
		idx := names[c.Reports[i].Name]
		if len(idx) < 2 || idx[0] != i {
			continue
		}
		var also []string
		for _, j := range idx[1:] {
			also = append(also, fmt.Sprintf("reports[%d]", j))
		}
		fail("%s: duplicate name (also %s)", reportPlace(i, c.Reports[i].Name), strings.Join(also, ", "))
	}
	workspaces := map[int64]int{}
	for i := range c.Discover {
		e := &c.Discover[i]
		errs = append(errs, e.complete(i, c, r, fallback, globalOK)...)
		if j, dup := workspaces[e.WorkspaceID]; dup && e.WorkspaceID > 0 {
			fail("discover[%d]: workspace_id: listed twice (also discover[%d])", i, j)
		} else {
			workspaces[e.WorkspaceID] = i
		}
	}
	return errs
}

var validName = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)

// newReport returns a report holding the defaults that do not come from the
// global settings; decoding overwrites what the file sets.
func newReport() Report {
	return Report{
		Timezone:              DefaultTimezone,
		WeekStart:             DefaultWeekStart,
		Breakdowns:            slices.Clone(DefaultBreakdowns),
		MaxSeriesPerBreakdown: DefaultMaxSeriesPerBreakdown,
		MaxPages:              DefaultMaxPages,
	}
}

// complete fills in the report's inherited settings and Resolved and
// validates it.
func (rep *Report) complete(i int, c *Config, r *resolver, fallback func() string, globalOK bool) []error {
	place := reportPlace(i, rep.Name)
	var errs []error
	fail := func(format string, args ...any) {
		errs = append(errs, errors.New(at(place, fmt.Sprintf(format, args...))))
	}
	failErr := func(err error) {
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", place, err))
		}
	}

	switch {
	case rep.Name == "":
		fail("name: required")
	case !validName.MatchString(rep.Name):
		fail("name: must match [A-Za-z0-9_.-]+")
	}
	if tok := (pair{"token", rep.Token, rep.TokenFile}); !tok.set() {
		fail("token or token_file: required")
	} else {
		var err error
		rep.Resolved.Token, err = r.resolve(tok, true, checkReportToken)
		failErr(err)
	}
	return append(errs, rep.completeSettings(place, c, r, fallback, globalOK)...)
}

// completeSettings does complete's work for everything but the name and the token:
// also for a discover entry's defaults.
func (rep *Report) completeSettings(place string, c *Config, r *resolver, fallback func() string, globalOK bool) []error {
	var errs []error
	fail := func(format string, args ...any) {
		errs = append(errs, errors.New(at(place, fmt.Sprintf(format, args...))))
	}
	failErr := func(err error) {
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", place, err))
		}
	}

	// Credentials: at most one kind.
	var err error
	api := pair{"api_token", rep.APIToken, rep.APITokenFile}
	pw := pair{"password", rep.Password, rep.PasswordFile}
	switch {
	case api.set() && rep.Email != "":
		fail("at most one kind of credentials: %s and email", api.name())
	case api.set() && pw.set():
		fail("at most one kind of credentials: %s and %s", api.name(), pw.name())
	case rep.Email != "" && !pw.set():
		fail("email requires password or password_file")
	case rep.Email == "" && pw.set():
		fail("%s requires email", pw.name())
	case api.set():
		rep.Resolved.APIToken, err = r.resolve(api, true, checkAPIToken)
		failErr(err)
	case rep.Email != "":
		if err := checkEmail(rep.Email); err != nil {
			fail("email: %v", err)
		}
		rep.Resolved.Email = rep.Email
		rep.Resolved.Password, err = r.resolve(pw, false, checkPassword)
		failErr(err)
	default:
		rep.Resolved.APIToken = fallback()
	}

	// Period and calendar.
	if rep.Period != "" {
		p, err := ParsePeriod(rep.Period)
		if err != nil {
			fail("period: %v", err)
		} else {
			rep.Resolved.Period = p
			rep.Period = p.String()
		}
	}
	rep.Resolved.Location = time.UTC
	if rep.Timezone == "Local" {
		fail("timezone: want an IANA name such as Europe/Berlin, not Local")
	} else if loc, err := time.LoadLocation(rep.Timezone); err != nil {
		fail("timezone: unknown time zone (want an IANA name such as Europe/Berlin)")
	} else {
		rep.Resolved.Location = loc
	}
	if d, err := ParseWeekday(rep.WeekStart); err != nil {
		fail("week_start: %v", err)
	} else {
		rep.Resolved.WeekStart = d
		rep.WeekStart = strings.ToLower(d.String())
	}

	for j, b := range rep.Breakdowns { // [] means totals only
		switch first := slices.Index(rep.Breakdowns, b); {
		case !slices.Contains(AllBreakdowns, b):
			fail("breakdowns[%d]: unknown breakdown (want %s)", j, strings.Join(AllBreakdowns, ", "))
		case first < j:
			fail("breakdowns[%d]: listed twice (also breakdowns[%d])", j, first)
		}
	}
	if rep.MaxSeriesPerBreakdown < 1 {
		fail("max_series_per_breakdown: must be >= 1")
	}
	if rep.MaxPages < 1 {
		fail("max_pages: must be >= 1")
	}

	// Per-report overrides of the global timing.
	ownMin, ownStale := rep.MinRefreshInterval != 0, rep.MaxStale != 0
	if !ownMin {
		rep.MinRefreshInterval = c.MinRefreshInterval
	}
	if !ownStale {
		rep.MaxStale = c.MaxStale
	}
	if rep.Timeout == 0 {
		rep.Timeout = c.Timeout
	}
	if globalOK && (ownMin || ownStale) && rep.MaxStale < rep.MinRefreshInterval {
		switch {
		case !ownStale:
			fail("max_stale (the top level's) must be >= min_refresh_interval")
		case !ownMin:
			fail("max_stale must be >= min_refresh_interval (the top level's)")
		default:
			fail("max_stale must be >= min_refresh_interval")
		}
	}

	// Request body.
	errs = append(errs, rep.completeParams(place)...)
	return errs
}

// checkAPIURL accepts an absolute http(s) URL without credentials, query
// or fragment, and returns it without a trailing slash. Its errors never
// quote the URL, which could hold a password.
func checkAPIURL(s string) (string, error) {
	u, err := url.Parse(s)
	if err != nil { // its text quotes parts of the URL
		return "", errors.New("not a valid URL")
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return "", errors.New("want an absolute http:// or https:// URL")
	case u.Host == "":
		return "", errors.New("want an absolute http:// or https:// URL with a host")
	case u.User != nil:
		return "", errors.New("must not hold credentials (use api_token_file)")
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		return "", errors.New("must not have a query or a fragment")
	}
	return strings.TrimRight(s, "/"), nil
}
