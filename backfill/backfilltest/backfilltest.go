// Package backfilltest serves a few weeks of time entries as Toggl's shared-report
// endpoint does, honouring each request's start_date, end_date and first_timestamp, for
// the tests of the backfill command. The HTTP side (auth, quota, recording) is
// togglfake's: each request's body is computed here and handed to the Fake.
package backfilltest

import (
	"bytes"
	"cmp"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/toggl-exporter/toggl_exporter/internal/togglfake"
)

// Token is the report token the server answers for.
const Token = "backfill0123456789abcdef01234567"

// Rate is the hourly rate of every billable entry, in cents.
const Rate = 9000

// Entry is one time entry of the served history.
type Entry struct {
	ID, User, Project int64
	Billable          bool
	Start             time.Time
	Seconds           int64
}

// Server is an http.Handler serving Entries as a report of type Type.
type Server struct {
	Fake     *togglfake.Fake
	Type     string // "detailed" or "weekly"
	Loc      *time.Location
	Entries  []Entry // by start
	PageSize int     // detailed rows a page; 0 means 50

	mu sync.Mutex
}

// New returns a Server of typ with entries on the working days from first to last
// (in loc): two users, two projects and time without a project.
func New(typ string, loc *time.Location, first, last time.Time) *Server {
	s := &Server{Fake: togglfake.New(), Type: typ, Loc: loc}
	id := int64(1)
	for d := first; !d.After(last); d = d.AddDate(0, 0, 1) {
		n := d.YearDay()
		if d.Weekday() == time.Sunday || n%9 == 0 {
			continue
		}
		for u := int64(1); u <= 2; u++ {
			for k := range 1 + (n+int(u))%3 {
				project := []int64{10, 11, 0}[(n+k+int(u))%3]
				s.Entries = append(s.Entries, Entry{
					ID: id, User: u, Project: project, Billable: project != 0 && (n+k)%4 != 0,
					Start:   time.Date(d.Year(), d.Month(), d.Day(), 8+2*k+int(u), 0, 0, 0, loc),
					Seconds: int64(600 + (n*37+k*113+int(u)*71)%5400),
				})
				id++
			}
		}
	}
	slices.SortStableFunc(s.Entries, func(a, b Entry) int { return a.Start.Compare(b.Start) })
	return s
}

// Tracked is the seconds of the entries that started from first to last (inclusive days).
func (s *Server) Tracked(first, last time.Time) int64 {
	var sum int64
	for _, e := range s.between(first, last.AddDate(0, 0, 1)) {
		sum += e.Seconds
	}
	return sum
}

func (s *Server) between(from, to time.Time) []Entry {
	return slices.DeleteFunc(slices.Clone(s.Entries), func(e Entry) bool { return e.Start.Before(from) || !e.Start.Before(to) })
}

// ServeHTTP computes the report for the request's body and lets the Fake answer.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	r.Body = io.NopCloser(bytes.NewReader(b))
	var req map[string]any
	_ = json.Unmarshal(b, &req)
	body, header := s.report(req)
	s.Fake.Set(Token, togglfake.Report{Body: body, Fault: togglfake.Fault{Header: header}})
	s.Fake.ServeHTTP(w, r)
}

func (s *Server) report(req map[string]any) ([]byte, http.Header) {
	str := func(k string) string { v, _ := req[k].(string); return v }
	start, err := time.ParseInLocation(time.DateOnly, str("start_date"), s.Loc)
	if err != nil {
		return []byte(`{}`), nil
	}
	end := start.AddDate(0, 0, 7)
	if last, err := time.ParseInLocation(time.DateOnly, str("end_date"), s.Loc); err == nil && s.Type != "weekly" {
		end = last.AddDate(0, 0, 1)
	}
	in := s.between(start, end)
	days := map[string]bool{}
	rates := map[string]int64{}
	var seconds, amount int64
	for _, e := range in {
		seconds += e.Seconds
		days[e.Start.Format(time.DateOnly)] = true
		amount += s.amount(e)
		if e.Billable {
			rates[currency(e)] += e.Seconds
		}
	}
	totals := map[string]any{"seconds": seconds, "tracked_days": len(days), "billable_amount_in_cents": amount, "resolution": "day"}
	var rs []any
	for _, c := range []string{"EUR", "USD"} {
		if rates[c] > 0 {
			rs = append(rs, map[string]any{"billable_seconds": rates[c], "currency": c, "hourly_rate_in_cents": Rate})
		}
	}
	totals["rates"] = rs
	rep := map[string]any{
		"report_name": "Team", "report_type": s.Type, "public": true, "input_params": req, "saved_params": map[string]any{},
		"dictionaries": json.RawMessage(`{"projects": {
			"10": {"id": 10, "name": "Website", "client_id": 100, "currency": "EUR", "estimated_seconds": 360000},
			"11": {"id": 11, "name": "Support", "client_id": 101, "currency": "USD"}},
		  "clients": {"100": {"id": 100, "name": "Acme"}, "101": {"id": 101, "name": "Globex"}},
		  "users": {"1": {"id": 1, "name": "Ada"}, "2": {"id": 2, "name": "Bob"}}}`),
	}
	var header http.Header
	switch s.Type {
	case "weekly":
		rep["weekly_results"] = map[string]any{"report": s.weeklyRows(start, in), "totals": totals}
	default:
		from, _ := req["first_timestamp"].(float64)
		page := slices.DeleteFunc(in, func(e Entry) bool { return float64(e.Start.Unix()) < from })
		size := cmp.Or(max(s.PageSize, 0), 50)
		header = http.Header{"X-Page-Size": {strconv.Itoa(size)}}
		if len(page) > size {
			header.Set("X-Next-Timestamp", strconv.FormatInt(page[size].Start.Unix(), 10))
			header.Set("X-Next-ID", strconv.FormatInt(page[size].ID, 10))
			page = page[:size]
		}
		rows := []any{}
		for _, e := range page {
			row := map[string]any{"user_id": e.User, "username": []string{"", "Ada", "Bob"}[e.User], "billable": e.Billable,
				"currency": currency(e), "tag_ids": []int64{}, "billable_amount_in_cents": s.amount(e),
				"time_entries": []any{map[string]any{"id": e.ID, "seconds": e.Seconds, "start": e.Start.Format(time.RFC3339),
					"stop": e.Start.Add(time.Duration(e.Seconds) * time.Second).Format(time.RFC3339)}}}
			if e.Project != 0 {
				row["project_id"], row["hourly_rate_in_cents"] = e.Project, Rate
			}
			rows = append(rows, row)
		}
		rep["detailed_results"] = map[string]any{"report": rows, "totals": totals}
	}
	b, _ := json.Marshal(rep)
	return b, header
}

func (s *Server) weeklyRows(start time.Time, in []Entry) []any {
	type key struct{ user, project int64 }
	rows := map[key]map[string]any{}
	out := []any{} // in the order of their first entry
	for _, e := range in {
		k := key{e.User, e.Project}
		r := rows[k]
		if r == nil {
			r = map[string]any{"user_id": e.User, "user_name": []string{"", "Ada", "Bob"}[e.User], "currency": currency(e),
				"seconds": make([]int64, 7), "billable_seconds": make([]int64, 7), "billable_amounts_in_cents": make([]int64, 7)}
			if e.Project != 0 {
				r["project_id"], r["hourly_rate_in_cents"] = e.Project, Rate
			}
			rows[k] = r
			out = append(out, r)
		}
		y, m, d := e.Start.Date()
		i := int(time.Date(y, m, d, 0, 0, 0, 0, s.Loc).Sub(start).Hours()/24 + 0.5)
		r["seconds"].([]int64)[i] += e.Seconds
		if e.Billable {
			r["billable_seconds"].([]int64)[i] += e.Seconds
		}
		r["billable_amounts_in_cents"].([]int64)[i] += s.amount(e)
	}
	return out
}

func currency(e Entry) string {
	if e.Project == 11 {
		return "USD"
	}
	return "EUR"
}

func (s *Server) amount(e Entry) int64 {
	if !e.Billable {
		return 0
	}
	return (e.Seconds*Rate + 1800) / 3600
}
