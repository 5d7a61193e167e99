package client

import (
	"math"
	"slices"
)

// The fast path for detailed rows, weekly rows and summary groups, the bulk of a large
// report: each is read straight from the scanner's buffer into a reused struct, with no
// value decoded whole and no allocation in the common case (names are interned, id and
// day lists are cut from a shared slab). It knows only the plain shapes: integers, null,
// plain strings, booleans, arrays of those, sub-groups in an array, unknown fields of any
// valid JSON. On anything else (a numeric string, a float, an escaped key, sub-groups as
// an object, a type mismatch, invalid JSON, the end of the body) it gives up, and
// decoder.element decodes the row again whole, with rows.go as the reference, so that the
// two paths always agree (FuzzDecodeEquivalence checks it).

// fastRows is the state of the fast path, reused from row to row.
type fastRows struct {
	row    DetailedRow
	week   WeeklyRow
	group  SummaryGroup
	tmp    []int64
	slab   []int64
	rates  []Rate // scratch
	rslab  []Rate
	subs   []SummarySubGroup // scratch
	names  []string          // scratch
	intern map[string]string
}

const (
	slabSize   = 4096 // int64s per slab
	maxSlabCut = 256  // longer lists get their own array
	maxInterns = 4096 // distinct strings kept for reuse
	skipDepth  = 64   // nesting the fast path skips; deeper values take the slow path
)

// keep returns a copy of v cut from the slab (nil when v is empty): sinks may keep it,
// and its capacity is its length, so appending to it cannot touch its neighbours.
func (f *fastRows) keep(v []int64) []int64 { return cut(&f.slab, v) }

// cut copies v into the slab *buf, starting a new slab when it is full.
func cut[T any](buf *[]T, v []T) []T {
	if len(v) == 0 {
		return nil
	}
	if len(v) > maxSlabCut {
		return slices.Clone(v)
	}
	if cap(*buf)-len(*buf) < len(v) {
		*buf = make([]T, 0, slabSize)
	}
	n := len(*buf)
	*buf = append(*buf, v...)
	return (*buf)[n:len(*buf):len(*buf)]
}

// str returns b as a string, reusing an earlier equal one: rows repeat a few names.
func (f *fastRows) str(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if s, ok := f.intern[string(b)]; ok {
		return s
	}
	s := string(b)
	if f.intern == nil {
		f.intern = make(map[string]string, 64)
	}
	if len(f.intern) < maxInterns {
		f.intern[s] = s
	}
	return s
}

// Fields of rows known to the fast path.
const (
	fUnknown = iota
	fUserID
	fUsername
	fUserName
	fProjectID
	fProjectName
	fClientName
	fTaskID
	fBillable
	fBillableAmount
	fHourlyRate
	fCurrency
	fTagIDs
	fTimeEntries
	fSeconds
	fBillableSeconds
	fBillableAmounts
	fID
	fIDs
	fNames
	fSubGroups
	fTitle
	fRates
)

func detailedField(k []byte) int {
	switch string(k) {
	case "user_id":
		return fUserID
	case "username":
		return fUsername
	case "user_name":
		return fUserName
	case "project_id":
		return fProjectID
	case "project_name":
		return fProjectName
	case "client_name":
		return fClientName
	case "task_id":
		return fTaskID
	case "billable":
		return fBillable
	case "billable_amount_in_cents":
		return fBillableAmount
	case "hourly_rate_in_cents":
		return fHourlyRate
	case "currency":
		return fCurrency
	case "tag_ids":
		return fTagIDs
	case "time_entries":
		return fTimeEntries
	}
	return fUnknown
}

func weeklyField(k []byte) int {
	switch string(k) {
	case "user_id":
		return fUserID
	case "user_name":
		return fUserName
	case "username":
		return fUsername
	case "project_id":
		return fProjectID
	case "project_name":
		return fProjectName
	case "client_name":
		return fClientName
	case "currency":
		return fCurrency
	case "hourly_rate_in_cents":
		return fHourlyRate
	case "seconds":
		return fSeconds
	case "billable_seconds":
		return fBillableSeconds
	case "billable_amounts_in_cents":
		return fBillableAmounts
	}
	return fUnknown
}

// detailed reads the detailed row at s.pos. It returns nil, true for null, and false
// when the row must take the slow path.
func (f *fastRows) detailed(s *scanner) (*DetailedRow, bool) {
	switch s.buf[s.pos] {
	case 'n':
		return nil, s.literal("null") == nil
	case '{':
		s.pos++
	default:
		return nil, false
	}
	r := &f.row
	*r = DetailedRow{}
	var userName string
	hasUserName := false
	for first := true; ; first = false {
		k, more, ok := fastKey(s, first, detailedField)
		if !ok {
			return nil, false
		}
		if !more {
			break
		}
		switch k {
		case fUserID:
			r.UserID, ok = fastInt(s)
		case fUsername:
			r.Username, ok = f.fastStr(s)
		case fUserName:
			userName, ok = f.fastStr(s)
			hasUserName = true
		case fProjectID:
			r.ProjectID, ok = fastInt(s)
		case fProjectName:
			r.ProjectName, ok = f.fastStr(s)
		case fClientName:
			r.ClientName, ok = f.fastStr(s)
		case fTaskID:
			r.TaskID, ok = fastInt(s)
		case fBillable:
			r.Billable, ok = fastBool(s)
		case fBillableAmount:
			r.BillableAmountInCents, ok = fastInt(s)
		case fHourlyRate:
			r.HourlyRateInCents, ok = fastInt(s)
		case fCurrency:
			r.Currency, ok = f.fastStr(s)
		case fTagIDs:
			r.TagIDs, ok = f.fastList(s, true)
		case fTimeEntries:
			r.Seconds, r.Entries, ok = fastEntries(s)
		default:
			ok = s.skip(skipDepth) == nil
		}
		if !ok {
			return nil, false
		}
	}
	if r.Username == "" && hasUserName {
		r.Username = userName
	}
	return r, true
}

// weekly reads the weekly row at s.pos, as detailed does.
func (f *fastRows) weekly(s *scanner) (*WeeklyRow, bool) {
	switch s.buf[s.pos] {
	case 'n':
		return nil, s.literal("null") == nil
	case '{':
		s.pos++
	default:
		return nil, false
	}
	r := &f.week
	*r = WeeklyRow{}
	var username string
	hasUsername := false
	for first := true; ; first = false {
		k, more, ok := fastKey(s, first, weeklyField)
		if !ok {
			return nil, false
		}
		if !more {
			break
		}
		switch k {
		case fUserID:
			r.UserID, ok = fastInt(s)
		case fUserName:
			r.UserName, ok = f.fastStr(s)
		case fUsername:
			username, ok = f.fastStr(s)
			hasUsername = true
		case fProjectID:
			r.ProjectID, ok = fastInt(s)
		case fProjectName:
			r.ProjectName, ok = f.fastStr(s)
		case fClientName:
			r.ClientName, ok = f.fastStr(s)
		case fCurrency:
			r.Currency, ok = f.fastStr(s)
		case fHourlyRate:
			r.HourlyRateInCents, ok = fastInt(s)
		case fSeconds:
			r.Seconds, ok = f.fastList(s, false)
		case fBillableSeconds:
			r.BillableSeconds, ok = f.fastList(s, false)
		case fBillableAmounts:
			r.BillableAmountsInCents, ok = f.fastList(s, false)
		default:
			ok = s.skip(skipDepth) == nil
		}
		if !ok {
			return nil, false
		}
	}
	if r.UserName == "" && hasUsername {
		r.UserName = username
	}
	return r, true
}

// fastKey reads the next key of an object (see decoder.nextKey) and the colon after it,
// and returns its field number by field.
func fastKey(s *scanner, first bool, field func([]byte) int) (k int, more, ok bool) {
	c, err := s.wsIn()
	if err != nil {
		return 0, false, false
	}
	switch {
	case c == '}':
		s.pos++
		return 0, false, true
	case !first && c == ',':
		s.pos++
		if c, err = s.wsIn(); err != nil {
			return 0, false, false
		}
	case !first:
		return 0, false, false
	}
	if c != '"' {
		return 0, false, false
	}
	raw, plain, err := s.str()
	if err != nil || !plain {
		return 0, false, false
	}
	k = field(raw)
	if s.pos < s.end && s.buf[s.pos] == ':' {
		s.pos++
	} else if s.colon() != nil {
		return 0, false, false
	}
	return k, true, true
}

// ensure makes n bytes after s.pos available, unless the body ends first.
func (s *scanner) ensure(n int) {
	for s.end-s.pos < n {
		if _, ok := s.fill(s.pos); !ok {
			return
		}
	}
}

// fastInt reads null (0) or an integer of at most 18 digits.
func fastInt(s *scanner) (int64, bool) {
	c, err := s.wsIn()
	if err != nil {
		return 0, false
	}
	if c == 'n' {
		return 0, s.literal("null") == nil
	}
	s.ensure(24)
	i := s.pos
	neg := c == '-'
	if neg {
		i++
	}
	start := i
	var n int64
	for i < s.end && i-start < 19 {
		d := s.buf[i] - '0'
		if d > 9 {
			break
		}
		n = n*10 + int64(d)
		i++
	}
	digits := i - start
	if digits == 0 || digits > 18 || (digits > 1 && s.buf[start] == '0') {
		return 0, false
	}
	if i < s.end {
		if c := s.buf[i]; c == '.' || c == 'e' || c == 'E' {
			return 0, false
		}
	}
	s.pos = i
	if neg {
		n = -n
	}
	return n, true
}

// fastStr reads null ("") or a plain string.
func (f *fastRows) fastStr(s *scanner) (string, bool) {
	c, err := s.wsIn()
	if err != nil {
		return "", false
	}
	switch c {
	case 'n':
		return "", s.literal("null") == nil
	case '"':
		raw, plain, err := s.str()
		if err != nil || !plain {
			return "", false
		}
		return f.str(raw), true
	}
	return "", false
}

// fastBool reads true, false or null (false).
func fastBool(s *scanner) (bool, bool) {
	c, err := s.wsIn()
	if err != nil {
		return false, false
	}
	switch c {
	case 't':
		return true, s.literal("true") == nil
	case 'f':
		return false, s.literal("false") == nil
	case 'n':
		return false, s.literal("null") == nil
	}
	return false, false
}

// fastList reads null or an array of integers and nulls: as ids (ids true: null and 0
// dropped, see toIDs) or as days (a null is 0 and keeps its place, see toDays).
func (f *fastRows) fastList(s *scanner, ids bool) ([]int64, bool) {
	c, err := s.wsIn()
	if err != nil {
		return nil, false
	}
	switch c {
	case 'n':
		return nil, s.literal("null") == nil
	case '[':
		s.pos++
	default:
		return nil, false
	}
	f.tmp = f.tmp[:0]
	for first := true; ; first = false {
		more, ok := fastNext(s, first)
		if !ok {
			return nil, false
		}
		if !more {
			break
		}
		n, ok := fastInt(s)
		if !ok {
			return nil, false
		}
		if n != 0 || !ids {
			f.tmp = append(f.tmp, n)
		}
	}
	return f.keep(f.tmp), true
}

// fastNext reads what follows the opening of an array (first) or one of its elements.
func fastNext(s *scanner, first bool) (more, ok bool) {
	c, err := s.wsIn()
	if err != nil {
		return false, false
	}
	switch {
	case c == ']':
		s.pos++
		return false, true
	case first:
		return true, true
	case c == ',':
		s.pos++
		return true, true
	}
	return false, false
}

// fastEntries reads the time entries of a detailed row: the sum of their positive
// seconds (saturating), and their number; null entries are not counted.
func fastEntries(s *scanner) (seconds int64, entries int, ok bool) {
	c, err := s.wsIn()
	if err != nil {
		return 0, 0, false
	}
	switch c {
	case 'n':
		return 0, 0, s.literal("null") == nil
	case '[':
		s.pos++
	default:
		return 0, 0, false
	}
	for first := true; ; first = false {
		more, ok := fastNext(s, first)
		if !ok {
			return 0, 0, false
		}
		if !more {
			return seconds, entries, true
		}
		c, err := s.wsIn()
		if err != nil {
			return 0, 0, false
		}
		if c == 'n' {
			if s.literal("null") != nil {
				return 0, 0, false
			}
			continue
		}
		if c != '{' {
			return 0, 0, false
		}
		s.pos++
		var secs int64
		for first := true; ; first = false {
			k, more, ok := fastKey(s, first, entryField)
			if !ok {
				return 0, 0, false
			}
			if !more {
				break
			}
			if k == fSeconds {
				secs, ok = fastInt(s)
			} else {
				ok = s.skip(skipDepth) == nil
			}
			if !ok {
				return 0, 0, false
			}
		}
		entries++
		if secs > 0 { // a running entry has null or negative seconds
			if seconds > math.MaxInt64-secs {
				seconds = math.MaxInt64
			} else {
				seconds += secs
			}
		}
	}
}

func entryField(k []byte) int {
	if string(k) == "seconds" {
		return fSeconds
	}
	return fUnknown
}

func groupField(k []byte) int {
	switch string(k) {
	case "id":
		return fID
	case "ids":
		return fIDs
	case "names":
		return fNames
	case "sub_groups":
		return fSubGroups
	}
	return fUnknown
}

func subGroupField(k []byte) int {
	switch string(k) {
	case "id":
		return fID
	case "ids":
		return fIDs
	case "title":
		return fTitle
	case "seconds":
		return fSeconds
	case "rates":
		return fRates
	}
	return fUnknown
}

func rateField(k []byte) int {
	switch string(k) {
	case "billable_seconds":
		return fBillableSeconds
	case "currency":
		return fCurrency
	case "hourly_rate_in_cents":
		return fHourlyRate
	}
	return fUnknown
}

// group reads the summary group at s.pos, as detailed does. Sub-groups in an array are
// read here; in the object form (keyed by id or title) they take the slow path.
func (f *fastRows) summaryGroup(s *scanner) (*SummaryGroup, bool) {
	switch s.buf[s.pos] {
	case 'n':
		return nil, s.literal("null") == nil
	case '{':
		s.pos++
	default:
		return nil, false
	}
	g := &f.group
	*g = SummaryGroup{}
	for first := true; ; first = false {
		k, more, ok := fastKey(s, first, groupField)
		if !ok {
			return nil, false
		}
		if !more {
			break
		}
		switch k {
		case fID:
			g.ID, ok = fastInt(s)
		case fIDs:
			g.IDs, ok = f.fastList(s, true)
		case fNames:
			g.Names, ok = f.fastStrings(s)
		case fSubGroups:
			g.SubGroups, ok = f.fastSubGroups(s)
		default:
			ok = s.skip(skipDepth) == nil
		}
		if !ok {
			return nil, false
		}
	}
	return g, true
}

// fastStrings reads null or an array of plain strings and nulls ("", in place).
func (f *fastRows) fastStrings(s *scanner) ([]string, bool) {
	c, err := s.wsIn()
	if err != nil {
		return nil, false
	}
	switch c {
	case 'n':
		return nil, s.literal("null") == nil
	case '[':
		s.pos++
	default:
		return nil, false
	}
	f.names = f.names[:0]
	for first := true; ; first = false {
		more, ok := fastNext(s, first)
		if !ok {
			return nil, false
		}
		if !more {
			break
		}
		name, ok := f.fastStr(s)
		if !ok {
			return nil, false
		}
		f.names = append(f.names, name)
	}
	if len(f.names) == 0 {
		return nil, true
	}
	return slices.Clone(f.names), true
}

// fastSubGroups reads null or an array of sub-groups (null ones dropped).
func (f *fastRows) fastSubGroups(s *scanner) ([]SummarySubGroup, bool) {
	c, err := s.wsIn()
	if err != nil {
		return nil, false
	}
	switch c {
	case 'n':
		return nil, s.literal("null") == nil
	case '[':
		s.pos++
	default:
		return nil, false
	}
	f.subs = f.subs[:0]
	for first := true; ; first = false {
		more, ok := fastNext(s, first)
		if !ok {
			return nil, false
		}
		if !more {
			break
		}
		c, err := s.wsIn()
		if err != nil {
			return nil, false
		}
		if c == 'n' {
			if s.literal("null") != nil {
				return nil, false
			}
			continue
		}
		if c != '{' {
			return nil, false
		}
		s.pos++
		var sg SummarySubGroup
		for first := true; ; first = false {
			k, more, ok := fastKey(s, first, subGroupField)
			if !ok {
				return nil, false
			}
			if !more {
				break
			}
			switch k {
			case fID:
				sg.ID, ok = fastInt(s)
			case fIDs:
				sg.IDs, ok = f.fastList(s, true)
			case fTitle:
				sg.Title, ok = f.fastStr(s)
			case fSeconds:
				sg.Seconds, ok = fastInt(s)
			case fRates:
				sg.Rates, ok = f.fastRates(s)
			default:
				ok = s.skip(skipDepth) == nil
			}
			if !ok {
				return nil, false
			}
		}
		f.subs = append(f.subs, sg)
	}
	if len(f.subs) == 0 {
		return nil, true
	}
	return slices.Clone(f.subs), true
}

// fastRates reads null or an array of rates (null ones dropped), as toRates does.
func (f *fastRows) fastRates(s *scanner) ([]Rate, bool) {
	c, err := s.wsIn()
	if err != nil {
		return nil, false
	}
	switch c {
	case 'n':
		return nil, s.literal("null") == nil
	case '[':
		s.pos++
	default:
		return nil, false
	}
	f.rates = f.rates[:0]
	for first := true; ; first = false {
		more, ok := fastNext(s, first)
		if !ok {
			return nil, false
		}
		if !more {
			break
		}
		c, err := s.wsIn()
		if err != nil {
			return nil, false
		}
		if c == 'n' {
			if s.literal("null") != nil {
				return nil, false
			}
			continue
		}
		if c != '{' {
			return nil, false
		}
		s.pos++
		var r Rate
		for first := true; ; first = false {
			k, more, ok := fastKey(s, first, rateField)
			if !ok {
				return nil, false
			}
			if !more {
				break
			}
			switch k {
			case fBillableSeconds:
				r.BillableSeconds, ok = fastInt(s)
			case fCurrency:
				r.Currency, ok = f.fastStr(s)
			case fHourlyRate:
				r.HourlyRateInCents, ok = fastInt(s)
			default:
				ok = s.skip(skipDepth) == nil
			}
			if !ok {
				return nil, false
			}
		}
		f.rates = append(f.rates, r)
	}
	return cut(&f.rslab, f.rates), true
}
