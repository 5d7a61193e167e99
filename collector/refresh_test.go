package collector

import (
	"sync"
	"testing"
	"time"

	"github.com/toggl-exporter/toggl_exporter/internal/togglfake"
)

const slowToken = "tok-slow-0123456789abcdef01234567"

// TestScrapeDueAnswersFromCache: a scrape that finds a refresh due answers at once from
// the cache while the refresh, slow here, runs in the background; the scrape after it
// has ended serves what it fetched.
func TestScrapeDueAnswersFromCache(t *testing.T) {
	s := newStack(t, nil)
	s.fake.Set(slowToken, togglfake.Report{Body: reportJSON("Slow", 3600)})
	s.apply("api_url: {{URL}}\nreports:\n  - name: slow\n    token: " + slowToken + "\n")
	s.scrape().up(t, "slow", 3600)

	s.fake.Set(slowToken, togglfake.Report{Body: reportJSON("Slow", 7200), Fault: togglfake.Fault{HeaderDelay: time.Second}})
	s.clock.Advance(6 * time.Minute)
	start := time.Now()
	x := s.scrape()
	if took := time.Since(start); took > 300*time.Millisecond {
		t.Errorf("a scrape with a refresh due took %s, want the cache at once", took)
	}
	x.up(t, "slow", 3600)
	s.exp.fetches.Wait()
	if took := time.Since(start); took < time.Second {
		t.Errorf("the refresh ended after %s: it did not wait for the slow answer", took)
	}
	s.scrape().up(t, "slow", 7200)
	if n := s.fake.Count(slowToken); n != 2 {
		t.Errorf("%d requests, want 2", n)
	}
}

// TestCloseCancelsFetches: Close ends a fetch in flight at once (the request is cut,
// the report keeps its state), and no fetch starts after it.
func TestCloseCancelsFetches(t *testing.T) {
	s := newStack(t, nil)
	s.fake.Set(slowToken, togglfake.Report{Body: reportJSON("Slow", 3600), Fault: togglfake.Fault{HeaderDelay: 20 * time.Second}})
	s.apply("api_url: {{URL}}\ntimeout: 30s\nreports:\n  - name: slow\n    token: " + slowToken + "\n")
	var wg sync.WaitGroup
	wg.Go(func() { s.scrape() }) // waits: nothing cached
	waitFor(t, 5*time.Second, "the request", func() bool { return s.fake.Count(slowToken) == 1 })
	start := time.Now()
	s.exp.Close()
	s.exp.fetches.Wait()
	wg.Wait()
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("the fetch ended %s after Close", took)
	}
	if st := s.status("slow"); st.Fetched {
		t.Errorf("a fetch cut by Close was recorded: %+v", st)
	}
	s.scrape()
	s.exp.fetches.Wait()
	if n := s.fake.Count(slowToken); n != 1 {
		t.Errorf("%d requests, want none after Close", n)
	}
}
