package discovery

import (
	"cmp"
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/toggl-exporter/toggl_exporter/client"
	"github.com/toggl-exporter/toggl_exporter/config"
)

// maxNameBytes is the collector's limit of a label value, so that the `report` label is
// a discovered report's name, whole.
const maxNameBytes = 200

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

// ListOnce returns cfg with the reports its discover entries list now, each workspace
// listed once, for the commands that run once (describe); problems are the merge's.
func ListOnce(ctx context.Context, cfg *config.Config, c *client.Client) (*config.Config, []string, error) {
	lists := make([][]client.SavedReport, len(cfg.Discover))
	for i, e := range cfg.Discover {
		var err error
		if lists[i], err = c.ListSharedReports(ctx, settingsOf(e.Workspace, cfg, c).listing); err != nil {
			return nil, nil, fmt.Errorf("discover[%d]: listing the saved reports of workspace %d: %w", i, e.WorkspaceID, err)
		}
	}
	merged, problems := merge(cfg, lists)
	return merged, problems, nil
}

// merge returns a copy of cfg with the reports that lists[i], the latest good listing of
// cfg.Discover[i], holds and include and exclude let through, with the entry's defaults.
// A name that another report also has gets "-<id>", so that names do not depend on the
// order of the listing. problems says what is left out and why (no id, a bad token, no
// name of its own left), never quoting a token.
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
