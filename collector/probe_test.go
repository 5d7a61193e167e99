package collector

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// probeAnswer serves target through ProbeHandler of an exporter with reports a and b.
func probeAnswer(t *testing.T, target string) (*fakeFetcher, *httptest.ResponseRecorder) {
	t.Helper()
	f := &fakeFetcher{}
	f.set("tok-a", healthy(60))
	e := newTestExporter(f, &fakeClock{now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}, "a", "b")
	rec := httptest.NewRecorder()
	e.ProbeHandler(HandlerOpts{}).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
	return f, rec
}

// TestProbeBadReportParameter: a missing, repeated or unknown report is a 400 that says
// what is wrong and fetches nothing; an unknown name is echoed cut and escaped.
func TestProbeBadReportParameter(t *testing.T) {
	long := strings.Repeat("x", 200) + "<script>\x1b[31m"
	tests := []struct {
		name, query string
		want        []string
		notWant     []string
	}{
		{"missing", "", []string{"missing parameter: report", "a, b"}, nil},
		{"empty", "report=", []string{"missing parameter: report"}, nil},
		{"twice", "report=a&report=a", []string{"report: given 2 times; give it once"}, nil},
		{"three times", "report=a&report=b&report=a", []string{"report: given 3 times; give it once"}, nil},
		{"unknown", "report=nope", []string{`unknown report "nope"`, "a, b"}, nil},
		{"unknown and long", "report=" + url.QueryEscape(long), []string{`unknown report "` + strings.Repeat("x", 64) + `"...`},
			[]string{strings.Repeat("x", 65), "<script>", "\x1b"}},
		{"unknown with control bytes", "report=" + url.QueryEscape("a\x1b[31m\n"), []string{`unknown report "a\x1b[31m\n"`}, []string{"\x1b"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, rec := probeAnswer(t, "/probe?"+tc.query)
			body := rec.Body.String()
			if rec.Code != http.StatusBadRequest {
				t.Errorf("status %d, want 400: %q", rec.Code, body)
			}
			for _, w := range tc.want {
				if !strings.Contains(body, w) {
					t.Errorf("body %q lacks %q", body, w)
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(body, w) {
					t.Errorf("body %q holds %q", body, w)
				}
			}
			if n := f.count("tok-a") + f.count("tok-b"); n != 0 {
				t.Errorf("a refused probe fetched %d times", n)
			}
		})
	}
	if _, rec := probeAnswer(t, "/probe?report=a"); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `toggl_report_up{report="a"} 1`) {
		t.Errorf("/probe?report=a: %d\n%s", rec.Code, rec.Body.String())
	}
}

// TestScrapeTimeoutIsCapped: however long a timeout Prometheus asks for, a scrape waits
// at most MaxTimeout, so that no client holds a slot of --web.max-requests for an hour.
func TestScrapeTimeoutIsCapped(t *testing.T) {
	opts := HandlerOpts{TimeoutOffset: 500 * time.Millisecond, MaxTimeout: 2 * time.Minute}
	tests := []struct {
		header string
		want   time.Duration
	}{
		{"", 30 * time.Second},
		{"10", 9500 * time.Millisecond},
		{"3600", 2 * time.Minute},
		{"1e300", 2 * time.Minute},
		{"+Inf", 2 * time.Minute},
		{"NaN", 30 * time.Second},
		{"0.1", time.Millisecond},
	}
	for _, tc := range tests {
		r := httptest.NewRequest(http.MethodGet, "/metrics", nil)
		if tc.header != "" {
			r.Header.Set("X-Prometheus-Scrape-Timeout-Seconds", tc.header)
		}
		before := time.Now()
		ctx, cancel := scrapeContext(r, opts)
		deadline, _ := ctx.Deadline()
		cancel()
		if got := deadline.Sub(before); got < tc.want-time.Second || got > tc.want+time.Second {
			t.Errorf("header %q: the scrape may wait %s, want %s", tc.header, got, tc.want)
		}
	}
}
