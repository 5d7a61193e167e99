package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"time"
)

// dateLayout is Toggl's start_date/end_date format.
const dateLayout = "2006-01-02"

// Body returns the request body for a fetch at now: a deep copy of Params
// (the caller may change it freely) plus, when the report has a period,
// start_date and end_date ("YYYY-MM-DD") of Period.Window in the report's
// timezone. Never nil; every value marshals to JSON. Relies on Load having
// filled in Resolved.
func (r *Report) Body(now time.Time) map[string]any {
	body, _ := deepCopy(r.Params).(map[string]any)
	if body == nil {
		body = make(map[string]any)
	}
	if !r.Resolved.Period.IsZero() {
		loc := r.Resolved.Location
		if loc == nil {
			loc = time.UTC
		}
		start, end := r.Resolved.Period.Window(now, loc, r.Resolved.WeekStart)
		body["start_date"] = start.In(loc).Format(dateLayout)
		body["end_date"] = end.In(loc).Format(dateLayout)
	}
	return body
}

func deepCopy(v any) any {
	switch v := v.(type) {
	case map[string]any:
		if v == nil {
			return map[string]any(nil)
		}
		m := make(map[string]any, len(v))
		for k, e := range v {
			m[k] = deepCopy(e)
		}
		return m
	case []any:
		if v == nil {
			return []any(nil)
		}
		s := make([]any, len(v))
		for i, e := range v {
			s[i] = deepCopy(e)
		}
		return s
	}
	return v
}

// completeParams normalises Params to JSON-safe values and checks the date
// fields. Messages name the path (params.a.b[2]) and never quote values.
func (r *Report) completeParams(place string) []error {
	var errs []error
	fail := func(format string, args ...any) {
		errs = append(errs, errors.New(at(place, fmt.Sprintf(format, args...))))
	}
	if r.Params == nil {
		return nil
	}
	for _, k := range sortedKeys(r.Params) {
		v, err := jsonValue(r.Params[k], "params."+k)
		if err != nil {
			errs = append(errs, errors.New(at(place, err.Error())))
			continue
		}
		r.Params[k] = v
	}
	if len(errs) > 0 {
		return errs
	}
	if _, err := json.Marshal(r.Params); err != nil {
		// jsonValue should have caught it; never quote the value.
		fail("params: cannot be encoded as JSON")
		return errs
	}

	var dates [2]time.Time
	for i, k := range []string{"start_date", "end_date"} {
		v, ok := r.Params[k]
		if !ok {
			continue
		}
		if !r.Resolved.Period.IsZero() || r.Period != "" {
			fail("params.%s: cannot be combined with period, which sets it at every fetch", k)
			continue
		}
		s, _ := v.(string)
		d, err := time.Parse(dateLayout, s)
		if err != nil {
			fail("params.%s: want a date YYYY-MM-DD", k)
			continue
		}
		dates[i] = d
	}
	if !dates[0].IsZero() && !dates[1].IsZero() && dates[1].Before(dates[0]) {
		fail("params: end_date is before start_date")
	}
	return errs
}

// jsonValue returns v as JSON-ready values (map[string]any, []any, string,
// bool, integers, finite float64, nil), or an error naming path.
func jsonValue(v any, path string) (any, error) {
	switch v := v.(type) {
	case nil, bool, string, int, int64, uint64, int32, uint32, int16, uint16, int8, uint8, uint:
		return v, nil
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("%s: NaN and infinities are not valid JSON", path)
		}
		return v, nil
	case float32:
		return jsonValue(float64(v), path)
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			c, err := jsonValue(e, fmt.Sprintf("%s[%d]", path, i))
			if err != nil {
				return nil, err
			}
			out[i] = c
		}
		return out, nil
	case map[string]any:
		out := make(map[string]any, len(v))
		for _, k := range sortedKeys(v) {
			c, err := jsonValue(v[k], path+"."+k)
			if err != nil {
				return nil, err
			}
			out[k] = c
		}
		return out, nil
	case map[any]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			ks, ok := k.(string)
			if !ok {
				return nil, fmt.Errorf("%s: mapping keys must be strings (quote them)", path)
			}
			c, err := jsonValue(e, path+"."+ks)
			if err != nil {
				return nil, err
			}
			out[ks] = c
		}
		return out, nil
	case time.Time:
		return nil, fmt.Errorf("%s: timestamps are not supported (write a quoted string)", path)
	}
	return nil, fmt.Errorf("%s: unsupported value of type %T", path, v)
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
