package config

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"iter"
	"maps"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/alecthomas/units"
	"github.com/prometheus/common/model"
	"go.yaml.in/yaml/v3"
)

// The YAML is read into a node tree and walked here rather than decoded by yaml.v3 into
// the structs: yaml.v3 stops at a repeated key, quotes the values it cannot convert and
// does not say under which key or report a mistake lies. This walk reports every problem
// at once, each with its place, line and key, and never quotes a value of the file.

// maxNodes bounds the nodes one decode visits: aliases can make a small file a huge tree.
const maxNodes = 1 << 20

// badStart matches a line whose value starts with an indicator; "|" and ">" alone (a
// block scalar) are fine.
var badStart = regexp.MustCompile("^[ \t-]*([A-Za-z0-9_.-]+):[ \t]+([*&!%@`]|[|>][^ \t\r0-9+-])")

// decode reads the single YAML document in data into c, which holds the defaults, without
// resolving secrets or checking what decoding cannot see.
func decode(data []byte, c *Config) error {
	docs, ok := documents(string(data))
	switch {
	case len(docs) > 1:
		return fmt.Errorf("line %d: a second YAML document: the configuration must be a single document", docs[1].Line)
	case !ok:
		// Not a word of yaml.v3's message: the line is the first one that the document
		// cannot be parsed up to (yaml.v3's is often that of the enclosing mapping, or
		// missing), with the likely mistake.
		lines := strings.SplitAfter(string(data), "\n")
		k := sort.Search(len(lines), func(k int) bool { // < len(lines): all of data does not parse
			_, ok := documents(strings.Join(lines[:k+1], ""))
			return !ok
		})
		if m := badStart.FindStringSubmatch(lines[k]); m != nil {
			return fmt.Errorf("line %d: %s: an unquoted value cannot start with '%s'; quote it", k+1, m[1], m[2][:1])
		}
		if strings.HasPrefix(strings.TrimLeft(lines[k], " "), "\t") {
			return fmt.Errorf("line %d: a tab in the indentation; indent with spaces", k+1)
		}
		return fmt.Errorf("line %d: cannot parse the YAML here (quote values that start with * & ! | > %% @ or a backtick)", k+1)
	case len(docs) == 0 || len(docs[0].Content) == 0 || isNull(docs[0].Content[0]):
		return errors.New("reports: required (the configuration is empty; or list a workspace under discover)")
	}
	d := &yamlDecoder{}
	if root := docs[0].Content[0]; root.Kind != yaml.MappingNode {
		d.errorf("", root, "the configuration must be a mapping (api_url: ..., reports: [...]), got %s", kindOf(root))
	} else {
		d.fieldsOf(root, "", fields(c), hint(configKeys, reportKeys, " (a report setting: put it under a report)"))
	}
	return errors.Join(d.errs...)
}

// documents returns the documents of the YAML stream data up to the first that yaml.v3
// cannot parse; ok tells whether it parsed them all.
func documents(data string) (docs []*yaml.Node, ok bool) {
	dec := yaml.NewDecoder(strings.NewReader(data))
	for {
		doc := new(yaml.Node)
		if err := dec.Decode(doc); err != nil {
			return docs, errors.Is(err, io.EOF)
		}
		docs = append(docs, doc)
	}
}

// yamlDecoder walks the configuration's YAML node tree into Go values, collecting every
// problem; nodes counts those visited, against maxNodes.
type yamlDecoder struct {
	problems
	nodes int
}

// visit counts n nodes; false (and one error) once the budget is spent.
func (d *yamlDecoder) visit(n int) bool {
	d.nodes += n
	if d.nodes > maxNodes && d.nodes-n <= maxNodes {
		d.errorf("", nil, "the configuration is too large once its aliases are expanded")
	}
	return d.nodes <= maxNodes
}

// fields maps the YAML keys of the struct that v points to onto pointers to its fields,
// but for the keys in skip and discovered_from_workspace, which only discovery sets.
func fields(v any, skip ...string) map[string]any {
	rv := reflect.ValueOf(v).Elem()
	out := make(map[string]any)
	for i := range rv.NumField() {
		name, _, _ := strings.Cut(rv.Type().Field(i).Tag.Get("yaml"), ",")
		switch {
		case rv.Type().Field(i).Anonymous: // inline
			maps.Copy(out, fields(rv.Field(i).Addr().Interface(), skip...))
		case name != "" && name != "-" && name != "discovered_from_workspace" && !slices.Contains(skip, name):
			out[name] = rv.Field(i).Addr().Interface()
		}
	}
	return out
}

var configKeys, reportKeys = fields(&Config{}), fields(&Report{})

// resolveAlias returns what an alias stands for (aliases cannot be anchored: no chains).
func resolveAlias(n *yaml.Node) *yaml.Node {
	if n.Kind == yaml.AliasNode {
		return n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	n = resolveAlias(n)
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// kindOf names the kind of a node for "expected X, got Y" messages.
func kindOf(n *yaml.Node) string {
	n = resolveAlias(n)
	return cmp.Or(kinds[n.Kind], kinds[n.ShortTag()], "a string")
}

var kinds = map[any]string{yaml.MappingNode: "a mapping", yaml.SequenceNode: "a list",
	"!!int": "an integer", "!!float": "a number", "!!bool": "a boolean", "!!null": "null"}

// plain rejects an anchor, an alias or a tag on a scalar: who writes `password: *x` or
// `token: !x` meant a value starting with it. Mappings and lists may be reused (merges).
func (d *yamlDecoder) plain(place, key string, n *yaml.Node) bool {
	var c byte
	switch {
	case n.Kind == yaml.AliasNode && n.Alias.Kind == yaml.ScalarNode:
		c = '*'
	case n.Kind == yaml.ScalarNode && n.Anchor != "":
		c = '&'
	case n.Kind == yaml.ScalarNode && n.Style&yaml.TaggedStyle != 0:
		c = '!'
	}
	if c != 0 {
		d.errorf(place, n, "%s: an unquoted value cannot start with '%c'; quote it", key, c)
	}
	return c == 0
}

type entry struct{ key, val *yaml.Node }

// mapping returns the entries of the mapping n: its own keys first, then those of its
// merge keys ("<<: *base") that it does not set itself, as yaml.v3 does. seen holds the
// keys and the mappings taken so far. Keys must be scalars and unique.
func (d *yamlDecoder) mapping(n *yaml.Node, place string, seen map[any]bool) (out []entry) {
	if n = resolveAlias(n); seen[n] || !d.visit(len(n.Content)) {
		return nil
	}
	seen[n] = true
	var merges []*yaml.Node
	lines := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := resolveAlias(n.Content[i]), n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			d.errorf(place, n.Content[i], "keys must be strings, got %s", kindOf(k))
		} else if first, dup := lines[k.Value]; dup {
			d.errorf(place, k, "%q set twice (first at line %d)", k.Value, first)
		} else if lines[k.Value] = k.Line; k.Value == "<<" && k.ShortTag() == "!!merge" {
			merges = append(merges, v)
		} else if !seen[k.Value] { // else set by the mapping that merges this one
			seen[k.Value] = true
			out = append(out, entry{k, v})
		}
	}
	for _, m := range merges {
		list, want := []*yaml.Node{m}, "a mapping or a list of mappings"
		if resolveAlias(m).Kind == yaml.SequenceNode {
			list, want = resolveAlias(m).Content, "a mapping"
		}
		for _, c := range list {
			if resolveAlias(c).Kind == yaml.MappingNode {
				out = append(out, d.mapping(c, place, seen)...)
			} else {
				d.errorf(place, c, "<<: expected %s, got %s", want, kindOf(c))
			}
		}
	}
	return out
}

// fieldsOf decodes the mapping n into the fields ptrs points to; a null value leaves a
// field as it is. unknown explains a key that is not one.
func (d *yamlDecoder) fieldsOf(n *yaml.Node, place string, ptrs map[string]any, unknown func(string) string) {
	for _, e := range d.mapping(n, place, map[any]bool{}) {
		ptr, ok := ptrs[e.key.Value]
		switch {
		case !ok:
			d.errorf(place, e.key, "unknown field %q%s", e.key.Value, unknown(e.key.Value))
		case d.plain(place, e.key.Value, e.val) && !isNull(e.val):
			d.value(place, e.key.Value, e.val, ptr)
		}
	}
}

// value decodes the non-null node orig of key into ptr.
func (d *yamlDecoder) value(place, key string, orig *yaml.Node, ptr any) {
	n := resolveAlias(orig)
	scalar, list, mapping := n.Kind == yaml.ScalarNode, n.Kind == yaml.SequenceNode, n.Kind == yaml.MappingNode
	var want, invalid string // invalid explains a scalar that does not parse
	ok := false
	switch p := ptr.(type) {
	case *string, *Secret:
		if want, ok = "a string", scalar; ok {
			reflect.ValueOf(p).Elem().SetString(d.choice(place, key, n))
		}
	case *int, *int64: // yaml.v3 would truncate 2.5 to 2
		want, ok = "an integer", scalar && n.ShortTag() == "!!int" && n.Decode(p) == nil
	case *float64:
		want, ok = "a number", scalar && (n.ShortTag() == "!!int" || n.ShortTag() == "!!float") && n.Decode(p) == nil
	case *model.Duration:
		want, invalid, ok = "a duration", "not a valid duration (want e.g. 30s, 5m or 1h30m)", scalar && n.Decode(p) == nil
	case *units.Base2Bytes:
		want, invalid = "a size", "not a valid size (want e.g. 64MiB, 500KB or a number of bytes)"
		v, err := parseBytes(n.Value)
		ok, *p = scalar && err == nil, v
	case *[]string:
		if want, ok = "a list of strings", list; ok && d.visit(len(n.Content)) {
			*p = make([]string, len(n.Content))
			for i, c := range n.Content {
				if item := fmt.Sprintf("%s[%d]", key, i); d.plain(place, item, c) {
					d.value(place, item, c, &(*p)[i])
				}
				if first := slices.Index(*p, (*p)[i]); first < i && (*p)[i] != "" {
					d.errorf(place, c, "%s[%d]: listed twice (also %s[%d])", key, i, key, first)
				}
			}
		}
	case *map[string]any:
		if want, ok = "a mapping", mapping; ok {
			*p = d.params(place, n)
		}
	case *map[int64]float64:
		if want, ok = "a mapping of user ids to hours", mapping; ok {
			*p = d.hoursByUser(place, key, n)
		}
	case *[]Report:
		if want, ok = "a list of reports", list; ok {
			*p = listOf(d, n, "reports", func(r *Report) { *r = newReport() }, "name: ..., token_file: ...", reportHint)
		}
	case *[]Discover:
		if want, ok = "a list of workspaces", list; ok {
			*p = listOf(d, n, "discover", func(e *Discover) { e.Interval, e.Defaults = defaultInterval, newReport() },
				"workspace_id: ..., api_token_file: ...", hint(fields(&Discover{}), reportKeys, " (a report setting: put it under defaults)"))
		}
	case *[]Members:
		if want, ok = "a list of workspaces", list; ok {
			*p = listOf(d, n, "members", func(m *Members) { m.Interval = defaultInterval },
				"workspace_id: ..., api_token_file: ...", hint(fields(&Members{}), nil, ""))
		}
	case *Report: // a discover entry's defaults
		if want, ok = "a mapping of report settings", mapping; ok {
			keys := fields(p, "name", "token", "token_file")
			d.fieldsOf(n, place+": "+key, keys, hint(keys, reportKeys, " (discovery sets it from the listing)"))
		}
	}
	switch {
	case ok:
	case invalid != "" && scalar:
		d.errorf(place, orig, "%s: %s", key, invalid)
	default:
		d.errorf(place, orig, "%s: expected %s, got %s", key, want, kindOf(n))
	}
}

// listOf decodes the list n under key of mappings (reports, discover or members entries),
// each starting as fresh makes it; like says what one holds.
func listOf[T any](d *yamlDecoder, n *yaml.Node, key string, fresh func(*T), like string, unknown func(string) string) []T {
	out := make([]T, len(n.Content))
	for i, item := range n.Content {
		fresh(&out[i])
		keys, place := fields(&out[i]), fmt.Sprintf("%s[%d]", key, i)
		if m := resolveAlias(item); m.Kind != yaml.MappingNode {
			d.errorf(place, item, "expected a mapping (%s), got %s", like, kindOf(item))
		} else {
			for j := 0; key == "reports" && j+1 < len(m.Content); j += 2 { // the report's own name, for its place
				if k, v := m.Content[j], m.Content[j+1]; k.Kind == yaml.ScalarNode && k.Value == "name" && v.Kind == yaml.ScalarNode && !isNull(v) {
					place = reportPlace(i, v.Value)
					break
				}
			}
			d.fieldsOf(m, place, keys, unknown)
		}
	}
	return out
}

// paramRule is what a request parameter's value must be: of its kind and one of names.
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

// params decodes a report's params mapping n, checking each key and value.
func (d *yamlDecoder) params(place string, n *yaml.Node) map[string]any {
	out := make(map[string]any)
	for _, e := range d.mapping(n, place, map[any]bool{}) {
		path, v := "params."+e.key.Value, resolveAlias(e.val)
		rule, known := paramRules[e.key.Value]
		switch {
		case e.key.Value == "first_timestamp":
			d.errorf(place, e.key, "%s: the exporter pages by itself; remove it", path)
		case !known:
			d.errorf(place, e.key, "params: unknown field %q%s", e.key.Value, suggest(e.key.Value, maps.Keys(paramRules)))
		case !d.plain(place, path, e.val) || isNull(e.val) || !d.visit(len(v.Content)):
		default:
			if val, ok := rule.value(v); ok {
				out[e.key.Value] = val
			} else {
				d.errorf(place, v, "%s: expected %s, got %s", path, rule.want(), kindOf(v))
			}
		}
	}
	return out
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
		return b, n.ShortTag() == "!!bool" && n.Decode(&b) == nil
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

// hoursByUser decodes expected_hours, the mapping n of user ids to hours, under key.
func (d *yamlDecoder) hoursByUser(place, key string, n *yaml.Node) map[int64]float64 {
	out := map[int64]float64{}
	for _, e := range d.mapping(n, place, map[any]bool{}) {
		id, err := strconv.ParseInt(e.key.Value, 10, 64)
		if err != nil || id <= 0 {
			d.errorf(place, e.key, "%s: a key is not a user id (want a number > 0)", key)
		} else if item, h := fmt.Sprintf("%s[%d]", key, id), 0.0; d.plain(place, item, e.val) {
			d.value(place, item, e.val, &h) // null too is an error: it is no number of hours
			out[id] = h
		}
	}
	return out
}

// choices are the values of the keys that take one of a closed set, for suggestions and
// messages. A list's items are checked by its key.
var choices = map[string][]string{
	"period":     append(slices.Clone(periodNames), "last_7_days", "last_30_days"),
	"week_start": {"sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"}, // time.Weekday's order
	"breakdowns": AllBreakdowns,
}

// choice returns the value n of key, checked and in canonical form when key takes one of a
// closed set: a typo is reported at its line with the closest valid value. The message
// never quotes n's value.
func (d *yamlDecoder) choice(place, key string, n *yaml.Node) string {
	name, _, _ := strings.Cut(key, "[")
	v, near := strings.ToLower(strings.TrimSpace(n.Value)), suggest(n.Value, slices.Values(choices[name]))
	var err error
	switch name {
	case "period":
		if _, err = ParsePeriod(v); lastNDays.MatchString(v) {
			near = "" // last_N_days with N out of range: the number is wrong, not the name
		}
	case "week_start":
		if !slices.Contains(choices[name], v) { // not EqualFold: "ſunday" is no weekday
			err = errors.New("unknown weekday (want monday, tuesday, ..., sunday)")
		}
	case "breakdowns":
		if v = n.Value; !slices.Contains(AllBreakdowns, v) {
			err = fmt.Errorf("unknown breakdown (want %s)", strings.Join(AllBreakdowns, ", "))
		}
	default:
		return n.Value
	}
	if err != nil {
		d.errorf(place, n, "%s: %w%s", key, err, near)
	}
	return v
}

// parseBytes parses "64MiB", "500KB" (KB and KiB are both 1024), "1.5GiB" or a plain
// number of bytes. Its error quotes s: never show it.
func parseBytes(s string) (units.Base2Bytes, error) {
	if n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64); err == nil {
		return units.Base2Bytes(n), nil
	}
	return units.ParseBase2Bytes(strings.TrimSpace(s))
}

// reportPlace names a report in errors: `reports[2] "team-week"`, or `reports[3]` when it
// has no valid name.
func reportPlace(i int, name string) string {
	if !validName.MatchString(name) {
		return fmt.Sprintf("reports[%d]", i)
	}
	return fmt.Sprintf("reports[%d] %q", i, name)
}

// reportHint explains a key that is not a report's.
func reportHint(key string) string {
	if _, ok := paramRules[key]; ok {
		return " (a request parameter: put it under params)"
	}
	return hint(reportKeys, configKeys, " (a global setting: put it at the top level)")(key)
}

// hint explains a key that is not one of here: why, when it is one of elsewhere, else the
// closest key of here.
func hint(here, elsewhere map[string]any, why string) func(string) string {
	return func(key string) string {
		if _, ok := elsewhere[key]; ok {
			return why
		}
		return suggest(key, maps.Keys(here))
	}
}

// suggest returns ` (did you mean "x"?)` for the known key or value closest to key, or ""
// when none is close.
func suggest(key string, known iter.Seq[string]) string {
	best, bestDist := "", 3
	for name := range known {
		d := editDistance(strings.ToLower(key), name)
		if d < bestDist || d == bestDist && name < best {
			best, bestDist = name, d
		}
	}
	if best == "" || bestDist > len(best)/2 {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// editDistance is the Levenshtein distance of a and b, in one row of the table; 99 for
// strings longer than any key or valid value.
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 99
	}
	row := make([]int, len(b)+1)
	for j := range row {
		row[j] = j
	}
	for i := range len(a) {
		diag := row[0] // row[j] of the row before, for the substitution
		row[0] = i + 1
		for j := range len(b) {
			sub := diag
			if a[i] != b[j] {
				sub++
			}
			diag, row[j+1] = row[j+1], min(row[j+1]+1, row[j]+1, sub)
		}
	}
	return row[len(b)]
}
