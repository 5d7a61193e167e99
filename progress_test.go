package main

import (
	"bytes"
	"os"
	"testing"
)

// TestProgressBar: on a terminal, progress lines redraw one bar in place and end it when
// done; other lines pass through whole; not on a terminal nothing changes.
func TestProgressBar(t *testing.T) {
	var out bytes.Buffer
	p := &progressBar{w: &out}
	for _, s := range []string{"team-week: 1/4 requests of seven days (1 sent with pages), through 2026-10-07\n",
		"team-week: 2/4 requests", " of seven days, through 2026-10-14\n", "team-week: Toggl says 429; waiting 1s\n",
		"team-week: 4/4 requests of seven days, through 2026-10-28\n"} {
		p.Write([]byte(s))
	}
	want := "\r\033[Kteam-week [#######.......................] 1/4 requests of seven days (1 sent with pages), through 2026-10-07" +
		"\r\033[Kteam-week [###############...............] 2/4 requests of seven days, through 2026-10-14" +
		"\nteam-week: Toggl says 429; waiting 1s\n" +
		"\r\033[Kteam-week [##############################] 4/4 requests of seven days, through 2026-10-28\n"
	if got := out.String(); got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	var plain bytes.Buffer
	if newProgress(&plain) != &plain {
		t.Error("a buffer is no terminal: progress must stay plain lines")
	}
	f, err := os.CreateTemp(t.TempDir(), "progress")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, bar := newProgress(f).(*progressBar); bar {
		t.Error("a file is no terminal")
	}
}
