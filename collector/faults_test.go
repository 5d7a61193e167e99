package collector

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/toggl-exporter/toggl_exporter/client"
	"github.com/toggl-exporter/toggl_exporter/internal/togglfake"
)

// faultConfig has the faulty report (API token, a short timeout) and a healthy
// neighbour (e-mail and password) on the same fake Toggl.
const faultConfig = `
api_url: {{URL}}
min_refresh_interval: 5m
max_stale: 30m
timeout: 10s
max_response_bytes: 16KiB
reports:
  - name: faulty
    token: ` + secretToken + `
    api_token: ` + secretAPIToken + `
    timeout: 1s
  - name: neighbour
    token: ` + neighbourToken + `
    email: ` + neighbourEmail + `
    password: ` + neighbourSecret + `
`

// newFaultStack serves both reports healthy, each requiring its credentials.
func newFaultStack(t *testing.T) *stack {
	s := newStack(t, nil)
	s.fake.Set(secretToken, togglfake.Report{Body: reportJSON("Faulty", faultySeconds), Auth: togglfake.Auth{APIToken: secretAPIToken}})
	s.fake.Set(neighbourToken, togglfake.Report{Body: reportJSON("Neighbour", neighbourSeconds), Auth: togglfake.Auth{Email: neighbourEmail, Password: neighbourSecret}})
	return s
}

// checkFailure asserts what a failed refresh of "faulty" must look like after one good
// fetch at success: down with code, the failure counted once, every request counted, the
// last good values still served, the neighbour untouched, a warning naming report and
// code (and holding explain), and no secret anywhere. fetches is the expected
// toggl_report_fetches_total of the faulty report.
func checkFailure(t *testing.T, s *stack, x exposition, code, explain string, success time.Time, fetches float64) {
	t.Helper()
	x.down(t, "faulty", code)
	for c, v := range x.errorCodes("faulty") {
		want := 0.0
		if c == code {
			want = 1
		}
		got, ok := x.value("toggl_report_fetch_failures_total", "faulty", "code", c)
		if got != want || (want == 1 && !ok) {
			t.Errorf("toggl_report_fetch_failures_total{code=%q} = %g (present %v), want %g (error gauge %g)", c, got, ok, want, v)
		}
	}
	x.want(t, fetches, "toggl_report_fetches_total", "faulty")
	x.want(t, faultySeconds, "toggl_report_tracked_seconds", "faulty") // stale, within max_stale
	x.want(t, float64(success.Unix()), "toggl_report_last_success_timestamp_seconds", "faulty")

	x.up(t, "neighbour", neighbourSeconds)
	x.want(t, float64(s.fake.Count(neighbourToken)), "toggl_report_fetches_total", "neighbour")
	if strings.Contains(x.series("neighbour"), "toggl_report_fetch_failures_total") {
		t.Errorf("the neighbour counts failures:\n%s", x.series("neighbour"))
	}

	lines := s.logs.lines("report=faulty", "level=warn", "code="+code)
	if len(lines) != 1 {
		t.Errorf("want one warning naming the report and code %q, got %d in:\n%s", code, len(lines), s.logs.String())
	} else if !strings.Contains(lines[0], explain) {
		t.Errorf("the warning does not explain (%q): %s", explain, lines[0])
	} else {
		t.Log(lines[0])
	}
	if other := s.logs.lines("report=neighbour", "level=warn"); len(other) > 0 {
		t.Errorf("warnings about the healthy neighbour: %q", other)
	}
	if st := s.status("faulty"); st.Up || st.Code != code || !strings.Contains(st.Message, explain) {
		t.Errorf("status %+v, want down with code %q and a message holding %q", st, code, explain)
	}
	noSecrets(t, "the log", s.logs.String())
	noSecrets(t, "the exposition", x.text)
	for _, st := range s.exp.Status() {
		noSecrets(t, "the status message", st.Message)
	}
}

// TestFaults runs each upstream misbehaviour through the real client and checks that it
// gives the documented code (see client.CodeTimeout, CodeNetwork, CodeDecode) and
// nothing worse.
func TestFaults(t *testing.T) {
	bigBody := `{"report_type":"detailed","workspace_logo":"` + strings.Repeat("x", 64<<10) + `"}`
	tests := []struct {
		name    string
		fault   togglfake.Fault
		auth    *togglfake.Auth // replaces the report's required credentials
		code    string
		explain string // the warning must hold it
	}{
		{name: "slow headers", fault: togglfake.Fault{HeaderDelay: time.Minute}, code: client.CodeTimeout, explain: "deadline exceeded"},
		{name: "slow body", fault: togglfake.Fault{BodyDelay: time.Minute}, code: client.CodeTimeout, explain: "reading the response body"},
		{name: "reset mid-body", fault: togglfake.Fault{Reset: true}, code: client.CodeNetwork, explain: "reset"},
		// Cut by the connection (Content-Length not reached): the network's fault.
		{name: "body cut short", fault: togglfake.Fault{Truncate: 120}, code: client.CodeNetwork, explain: "unexpected EOF"},
		// A complete answer holding half a document: the upstream's fault.
		{name: "truncated JSON", fault: togglfake.Fault{Body: `{"report_name":"x","report_type":"detailed","detailed_results":{"report":[{"user_id":1}`},
			code: client.CodeDecode, explain: "truncated JSON"},
		{name: "HTML 200", fault: togglfake.Fault{Body: "<!doctype html><html><head><title>Toggl Track</title></head><body>Log in</body></html>", ContentType: "text/html"},
			code: client.CodeDecode, explain: "HTML"},
		{name: "empty 200", fault: togglfake.Fault{EmptyBody: true}, code: client.CodeDecode, explain: "empty body"},
		{name: "wrong types", fault: togglfake.Fault{Body: `{"report_type":"weekly","weekly_results":{"report":"n/a"}}`}, code: client.CodeDecode, explain: "expected an array"},
		{name: "wrong top level", fault: togglfake.Fault{Body: `[1,2,3]`}, code: client.CodeDecode, explain: "expected a JSON object"},
		{name: "over max_response_bytes", fault: togglfake.Fault{Body: bigBody}, code: client.CodeDecode, explain: "larger than 16384 bytes"},
		{name: "401", fault: togglfake.Fault{Status: http.StatusUnauthorized}, code: "401", explain: "Incorrect username and/or password"},
		{name: "403 from the credentials", auth: &togglfake.Auth{APIToken: "someone-else"}, code: "403", explain: "Invalid token"},
		// An error page that quotes the request path, token included.
		{name: "404 quoting the token", fault: togglfake.Fault{Status: http.StatusNotFound, Body: "Not found: POST /reports/api/v3/shared/" + secretToken + "\n"},
			code: "404", explain: "Not found"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := newFaultStack(t)
			s.apply(faultConfig)
			x := s.rescrape()
			x.up(t, "faulty", faultySeconds)
			x.up(t, "neighbour", neighbourSeconds)
			success := s.clock.Now()

			if tc.auth != nil {
				s.fake.Set(secretToken, togglfake.Report{Body: reportJSON("Faulty", faultySeconds), Auth: *tc.auth})
			} else {
				s.fake.SetFault(secretToken, tc.fault)
			}
			s.clock.Advance(6 * time.Minute)
			x = s.rescrape()
			if n := s.fake.Count(secretToken); n != 2 {
				t.Errorf("the faulty report was requested %d times, want 2", n)
			}
			checkFailure(t, s, x, tc.code, tc.explain, success, 2)
		})
	}
}

// TestFaultConnectionRefused: the faulty report's server goes away.
func TestFaultConnectionRefused(t *testing.T) {
	s := newFaultStack(t)
	// The faulty report is served by a second server in front of the same fake.
	srv2 := httptest.NewServer(s.fake)
	defer srv2.Close()
	// Its own transport, so that the test can drop the kept-alive connection: else the
	// first request after the server is gone may go out on it and read EOF (code network
	// too, but not the refusal this test is about).
	tr := http.DefaultTransport.(*http.Transport).Clone()
	cl2 := client.New(client.Options{BaseURL: srv2.URL, Now: s.clock.Now, HTTPClient: &http.Client{Transport: tr}})
	s.routes = map[string]Fetcher{secretToken: cl2}
	s.apply(faultConfig)
	x := s.rescrape()
	x.up(t, "faulty", faultySeconds)
	success := s.clock.Now()

	srv2.Close()
	tr.CloseIdleConnections()
	s.clock.Advance(6 * time.Minute)
	x = s.rescrape()
	if n := s.fake.Count(secretToken); n != 1 {
		t.Errorf("the fake saw %d requests for the faulty report, want 1 (the server is gone)", n)
	}
	// Nothing reached Toggl, but the attempt counts as a request.
	checkFailure(t, s, x, client.CodeNetwork, "connect: connection refused", success, 2)
}

// TestFault5xxBurst: 500, 502, 503 and 504 in a row, each counted under its code, then
// recovery once min_refresh_interval has passed; a Retry-After on a 503 is honoured.
func TestFault5xxBurst(t *testing.T) {
	s := newFaultStack(t)
	s.apply(faultConfig)
	s.rescrape().up(t, "faulty", faultySeconds)
	success := s.clock.Now()

	burst := []struct {
		fault   togglfake.Fault
		explain string
	}{
		{togglfake.Fault{Status: 500}, "report is too big to be exported"},
		// A proxy's error page, quoting the path with the token in it.
		{togglfake.Fault{Status: 502, ContentType: "text/html",
			Body: "<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1><p>POST /reports/api/v3/shared/" + secretToken + "</p></body></html>"}, "Bad Gateway"},
		{togglfake.Fault{Status: 503}, "Service Unavailable"},
		{togglfake.Fault{Status: 504, Body: " "}, "Gateway Timeout"},
	}
	for i, b := range burst {
		code := strconv.Itoa(b.fault.Status)
		s.fake.SetFault(secretToken, b.fault)
		s.clock.Advance(5 * time.Minute)
		x := s.rescrape()
		x.down(t, "faulty", code)
		for _, prev := range burst[:i+1] {
			x.want(t, 1, "toggl_report_fetch_failures_total", "faulty", "code", strconv.Itoa(prev.fault.Status))
		}
		x.want(t, float64(i+2), "toggl_report_fetches_total", "faulty")
		x.want(t, faultySeconds, "toggl_report_tracked_seconds", "faulty")
		x.want(t, float64(success.Unix()), "toggl_report_last_success_timestamp_seconds", "faulty")
		x.up(t, "neighbour", neighbourSeconds)
		if l := s.logs.lines("report=faulty", "code="+code); len(l) != 1 || !strings.Contains(l[0], b.explain) {
			t.Errorf("warnings for %s: %q, want one holding %q", code, l, b.explain)
		}
		noSecrets(t, "the exposition", x.text)
	}
	noSecrets(t, "the log", s.logs.String())

	// Toggl recovers, but within min_refresh_interval of the 504 nothing is asked.
	s.fake.SetFault(secretToken, togglfake.Fault{})
	s.clock.Advance(4 * time.Minute)
	x := s.rescrape()
	x.down(t, "faulty", "504")
	if n := s.fake.Count(secretToken); n != 5 {
		t.Errorf("%d requests, want 5: a failure is not retried before min_refresh_interval", n)
	}
	s.clock.Advance(time.Minute)
	x = s.rescrape()
	x.up(t, "faulty", faultySeconds)
	x.want(t, float64(s.clock.Now().Unix()), "toggl_report_last_success_timestamp_seconds", "faulty")
	for _, b := range burst {
		x.want(t, 1, "toggl_report_fetch_failures_total", "faulty", "code", strconv.Itoa(b.fault.Status))
	}
	x.want(t, 6, "toggl_report_fetches_total", "faulty")

	// A 503 with Retry-After longer than min_refresh_interval: the next refresh is not
	// sent, and is no new failure; the one after the Retry-After is.
	s.fake.SetFault(secretToken, togglfake.Fault{Status: 503, Header: http.Header{"Retry-After": {"420"}}})
	s.clock.Advance(5 * time.Minute)
	x = s.rescrape()
	x.down(t, "faulty", "503")
	x.want(t, 2, "toggl_report_fetch_failures_total", "faulty", "code", "503")
	s.fake.SetFault(secretToken, togglfake.Fault{})
	s.clock.Advance(5 * time.Minute) // 300 s of the 420
	x = s.rescrape()
	x.down(t, "faulty", "503")
	x.want(t, 2, "toggl_report_fetch_failures_total", "faulty", "code", "503")
	x.want(t, 7, "toggl_report_fetches_total", "faulty")
	if n := s.fake.Count(secretToken); n != 7 {
		t.Errorf("%d requests, want 7: nothing is sent before Retry-After", n)
	}
	x.want(t, faultySeconds, "toggl_report_tracked_seconds", "faulty")
	s.clock.Advance(5 * time.Minute)
	s.rescrape().up(t, "faulty", faultySeconds)
	if n := s.fake.Count(secretToken); n != 8 {
		t.Errorf("%d requests, want 8 once Retry-After has passed", n)
	}
	noSecrets(t, "the log", s.logs.String())
}
