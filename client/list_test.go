package client

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/toggl-exporter/toggl_exporter/internal/togglfake"
)

const listAPIToken = "list-API-token-SECRET-0123456789"

func listToken(i int) string { return fmt.Sprintf("listed-SECRET-%018d", i) }

func TestListSharedReportsPages(t *testing.T) {
	for _, n := range []int{0, 1, 49, 50, 120} {
		t.Run(fmt.Sprint(n, " reports"), func(t *testing.T) {
			f := togglfake.New()
			var want []SavedReport
			var saved []togglfake.SavedReport
			for i := range n {
				s := togglfake.SavedReport{ID: int64(1000 + i), Name: fmt.Sprint("Report ", i), Token: listToken(i), Public: i%2 == 0, FixedDaterange: i == 3}
				if i == 1 {
					s.Params = map[string]any{"period": "week"}
				}
				saved = append(saved, s)
				want = append(want, SavedReport{ID: s.ID, Name: s.Name, Token: s.Token, Public: s.Public, FixedDaterange: s.FixedDaterange, Params: orEmpty(s.Params)})
			}
			f.SetWorkspace(77, togglfake.Workspace{APIToken: listAPIToken, Reports: saved})
			srv := httptest.NewServer(f)
			defer srv.Close()
			c := newTestClient(srv, Options{})
			got, err := c.ListSharedReports(context.Background(), Listing{WorkspaceID: 77, Credentials: Credentials{APIToken: listAPIToken}})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got %+v\nwant %+v", got, want)
			}
			// Every page until a short one: n/50 full pages and one short (maybe empty).
			var paths []string
			for _, r := range f.Requests() {
				if !r.AuthOK || r.AuthKind != togglfake.AuthAPIToken || r.UserAgent != "toggl_exporter/test" {
					t.Errorf("request %+v", r)
				}
				paths = append(paths, r.Path)
			}
			var wantPaths []string
			for p := 1; p <= n/50+1; p++ {
				wantPaths = append(wantPaths, fmt.Sprintf("/api/v9/workspaces/77/reports/shared?page=%d&per_page=50", p))
			}
			if !reflect.DeepEqual(paths, wantPaths) {
				t.Errorf("requests %q, want %q", paths, wantPaths)
			}
		})
	}
}

func orEmpty(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

func TestListSharedReportsStatus(t *testing.T) {
	f := togglfake.New()
	f.SetWorkspace(77, togglfake.Workspace{APIToken: listAPIToken})
	srv := httptest.NewServer(f)
	defer srv.Close()
	c := newTestClient(srv, Options{})
	for _, tt := range []struct {
		name string
		ws   int64
		cred Credentials
		code string
	}{
		{"no credentials", 77, Credentials{}, "401"},
		{"another token", 77, Credentials{APIToken: "another-API-token-SECRET-0123456"}, "403"},
		{"unknown workspace", 78, Credentials{APIToken: listAPIToken}, "404"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := c.ListSharedReports(context.Background(), Listing{WorkspaceID: tt.ws, Credentials: tt.cred})
			var e *Error
			if !errors.As(err, &e) || e.Code != tt.code || got != nil {
				t.Fatalf("got %v, %v; want an *Error with code %s", got, err, tt.code)
			}
			assertNoSecret(t, Request{Credentials: tt.cred}, err)
		})
	}
}

// TestListSharedReportsTolerant feeds the decoder what toggl-api.md says may come.
func TestListSharedReportsTolerant(t *testing.T) {
	tok := listToken(1)
	tests := []struct {
		name, body string
		want       []SavedReport
		err        string
	}{
		{"params as a JSON string, unknown fields", `[{"id":5,"name":"A","token":"` + tok + `","public":true,"fixed_daterange":false,"params":"{\"period\":\"week\",\"billable\":true}","uid":1,"deleted_at":null,"new":{"x":[1]}}]`,
			[]SavedReport{{ID: 5, Name: "A", Token: tok, Public: true, Params: map[string]any{"period": "week", "billable": true}}}, ""},
		{"params as an object, numbers as strings", `[{"id":"5","name":"A","token":"` + tok + `","public":"1","params":{"period":"week"}}]`,
			[]SavedReport{{ID: 5, Name: "A", Token: tok, Public: true, Params: map[string]any{"period": "week"}}}, ""},
		{"params neither", `[{"id":5,"token":"` + tok + `","params":"not json"},{"id":6,"params":[1]},{"id":7,"params":null}]`,
			[]SavedReport{{ID: 5, Token: tok}, {ID: 6}, {ID: 7}}, ""},
		{"null", `null`, nil, ""},
		{"empty", `[]`, nil, ""},
		{"an object", `{"data":[]}`, nil, "toggl: decode: expected a JSON array of saved reports, got object"},
		{"a bad id", `[{"token":"` + tok + `","id":{"n":1}}]`, nil, "toggl: decode [0].id: expected an integer, got object"},
		{"the token is an object", `[{"token":{"v":"` + tok + `"}}]`, nil, "toggl: decode [0].token: expected a string, got object"},
		{"truncated", `[{"id":5,"token":"` + tok + `"`, nil, "toggl: decode [0]: truncated JSON: the body ends at byte 51"},
		{"more after the array", `[] []`, nil, "toggl: decode: unexpected data after the array of saved reports"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, tt.body) })
			got, err := newTestClient(srv, Options{}).ListSharedReports(context.Background(), Listing{WorkspaceID: 1, Credentials: Credentials{APIToken: listAPIToken}})
			if tt.err == "" && err != nil || tt.err != "" && (err == nil || err.Error() != tt.err) {
				t.Fatalf("error %v, want %q", err, tt.err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v\nwant %+v", got, tt.want)
			}
			if err != nil {
				assertNoSecret(t, Request{Token: tok, Credentials: Credentials{APIToken: listAPIToken}}, err)
			}
		})
	}
}

// TestListSharedReportsSecrets: a server that echoes every secret it has seen in its
// error body (the API token, and the tokens of the page before) gets them redacted.
func TestListSharedReportsSecrets(t *testing.T) {
	var page1 strings.Builder
	page1.WriteString("[")
	for i := range 50 {
		if i > 0 {
			page1.WriteString(",")
		}
		fmt.Fprintf(&page1, `{"id":%d,"token":%q}`, i+1, listToken(i))
	}
	page1.WriteString("]")
	for _, tt := range []struct {
		name  string
		page2 func(w http.ResponseWriter)
	}{
		{"error body", func(w http.ResponseWriter) {
			http.Error(w, "bad "+listAPIToken+" "+listToken(3)+" "+strings.ToUpper(listToken(7)), http.StatusInternalServerError)
		}},
		{"bad JSON", func(w http.ResponseWriter) {
			fmt.Fprintf(w, `[{"id":1,"token":%q,"public":%q}]`, listToken(60), listToken(60))
		}},
		{"a token number", func(w http.ResponseWriter) { fmt.Fprintf(w, `[{"token":1234567890123456,"id":"1234567890123456x"}]`) }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Query().Get("page") == "1" {
					fmt.Fprint(w, page1.String())
					return
				}
				tt.page2(w)
			})
			_, err := newTestClient(srv, Options{}).ListSharedReports(context.Background(), Listing{WorkspaceID: 1, Credentials: Credentials{APIToken: listAPIToken}})
			if err == nil {
				t.Fatal("no error")
			}
			for _, s := range []string{listAPIToken, listToken(3), strings.ToUpper(listToken(7)), listToken(60), "1234567890123456"} {
				if strings.Contains(err.Error(), s) || strings.Contains(fmt.Sprintf("%+v", err), s) {
					t.Errorf("the error shows a secret: %v", err)
				}
			}
		})
	}
}

// TestListSharedReportsEtiquette: the listing goes through the limits of its credentials,
// those of the reports sent with them: a 429 on the listing holds back the reports, and
// the next listing is not sent while it lasts.
func TestListSharedReportsEtiquette(t *testing.T) {
	var mu sync.Mutex
	requests := 0
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		requests++
		mu.Unlock()
		w.Header().Set("Retry-After", "600")
		http.Error(w, "Too Many Requests", http.StatusTooManyRequests)
	})
	cred := Credentials{APIToken: listAPIToken}
	c := newTestClient(srv, Options{})
	if _, err := c.ListSharedReports(context.Background(), Listing{WorkspaceID: 1, Credentials: cred}); Code(err) != "429" {
		t.Fatalf("first listing: %v, want a 429", err)
	}
	_, err := c.ListSharedReports(context.Background(), Listing{WorkspaceID: 1, Credentials: cred})
	var e *Error
	if !errors.As(err, &e) || !e.Backoff || !e.NotSent {
		t.Errorf("second listing: %v, want a backoff, not sent", err)
	}
	if _, _, err := c.Run(context.Background(), Request{Token: testToken, Credentials: cred}, nil); !errors.As(err, &e) || !e.NotSent {
		t.Errorf("a report with the same credentials: %v, want not sent", err)
	}
	if requests != 1 {
		t.Errorf("%d requests, want 1", requests)
	}
}

func TestListSharedReportsBodyLimit(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `[{"id":1,"name":%q}]`, strings.Repeat("x", 2000))
	})
	_, err := newTestClient(srv, Options{MaxResponseBytes: 1000}).ListSharedReports(context.Background(), Listing{WorkspaceID: 1, Credentials: Credentials{APIToken: listAPIToken}})
	if Code(err) != CodeDecode || !strings.Contains(err.Error(), "response body larger than 1000 bytes") {
		t.Errorf("error %v, want the body limit", err)
	}
}

// TestListSharedReportsTimeoutPerPage: the timeout bounds each page, not the listing: 40
// pages that each take a tenth of the timeout are all read, however long they take
// together; a page slower than the timeout fails the listing.
func TestListSharedReportsTimeoutPerPage(t *testing.T) {
	f := togglfake.New()
	var saved []togglfake.SavedReport
	for i := range 40*listPerPage - 1 {
		saved = append(saved, togglfake.SavedReport{ID: int64(i + 1), Token: listToken(i)})
	}
	f.SetWorkspace(77, togglfake.Workspace{APIToken: listAPIToken, Reports: saved})
	var slow atomic.Int64 // the delay of each page
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(time.Duration(slow.Load()))
		f.ServeHTTP(w, r)
	})
	l := Listing{WorkspaceID: 77, Credentials: Credentials{APIToken: listAPIToken}, Timeout: 400 * time.Millisecond} // far above a page's 15 ms, even on a loaded machine
	slow.Store(int64(15 * time.Millisecond))
	start := time.Now()
	got, err := newTestClient(srv, Options{}).ListSharedReports(context.Background(), l)
	if err != nil || len(got) != len(saved) {
		t.Fatalf("%d reports, %v; want %d", len(got), err, len(saved))
	}
	if took := time.Since(start); took < l.Timeout {
		t.Fatalf("the listing took %s, not longer than the timeout: the test proves nothing", took)
	}
	slow.Store(int64(600 * time.Millisecond))
	if _, err := newTestClient(srv, Options{}).ListSharedReports(context.Background(), l); Code(err) != CodeTimeout {
		t.Errorf("a page slower than the timeout: %v, want a timeout", err)
	}
}

// TestListSharedReportsWithoutID: reports without an id are not taken for one another.
func TestListSharedReportsWithoutID(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `[{"name":"a"},{"id":null,"name":"b"},{"id":3,"name":"c"},{"id":3,"name":"c again"}]`)
	})
	got, err := newTestClient(srv, Options{}).ListSharedReports(context.Background(), Listing{WorkspaceID: 1, Credentials: Credentials{APIToken: listAPIToken}})
	if want := []SavedReport{{Name: "a"}, {Name: "b"}, {ID: 3, Name: "c"}}; err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, %v; want %+v", got, err, want)
	}
}

func TestSavedReportPrintsNoToken(t *testing.T) {
	s := SavedReport{ID: 1, Name: "a", Token: listToken(1)}
	for _, out := range []string{fmt.Sprint(s), fmt.Sprintf("%+v %#v %v", s, s, []SavedReport{s})} {
		if strings.Contains(out, listToken(1)) {
			t.Errorf("printed: %s", out)
		}
	}
}
