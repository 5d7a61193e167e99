package collector

import "slices"

// Member is one active member of a workspace, on the roster of the reports that name
// the workspace (config.Report.Roster).
type Member struct {
	ID   int64 // the user id
	Name string
}

// SetRoster makes members the roster of workspace workspaceID (nil forgets it). The
// expected hours come from the configuration's members entry of the workspace.
func (e *Exporter) SetRoster(workspaceID int64, members []Member) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.rosters == nil {
		e.rosters = map[int64][]Member{}
	}
	if members == nil {
		delete(e.rosters, workspaceID)
		return
	}
	e.rosters[workspaceID] = slices.Clone(members)
}

// LabelValue is the label value that the collector's series give a name from Toggl
// (valid UTF-8, no control characters, at most 200 bytes), for series made elsewhere
// that must join with them.
func LabelValue(name string) string { return labelValue(name) }
