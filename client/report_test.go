package client

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestGroupingFromRequest: a summary's dimensions are those the request asked for, then
// the answer's input_params, then its saved_params, then Toggl's defaults.
func TestGroupingFromRequest(t *testing.T) {
	const body = `{"report_type": "summary", "input_params": %s, "saved_params": {"grouping": "clients", "sub_grouping": "tasks"},
		"summary_results": {"report": {"groups": []}, "totals": {"seconds": 0}}}`
	for name, tc := range map[string]struct {
		request    map[string]any
		input      string
		group, sub string
	}{
		"request only":          {map[string]any{"grouping": "users", "sub_grouping": "projects"}, `{}`, "users", "projects"},
		"request over the echo": {map[string]any{"grouping": "Users"}, `{"grouping": "projects", "sub_grouping": "users"}`, "users", "users"},
		"echo over saved":       {nil, `{"grouping": "projects", "sub_grouping": "users"}`, "projects", "users"},
		"saved":                 {map[string]any{"grouping": " "}, `{}`, "clients", "tasks"},
	} {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.Write([]byte(fmt.Sprintf(body, tc.input)))
			}))
			defer srv.Close()
			rep, _, err := New(Options{BaseURL: srv.URL}).Run(context.Background(), Request{Token: "t", Body: tc.request}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if g, s := rep.Grouping(); g != tc.group || s != tc.sub {
				t.Errorf("Grouping() = %s, %s; want %s, %s", g, s, tc.group, tc.sub)
			}
		})
	}
	if g, s := (&Report{}).Grouping(); g != "projects" || s != "time_entries" {
		t.Errorf("defaults: %s, %s; want projects, time_entries", g, s)
	}
}
