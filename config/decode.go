package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"github.com/prometheus/common/model"
	"go.yaml.in/yaml/v3"
)

// Decoding happens in three steps:
//
//  1. parse the YAML into a node tree (syntax errors, with yaml's line);
//  2. walk the tree against the Config and Report schemas: unknown and
//     repeated keys, and every value decoded on its own, so that all
//     problems are reported at once, each with its place, line and key
//     (yaml.v3 stops at the first bad duration, and names Go types);
//  3. decode for real, with KnownFields(true); after step 2 this succeeds.

// parseDocument returns the root node of the single YAML document in data,
// or nil when the document is empty.
func parseDocument(data []byte) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, err
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case errors.Is(err, io.EOF):
	case err != nil:
		return nil, err
	default:
		return nil, fmt.Errorf("line %d: a second YAML document: the configuration must be a single document", extra.Line)
	}
	root := &doc
	if root.Kind == yaml.DocumentNode {
		if len(root.Content) == 0 {
			return nil, nil
		}
		root = root.Content[0]
	}
	if root.Kind == yaml.ScalarNode && root.ShortTag() == "!!null" {
		return nil, nil
	}
	return root, nil
}

// structure is the outcome of step 2.
type structure struct {
	errs []error
	// reportKeys holds, per report, the keys set to a non-null value
	// (directly or through a merge), to tell "absent" from "set to zero".
	reportKeys []map[string]bool
	// hasReports tells whether the top-level reports key holds a list.
	hasReports bool
}

func (s *structure) errorf(place string, line int, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if line > 0 {
		msg = fmt.Sprintf("line %d: %s", line, msg)
	}
	s.errs = append(s.errs, errors.New(at(place, msg)))
}

// at prefixes msg with the place it is about, if any.
func at(place, msg string) string {
	if place == "" {
		return msg
	}
	return place + ": " + msg
}

// reportPlace names a report in errors: `reports[2] "team-week"`, or
// `reports[3]` when it has no name yet.
func reportPlace(i int, name string) string {
	if name == "" {
		return fmt.Sprintf("reports[%d]", i)
	}
	return fmt.Sprintf("reports[%d] %q", i, name)
}

type field struct {
	name string
	typ  reflect.Type
}

// yamlFields lists the YAML keys of a struct type, from its yaml tags.
func yamlFields(t reflect.Type) map[string]field {
	fields := make(map[string]field)
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		fields[name] = field{name: name, typ: f.Type}
	}
	return fields
}

var (
	configFields = yamlFields(reflect.TypeFor[Config]())
	reportFields = yamlFields(reflect.TypeFor[Report]())
	durationType = reflect.TypeFor[model.Duration]()
)

// requestParams are the request body fields of toggl-api.md: a report key
// spelled like one probably belongs under params.
var requestParams = map[string]bool{
	"start_date": true, "end_date": true, "first_timestamp": true, "user_ids": true, "client_ids": true,
	"project_ids": true, "task_ids": true, "tag_ids": true, "group_ids": true, "description": true,
	"billable": true, "rounding": true, "rounding_minutes": true, "grouped": true, "grouping": true,
	"sub_grouping": true,
}

func resolveAlias(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 100; i++ {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	n = resolveAlias(n)
	return n == nil || n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

func isMergeKey(k *yaml.Node) bool {
	return k.Kind == yaml.ScalarNode && k.Value == "<<" && k.ShortTag() == "!!merge"
}

// describe names the kind of a node for "want X, got Y" messages.
func describe(n *yaml.Node) string {
	n = resolveAlias(n)
	if n == nil {
		return "nothing"
	}
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	return describeTag(n.ShortTag())
}

func describeTag(tag string) string {
	switch tag {
	case "!!str":
		return "a string"
	case "!!int":
		return "an integer"
	case "!!float":
		return "a number"
	case "!!bool":
		return "a boolean"
	case "!!null":
		return "null"
	case "!!map":
		return "a mapping"
	case "!!seq":
		return "a list"
	case "!!timestamp":
		return "a timestamp"
	case "!!binary":
		return "binary data"
	}
	return tag
}

func describeGoType(t string) string {
	switch t {
	case "string", "config.Secret":
		return "a string"
	case "int", "int64", "int32", "config.Bytes":
		return "an integer"
	case "float64", "float32":
		return "a number"
	case "bool":
		return "a boolean"
	case "[]string":
		return "a list of strings"
	case "map[string]interface {}", "config.Report":
		return "a mapping"
	case "[]config.Report":
		return "a list of reports"
	}
	return t
}

type entry struct {
	key     string
	keyNode *yaml.Node
	valNode *yaml.Node
}

// entries flattens a mapping node: its own keys first, then those of its
// merge keys ("<<: *base") that it does not set itself, as yaml.v3 does.
// Keys must be scalars and unique.
func (s *structure) entries(n *yaml.Node, place string) []entry {
	var out []entry
	s.collect(n, place, &out, map[string]bool{}, map[*yaml.Node]bool{})
	return out
}

func (s *structure) collect(n *yaml.Node, place string, out *[]entry, have map[string]bool, visited map[*yaml.Node]bool) {
	n = resolveAlias(n)
	if n == nil || visited[n] {
		return
	}
	visited[n] = true
	var merges []*yaml.Node
	lines := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := resolveAlias(n.Content[i]), n.Content[i+1]
		if k == nil || k.Kind != yaml.ScalarNode {
			s.errorf(place, n.Content[i].Line, "keys must be strings, got %s", describe(k))
			continue
		}
		if first, dup := lines[k.Value]; dup {
			s.errorf(place, k.Line, "%q set twice (first at line %d)", k.Value, first)
			continue
		}
		lines[k.Value] = k.Line
		if isMergeKey(k) {
			merges = append(merges, v)
			continue
		}
		if have[k.Value] {
			continue // set by the mapping that merges this one
		}
		have[k.Value] = true
		*out = append(*out, entry{key: k.Value, keyNode: k, valNode: v})
	}
	for _, m := range merges {
		mm := resolveAlias(m)
		switch {
		case mm == nil:
		case mm.Kind == yaml.MappingNode:
			s.collect(mm, place, out, have, visited)
		case mm.Kind == yaml.SequenceNode:
			for _, c := range mm.Content {
				if cc := resolveAlias(c); cc != nil && cc.Kind == yaml.MappingNode {
					s.collect(cc, place, out, have, visited)
				} else {
					s.errorf(place, c.Line, "<<: want a mapping, got %s", describe(c))
				}
			}
		default:
			s.errorf(place, m.Line, "<<: want a mapping or a list of mappings, got %s", describe(m))
		}
	}
}

// checkStructure is step 2. root is not nil.
func checkStructure(root *yaml.Node) *structure {
	s := &structure{}
	root = resolveAlias(root)
	if root == nil || root.Kind != yaml.MappingNode {
		line := 0
		if root != nil {
			line = root.Line
		}
		s.errorf("", line, "the configuration must be a mapping (api_url: ..., reports: [...]), got %s", describe(root))
		return s
	}
	for _, e := range s.entries(root, "") {
		f, ok := configFields[e.key]
		if !ok {
			s.errorf("", e.keyNode.Line, "unknown field %q%s", e.key, hint(e.key, configFields, reportFields, "a report setting: put it under a report"))
			continue
		}
		if isNull(e.valNode) {
			continue
		}
		if e.key == "reports" {
			s.reports(e.valNode)
			continue
		}
		s.value("", e, f.typ)
	}
	return s
}

func (s *structure) reports(n *yaml.Node) {
	seq := resolveAlias(n)
	if seq.Kind != yaml.SequenceNode {
		s.errorf("", n.Line, "reports: want a list of reports, got %s", describe(n))
		return
	}
	s.hasReports = true
	for i, item := range seq.Content {
		keys := map[string]bool{}
		s.reportKeys = append(s.reportKeys, keys)
		m := resolveAlias(item)
		if m == nil || m.Kind != yaml.MappingNode {
			s.errorf(reportPlace(i, ""), item.Line, "want a mapping (name: ..., token_file: ...), got %s", describe(item))
			continue
		}
		place := reportPlace(i, reportName(m))
		entries := s.entries(m, place)
		for _, e := range entries {
			f, ok := reportFields[e.key]
			if !ok {
				extra := ""
				if requestParams[e.key] {
					extra = " (a request parameter: put it under params)"
				} else {
					extra = hint(e.key, reportFields, configFields, "a global setting: put it at the top level")
				}
				s.errorf(place, e.keyNode.Line, "unknown field %q%s", e.key, extra)
				continue
			}
			if isNull(e.valNode) {
				continue
			}
			keys[e.key] = true
			s.value(place, e, f.typ)
		}
	}
}

// reportName finds a report's name for error places: the first "name" key
// of the mapping itself, if it holds a string.
func reportName(m *yaml.Node) string {
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := resolveAlias(m.Content[i]), resolveAlias(m.Content[i+1])
		if k != nil && k.Kind == yaml.ScalarNode && k.Value == "name" && v != nil && v.Kind == yaml.ScalarNode && !isNull(v) {
			return v.Value
		}
	}
	return ""
}

// yamlTypeError matches yaml.v3's "line 3: cannot unmarshal !!str `abc` into int".
var (
	yamlTypeError = regexp.MustCompile("^line (\\d+): cannot unmarshal (\\S+)(?: `.*`)? into (.+)$")
	quotedValue   = regexp.MustCompile(" `[^`]*`")
)

// value decodes one value on its own into a fresh t, turning any error into
// a message with place, line and key. Values are never quoted in these
// messages, except the short scalar of a duration, which is no secret.
func (s *structure) value(place string, e entry, t reflect.Type) {
	err := e.valNode.Decode(reflect.New(t).Interface())
	if err == nil {
		return
	}
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		msg := err.Error()
		if t == durationType {
			msg += " (want e.g. 30s, 5m or 1h30m)"
		}
		s.errorf(place, e.valNode.Line, "%s: %s", e.key, msg)
		return
	}
	for _, m := range te.Errors {
		line := e.valNode.Line
		if sm := yamlTypeError.FindStringSubmatch(m); sm != nil {
			if l, err := strconv.Atoi(sm[1]); err == nil {
				line = l
			}
			if t.Kind() == reflect.Map && sm[3] == "string" {
				// The only strings a map[string]any decodes are its keys.
				m = fmt.Sprintf("keys must be strings, got %s", describeTag(sm[2]))
			} else {
				m = fmt.Sprintf("want %s, got %s", describeGoType(sm[3]), describeTag(sm[2]))
			}
		} else if rest, ok := strings.CutPrefix(m, "line "); ok {
			// "line N: something else": keep the message, drop any quoted value.
			if num, msg, ok := strings.Cut(rest, ": "); ok {
				if l, err := strconv.Atoi(num); err == nil {
					line, m = l, msg
				}
			}
			m = quotedValue.ReplaceAllString(m, "")
		}
		s.errorf(place, line, "%s: %s", e.key, m)
	}
}

// hint suggests, for an unknown key, a close known key, or says the key
// belongs at the other level.
func hint(key string, known, other map[string]field, otherWhere string) string {
	if _, ok := other[key]; ok {
		return " (" + otherWhere + ")"
	}
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

func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 99
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
