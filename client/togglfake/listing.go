package togglfake

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// ListingPrefix and listingSuffix frame the path of the listing of a workspace's saved
// reports: ListingPrefix + workspace id + "/reports/shared" (toggl-api.md, "Listing a
// workspace's saved reports").
const (
	ListingPrefix = "/api/v9/workspaces/"
	listingSuffix = "/reports/shared"
)

// DefaultPerPage is the page size of the listing when per_page is not given (the fake's
// choice: Toggl's default is not documented).
const DefaultPerPage = 50

// SavedReport is one saved report in the listing of a workspace.
type SavedReport struct {
	ID             int64
	Name           string
	Token          string // the {report_token} of the shared endpoint
	Public         bool
	FixedDaterange bool
	Params         map[string]any // sent as a JSON-encoded string, as Toggl does
}

// Workspace is what the fake lists for one workspace.
type Workspace struct {
	// APIToken is the API token the listing requires, as Basic <APIToken>:api_token.
	APIToken string
	Reports  []SavedReport
}

type savedReportJSON struct {
	ID                 int64   `json:"id"`
	Name               string  `json:"name"`
	Token              string  `json:"token"`
	Public             bool    `json:"public"`
	FixedDaterange     bool    `json:"fixed_daterange"`
	Params             string  `json:"params"`
	UpdatedAt          string  `json:"updated_at"`
	ScheduledEmailUIDs []int64 `json:"scheduled_email_uids"`
	DeletedAt          *string `json:"deleted_at"`
}

// SetWorkspace adds or replaces the listing of workspace id, served at
// GET ListingPrefix + id + "/reports/shared".
func (f *Fake) SetWorkspace(id int64, ws Workspace) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.workspaces == nil {
		f.workspaces = make(map[int64]Workspace)
	}
	f.workspaces[id] = ws
}

// serveListing answers GET ListingPrefix + {workspace_id} + "/reports/shared" like Toggl's
// API v9: a JSON array of the workspace's saved reports, page by page (query page, from 1,
// and per_page, default DefaultPerPage; a page past the end is []). An unknown workspace
// is 404, another method 405, no usable Authorization header 401, any credential but the
// workspace's API token 403, a page or per_page that is not a positive integer 400. An
// authorised request is charged to the quota (see SetQuota).
func (f *Fake) serveListing(w http.ResponseWriter, r *http.Request, kind, user string) {
	idText, _ := strings.CutPrefix(r.URL.Path, ListingPrefix)
	idText, pathOK := strings.CutSuffix(idText, listingSuffix)
	id, err := strconv.ParseInt(idText, 10, 64)

	f.mu.Lock()
	now := f.now()
	ws, known := f.workspaces[id]
	known = known && pathOK && err == nil
	authOK := known && kind == AuthAPIToken && user == ws.APIToken
	f.recordLocked(Request{AuthKind: kind, AuthOK: authOK, UserAgent: r.UserAgent(), Path: r.URL.RequestURI()})
	var spent string
	if authOK && r.Method == http.MethodGet {
		spent = f.quota.charge(bucketKey(kind, user), now, w.Header())
	}
	f.mu.Unlock()

	page, pageErr := queryInt(r, "page", 1)
	perPage, perPageErr := queryInt(r, "per_page", DefaultPerPage)
	switch {
	case !known:
		writeStatus(w, r, http.StatusNotFound, "", Fault{})
	case r.Method != http.MethodGet:
		w.Header().Set("Allow", http.MethodGet)
		writeStatus(w, r, http.StatusMethodNotAllowed, "", Fault{})
	case kind == AuthNone || kind == AuthInvalid:
		writeStatus(w, r, http.StatusUnauthorized, msgNoAuth, Fault{})
	case !authOK:
		writeStatus(w, r, http.StatusForbidden, "", Fault{})
	case spent != "":
		writeStatus(w, r, http.StatusPaymentRequired, spent, Fault{})
	case pageErr != nil || perPageErr != nil:
		writeStatus(w, r, http.StatusBadRequest, "page and per_page must be positive integers", Fault{})
	default:
		var listed []SavedReport
		if pages := slices.Collect(slices.Chunk(ws.Reports, perPage)); page <= len(pages) {
			listed = pages[page-1]
		}
		out := []savedReportJSON{}
		for _, s := range listed {
			params, _ := json.Marshal(s.Params)
			if s.Params == nil {
				params = []byte("{}")
			}
			out = append(out, savedReportJSON{
				ID: s.ID, Name: s.Name, Token: s.Token, Public: s.Public, FixedDaterange: s.FixedDaterange,
				Params: string(params), UpdatedAt: "2025-03-01T09:00:00+00:00", ScheduledEmailUIDs: []int64{},
			})
		}
		write(w, r, http.StatusOK, contentTypeJSON, mustMarshal(out), Fault{})
	}
}

// queryInt reads a positive integer from the query, def when absent.
func queryInt(r *http.Request, key string, def int) (int, error) {
	v := r.URL.Query().Get(key)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err == nil && n < 1 {
		err = strconv.ErrRange
	}
	return n, err
}
