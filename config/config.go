// Package config loads and validates the exporter's YAML configuration: strict decoding,
// defaults, secrets from ${VAR} references and *_file paths, errors that name their place,
// a redacted rendering for /config, the periods and their calendar, and SafeConfig for
// live reloads.
package config

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"maps"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"regexp/syntax"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	_ "time/tzdata" // timezone: works in images without /usr/share/zoneinfo

	"github.com/alecthomas/units"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
	"github.com/prometheus/common/model"
	"go.yaml.in/yaml/v3"
)

// Defaults that other packages need too; parse and newReport hold the others.
const (
	DefaultMaxConcurrentFetches  = 8
	DefaultMaxSeriesPerBreakdown = 500
	DefaultMaxPages              = 20
	DefaultClosedRefreshInterval = model.Duration(time.Hour)
)

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

// AllBreakdowns lists every valid breakdown; DefaultBreakdowns those a report gets when
// it lists none.
var (
	AllBreakdowns     = []string{BreakdownProjects, BreakdownUsers, BreakdownClients, BreakdownTags, BreakdownTasks, BreakdownProjectUsers}
	DefaultBreakdowns = []string{BreakdownProjects, BreakdownUsers}
)

// Config is the whole configuration file. After Load it holds every default and every
// per-report override filled in; treat it as immutable.
type Config struct {
	APIURL               string           `yaml:"api_url"`
	MinRefreshInterval   model.Duration   `yaml:"min_refresh_interval"`
	MaxStale             model.Duration   `yaml:"max_stale"`
	Timeout              model.Duration   `yaml:"timeout"`
	MaxResponseBytes     units.Base2Bytes `yaml:"max_response_bytes"`
	RequestsPerSecond    float64          `yaml:"requests_per_second"`
	MaxConcurrentFetches int              `yaml:"max_concurrent_fetches"`
	// HourlyQuota is what each credential may spend in any 60 minutes, pages and
	// listings included; 0 (unset) means learned from Toggl's quota headers.
	HourlyQuota int `yaml:"hourly_quota,omitempty"`
	// ClosedRefreshInterval is how often a report that is Closed is refreshed, to catch
	// edits of the past.
	ClosedRefreshInterval model.Duration    `yaml:"closed_refresh_interval"`
	APIToken              Secret            `yaml:"api_token,omitempty"`
	APITokenFile          string            `yaml:"api_token_file,omitempty"`
	Reports               []Report          `yaml:"reports"`
	Discover              []Discover        `yaml:"discover,omitempty"`
	Members               []Members         `yaml:"members,omitempty"`
	fingerprint           [sha256.Size]byte // of the file and every input its secrets came from
}

// Report is one saved report to export. The secret fields keep what the file says
// (possibly "${VAR}"); the values to use are in Resolved.
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
	// Roster is the workspace (with a members entry) whose members the report's user
	// breakdowns list, also those who tracked nothing; 0 for none.
	Roster int64 `yaml:"roster,omitempty"`
	// DiscoveredFrom is the workspace a discovered report was listed in; 0 for a
	// configured one. The file cannot set it.
	DiscoveredFrom int64    `yaml:"discovered_from_workspace,omitempty"`
	Resolved       Resolved `yaml:"-" json:"-"`
}

// Resolved holds a report's effective secrets and parsed settings, filled in by Load. It
// prints redacted with %v and %#v.
type Resolved struct {
	// Token (secret) is the report token: it goes into the request path.
	Token string
	// APIToken (secret) is the report's own, else the global one, else $TOGGL_API_TOKEN;
	// empty with email and password. Empty with an empty Email: a public report.
	APIToken string
	// Email and Password (secret) are the report's basic-auth credentials.
	Email, Password string
	Period          Period         // the zero value means none
	Location        *time.Location // never nil after Load
	WeekStart       time.Weekday
}

// String renders r with every secret redacted.
func (r Resolved) String() string {
	return fmt.Sprintf("{Token:%s APIToken:%s Email:%s Password:%s Period:%s Location:%v WeekStart:%s}",
		Secret(r.Token), Secret(r.APIToken), r.Email, Secret(r.Password), r.Period, r.Location, r.WeekStart)
}

// GoString renders r with every secret redacted.
func (r Resolved) GoString() string { return "config.Resolved" + r.String() }

const (
	// envAPIToken is the API token of what has no credentials of its own, when the file
	// sets no global api_token either.
	envAPIToken     = "TOGGL_API_TOKEN"
	defaultInterval = model.Duration(time.Hour) // of a discover or members entry
	// minDiscoverInterval: one listing a second is what Toggl's rate limit allows, and
	// tests need no less.
	minDiscoverInterval = model.Duration(time.Second)
	maxWeekHours        = 168
	maxConfigBytes      = 1 << 20  // a real one is a few KiB
	maxSecretFileBytes  = 64 << 10 // a bigger *_file is a mistake (a wrong path)
)

// Workspace is what discover and members entries share: a workspace listed every interval.
type Workspace struct {
	WorkspaceID  int64          `yaml:"workspace_id"`
	APIToken     Secret         `yaml:"api_token,omitempty"`
	APITokenFile string         `yaml:"api_token_file,omitempty"`
	Interval     model.Duration `yaml:"interval"`
	// Resolved.APIToken lists the workspace: the entry's own, else the global one, else
	// $TOGGL_API_TOKEN.
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
	// IncludeRE and ExcludeRE match whole names, nil when unset.
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

// Redacted renders the configuration as YAML with every secret replaced by "<secret>".
// File paths are shown, their contents never.
func (c *Config) Redacted() ([]byte, error) {
	if c == nil {
		return nil, errors.New("no configuration loaded")
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	err := enc.Encode(c)
	return buf.Bytes(), errors.Join(err, enc.Close())
}

// Load reads and validates the configuration file at path, a regular file of at most 1
// MiB; relative *_file paths start at its directory; nil lookupEnv means os.LookupEnv.
// All problems come at once (errors.Join), each naming its place, none quoting a value.
func Load(path string, lookupEnv func(string) (string, bool)) (*Config, error) {
	return load(path, lookupEnv, nil)
}

// load is Load reading *_file secrets with readFile (nil: from disk).
func load(path string, lookupEnv func(string) (string, bool), readFile func(string) ([]byte, error)) (*Config, error) {
	data, err := readRegular(path, maxConfigBytes, "the most a configuration file may hold")
	if err != nil {
		return nil, err
	}
	return parse(data, filepath.Dir(path), lookupEnv, readFile)
}

// Parse is Load for data read elsewhere; dir anchors relative *_file paths.
func Parse(data []byte, dir string, lookupEnv func(string) (string, bool)) (*Config, error) {
	return parse(data, dir, lookupEnv, nil)
}

func parse(data []byte, dir string, lookupEnv func(string) (string, bool), readFile func(string) ([]byte, error)) (*Config, error) {
	cfg := &Config{
		APIURL:                "https://api.track.toggl.com",
		MinRefreshInterval:    model.Duration(5 * time.Minute),
		MaxStale:              model.Duration(30 * time.Minute),
		Timeout:               model.Duration(30 * time.Second),
		MaxResponseBytes:      64 << 20,
		RequestsPerSecond:     1,
		MaxConcurrentFetches:  DefaultMaxConcurrentFetches,
		ClosedRefreshInterval: DefaultClosedRefreshInterval,
	}
	if err := decode(data, cfg); err != nil {
		return nil, err
	}
	k := &completion{dir: dir, lookupEnv: lookupEnv, readFile: readFile, sum: sha256.New()}
	if lookupEnv == nil {
		k.lookupEnv = os.LookupEnv
	}
	if readFile == nil {
		k.readFile = func(p string) ([]byte, error) { return readRegular(p, maxSecretFileBytes, "not a secret file") }
	}
	k.record("config", string(data))
	if k.config(cfg); len(k.errs) > 0 {
		return nil, errors.Join(k.errs...)
	}
	cfg.fingerprint = [sha256.Size]byte(k.sum.Sum(nil))
	return cfg, nil
}

// SafeConfig holds the current configuration for concurrent readers and reloads it,
// keeping the old one when the new file is invalid.
type SafeConfig struct {
	cfg         atomic.Pointer[Config]
	reloadMu    sync.Mutex // one reload at a time (SIGHUP and /-/reload may race)
	success     prometheus.Gauge
	successTime prometheus.Gauge
	now         func() time.Time
}

// NewSafeConfig returns an empty SafeConfig and registers its two gauges with reg
// (unless reg is nil).
func NewSafeConfig(reg prometheus.Registerer) *SafeConfig {
	f := promauto.With(reg) // registers nowhere when reg is nil
	return &SafeConfig{
		success: f.NewGauge(prometheus.GaugeOpts{
			Name: "toggl_exporter_config_last_reload_successful",
			Help: "Whether the last configuration reload attempt was successful (1) or not (0).",
		}),
		successTime: f.NewGauge(prometheus.GaugeOpts{
			Name: "toggl_exporter_config_last_reload_success_timestamp_seconds",
			Help: "Timestamp of the last successful configuration reload.",
		}),
		now: time.Now,
	}
}

// Get returns the current configuration, nil before the first successful reload. Treat
// it as immutable: a reload replaces it, never changes it.
func (s *SafeConfig) Get() *Config { return s.cfg.Load() }

// ReloadWith loads the file at path, reading each *_file secret through readFile (nil:
// from disk; --demo's rehearsal of a user's file stands in for secret files that do not
// exist yet). On error it keeps the current configuration, sets the success gauge to 0
// and returns the error. On success it sets the gauge to 1 and the timestamp to now;
// changed is false (and Get keeps returning the very same *Config) when neither the file
// nor any secret file or environment variable it uses has changed.
func (s *SafeConfig) ReloadWith(path string, lookupEnv func(string) (string, bool), readFile func(string) ([]byte, error)) (changed bool, err error) {
	return s.reload(func() (*Config, error) { return load(path, lookupEnv, readFile) })
}

// ReloadData is ReloadWith for a configuration held in memory (the demo's); relative file
// paths in it are relative to dir.
func (s *SafeConfig) ReloadData(data []byte, dir string, lookupEnv func(string) (string, bool)) (changed bool, err error) {
	return s.reload(func() (*Config, error) { return Parse(data, dir, lookupEnv) })
}

func (s *SafeConfig) reload(load func() (*Config, error)) (changed bool, err error) {
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()

	cfg, err := load()
	if err != nil {
		s.success.Set(0)
		return false, err
	}
	if old := s.cfg.Load(); old == nil || old.fingerprint != cfg.fingerprint {
		s.cfg.Store(cfg)
		changed = true
	}
	s.success.Set(1)
	s.successTime.Set(float64(s.now().UnixNano()) / 1e9)
	return changed, nil
}

// problems collects every error found in a configuration.
type problems struct{ errs []error }

// errorf records a problem at place, with the line of n when there is one.
func (p *problems) errorf(place string, n *yaml.Node, format string, args ...any) {
	if n != nil && n.Line > 0 {
		format = fmt.Sprintf("line %d: ", n.Line) + format
	}
	if place != "" {
		format = strings.ReplaceAll(place, "%", "%%") + ": " + format
	}
	p.errs = append(p.errs, fmt.Errorf(format, args...))
}

func (p *problems) check(ok bool, place, format string, args ...any) {
	if !ok {
		p.errorf(place, nil, format, args...)
	}
}

// completion fills in the defaults and secrets of a decoded configuration and validates
// it, collecting every problem. Every input a secret comes from goes into sum, so that
// SafeConfig can tell whether a reload would change anything.
type completion struct {
	problems
	dir       string // of the configuration file: relative *_file paths start there
	lookupEnv func(string) (string, bool)
	readFile  func(string) ([]byte, error)
	sum       hash.Hash
	global    *Config
	globalOK  bool // the global timing is valid, so a report's can be checked against it
}

func (k *completion) config(c *Config) {
	k.global = c
	// api_url's messages never quote it: it could hold a password.
	switch u, err := url.Parse(c.APIURL); {
	case err != nil: // its text quotes parts of the URL
		k.errorf("", nil, "api_url: not a valid URL")
	case u.Scheme != "http" && u.Scheme != "https":
		k.errorf("", nil, "api_url: want an absolute http:// or https:// URL")
	case u.Host == "":
		k.errorf("", nil, "api_url: want an absolute http:// or https:// URL with a host")
	case u.User != nil:
		k.errorf("", nil, "api_url: must not hold credentials (use api_token_file)")
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		k.errorf("", nil, "api_url: must not have a query or a fragment")
	default:
		c.APIURL = strings.TrimRight(c.APIURL, "/")
	}
	k.globalOK = c.MinRefreshInterval > 0 && c.MaxStale >= c.MinRefreshInterval && c.Timeout > 0
	k.check(c.MinRefreshInterval > 0, "", "min_refresh_interval: must be > 0")
	k.check(c.MaxStale >= c.MinRefreshInterval, "", "max_stale: must be >= min_refresh_interval")
	k.check(c.Timeout > 0, "", "timeout: must be > 0")
	k.check(c.MaxResponseBytes > 0, "", "max_response_bytes: must be > 0")
	k.check(c.RequestsPerSecond > 0 && !math.IsInf(c.RequestsPerSecond, 0), "", "requests_per_second: must be a finite number > 0")
	k.check(c.MaxConcurrentFetches >= 1, "", "max_concurrent_fetches: must be >= 1")
	k.check(c.HourlyQuota >= 0, "", "hourly_quota: must be >= 1 (or unset: learned from Toggl's quota headers)")
	k.check(c.ClosedRefreshInterval > 0, "", "closed_refresh_interval: must be > 0")
	// fallback is the API token of what has no credentials of its own, else
	// $TOGGL_API_TOKEN as if set by api_token: ${...}, read only when something needs it.
	fallback := sync.OnceValue(func() string {
		if v, _ := k.env(envAPIToken); strings.TrimSpace(v) == "" {
			return ""
		}
		return k.secret("", secretRef{"environment variable " + envAPIToken, "${" + envAPIToken + "}", ""}, apiTokenRule)
	})
	if api := (secretRef{"api_token", c.APIToken, c.APITokenFile}); api.set() {
		v := k.secret("", api, apiTokenRule)
		fallback = func() string { return v }
	}
	k.check(len(c.Reports) > 0 || len(c.Discover) > 0, "", "reports: at least one report required (or a discover entry)")
	names := map[string][]string{} // the places of the reports with each name
	for i := range c.Reports {
		rep := &c.Reports[i]
		place := reportPlace(i, rep.Name)
		k.check(rep.Name != "", place, "name: required")
		k.check(rep.Name == "" || validName.MatchString(rep.Name), place, "name: must match [A-Za-z0-9_.-]+")
		names[rep.Name] = append(names[rep.Name], fmt.Sprintf("reports[%d]", i))
		if tok := (secretRef{"token", rep.Token, rep.TokenFile}); tok.set() {
			rep.Resolved.Token = k.secret(place, tok, reportTokenRule)
		} else {
			k.errorf(place, nil, "token or token_file: required")
		}
		k.settings(place, rep, fallback)
	}
	for i, rep := range c.Reports {
		if places := names[rep.Name]; len(places) > 1 && rep.Name != "" {
			k.errorf(reportPlace(i, rep.Name), nil, "duplicate name (also %s)", strings.Join(places[1:], ", "))
			delete(names, rep.Name)
		}
	}
	k.workspaces(c, fallback)
}

var validName = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)

// newReport returns a report holding the defaults that do not come from the global
// settings; decoding overwrites what the file sets.
func newReport() Report {
	return Report{
		Timezone:              "UTC",
		WeekStart:             "monday",
		Breakdowns:            slices.Clone(DefaultBreakdowns),
		MaxSeriesPerBreakdown: DefaultMaxSeriesPerBreakdown,
		MaxPages:              DefaultMaxPages,
	}
}

// settings fills in and checks a report's settings but its name and token, also those of
// a discover entry's defaults; fallback gives the API token of one without credentials.
func (k *completion) settings(place string, rep *Report, fallback func() string) {
	api := secretRef{"api_token", rep.APIToken, rep.APITokenFile}
	pw := secretRef{"password", rep.Password, rep.PasswordFile}
	switch {
	case api.set() && rep.Email != "":
		k.errorf(place, nil, "at most one kind of credentials: %s and email", api.name())
	case api.set() && pw.set():
		k.errorf(place, nil, "at most one kind of credentials: %s and %s", api.name(), pw.name())
	case rep.Email != "" && !pw.set():
		k.errorf(place, nil, "email requires password or password_file")
	case rep.Email == "" && pw.set():
		k.errorf(place, nil, "%s requires email", pw.name())
	case api.set():
		rep.Resolved.APIToken = k.secret(place, api, apiTokenRule)
	case rep.Email != "":
		// What HTTP Basic auth needs, not RFC 5322.
		if at := strings.IndexByte(rep.Email, '@'); at <= 0 || at == len(rep.Email)-1 {
			k.errorf(place, nil, "email: not an e-mail address (want user@domain)")
		} else {
			k.check(!strings.ContainsFunc(rep.Email, notBasic), place, "email: not an e-mail address (contains whitespace, a control character or ':')")
		}
		rep.Resolved.Email = rep.Email
		rep.Resolved.Password = k.secret(place, pw, passwordRule)
	default:
		rep.Resolved.APIToken = fallback()
	}

	// The decoder has checked period and week_start, where their lines are known, and
	// written them in canonical form.
	rep.Resolved.Period, _ = ParsePeriod(rep.Period)
	rep.Resolved.WeekStart = time.Weekday(slices.Index(choices["week_start"], rep.WeekStart))
	loc, err := time.LoadLocation(rep.Timezone)
	k.check(rep.Timezone != "Local", place, "timezone: want an IANA name such as Europe/Berlin, not Local")
	k.check(err == nil, place, "timezone: unknown time zone (want an IANA name such as Europe/Berlin)")
	rep.Resolved.Location = cmp.Or(loc, time.UTC)
	k.check(rep.MaxSeriesPerBreakdown >= 1, place, "max_series_per_breakdown: must be >= 1")
	k.check(rep.MaxPages >= 1, place, "max_pages: must be >= 1")
	k.check(rep.Roster == 0 || k.global.MembersOf(rep.Roster) != nil, place, "roster: no members entry lists workspace %d", rep.Roster)
	ownMin, ownStale := rep.MinRefreshInterval != 0, rep.MaxStale != 0
	rep.MinRefreshInterval = cmp.Or(rep.MinRefreshInterval, k.global.MinRefreshInterval)
	rep.MaxStale = cmp.Or(rep.MaxStale, k.global.MaxStale)
	rep.Timeout = cmp.Or(rep.Timeout, k.global.Timeout)
	if k.globalOK && (ownMin || ownStale) && rep.MaxStale < rep.MinRefreshInterval {
		inherited := map[bool]string{false: " (the top level's)"}
		k.errorf(place, nil, "max_stale%s must be >= min_refresh_interval%s", inherited[ownStale], inherited[ownMin])
	}
	for _, key := range []string{"start_date", "end_date"} {
		if _, set := rep.Params[key]; set && rep.Period != "" {
			k.errorf(place, nil, "params.%s: cannot be combined with period, which sets it at every fetch", key)
		}
	}
	start, _ := rep.Params["start_date"].(string) // YYYY-MM-DD: they compare as strings
	end, _ := rep.Params["end_date"].(string)
	k.check(rep.Period != "" || start == "" || end == "" || end >= start, place, "params: end_date is before start_date")
}

// workspace checks the i-th entry of the list key (seen: the index of each workspace
// before it), fills in its API token (its own, else fallback's) and returns its place.
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
		k.errorf(place, nil, "api_token or api_token_file: required (or the top-level api_token, or $%s): listing a workspace needs an API token", envAPIToken)
	}
	return place
}

// workspaces completes the discover and members entries; a discover entry of a workspace
// with members gives its reports that roster.
func (k *completion) workspaces(c *Config, fallback func() string) {
	seen := map[int64]int{}
	for i := range c.Discover {
		e := &c.Discover[i]
		place := k.workspace("discover", i, &e.Workspace, seen, fallback)
		e.IncludeRE = k.pattern(place, "include", e.Include)
		e.ExcludeRE = k.pattern(place, "exclude", e.Exclude)
		if e.Defaults.Roster == 0 && k.global.MembersOf(e.WorkspaceID) != nil {
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

// MembersOf returns the members entry of workspace; nil when there is none.
func (c *Config) MembersOf(workspace int64) *Members {
	if i := slices.IndexFunc(c.Members, func(m Members) bool { return m.WorkspaceID == workspace }); i >= 0 {
		return &c.Members[i]
	}
	return nil
}

// pattern compiles the include or exclude expr to match whole names; nil for none. Its
// errors never quote expr.
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

// ReportsNamed returns the configured reports called names (the --report flags of the
// commands), each once, in the order named; no names is every report. The error lists
// the reports there are, in file (where they are configured).
func (c *Config) ReportsNamed(names []string, file string) ([]Report, error) {
	if len(names) == 0 {
		return c.Reports, nil
	}
	var reports []Report
	for i, name := range names {
		j := slices.IndexFunc(c.Reports, func(r Report) bool { return r.Name == name })
		if j < 0 {
			var have []string
			for _, r := range c.Reports {
				have = append(have, r.Name)
			}
			return nil, fmt.Errorf("--report %q: no such report in %s (have %s)", name, file, strings.Join(have, ", "))
		}
		if slices.Index(names, name) == i {
			reports = append(reports, c.Reports[j])
		}
	}
	return reports, nil
}
