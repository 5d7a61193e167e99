package collector

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/toggl-exporter/toggl_exporter/client"
	"github.com/toggl-exporter/toggl_exporter/internal/togglfake"
)

// openFDs counts the open file descriptors of the process; -1 where /proc is missing.
func openFDs() int {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return -1
	}
	return len(entries)
}

// leakReport is one report of the leak test and how its upstream fails.
type leakReport struct {
	name  string
	fault togglfake.Fault
	extra string // more YAML for the report
	every int    // it is refreshed every that many scrapes: its min_refresh_interval follows
	code  string
}

// TestNoLeaksAfterManyFailingScrapes scrapes 60 times, each scrape refreshing reports
// whose upstreams reset the connection mid-body, answer 500, answer a body over the
// limit, are refused, or are too slow (headers or body), next to a healthy one: some
// 250 failed fetches. Afterwards no goroutine is left (goleak) and the number of open
// file descriptors has not grown: a leak of one per failing fetch would show as some
// 250, well beyond the 16 of slack for the connection pool.
func TestNoLeaksAfterManyFailingScrapes(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, ignore) }) // last: after the servers closed
	fdsAtStart := openFDs()
	const scrapes, minutesApart = 60, 5

	reports := []leakReport{
		{name: "healthy", every: 1},
		{name: "reset", fault: togglfake.Fault{Reset: true}, every: 1, code: client.CodeNetwork},
		{name: "e500", fault: togglfake.Fault{Status: 500}, every: 1, code: "500"},
		{name: "big", fault: togglfake.Fault{Body: `{"report_type":"detailed","workspace_logo":"` + strings.Repeat("x", 20<<10) + `"}`}, every: 1, code: client.CodeDecode},
		{name: "refused", every: 1, code: client.CodeNetwork},
		// Timeouts cost real time: these two are refreshed every tenth scrape only,
		// with a timeout long enough for a request to go out on a loaded machine.
		{name: "slowheaders", fault: togglfake.Fault{HeaderDelay: time.Minute}, every: 10, code: client.CodeTimeout,
			extra: "    timeout: 200ms\n    max_stale: 2h\n"},
		{name: "slowbody", fault: togglfake.Fault{BodyDelay: time.Minute}, every: 10, code: client.CodeTimeout,
			extra: "    timeout: 200ms\n    max_stale: 2h\n"},
	}
	var yml strings.Builder
	yml.WriteString("api_url: {{URL}}\nmax_stale: 30m\nmax_response_bytes: 16KiB\nreports:\n")
	s := newStack(t, nil)
	for i, r := range reports {
		token := "tok-leak-0123456789abcdef-" + r.name
		s.fake.Set(token, togglfake.Report{Body: reportJSON(r.name, int64(100+i)), Fault: r.fault})
		// Each its own credentials: the rate limit must not make them wait for each other.
		fmt.Fprintf(&yml, "  - name: %s\n    token: %s\n    api_token: api-leak-0123456789abcdef-%s\n    min_refresh_interval: %dm\n%s",
			r.name, token, r.name, r.every*minutesApart, r.extra) // refreshed every r.every scrapes
	}
	s.routes = map[string]Fetcher{"tok-leak-0123456789abcdef-refused": client.New(client.Options{BaseURL: refusedURL(t), Now: s.clock.Now})}
	s.apply(yml.String())

	s.rescrape() // warm up: connections in the pool, lazily made state
	fdsWarm := openFDs()
	start := time.Now()
	var x exposition
	for i := 1; i <= scrapes; i++ {
		s.clock.Advance(minutesApart * time.Minute)
		x = s.rescrape()
		for _, r := range reports {
			switch {
			case r.code == "":
				x.want(t, 1, "toggl_report_up", r.name)
			case i%r.every == 0: // just refreshed: failed with its code
				x.want(t, 0, "toggl_report_up", r.name)
				x.want(t, 1, "toggl_report_error", r.name, "code", r.code)
			}
		}
		if t.Failed() {
			t.Fatalf("scrape %d", i)
		}
	}
	t.Logf("%d scrapes in %s; open fds: %d at start, %d warm, %d after", scrapes, time.Since(start).Round(time.Millisecond), fdsAtStart, fdsWarm, openFDs())
	for _, r := range reports {
		want := scrapes/r.every + 1
		n := s.fake.Count("tok-leak-0123456789abcdef-" + r.name)
		switch {
		case r.code == client.CodeTimeout:
			// On a loaded machine the timeout may end a refresh before its request
			// is sent, or before the fake has it; most must get there, none twice.
			sent, _ := x.value("toggl_report_fetches_total", r.name)
			if int(sent) > want || int(sent) < want*8/10 || n > int(sent) || n < want*8/10 {
				t.Errorf("report %s: %v requests sent, %d reached the fake, want about %d", r.name, sent, n, want)
			}
			continue
		}
		x.want(t, float64(want), "toggl_report_fetches_total", r.name) // every refresh sent a request
		switch {
		case r.name == "refused": // never reaches the fake
		case n != want:
			t.Errorf("report %s: %d requests, want %d: each scrape must have fetched", r.name, n, want)
		}
	}

	// While the servers still run: connections are reused or closed, not piling up.
	if fdsWarm >= 0 {
		waitFor(t, 10*time.Second, fmt.Sprintf("open fds back near %d (now %d)", fdsWarm, openFDs()), func() bool {
			return openFDs() <= fdsWarm+16
		})
	}
	// After they close, every connection and goroutine is gone (goleak in the cleanup).
	s.srv.Close()
	if fdsAtStart >= 0 {
		waitFor(t, 10*time.Second, fmt.Sprintf("open fds back near %d (now %d)", fdsAtStart, openFDs()), func() bool {
			return openFDs() <= fdsAtStart+4
		})
	}
}
