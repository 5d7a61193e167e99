package togglfake

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"
)

func TestListing(t *testing.T) {
	f := New()
	var reports []SavedReport
	for i := range 7 {
		reports = append(reports, SavedReport{ID: int64(100 + i), Name: fmt.Sprint("report ", i), Token: fmt.Sprintf("tok%029d", i),
			Public: i%2 == 0, FixedDaterange: i == 3, Params: map[string]any{"period": "week"}})
	}
	reports[6].Params = nil
	f.SetWorkspace(42, Workspace{APIToken: "ws-api-token", Reports: reports})
	f.SetQuota(100, time.Hour)
	srv := newServer(t, f)
	list := func(query string, auth func(*http.Request)) answer {
		return do(t, context.Background(), srv, call{method: http.MethodGet, path: ListingPrefix + "42" + "/reports/shared" + query, auth: auth})
	}

	a := list("?page=2&per_page=3", apiToken("ws-api-token"))
	if a.status != 200 || a.header.Get("Content-Type") != "application/json" || a.header.Get(HeaderQuotaRemaining) != "99" {
		t.Fatalf("%d %v %q", a.status, a.header, a.body)
	}
	var got []map[string]any
	if err := json.Unmarshal([]byte(a.body), &got); err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0]["id"] != float64(103) || got[0]["token"] != reports[3].Token || got[0]["fixed_daterange"] != true ||
		got[0]["public"] != false || got[0]["name"] != "report 3" {
		t.Fatalf("page 2 of 3: %v", got)
	}
	var params map[string]any
	if s, ok := got[0]["params"].(string); !ok || json.Unmarshal([]byte(s), &params) != nil || params["period"] != "week" {
		t.Errorf("params %#v, want a JSON-encoded string", got[0]["params"])
	}
	for _, k := range []string{"updated_at", "scheduled_email_uids", "deleted_at"} {
		if _, ok := got[0][k]; !ok {
			t.Errorf("no %s", k)
		}
	}

	for _, c := range []struct {
		query string
		n     int
	}{{"", 7}, {"?page=3&per_page=3", 1}, {"?page=4&per_page=3", 0}, {"?page=9223372036854775807&per_page=9223372036854775807", 0}} {
		a := list(c.query, apiToken("ws-api-token"))
		if err := json.Unmarshal([]byte(a.body), &got); err != nil || a.status != 200 || len(got) != c.n {
			t.Errorf("%q: %d %q, want %d reports", c.query, a.status, a.body, c.n)
		}
	}
	a = list("?page=2&per_page=6", apiToken("ws-api-token"))
	if err := json.Unmarshal([]byte(a.body), &got); err != nil || len(got) != 1 || got[0]["params"] != "{}" {
		t.Errorf("a report without params: %q, want params \"{}\"", a.body)
	}

	for name, c := range map[string]struct {
		method, path string
		auth         func(*http.Request)
		status       int
		body         string
	}{
		"wrong token":       {"GET", ListingPrefix + "42" + "/reports/shared", apiToken("other"), 403, "Invalid token"},
		"e-mail":            {"GET", ListingPrefix + "42" + "/reports/shared", emailAuth("a@example.com", "pw"), 403, "Invalid token"},
		"no credentials":    {"GET", ListingPrefix + "42" + "/reports/shared", nil, 401, msgNoAuth},
		"unknown workspace": {"GET", ListingPrefix + "43" + "/reports/shared", apiToken("ws-api-token"), 404, "Not found"},
		"not a workspace":   {"GET", ListingPrefix + "x" + "/reports/shared", apiToken("ws-api-token"), 404, "Not found"},
		"other path":        {"GET", ListingPrefix + "42/reports", apiToken("ws-api-token"), 404, "Not found"},
		"POST":              {"POST", ListingPrefix + "42" + "/reports/shared", apiToken("ws-api-token"), 405, "Method Not Allowed"},
		"bad page":          {"GET", ListingPrefix + "42" + "/reports/shared" + "?page=0", apiToken("ws-api-token"), 400, "page and per_page must be positive integers"},
		"bad per_page":      {"GET", ListingPrefix + "42" + "/reports/shared" + "?per_page=x", apiToken("ws-api-token"), 400, "page and per_page must be positive integers"},
	} {
		t.Run(name, func(t *testing.T) {
			wantAnswer(t, do(t, context.Background(), srv, call{method: c.method, path: c.path, auth: c.auth}), c.status, c.body)
		})
	}

	r := f.Requests()[0]
	if r.Path != ListingPrefix+"42/reports/shared?page=2&per_page=3" || r.AuthKind != AuthAPIToken || !r.AuthOK || r.Token != "" {
		t.Errorf("listing request recorded as %+v", r)
	}
}

func TestMembersListing(t *testing.T) {
	f := New()
	f.SetWorkspace(42, Workspace{APIToken: "ws-api-token", Members: []Member{{UserID: 7, Name: "Ann", Email: "ann@example.com"}, {UserID: 8, Name: "Bob", Inactive: true}}})
	srv := newServer(t, f)
	path := ListingPrefix + "42" + "/workspace_users"
	a := do(t, context.Background(), srv, call{method: http.MethodGet, path: path, auth: apiToken("ws-api-token")})
	var got []map[string]any
	if err := json.Unmarshal([]byte(a.body), &got); err != nil || a.status != 200 || len(got) != 2 {
		t.Fatalf("%d %q", a.status, a.body)
	}
	if m := got[0]; m["user_id"] != float64(7) || m["uid"] != float64(7) || m["wid"] != float64(42) || m["name"] != "Ann" || m["email"] != "ann@example.com" ||
		m["active"] != true || m["inactive"] != false || m["working_hours_in_minutes"] != nil {
		t.Errorf("member %v", m)
	}
	if m := got[1]; m["active"] != false || m["inactive"] != true {
		t.Errorf("inactive member %v", m)
	}
	wantAnswer(t, do(t, context.Background(), srv, call{method: http.MethodGet, path: path, auth: apiToken("not-an-admin")}), 403, "Invalid token")
}
