package collector

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/template"
	"time"

	"github.com/toggl-exporter/toggl_exporter/client"
	"github.com/toggl-exporter/toggl_exporter/config"
)

// Description is what one run of a report showed of Toggl's answer (`toggl_exporter
// describe`): which of the alternatives toggl-api.md names it took. It holds counts, field
// names and header names only, never a token, credential, name, e-mail or description, so
// that it can be pasted into a public issue.
type Description struct {
	Report      string         `json:"report"`       // the configured name
	ReportType  string         `json:"report_type"`  // as Toggl sent it, when it is a plain word
	ResultBlock string         `json:"result_block"` // e.g. detailed_results
	Requests    int            `json:"requests"`     // sent: each may cost quota
	Pages       int            `json:"pages"`        // read, up to MaxPages
	MaxPages    int            `json:"max_pages"`
	Headers     map[string]int `json:"headers"` // how many answers carried each paging and quota header
	// Rows are the detailed or weekly rows, or the summary groups, as sent (a row that
	// two pages hold counts twice); SubGroups the summary's sub-groups.
	Rows          int                        `json:"rows"`
	SubGroups     int                        `json:"sub_groups,omitempty"`
	TimeEntries   *entryCounts               `json:"time_entries,omitempty"`    // of a detailed report
	Running       *runningCounts             `json:"running_entries,omitempty"` // of a detailed report
	Seconds       *secondsCheck              `json:"seconds,omitempty"`         // summed from the rows against totals.seconds
	Dimensions    map[string]dimensionSource `json:"dimensions,omitempty"`      // a summary's, and where each came from
	Dictionaries  map[string]int             `json:"dictionaries"`              // distinct entries of each, over all pages
	Quota         *quotaSeen                 `json:"quota,omitempty"`           // of the latest answer that sent quota headers
	UnknownFields []string                   `json:"unknown_fields"`            // paths of the fields the decoder skipped as undocumented
	Error         string                     `json:"error,omitempty"`           // why the run stopped early; what came before is still told
}

type entryCounts struct {
	Sent      int `json:"sent"`       // in the rows, repeats included
	Distinct  int `json:"distinct"`   // counted once, as the exporter counts them (see Aggregator.newEntries)
	WithoutID int `json:"without_id"` // of those sent
}

type runningCounts struct {
	Count int            `json:"count"` // distinct running entries
	Shown map[string]int `json:"shown"` // by how each was shown, e.g. "stop null, seconds negative"
}

type secondsCheck struct {
	Rows     int64 `json:"rows"`   // summed from the rows or sub-groups, each entry once
	Totals   int64 `json:"totals"` // totals.seconds
	Complete bool  `json:"complete"`
}

type dimensionSource struct {
	Used        string `json:"used"`
	From        string `json:"from"` // request, input_params, saved_params or default
	Request     string `json:"request,omitempty"`
	InputParams string `json:"input_params,omitempty"`
	SavedParams string `json:"saved_params,omitempty"`
}

type quotaSeen struct {
	Remaining       *int64   `json:"remaining,omitempty"`
	ResetsInSeconds *float64 `json:"resets_in_seconds,omitempty"`
}

// pagingHeaders returns the paging headers among the headers of an answer
// (client.Response.Headers).
func pagingHeaders(headers []string) []string {
	return slices.DeleteFunc(slices.Clone(headers), func(h string) bool { return !strings.HasPrefix(h, "X-Next-") && h != "X-Page-Size" })
}

// Describe runs the report once, every page up to max_pages, paced like any fetch, and
// tells what Toggl sent. While the report's credentials back off it sends nothing and
// says so. A failure ends the run with Error set; what came before it is still told.
func Describe(ctx context.Context, cfg config.Report, f Fetcher, now time.Time) *Description {
	t := newTarget(cfg, f, nil)
	d := &Description{Report: cfg.Name, MaxPages: maxPages(cfg), Headers: map[string]int{}, Dictionaries: map[string]int{}, UnknownFields: []string{}}
	if b, ok := f.(budgeter); ok {
		if until := b.Budget(t.creds, 0).BlockedUntil; !until.IsZero() {
			d.Error = fmt.Sprintf("the report's credentials are backing off until %s: nothing sent", until.UTC().Format(time.RFC3339))
			return d
		}
	}
	// Each page may also wait for the pace or the quota: no wait exceeds one hour (Toggl's
	// quota window), the exporter's rule, and a fetch waits as long; describe too.
	ctx, cancel := context.WithTimeout(ctx, time.Duration(cfg.Timeout)*time.Duration(d.MaxPages)+time.Hour)
	defer cancel()
	o := t.walk(ctx, cfg.Body(now))
	a := o.agg
	d.Requests, d.Pages, d.Headers = o.sent, o.pages, o.headers
	if q := o.quota; q != nil {
		d.Quota = &quotaSeen{}
		if q.HasRemaining {
			d.Quota.Remaining = &q.Remaining
		}
		if q.HasResetsIn {
			secs := q.ResetsIn.Seconds()
			d.Quota.ResetsInSeconds = &secs
		}
	}
	if o.err != nil {
		d.Error = o.err.Error()
	} else {
		d.Seconds = &secondsCheck{Rows: o.snap.Summed, Totals: o.snap.Total, Complete: o.snap.Complete}
	}
	if a.sentRows > 0 { // of a detailed report: only its pages repeat rows
		d.Rows = a.sentRows
		d.TimeEntries = &entryCounts{Sent: a.sentEntries, Distinct: a.entries, WithoutID: a.withoutID}
		d.Running = &runningCounts{Count: len(a.running), Shown: map[string]int{}}
		for _, r := range a.running { // stop null (or absent) or set; seconds null (or absent), negative, 0 or positive
			secs := "seconds positive"
			switch te := r.entry; {
			case te.NoSeconds:
				secs = "seconds null"
			case te.Seconds < 0:
				secs = "seconds negative"
			case te.Seconds == 0:
				secs = "seconds 0"
			}
			d.Running.Shown[map[bool]string{true: "stop null", false: "stop set"}[r.entry.NoStop]+", "+secs]++
		}
	}
	if last := o.rep; last != nil {
		d.ReportType, d.ResultBlock = word(last.Type), last.Block+"_results"
		if last.Block != client.BlockDetailed {
			d.Rows = a.rows[last.Block]
		}
		if last.Block == client.BlockSummary {
			d.SubGroups, d.Dimensions = a.parts[client.BlockSummary], dimensionsOf(last)
		}
	}
	d.Dictionaries = map[string]int{"projects": len(a.dict.Projects), "clients": len(a.dict.Clients), "users": len(a.dict.Users), // of every page
		"tasks": len(a.dict.Tasks), "tags": len(a.dict.Tags), "user_groups": len(a.dict.UserGroups)}
	maps.DeleteFunc(d.Dictionaries, func(_ string, n int) bool { return n == 0 })
	d.UnknownFields = append(d.UnknownFields, a.unknown...) // of every page read
	return d
}

// dimensionsOf tells a summary's grouping and sub_grouping and where each came from: the
// request, then input_params, then saved_params, then Toggl's default (SPEC.md).
func dimensionsOf(rep *client.Report) map[string]dimensionSource {
	out := map[string]dimensionSource{}
	for key, def := range map[string]string{"grouping": "projects", "sub_grouping": "time_entries"} {
		param := func(m map[string]any) string { s, _ := m[key].(string); return word(s) }
		d := dimensionSource{Request: param(rep.Request), InputParams: param(rep.InputParams), SavedParams: param(rep.SavedParams)}
		srcs := [][2]string{{d.Request, "request"}, {d.InputParams, "input_params"}, {d.SavedParams, "saved_params"}, {def, "default"}}
		i := slices.IndexFunc(srcs, func(src [2]string) bool { return src[0] != "" }) // the default is never empty
		d.Used, d.From = srcs[i][0], srcs[i][1]
		out[key] = d
	}
	return out
}

// word is s lower-cased when it is a plain word of Toggl's vocabulary (letters and _, at
// most 32 bytes), "(other)" when it is anything else, so that no user text is told.
func word(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	if s != "" && (len(s) > 32 || strings.IndexFunc(s, func(r rune) bool { return (r < 'a' || r > 'z') && r != '_' }) >= 0) {
		return otherName
	}
	return s
}

// WriteText writes d for a person, a fact a line.
func (d *Description) WriteText(w io.Writer) error { return describeText.Execute(w, d) }

var describeText = template.Must(template.New("describe").Funcs(template.FuncMap{"counted": counted, "join": strings.Join,
	"minus": func(a, b int64) int64 { return a - b }}).Parse(
	`report {{printf "%q" .Report}}: report_type {{or .ReportType "(none)"}}, result block {{or .ResultBlock "(none)"}}
requests sent: {{.Requests}}; pages read: {{.Pages}} (max_pages {{.MaxPages}})
paging and quota headers: {{counted .Headers " on %d answer(s)"}}
{{if eq .ResultBlock "summary_results"}}rows: {{.Rows}} groups, {{.SubGroups}} sub-groups{{else}}rows: {{.Rows}} (repeats included){{end}}
{{with .TimeEntries}}time entries: {{.Sent}} sent, {{.Distinct}} distinct, {{.WithoutID}} without an id
running entries: {{$.Running.Count}} ({{counted $.Running.Shown ": %d"}})
{{end}}{{with .Seconds}}seconds: {{.Rows}} summed from the rows, totals.seconds {{.Totals}}: {{if .Complete}}complete{{else}}INCOMPLETE: {{minus .Totals .Rows}} seconds apart{{end}}
{{end}}{{range $k, $v := .Dimensions}}{{$k}}: {{.Used}}, from {{.From}} (request {{or .Request "-"}}, input_params {{or .InputParams "-"}}, saved_params {{or .SavedParams "-"}})
{{end}}dictionaries: {{counted .Dictionaries " %d"}}
{{with .Quota}}quota: {{with .Remaining}}remaining {{.}}{{end}}{{if and .Remaining .ResetsInSeconds}}, {{end}}{{with .ResetsInSeconds}}resets in {{.}}s{{end}}
{{end}}unknown fields: {{or (join .UnknownFields ", ") "none"}}
{{with .Error}}error: {{.}}
{{end}}`))

// counted lists the keys of m in order, each with its count in format; "none" when empty.
func counted(m map[string]int, format string) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, k+fmt.Sprintf(format, m[k]))
	}
	return cmp.Or(strings.Join(parts, "; "), "none")
}
