package config

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// dateLayout is Toggl's start_date/end_date format.
const dateLayout = "2006-01-02"

// paramRule is what the value of a request parameter must be: of its kind and,
// when names lists any, one of them. Messages say it with want.
type paramRule struct {
	kind  string // "string", "date", "bool", "int" (>= 0 unless names says) or "ids"
	names []string
}

// paramRules are the request body fields of toggl-api.md that params may set.
// first_timestamp is not one: it is the paging cursor, and the exporter pages by itself.
var paramRules = map[string]paramRule{
	"start_date": {kind: "date"}, "end_date": {kind: "date"}, "description": {kind: "string"},
	"user_ids": {kind: "ids"}, "client_ids": {kind: "ids"}, "project_ids": {kind: "ids"},
	"task_ids": {kind: "ids"}, "tag_ids": {kind: "ids"}, "group_ids": {kind: "ids"},
	"billable": {kind: "bool"}, "grouped": {kind: "bool"},
	"rounding": {"int", []string{"-1", "0", "1"}}, "rounding_minutes": {kind: "int"},
	"grouping":     {"string", []string{"projects", "users", "clients"}},
	"sub_grouping": {"string", []string{"time_entries", "users", "clients", "projects", "tasks"}},
}

// want says what the value must be, for messages.
func (r paramRule) want() string {
	if last := len(r.names) - 1; last > 0 {
		return strings.Join(r.names[:last], ", ") + " or " + r.names[last]
	}
	return map[string]string{"string": "a string", "date": "a date YYYY-MM-DD", "bool": "true or false",
		"int": "an integer >= 0", "ids": "a list of integer ids"}[r.kind]
}

// value returns the parameter's value in n, or ok false when n breaks the rule.
func (r paramRule) value(n *yaml.Node) (v any, ok bool) {
	switch r.kind {
	case "date":
		_, err := time.Parse(dateLayout, n.Value)
		return n.Value, n.Kind == yaml.ScalarNode && err == nil
	case "bool":
		var b bool
		ok = n.ShortTag() == "!!bool" && n.Decode(&b) == nil
		return b, ok
	case "int":
		var i int64
		ok = n.ShortTag() == "!!int" && n.Decode(&i) == nil
		return i, ok && (r.names == nil && i >= 0 || slices.Contains(r.names, strconv.FormatInt(i, 10)))
	case "ids":
		list := make([]any, len(n.Content))
		for k, c := range n.Content {
			// [null] selects the entries without one (Toggl's filter for "no project").
			if c.Kind != yaml.ScalarNode || c.ShortTag() != "!!null" {
				if list[k], ok = (paramRule{kind: "int"}).value(c); !ok {
					return nil, false
				}
			}
		}
		return list, n.Kind == yaml.SequenceNode
	}
	return n.Value, n.Kind == yaml.ScalarNode && (r.names == nil || slices.Contains(r.names, n.Value))
}

// Body returns the request body for a fetch at now: a copy of Params (the caller may
// change it freely) plus, when the report has a period, start_date and end_date
// ("YYYY-MM-DD") of Period.Window in the report's timezone. Never nil; every value
// marshals to JSON. Relies on Load having filled in Resolved.
func (r *Report) Body(now time.Time) map[string]any {
	body := make(map[string]any, len(r.Params)+2)
	for k, v := range r.Params {
		if ids, ok := v.([]any); ok {
			v = slices.Clone(ids)
		}
		body[k] = v
	}
	if res := r.Resolved; !res.Period.IsZero() {
		first, last := res.Period.Window(now, res.Location, res.WeekStart)
		body["start_date"], body["end_date"] = first.Format(dateLayout), last.Format(dateLayout)
	}
	return body
}
