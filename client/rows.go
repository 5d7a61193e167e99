package client

import (
	"math"
	"strconv"
	"strings"
)

// From one decoded JSON element (a row, a group, a dictionary entry, totals) to the types
// of report.go. Fields the exporter does not use are never looked at, so their shape
// cannot fail a report.

func parseDetailedRow(v any) (*DetailedRow, error) {
	m, err := toObject(v)
	if err != nil || m == nil {
		return nil, err
	}
	f := fields{m: m}
	row := &DetailedRow{
		UserID:                f.int("user_id"),
		Username:              f.str("username"),
		ProjectID:             f.int("project_id"),
		ProjectName:           f.str("project_name"),
		ClientName:            f.str("client_name"),
		TaskID:                f.int("task_id"),
		Billable:              f.bool("billable"),
		BillableAmountInCents: f.int("billable_amount_in_cents"),
		HourlyRateInCents:     f.int("hourly_rate_in_cents"),
		Currency:              f.str("currency"),
		TagIDs:                f.ids("tag_ids"),
	}
	if row.Username == "" && f.has("user_name") {
		row.Username = f.str("user_name")
	}
	entries, err := toList(m["time_entries"])
	f.fail("time_entries", err)
	for i, e := range entries {
		te, err := toObject(e)
		if err != nil {
			f.fail("time_entries"+index(i), err)
			break
		}
		if te == nil {
			continue
		}
		secs, err := toInt(te["seconds"])
		if err != nil {
			f.fail("time_entries"+index(i)+".seconds", err)
			break
		}
		row.Entries++
		if secs > 0 { // a running entry has null or negative seconds
			row.Seconds = addSat(row.Seconds, secs)
		}
	}
	if f.err != nil {
		return nil, f.err
	}
	return row, nil
}

func parseWeeklyRow(v any) (*WeeklyRow, error) {
	m, err := toObject(v)
	if err != nil || m == nil {
		return nil, err
	}
	f := fields{m: m}
	row := &WeeklyRow{
		UserID:                 f.int("user_id"),
		UserName:               f.str("user_name"),
		ProjectID:              f.int("project_id"),
		ProjectName:            f.str("project_name"),
		ClientName:             f.str("client_name"),
		Currency:               f.str("currency"),
		HourlyRateInCents:      f.int("hourly_rate_in_cents"),
		Seconds:                f.days("seconds"),
		BillableSeconds:        f.days("billable_seconds"),
		BillableAmountsInCents: f.days("billable_amounts_in_cents"),
	}
	if row.UserName == "" && f.has("username") {
		row.UserName = f.str("username")
	}
	if f.err != nil {
		return nil, f.err
	}
	return row, nil
}

func parseSummaryGroup(v any) (*SummaryGroup, error) {
	m, err := toObject(v)
	if err != nil || m == nil {
		return nil, err
	}
	f := fields{m: m}
	g := &SummaryGroup{
		ID:    f.int("id"),
		IDs:   f.ids("ids"),
		Names: f.strings("names"),
	}
	subs, err := toEntries(m["sub_groups"])
	f.fail("sub_groups", err)
	for _, e := range subs {
		sg, err := parseSubGroup(e)
		if err != nil {
			f.fail("sub_groups"+e.path, err)
			break
		}
		if sg != nil {
			g.SubGroups = append(g.SubGroups, *sg)
		}
	}
	if f.err != nil {
		return nil, f.err
	}
	return g, nil
}

// parseSubGroup reads a sub-group. In the object form of sub_groups, a value without an
// id field takes its id from a numeric key, and one without a title takes a non-numeric
// key as its title.
func parseSubGroup(e entry) (*SummarySubGroup, error) {
	m, err := toObject(e.value)
	if err != nil || m == nil {
		return nil, err
	}
	f := fields{m: m}
	sg := &SummarySubGroup{
		ID:      f.int("id"),
		IDs:     f.ids("ids"),
		Title:   f.str("title"),
		Seconds: f.int("seconds"),
	}
	rates, err := toRates(m["rates"])
	f.fail("rates", err)
	sg.Rates = rates
	if e.hasKey {
		n, numErr := strconv.ParseInt(strings.TrimSpace(e.key), 10, 64)
		if !f.has("id") && numErr == nil {
			sg.ID = n
		}
		if !f.has("title") && numErr != nil {
			sg.Title = e.key
		}
	}
	if f.err != nil {
		return nil, f.err
	}
	return sg, nil
}

func parseTotals(v any) (*Totals, error) {
	m, err := toObject(v)
	if err != nil || m == nil {
		return nil, err
	}
	f := fields{m: m}
	t := &Totals{
		Seconds:               f.int("seconds"),
		TrackedDays:           f.int("tracked_days"),
		BillableAmountInCents: f.intPtr("billable_amount_in_cents"),
		LabourCostInCents:     f.intPtr("labour_cost_in_cents"),
		Resolution:            f.str("resolution"),
	}
	rates, err := toRates(m["rates"])
	f.fail("rates", err)
	t.Rates = rates
	if f.err != nil {
		return nil, f.err
	}
	return t, nil
}

// toRates reads a rates array; null elements are dropped.
func toRates(v any) ([]Rate, error) {
	list, err := toList(v)
	if err != nil {
		return nil, err
	}
	var rates []Rate
	for i, e := range list {
		m, err := toObject(e)
		if err != nil {
			return nil, at(index(i), err)
		}
		if m == nil {
			continue
		}
		f := fields{m: m}
		r := Rate{
			BillableSeconds:   f.int("billable_seconds"),
			Currency:          f.str("currency"),
			HourlyRateInCents: f.int("hourly_rate_in_cents"),
		}
		if f.err != nil {
			return nil, at(index(i), f.err)
		}
		rates = append(rates, r)
	}
	return rates, nil
}

// entryID is the id of a dictionary entry: its id field when present and not null, else
// its key when that is a number; 0 (skip it) otherwise.
func entryID(f *fields, key string, hasKey bool) int64 {
	if f.m["id"] != nil {
		return f.int("id")
	}
	if hasKey {
		if n, err := toInt(strings.TrimSpace(key)); err == nil {
			return n
		}
	}
	return 0
}

// addDictEntry decodes one dictionary entry of the sub-dictionary name into d.
func addDictEntry(d *Dictionaries, name string, e entry) error {
	m, err := toObject(e.value)
	if err != nil || m == nil {
		return err
	}
	f := fields{m: m}
	id := entryID(&f, e.key, e.hasKey)
	if f.err != nil || id == 0 {
		return f.err
	}
	switch name {
	case "projects":
		p := Project{
			ID:               id,
			Name:             f.str("name"),
			ClientID:         f.int("client_id"),
			Currency:         f.str("currency"),
			EstimatedSeconds: hoursFallback(&f, "estimated_seconds", "estimated_hours"),
			ActualSeconds:    hoursFallback(&f, "actual_seconds", "actual_hours"),
		}
		if f.err == nil {
			if d.Projects == nil {
				d.Projects = map[int64]Project{}
			}
			d.Projects[id] = p
		}
	case "tasks":
		t := Task{
			ID:               id,
			Name:             f.str("name"),
			ProjectID:        f.int("project_id"),
			EstimatedSeconds: f.int("estimated_seconds"),
			TrackedSeconds:   f.int("tracked_seconds"),
		}
		if f.err == nil {
			if d.Tasks == nil {
				d.Tasks = map[int64]Task{}
			}
			d.Tasks[id] = t
		}
	default:
		ent := Entity{ID: id, Name: f.str("name")} // users' e-mail is deliberately not read
		if f.err != nil {
			break
		}
		target := entityMap(d, name)
		if *target == nil {
			*target = map[int64]Entity{}
		}
		(*target)[id] = ent
	}
	return f.err
}

// hoursFallback reads a seconds field, or, when it is absent or null, the matching
// hours field (which may be fractional; an unreadable one is ignored).
func hoursFallback(f *fields, secondsKey, hoursKey string) int64 {
	if f.m[secondsKey] != nil || f.m[hoursKey] == nil {
		return f.int(secondsKey)
	}
	s, err := toString(f.m[hoursKey])
	if err != nil {
		return 0
	}
	h, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(h) || math.Abs(h) > 1e12 {
		return 0
	}
	return int64(math.Round(h * 3600))
}

func entityMap(d *Dictionaries, name string) *map[int64]Entity {
	switch name {
	case "clients":
		return &d.Clients
	case "users":
		return &d.Users
	case "tags":
		return &d.Tags
	default:
		return &d.UserGroups
	}
}

// addSat adds non-negative b to a, saturating instead of overflowing.
func addSat(a, b int64) int64 {
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}
