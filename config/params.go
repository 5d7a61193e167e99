package config

import (
	"maps"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// dateLayout is Toggl's start_date/end_date format.
const dateLayout = "2006-01-02"

// paramKinds are the request body fields of toggl-api.md that params may
// set, each with what its value must be. first_timestamp is not one: it is
// the paging cursor, and the exporter pages by itself.
var paramKinds = map[string]string{
	"start_date": "a date YYYY-MM-DD", "end_date": "a date YYYY-MM-DD",
	"user_ids": ids, "client_ids": ids, "project_ids": ids, "task_ids": ids, "tag_ids": ids, "group_ids": ids,
	"description": "a string", "billable": "true or false", "grouped": "true or false",
	"rounding": "-1, 0 or 1", "rounding_minutes": "an integer >= 0",
	"grouping": "projects, users or clients", "sub_grouping": "time_entries, users, clients, projects or tasks",
}

const ids = "a list of integer ids"

// paramValue returns the value of the parameter n, or ok false when it is
// not what want says.
func paramValue(want string, n *yaml.Node) (v any, ok bool) {
	var i int64
	isInt := n.ShortTag() == "!!int" && n.Decode(&i) == nil
	switch want {
	case "a date YYYY-MM-DD":
		_, err := time.Parse(dateLayout, n.Value)
		return n.Value, n.Kind == yaml.ScalarNode && err == nil
	case "true or false":
		var b bool
		return b, n.ShortTag() == "!!bool" && n.Decode(&b) == nil
	case "-1, 0 or 1":
		return i, isInt && i >= -1 && i <= 1
	case "an integer >= 0":
		return i, isInt && i >= 0
	case ids:
		if n.Kind != yaml.SequenceNode {
			return nil, false
		}
		list := make([]any, len(n.Content))
		for k, c := range n.Content {
			// [null] selects the entries without one (Toggl's filter for "no project").
			if c.Kind == yaml.ScalarNode && c.ShortTag() == "!!null" {
				continue
			}
			if v, ok := paramValue("an integer >= 0", c); ok {
				list[k] = v
			} else {
				return nil, false
			}
		}
		return list, true
	}
	// A string, or one of the names listed in want.
	return n.Value, n.Kind == yaml.ScalarNode && (want == "a string" || slices.Contains(strings.Split(strings.ReplaceAll(want, " or ", ", "), ", "), n.Value))
}

// params decodes a report's params mapping n, checking each key and value.
func (d *decoder) params(place string, n *yaml.Node) map[string]any {
	out := make(map[string]any)
	for _, e := range d.entries(n, place) {
		path := "params." + e.key.Value
		want, known := paramKinds[e.key.Value]
		switch {
		case e.key.Value == "first_timestamp":
			d.errorf(place, e.key, "%s: the exporter pages by itself; remove it", path)
		case !known:
			d.errorf(place, e.key, "params: unknown field %q%s", e.key.Value, suggest(e.key.Value, maps.Keys(paramKinds)))
		case !d.plain(place, path, e.val) || isNull(e.val):
		default:
			v := resolveAlias(e.val)
			if ids := v.Kind == yaml.SequenceNode; ids && !d.visit(len(v.Content)) {
				continue
			}
			if val, ok := paramValue(want, v); ok {
				out[e.key.Value] = val
			} else {
				d.errorf(place, v, "%s: expected %s, got %s", path, want, describe(v))
			}
		}
	}
	return out
}

// Body returns the request body for a fetch at now: a copy of Params (the
// caller may change it freely) plus, when the report has a period,
// start_date and end_date ("YYYY-MM-DD") of Period.Window in the report's
// timezone. Never nil; every value marshals to JSON. Relies on Load having
// filled in Resolved.
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
		body["start_date"] = first.Format(dateLayout)
		body["end_date"] = last.Format(dateLayout)
	}
	return body
}

// params checks what involves more than one value: the dates against
// period and each other.
func (k *completion) params(place string, r *Report) {
	for _, key := range []string{"start_date", "end_date"} {
		if _, set := r.Params[key]; set && r.Period != "" {
			k.errorf(place, nil, "params.%s: cannot be combined with period, which sets it at every fetch", key)
		}
	}
	start, _ := r.Params["start_date"].(string) // YYYY-MM-DD: they compare as strings
	end, _ := r.Params["end_date"].(string)
	k.check(r.Period != "" || start == "" || end == "" || end >= start, place, "params: end_date is before start_date")
}
