package collector

import (
	"testing"
	"time"
)

// TestFetchOnApply: with FetchOnApply, a report is fetched as soon as it is applied, so
// that the landing page has figures before the first scrape; a reload that leaves it
// unchanged fetches nothing, one that adds a report fetches that one.
func TestFetchOnApply(t *testing.T) {
	clock := &fakeClock{now: time.Unix(1_800_000_000, 0)}
	f := &tokenLog{}
	e := New(Options{Now: clock.Now, FetchOnApply: true})
	e.Apply(testConfig("x"), f)
	waitFor(t, 5*time.Second, "the fetch at apply", func() bool { return f.seen()["tok-x"] == 1 })
	waitFor(t, 5*time.Second, "the status", func() bool { return e.Status()[0].Fetched })
	st := e.Status()[0]
	if !st.Up || st.Tracked != time.Minute || !st.Complete || st.Pages != 1 || st.Series == 0 {
		t.Errorf("status %+v, want up with 1m tracked, complete, 1 page", st)
	}
	e.Apply(testConfig("x", "y"), f)
	waitFor(t, 5*time.Second, "the fetch of the added report", func() bool { return f.seen()["tok-y"] == 1 })
	time.Sleep(20 * time.Millisecond)
	if n := f.seen()["tok-x"]; n != 1 {
		t.Errorf("the unchanged report was fetched %d times, want 1", n)
	}
	// Without the option nothing is fetched before a scrape.
	quiet := &tokenLog{}
	New(Options{Now: clock.Now}).Apply(testConfig("z"), quiet)
	time.Sleep(20 * time.Millisecond)
	if got := quiet.seen(); len(got) != 0 {
		t.Errorf("fetched %v without FetchOnApply", got)
	}
}
