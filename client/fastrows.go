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

// The walks shared by the readers. Each reader loops over the elements of an array
// or the fields of an object and says only what it reads there:
//
//	o := fastObject(s, rateField)
//	for o.next() {
//		switch o.key {
//		case fCurrency:
//			r.Currency, o.ok = f.fastStr(s)
//		...
//		}
//	}
//	if !o.present() { ... }
//
// ok is false once the walk gives up, and the loop body gives up by setting it false: the
// loop then ends, and the reader returns false so that the row takes the slow path. A walk
// within another passes its ok on to it (a.ok = o.ok), so that giving up anywhere gives
// up the row. A walk is a loop rather than a callback because a call through a func value
// for every field and element measured slower (about 3% more instructions per decode of
// the summary and weekly reports of BenchmarkDecode).

// walkState is where a walk stands in the value it walks.
type walkState uint8

const (
	walkFirst walkState = iota // after the opening bracket
	walkMore                   // after an element, or the value of a field
	walkEnd                    // after the closing bracket (or where the walk gave up)
	walkNull                   // after null
)

// fastOpen reads null or the opening byte open ('[' or '{') of a container: where a walk
// then stands, and false where the fast path gives up.
func fastOpen(s *scanner, open byte) (walkState, bool) {
	c, err := s.wsIn()
	switch {
	case err != nil:
	case c == open:
		s.pos++
		return walkFirst, true
	case c == 'n':
		return walkNull, s.literal("null") == nil
	}
	return walkEnd, false
}

// arrayWalk steps through the elements of an array, or of none for null.
type arrayWalk struct {
	s     *scanner
	ok    bool // false once the walk gives up
	state walkState
}

// fastArray reads null or the opening of an array, to walk its elements.
func fastArray(s *scanner) arrayWalk {
	a := arrayWalk{s: s}
	a.state, a.ok = fastOpen(s, '[')
	return a
}

// next reads up to the next element, and returns false at the end of the array or once
// the walk gives up.
func (a *arrayWalk) next() bool {
	if !a.ok || a.state >= walkEnd {
		return false
	}
	s := a.s
	c, err := s.wsIn()
	switch {
	case err != nil:
	case c == ']':
		s.pos++
		a.state = walkEnd
		return false
	case a.state == walkFirst:
		a.state = walkMore
		return true
	case c == ',':
		s.pos++
		return true
	}
	a.ok = false
	return false
}

// objectWalk steps through the fields of an object whose keys field knows (a field number
// other than fUnknown), skipping the others; null is an object with no fields.
type objectWalk struct {
	s     *scanner
	field func([]byte) int
	key   int  // the field number of the current key
	ok    bool // false once the walk gives up
	state walkState
}

// fastObject reads null or the opening of an object, to walk its fields.
func fastObject(s *scanner, field func([]byte) int) objectWalk {
	o := objectWalk{s: s, field: field}
	o.state, o.ok = fastOpen(s, '{')
	return o
}

// next reads up to the value of the next known key (see decoder.nextKey), skipping the
// values of unknown keys unless nested deeper than skipDepth. It returns false at the end
// of the object or once the walk gives up.
func (o *objectWalk) next() bool {
	s := o.s
	for o.ok && o.state < walkEnd {
		c, err := s.wsIn()
		if err != nil {
			return o.fail()
		}
		switch {
		case c == '}':
			s.pos++
			o.state = walkEnd
			return false
		case o.state == walkFirst:
			o.state = walkMore
		case c != ',':
			return o.fail()
		default:
			s.pos++
			if c, err = s.wsIn(); err != nil {
				return o.fail()
			}
		}
		if c != '"' {
			return o.fail()
		}
		raw, plain, err := s.str()
		if err != nil || !plain {
			return o.fail()
		}
		o.key = o.field(raw)
		if s.pos < s.end && s.buf[s.pos] == ':' {
			s.pos++
		} else if s.colon() != nil {
			return o.fail()
		}
		if o.key != fUnknown {
			return true
		}
		o.ok = s.skip(skipDepth) == nil
	}
	return false
}

// fail ends the walk, giving up.
func (o *objectWalk) fail() bool {
	o.ok = false
	return false
}

// present reports, after the walk, an object read to its end: not null, and not given
// up half-way (which a caller must not keep).
func (o *objectWalk) present() bool { return o.ok && o.state == walkEnd }

// detailed reads the detailed row at s.pos. It returns nil, true for null, and false
// when the row must take the slow path.
func (f *fastRows) detailed(s *scanner) (*DetailedRow, bool) {
	r := &f.row
	*r = DetailedRow{}
	var userName string
	hasUserName := false
	o := fastObject(s, detailedField)
	for o.next() {
		switch o.key {
		case fUserID:
			r.UserID, o.ok = fastInt(s)
		case fUsername:
			r.Username, o.ok = f.fastStr(s)
		case fUserName:
			userName, o.ok = f.fastStr(s)
			hasUserName = true
		case fProjectID:
			r.ProjectID, o.ok = fastInt(s)
		case fProjectName:
			r.ProjectName, o.ok = f.fastStr(s)
		case fClientName:
			r.ClientName, o.ok = f.fastStr(s)
		case fTaskID:
			r.TaskID, o.ok = fastInt(s)
		case fBillable:
			r.Billable, o.ok = fastBool(s)
		case fBillableAmount:
			r.BillableAmountInCents, o.ok = fastInt(s)
		case fHourlyRate:
			r.HourlyRateInCents, o.ok = fastInt(s)
		case fCurrency:
			r.Currency, o.ok = f.fastStr(s)
		case fTagIDs:
			r.TagIDs, o.ok = f.fastList(s, true)
		case fTimeEntries:
			r.Seconds, r.Entries, o.ok = fastEntries(s)
		}
	}
	if !o.present() {
		return nil, o.ok
	}
	if r.Username == "" && hasUserName {
		r.Username = userName
	}
	return r, true
}

// weekly reads the weekly row at s.pos, as detailed does.
func (f *fastRows) weekly(s *scanner) (*WeeklyRow, bool) {
	r := &f.week
	*r = WeeklyRow{}
	var username string
	hasUsername := false
	o := fastObject(s, weeklyField)
	for o.next() {
		switch o.key {
		case fUserID:
			r.UserID, o.ok = fastInt(s)
		case fUserName:
			r.UserName, o.ok = f.fastStr(s)
		case fUsername:
			username, o.ok = f.fastStr(s)
			hasUsername = true
		case fProjectID:
			r.ProjectID, o.ok = fastInt(s)
		case fProjectName:
			r.ProjectName, o.ok = f.fastStr(s)
		case fClientName:
			r.ClientName, o.ok = f.fastStr(s)
		case fCurrency:
			r.Currency, o.ok = f.fastStr(s)
		case fHourlyRate:
			r.HourlyRateInCents, o.ok = fastInt(s)
		case fSeconds:
			r.Seconds, o.ok = f.fastList(s, false)
		case fBillableSeconds:
			r.BillableSeconds, o.ok = f.fastList(s, false)
		case fBillableAmounts:
			r.BillableAmountsInCents, o.ok = f.fastList(s, false)
		}
	}
	if !o.present() {
		return nil, o.ok
	}
	if r.UserName == "" && hasUsername {
		r.UserName = username
	}
	return r, true
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
	f.tmp = f.tmp[:0]
	a := fastArray(s)
	for a.next() {
		var n int64
		n, a.ok = fastInt(s)
		if n != 0 || !ids {
			f.tmp = append(f.tmp, n)
		}
	}
	if !a.ok {
		return nil, false
	}
	return f.keep(f.tmp), true
}

// fastEntries reads the time entries of a detailed row: the sum of their positive
// seconds (saturating), and their number; null entries are not counted.
func fastEntries(s *scanner) (seconds int64, entries int, ok bool) {
	a := fastArray(s)
	for a.next() {
		var secs int64
		o := fastObject(s, entryField)
		for o.next() {
			secs, o.ok = fastInt(s) // seconds, the only key entryField knows
		}
		a.ok = o.ok
		if !o.present() {
			continue
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
	if !a.ok {
		return 0, 0, false
	}
	return seconds, entries, true
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

// summaryGroup reads the summary group at s.pos, as detailed does. Sub-groups in an array
// are read here; in the object form (keyed by id or title) they take the slow path.
func (f *fastRows) summaryGroup(s *scanner) (*SummaryGroup, bool) {
	g := &f.group
	*g = SummaryGroup{}
	o := fastObject(s, groupField)
	for o.next() {
		switch o.key {
		case fID:
			g.ID, o.ok = fastInt(s)
		case fIDs:
			g.IDs, o.ok = f.fastList(s, true)
		case fNames:
			g.Names, o.ok = f.fastStrings(s)
		case fSubGroups:
			g.SubGroups, o.ok = f.fastSubGroups(s)
		}
	}
	if !o.present() {
		return nil, o.ok
	}
	return g, true
}

// fastStrings reads null or an array of plain strings and nulls ("", in place).
func (f *fastRows) fastStrings(s *scanner) ([]string, bool) {
	f.names = f.names[:0]
	a := fastArray(s)
	for a.next() {
		var name string
		name, a.ok = f.fastStr(s)
		f.names = append(f.names, name)
	}
	if !a.ok || len(f.names) == 0 {
		return nil, a.ok
	}
	return slices.Clone(f.names), true
}

// fastSubGroups reads null or an array of sub-groups (null ones dropped).
func (f *fastRows) fastSubGroups(s *scanner) ([]SummarySubGroup, bool) {
	f.subs = f.subs[:0]
	a := fastArray(s)
	for a.next() {
		var sg SummarySubGroup
		o := fastObject(s, subGroupField)
		for o.next() {
			switch o.key {
			case fID:
				sg.ID, o.ok = fastInt(s)
			case fIDs:
				sg.IDs, o.ok = f.fastList(s, true)
			case fTitle:
				sg.Title, o.ok = f.fastStr(s)
			case fSeconds:
				sg.Seconds, o.ok = fastInt(s)
			case fRates:
				sg.Rates, o.ok = f.fastRates(s)
			}
		}
		a.ok = o.ok
		if o.present() {
			f.subs = append(f.subs, sg)
		}
	}
	if !a.ok || len(f.subs) == 0 {
		return nil, a.ok
	}
	return slices.Clone(f.subs), true
}

// fastRates reads null or an array of rates (null ones dropped), as toRates does.
func (f *fastRows) fastRates(s *scanner) ([]Rate, bool) {
	f.rates = f.rates[:0]
	a := fastArray(s)
	for a.next() {
		var r Rate
		o := fastObject(s, rateField)
		for o.next() {
			switch o.key {
			case fBillableSeconds:
				r.BillableSeconds, o.ok = fastInt(s)
			case fCurrency:
				r.Currency, o.ok = f.fastStr(s)
			case fHourlyRate:
				r.HourlyRateInCents, o.ok = fastInt(s)
			}
		}
		a.ok = o.ok
		if o.present() {
			f.rates = append(f.rates, r)
		}
	}
	if !a.ok {
		return nil, false
	}
	return cut(&f.rslab, f.rates), true
}
