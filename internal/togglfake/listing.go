package togglfake

import (
	"cmp"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// ListingPrefix and a suffix frame the paths of a workspace's listings: ListingPrefix +
// workspace id + "/reports/shared" for its saved reports, + "/workspace_users" for its
// members (toggl-api.md, "Listing a workspace's saved reports", "A workspace's members").
const (
	ListingPrefix = "/api/v9/workspaces/"
	listingSuffix = "/reports/shared"
	membersSuffix = "/workspace_users"
)

// DefaultPerPage is the page size of the listing when per_page is not given (the fake's
// choice: Toggl's default is not documented).
const DefaultPerPage = 50

// SavedReport is one saved report in the listing of a workspace.
type SavedReport struct {
	ID             int64          `json:"id"`
	Name           string         `json:"name"`
	Token          string         `json:"token"` // the {report_token} of the shared endpoint
	Public         bool           `json:"public"`
	FixedDaterange bool           `json:"fixed_daterange"`
	Params         map[string]any `json:"-"` // sent as a JSON-encoded string, as Toggl does
}

// Member is one member of a workspace in its listing of members.
type Member struct {
	UserID   int64
	Name     string
	Email    string // sent, as Toggl does: the exporter must never show it
	Inactive bool
	// WorkingHoursInMinutes is sent as working_hours_in_minutes; 0 sends null.
	WorkingHoursInMinutes int64
}

// Workspace is what the fake lists for one workspace.
type Workspace struct {
	// APIToken is the API token the listings require, as Basic <APIToken>:api_token
	// ("" makes them public, which Toggl's never are). Any other token gets 403, as a
	// token that is not a workspace admin's does from the listing of members.
	APIToken string
	Reports  []SavedReport
	Members  []Member
}

type savedReportJSON struct {
	SavedReport
	Params             string  `json:"params"`
	UpdatedAt          string  `json:"updated_at"`
	ScheduledEmailUIDs []int64 `json:"scheduled_email_uids"`
	DeletedAt          *string `json:"deleted_at"`
}

// SetWorkspace adds or replaces the listings of workspace id, served at GET
// ListingPrefix + id + "/reports/shared" (saved reports) and + "/workspace_users"
// (members) to the workspace's API token, and charged to the quota (see SetQuota);
// other credentials get 401 or 403 as a private report's do.
func (f *Fake) SetWorkspace(id int64, ws Workspace) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.workspaces[id] = ws
}

// listingPath returns the workspace id of a listing's path, ListingPrefix +
// {workspace_id} + "/reports/shared" or "/workspace_users"; ok is false for other paths.
func listingPath(path string) (id int64, ok bool) {
	idText, underPrefix := strings.CutPrefix(path, ListingPrefix)
	idText, ok = strings.CutSuffix(idText, listingSuffix)
	if !ok {
		idText, ok = strings.CutSuffix(idText, membersSuffix)
	}
	id, err := strconv.ParseInt(idText, 10, 64)
	return id, underPrefix && ok && err == nil
}

// page returns the page of ws's listing that r asks for, like Toggl's API v9: its
// members (see Member), all at once, or a JSON array of saved reports (query page, from
// 1, and per_page, default DefaultPerPage; a page past the end is []), or nil when page
// or per_page is not a positive integer.
func (ws *Workspace) page(r *http.Request) []byte {
	if id, _ := listingPath(r.URL.Path); strings.HasSuffix(r.URL.Path, membersSuffix) {
		out := []map[string]any{}
		for i, m := range ws.Members {
			out = append(out, map[string]any{
				"id": 9000 + i, "user_id": m.UserID, "uid": m.UserID, "workspace_id": id, "wid": id, "name": m.Name, "email": m.Email,
				"active": !m.Inactive, "inactive": m.Inactive, "admin": i == 0, "role": "user", "group_ids": []int64{}, "rate": nil,
				"labor_cost": nil, "timezone": "Europe/Berlin", "working_hours_in_minutes": nonZero(m.WorkingHoursInMinutes), "at": "2025-03-01T09:00:00+00:00",
			})
		}
		return mustMarshal(out)
	}
	q := r.URL.Query()
	page, pageErr := strconv.Atoi(cmp.Or(q.Get("page"), "1"))
	perPage, perPageErr := strconv.Atoi(cmp.Or(q.Get("per_page"), strconv.Itoa(DefaultPerPage)))
	if pageErr != nil || perPageErr != nil || page < 1 || perPage < 1 {
		return nil
	}
	out := []savedReportJSON{}
	if pages := slices.Collect(slices.Chunk(ws.Reports, perPage)); page <= len(pages) {
		for _, s := range pages[page-1] {
			params, _ := json.Marshal(s.Params)
			if s.Params == nil {
				params = []byte("{}")
			}
			out = append(out, savedReportJSON{SavedReport: s, Params: string(params), UpdatedAt: "2025-03-01T09:00:00+00:00", ScheduledEmailUIDs: []int64{}})
		}
	}
	return mustMarshal(out)
}
