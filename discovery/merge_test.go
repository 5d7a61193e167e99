package discovery

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/toggl-exporter/toggl_exporter/client"
	"github.com/toggl-exporter/toggl_exporter/config"
)

func TestLabelSafeName(t *testing.T) {
	long := strings.Repeat("Ab-", 100)
	for in, want := range map[string]string{
		"team-week":                 "team-week",
		"Team Week":                 "team-week",
		"  Clients — last month!  ": "clients-last-month",
		"a - b":                     "a-b",
		"v1.2_final":                "v1.2_final",
		"Café":                      "caf",
		"":                          "report",
		"???":                       "report",
		"日本":                        "report",
		long:                        strings.Repeat("ab-", 66) + "ab", // 200 bytes, cut with no "-" at the end
	} {
		got := LabelSafeName(in)
		if got != want {
			t.Errorf("LabelSafeName(%.20q…) = %q, want %q", in, got, want)
		}
		if len(got) > 200 || !validName.MatchString(got) {
			t.Errorf("LabelSafeName(%.20q…) = %q is not a valid report name", in, got)
		}
	}
}

// validName is a valid report name with no "-" at either end.
var validName = regexp.MustCompile(`^[a-z0-9_.]([a-z0-9_.-]*[a-z0-9_.])?$`)

func TestMerge(t *testing.T) {
	const (
		apiToken   = "listingtoken0123456789abcdef0123"
		savedToken = "savedreporttoken0123456789abcdef"
	)
	data := "api_token: " + apiToken + "\nreports:\n  - name: team-week\n    token: " + savedToken + "\n  - name: taken-9\n    token: " + savedToken + "\n  - name: taken\n    token: " + savedToken + "\n" +
		"discover:\n  - workspace_id: 11\n    exclude: '(?i)private.*'\n    defaults: {breakdowns: [tags, users]}\n  - workspace_id: 22\n    include: 'Dup|Other|Long.*'\n"
	c, err := config.Parse([]byte(data), "", func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	tok := func(i int) string { return strings.Repeat(string(rune('a'+i)), 32) }
	long := "Long " + strings.Repeat("x", 300)
	lists := [][]client.SavedReport{
		{
			{ID: 1, Name: "Team Week", Token: tok(1)}, // clashes with a configured report
			{ID: 2, Name: "Clients / Month", Token: tok(2)},
			{ID: 3, Name: "Dup", Token: tok(3)}, // clashes with a report of the other entry
			{ID: 4, Name: "Private notes", Token: tok(4)},
			{ID: 5, Name: "bad token", Token: "short"},
			{ID: 9, Name: "Taken", Token: tok(9)}, // taken, and taken-9 too
			{Name: "no id", Token: tok(10)},
			{Name: "no id either", Token: tok(11)},
		},
		{
			{ID: 6, Name: "Dup", Token: tok(6)},
			{ID: 7, Name: "Other", Token: tok(7)},
			{ID: 8, Name: "Filtered out", Token: tok(8)},
			{ID: 12, Name: long, Token: tok(12)},
			{ID: 13, Name: long + " 2", Token: tok(13)}, // the same once cut
		},
	}
	got, problems := merge(c, lists)
	type rep struct {
		name       string
		token      string
		breakdowns []string
		from       int64
	}
	var reps []rep
	for _, r := range got.Reports {
		reps = append(reps, rep{r.Name, r.Resolved.Token, r.Breakdowns, r.DiscoveredFrom})
		if r.DiscoveredFrom != 0 && (r.Resolved.APIToken != apiToken || r.Token.String() != "<secret>" || r.Resolved.Location == nil) {
			t.Errorf("%s: resolved %v, token %q", r.Name, r.Resolved, r.Token)
		}
	}
	tags, dflt := []string{"tags", "users"}, config.DefaultBreakdowns
	cutLong := "long-" + strings.Repeat("x", 200-len("long-")-len("-12"))
	want := []rep{
		{"team-week", savedToken, dflt, 0},
		{"taken-9", savedToken, dflt, 0},
		{"taken", savedToken, dflt, 0},
		{"team-week-1", tok(1), tags, 11},
		{"clients-month", tok(2), tags, 11},
		{"dup-3", tok(3), tags, 11},
		{"dup-6", tok(6), dflt, 22},
		{"other", tok(7), dflt, 22},
		{cutLong + "-12", tok(12), dflt, 22},
		{cutLong + "-13", tok(13), dflt, 22},
	}
	if !slices.EqualFunc(reps, want, func(a, b rep) bool {
		return a.name == b.name && a.token == b.token && slices.Equal(a.breakdowns, b.breakdowns) && a.from == b.from
	}) {
		t.Errorf("reports:\n got %v\nwant %v", reps, want)
	}
	for _, r := range got.Reports {
		if len(r.Name) > 200 {
			t.Errorf("a name of %d bytes", len(r.Name))
		}
	}
	wantProblems := []string{
		`discover[0]: saved report 5 "bad token": token: too short (16 characters at least; real report tokens have 32); left out`,
		`discover[0]: 2 listed report(s) without an id; left out`,
		`discover[0]: saved report 9 "Taken": the name taken-9 is taken; left out`,
	}
	if !slices.Equal(problems, wantProblems) {
		t.Errorf("problems:\n got %q\nwant %q", problems, wantProblems)
	}
	if len(c.Reports) != 3 {
		t.Errorf("merge changed the configuration it was given: %d reports", len(c.Reports))
	}

	out, err := got.Redacted()
	if err != nil {
		t.Fatal(err)
	}
	for i := range 14 {
		if strings.Contains(string(out), tok(i)) {
			t.Errorf("/config shows a listed token:\n%s", out)
		}
	}
	if !strings.Contains(string(out), "name: clients-month\n    token: <secret>\n") || !strings.Contains(string(out), "discovered_from_workspace: 11") {
		t.Errorf("/config does not show the discovered reports as such:\n%s", out)
	}

	// Nothing listed yet: the configured reports only.
	if got, problems := merge(c, nil); len(got.Reports) != 3 || problems != nil {
		t.Errorf("merge(nil) = %d reports, %v", len(got.Reports), problems)
	}
}
