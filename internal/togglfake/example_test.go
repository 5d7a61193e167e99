package togglfake_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/toggl-exporter/toggl_exporter/internal/togglfake"
)

func Example() {
	f := togglfake.New()
	f.Set("team", togglfake.Report{
		Body: togglfake.DetailedJSON(togglfake.DetailedSpec{Entries: 3, Projects: 2, Users: 1}),
		Auth: togglfake.Auth{APIToken: "secret"},
	})
	srv := httptest.NewServer(f)
	defer srv.Close()

	fetch := func() {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+togglfake.PathPrefix+"team", strings.NewReader(`{"start_date":"2025-03-03"}`))
		req.SetBasicAuth("secret", "api_token")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			fmt.Println("error:", err != nil)
			return
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		fmt.Println(resp.StatusCode, resp.Header.Get("Content-Type"), strings.HasPrefix(string(body), "{"))
	}
	fetch()
	f.SetFault("team", togglfake.Fault{Status: http.StatusInternalServerError})
	fetch()

	r := f.Requests()[0]
	fmt.Println(len(f.Requests()), r.AuthKind, r.AuthOK, r.Body["start_date"])
	// Output:
	// 200 application/json true
	// 500 text/plain; charset=utf-8 false
	// 2 api_token true 2025-03-03
}
