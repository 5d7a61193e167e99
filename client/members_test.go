package client

import (
	"context"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/toggl-exporter/toggl_exporter/internal/togglfake"
)

func TestListMembers(t *testing.T) {
	f := togglfake.New()
	f.SetWorkspace(77, togglfake.Workspace{APIToken: listAPIToken, Members: []togglfake.Member{
		{UserID: 7, Name: "Ann", Email: "ann@example.com"}, {UserID: 8, Name: "Bob", Email: "bob@example.com", Inactive: true}}})
	srv := newServer(t, f.ServeHTTP)
	c := newTestClient(srv, Options{})
	got, err := c.ListMembers(context.Background(), Listing{WorkspaceID: 77, Credentials: Credentials{APIToken: listAPIToken}})
	if want := []Member{{UserID: 7, Name: "Ann", Active: true}, {UserID: 8, Name: "Bob"}}; err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, %v; want %+v", got, err, want)
	}
	if r := f.Requests(); len(r) != 1 || r[0].Path != "/api/v9/workspaces/77/workspace_users" || !r[0].AuthOK {
		t.Errorf("requests %+v", r)
	}
	// A token that is not an admin's.
	_, err = c.ListMembers(context.Background(), Listing{WorkspaceID: 77, Credentials: Credentials{APIToken: "member-API-token-SECRET-01234567"}})
	if Code(err) != "403" {
		t.Errorf("another token: %v, want a 403", err)
	}
}

// TestListMembersTolerant feeds the decoder what toggl-api.md says may come, and checks
// that no e-mail address reaches an error.
func TestListMembersTolerant(t *testing.T) {
	const email = "carol.secret@example.com"
	tests := []struct {
		name, body string
		want       []Member
		err        string
	}{
		{"every field", `[{"id":1,"user_id":7,"uid":7,"workspace_id":3,"wid":3,"name":"Ann","email":"` + email + `","active":true,"inactive":false,"admin":true,"role":"admin","group_ids":[1],"rate":null,"labor_cost":12.5,"timezone":"UTC","working_hours_in_minutes":480,"at":"2025-01-01T00:00:00Z"}]`,
			[]Member{{UserID: 7, Name: "Ann", Active: true, WorkingHoursInMinutes: 480}}, ""},
		{"uid only, strings for numbers and booleans", `[{"uid":"8","name":"Bob","active":"false"}]`, []Member{{UserID: 8, Name: "Bob"}}, ""},
		{"inactive, null active, odd working hours", `[{"user_id":9,"inactive":1,"active":null,"working_hours_in_minutes":7.5},{"user_id":10,"active":null,"working_hours_in_minutes":{}}]`,
			[]Member{{UserID: 9}, {UserID: 10, Active: true}}, ""},
		{"no user id", `[{"id":5,"name":"Nobody"}]`, []Member{{Name: "Nobody", Active: true}}, ""},
		{"an e-mail for a name (an invited user's?)", `[{"user_id":11,"name":"` + email + `","email":"` + email + `"}]`, []Member{{UserID: 11, Active: true}}, ""},
		{"null", `null`, nil, ""},
		{"an object", `{"data":[]}`, nil, "toggl: decode: expected a JSON array of workspace users, got object"},
		{"the e-mail in a bad field", `[{"email":"` + email + `","user_id":"` + email + `"}]`, nil, "toggl: decode [0].user_id: expected an integer, got string \"<redacted>\""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, tt.body) })
			got, err := newTestClient(srv, Options{}).ListMembers(context.Background(), Listing{WorkspaceID: 1, Credentials: Credentials{APIToken: listAPIToken}})
			if tt.err == "" && err != nil || tt.err != "" && (err == nil || err.Error() != tt.err) {
				t.Fatalf("error %v, want %q", err, tt.err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v\nwant %+v", got, tt.want)
			}
			if strings.Contains(fmt.Sprintf("%+v %v", got, err), email) {
				t.Errorf("an e-mail address shows: %+v %v", got, err)
			}
		})
	}
}
