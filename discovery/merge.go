package discovery

import (
	"cmp"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/toggl-exporter/toggl_exporter/client"
	"github.com/toggl-exporter/toggl_exporter/config"
)

// maxNameBytes bounds the name of a discovered report: the collector's limit of a label
// value, so that the `report` label is the name, whole.
const maxNameBytes = 200

// notName matches the runs of characters that a name made by LabelSafeName cannot hold.
var notName = regexp.MustCompile(`[^a-z0-9_.]+`)

// LabelSafeName makes the name of a saved report in Toggl a report name, which is also a
// label value: lower case, every run of characters other than a-z 0-9 _ . one "-", none
// at either end, at most 200 bytes; "report" when nothing is left.
func LabelSafeName(toggl string) string {
	return cmp.Or(cut(strings.Trim(notName.ReplaceAllString(strings.ToLower(toggl), "-"), "-"), maxNameBytes), "report")
}

// cut cuts the name s to at most n bytes, with no "-" at the end. s is ASCII.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.TrimRight(s[:n], "-")
}

// merge returns a copy of cfg that also holds the reports its discover entries found:
// lists[i] is the latest good listing of cfg.Discover[i] (nil when there is none). Each
// listed report that include and exclude let through becomes a report with the entry's
// defaults, named by LabelSafeName. A name that a configured report or another
// discovered one also has gets "-<id>" appended, so that names do not depend on the
// order of the listing. What is left out, and why, is in problems: a listed report
// without an id (counted once per entry), with an unusable token, or that still cannot
// have a name of its own. No problem quotes a token.
func merge(cfg *config.Config, lists [][]client.SavedReport) (out *config.Config, problems []string) {
	type found struct {
		entry int
		saved client.SavedReport
	}
	var listed []found
	slugs := map[string]int{}
	for i, e := range cfg.Discover[:min(len(cfg.Discover), len(lists))] {
		noID := 0
		for _, s := range lists[i] {
			if e.IncludeRE != nil && !e.IncludeRE.MatchString(s.Name) || e.ExcludeRE != nil && e.ExcludeRE.MatchString(s.Name) {
				continue
			}
			err := config.CheckReportToken(s.Token)
			switch {
			case s.ID == 0:
				noID++
			case err != nil:
				problems = append(problems, fmt.Sprintf("discover[%d]: saved report %d %q: token: %v; left out", i, s.ID, s.Name, err))
			default:
				listed = append(listed, found{i, s})
				slugs[LabelSafeName(s.Name)]++
			}
		}
		if noID > 0 {
			problems = append(problems, fmt.Sprintf("discover[%d]: %d listed report(s) without an id; left out", i, noID))
		}
	}
	merged := *cfg
	merged.Reports = slices.Clone(cfg.Reports)
	taken := map[string]bool{}
	for _, r := range cfg.Reports {
		taken[r.Name] = true
	}
	for _, f := range listed {
		name := LabelSafeName(f.saved.Name)
		if taken[name] || slugs[name] > 1 {
			suffix := "-" + strconv.FormatInt(f.saved.ID, 10)
			name = cut(name, maxNameBytes-len(suffix)) + suffix
		}
		if taken[name] {
			problems = append(problems, fmt.Sprintf("discover[%d]: saved report %d %q: the name %s is taken; left out", f.entry, f.saved.ID, f.saved.Name, name))
			continue
		}
		taken[name] = true
		rep := cfg.Discover[f.entry].Defaults // of its entry, with its own name and token
		rep.Name, rep.Token, rep.DiscoveredFrom = name, config.Secret(f.saved.Token), cfg.Discover[f.entry].WorkspaceID
		rep.Resolved.Token = f.saved.Token
		rep.Breakdowns = slices.Clone(rep.Breakdowns)
		merged.Reports = append(merged.Reports, rep)
	}
	return &merged, problems
}
