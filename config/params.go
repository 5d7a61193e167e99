package config

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"go.yaml.in/yaml/v3"
)

// dateLayout is Toggl's start_date/end_date format.
const dateLayout = "2006-01-02"

// paramKinds are the request body fields of toggl-api.md that params may
// set, each with what its value must be. first_timestamp is not one: it is
// the paging cursor, and the exporter pages by itself.
var paramKinds = map[string]paramKind{
	"start_date": dateParam, "end_date": dateParam,
	"user_ids": idsParam, "client_ids": idsParam, "project_ids": idsParam,
	"task_ids": idsParam, "tag_ids": idsParam, "group_ids": idsParam,
	"description": stringParam, "billable": boolParam, "grouped": boolParam,
	"rounding": roundingParam, "rounding_minutes": countParam,
	"grouping":     {"projects, users or clients", oneOf("projects", "users", "clients")},
	"sub_grouping": {"time_entries, users, clients, projects or tasks", oneOf("time_entries", "users", "clients", "projects", "tasks")},
}

// paramKind checks and converts the (non-null, plain) value of a parameter;
// ok false means it is not what want says.
type paramKind struct {
	want  string
	value func(n *yaml.Node) (v any, ok bool)
}

var (
	dateParam = paramKind{"a date YYYY-MM-DD", func(n *yaml.Node) (any, bool) {
		_, err := time.Parse(dateLayout, n.Value)
		return n.Value, n.Kind == yaml.ScalarNode && err == nil
	}}
	stringParam = paramKind{"a string", func(n *yaml.Node) (any, bool) {
		return n.Value, n.Kind == yaml.ScalarNode
	}}
	boolParam = paramKind{"true or false", func(n *yaml.Node) (any, bool) {
		var b bool
		return b, n.ShortTag() == "!!bool" && n.Decode(&b) == nil
	}}
	countParam    = paramKind{"an integer >= 0", intParam(0, 1<<62)}
	roundingParam = paramKind{"-1, 0 or 1", intParam(-1, 1)}
	idsParam      = paramKind{"a list of integer ids", func(n *yaml.Node) (any, bool) {
		if n.Kind != yaml.SequenceNode {
			return nil, false
		}
		ids := make([]any, len(n.Content))
		for i, c := range n.Content {
			// [null] selects the entries without one (Toggl's filter for "no project").
			if c.Kind != yaml.ScalarNode || c.ShortTag() == "!!null" {
				continue
			}
			var id int64
			if c.ShortTag() != "!!int" || c.Decode(&id) != nil || id < 0 {
				return nil, false
			}
			ids[i] = id
		}
		return ids, true
	}}
)

func intParam(lo, hi int64) func(n *yaml.Node) (any, bool) {
	return func(n *yaml.Node) (any, bool) {
		var v int64
		return v, n.ShortTag() == "!!int" && n.Decode(&v) == nil && v >= lo && v <= hi
	}
}

func oneOf(names ...string) func(n *yaml.Node) (any, bool) {
	return func(n *yaml.Node) (any, bool) {
		return n.Value, n.Kind == yaml.ScalarNode && slices.Contains(names, n.Value)
	}
}

// params decodes a report's params mapping, checking each key and value.
func (d *decoder) params(place string, n *yaml.Node) map[string]any {
	if n.Kind != yaml.MappingNode {
		d.errorf(place, n, "params: expected a mapping, got %s", describe(n))
		return nil
	}
	out := make(map[string]any)
	for _, e := range d.entries(n, place) {
		path := "params." + e.key
		kind, known := paramKinds[e.key]
		switch {
		case e.key == "first_timestamp":
			d.errorf(place, e.keyNode, "%s: the exporter pages by itself; remove it", path)
		case !known:
			d.errorf(place, e.keyNode, "params: unknown field %q%s", e.key, suggest(e.key, paramKinds))
		case !d.plain(place, path, e.valNode) || isNull(e.valNode):
		default:
			v := resolveAlias(e.valNode)
			if ids := v.Kind == yaml.SequenceNode; ids && !d.visit(len(v.Content)) {
				continue
			}
			if val, ok := kind.value(v); ok {
				out[e.key] = val
			} else {
				d.errorf(place, v, "%s: expected %s, got %s", path, kind.want, describe(v))
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

// completeParams checks what involves more than one value: the dates
// against period and each other.
func (r *Report) completeParams(place string) []error {
	var errs []error
	var dates [2]time.Time
	for i, k := range []string{"start_date", "end_date"} {
		v, ok := r.Params[k].(string)
		if !ok {
			continue
		}
		if r.Period != "" {
			errs = append(errs, fmt.Errorf("%s: params.%s: cannot be combined with period, which sets it at every fetch", place, k))
			continue
		}
		dates[i], _ = time.Parse(dateLayout, v)
	}
	if !dates[0].IsZero() && !dates[1].IsZero() && dates[1].Before(dates[0]) {
		errs = append(errs, errors.New(at(place, "params: end_date is before start_date")))
	}
	return errs
}
