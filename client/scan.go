package client

import (
	"encoding/json"
	"io"
	"strconv"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// A hand-written JSON scanner over an io.Reader, for Decode. It reads through one buffer
// that grows only when a single token (or a pinned row, see pin) is larger than it, so
// memory does not grow with the body. It accepts exactly what encoding/json accepts and
// fails with the same messages ("invalid character 'x' looking for beginning of value"),
// which FuzzReadAny checks against encoding/json itself.

const (
	scanBufSize = 64 << 10
	// maxDepth is encoding/json's nesting limit for a value decoded whole.
	maxDepth = 10000
)

// syntaxError is invalid JSON at byte off of the body.
type syntaxError struct {
	msg string
	off int64
}

func (e *syntaxError) Error() string { return e.msg }

type scanner struct {
	r    io.Reader
	buf  []byte
	pos  int   // next byte of buf to scan
	end  int   // end of the data in buf
	base int64 // offset in the body of buf[0]
	// pin, when >= 0, is the index of the first byte of buf that fill must keep, so that
	// the scanner can go back to it (the start of a row, see decoder.element).
	pin  int
	eof  bool  // r said io.EOF
	err  error // first read error other than io.EOF; sticky
	read int64 // bytes read from r
	// unq is scratch space for unquoting strings with escapes.
	unq []byte
}

func newScanner(r io.Reader) *scanner {
	return &scanner{r: r, buf: make([]byte, scanBufSize), pin: -1}
}

// offset is the position in the body of buf[i].
func (s *scanner) offset(i int) int64 { return s.base + int64(i) }

// fill reads more of the body after s.end, keeping buf[keep:] (and buf[s.pin:]) but
// possibly moving it to the front of buf: every index into buf then decreases by shift.
// It returns false, with nothing read, at the end of the body or after a read error.
func (s *scanner) fill(keep int) (shift int, ok bool) {
	if s.err != nil || s.eof {
		return 0, false
	}
	if s.pin >= 0 && s.pin < keep {
		keep = s.pin
	}
	if keep > 0 {
		n := copy(s.buf, s.buf[keep:s.end])
		s.base += int64(keep)
		s.pos -= keep
		s.end = n
		if s.pin >= 0 {
			s.pin -= keep
		}
		shift = keep
	}
	if s.end == len(s.buf) {
		nb := make([]byte, 2*len(s.buf))
		copy(nb, s.buf[:s.end])
		s.buf = nb
	}
	for empty := 0; ; empty++ {
		n, err := s.r.Read(s.buf[s.end:])
		if n < 0 || n > len(s.buf)-s.end {
			n, err = 0, io.ErrNoProgress // a broken Reader
		}
		s.end += n
		s.read += int64(n)
		if err == io.EOF {
			s.eof = true
		} else if err != nil {
			s.err = err
		}
		if n > 0 {
			return shift, true
		}
		if err != nil {
			return shift, false
		}
		if empty == 100 {
			s.err = io.ErrNoProgress
			return shift, false
		}
	}
}

// endErr is the error of a body that ends within a value: the read error, else
// io.ErrUnexpectedEOF.
func (s *scanner) endErr() error {
	if s.err != nil {
		return s.err
	}
	return io.ErrUnexpectedEOF
}

// syntax is the error for the invalid byte buf[i], met in context.
func (s *scanner) syntax(i int, context string) error {
	return &syntaxError{msg: "invalid character " + quoteChar(s.buf[i]) + " " + context, off: s.offset(i)}
}

// quoteChar formats c as encoding/json does in its messages.
func quoteChar(c byte) string {
	if c == '\'' {
		return `'\''`
	}
	if c == '"' {
		return `'"'`
	}
	q := strconv.Quote(string(c))
	return "'" + q[1:len(q)-1] + "'"
}

// ws skips white space and returns the next byte, which it does not consume.
func (s *scanner) ws() (byte, error) {
	for {
		for s.pos < s.end {
			c := s.buf[s.pos]
			if c > ' ' || (c != ' ' && c != '\n' && c != '\r' && c != '\t') {
				return c, nil
			}
			s.pos++
		}
		if _, ok := s.fill(s.pos); !ok {
			if s.err == nil {
				return 0, io.EOF
			}
			return 0, s.err
		}
	}
}

// wsIn is ws within a value, where the end of the body is an error.
func (s *scanner) wsIn() (byte, error) {
	c, err := s.ws()
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return c, err
}

// strPlain marks the bytes that a string can hold as they are: not '"', '\\', a control
// character or a byte of a multi-byte UTF-8 sequence.
var strPlain = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// str scans the string starting at s.pos (a '"') and returns its raw content, valid until
// the next fill, and whether that content is its value (no escape, valid UTF-8).
func (s *scanner) str() (raw []byte, plain bool, err error) {
	start := s.pos
	i := start + 1
	plain, ascii := true, true
	for {
	scan:
		for i < s.end {
			c := s.buf[i]
			if strPlain[c] {
				i++
				continue
			}
			switch {
			case c == '"':
				s.pos = i + 1
				raw = s.buf[start+1 : i]
				if !ascii && plain && !utf8.Valid(raw) {
					plain = false
				}
				return raw, plain, nil
			case c >= utf8.RuneSelf:
				ascii = false
				i++
			case c < 0x20:
				return nil, false, s.syntax(i, "in string literal")
			default: // '\\'
				plain = false
				if i+1 >= s.end {
					break scan
				}
				switch s.buf[i+1] {
				case 'b', 'f', 'n', 'r', 't', '\\', '/', '"':
					i += 2
				case 'u':
					for k := 2; k < 6; k++ {
						if i+k >= s.end {
							break scan
						}
						if !isHex(s.buf[i+k]) {
							return nil, false, s.syntax(i+k, "in \\u hexadecimal character escape")
						}
					}
					i += 6
				default:
					return nil, false, s.syntax(i+1, "in string escape code")
				}
			}
		}
		shift, ok := s.fill(start)
		if !ok {
			return nil, false, s.endErr()
		}
		start -= shift
		i -= shift
	}
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// unquote returns the value of the raw content of a valid string, as encoding/json
// decodes it: escapes resolved, invalid UTF-8 and lone surrogates as U+FFFD. It uses
// s.unq as scratch space.
func (s *scanner) unquote(raw []byte) []byte {
	b := s.unq[:0]
	for r := 0; r < len(raw); {
		c := raw[r]
		switch {
		case c == '\\':
			switch e := raw[r+1]; e {
			case 'b':
				b = append(b, '\b')
			case 'f':
				b = append(b, '\f')
			case 'n':
				b = append(b, '\n')
			case 'r':
				b = append(b, '\r')
			case 't':
				b = append(b, '\t')
			case 'u':
				rr := getu4(raw[r:])
				r += 6
				if utf16.IsSurrogate(rr) {
					if rr1 := getu4(raw[r:]); rr1 >= 0 {
						if dec := utf16.DecodeRune(rr, rr1); dec != unicode.ReplacementChar {
							r += 6
							b = utf8.AppendRune(b, dec)
							continue
						}
					}
					rr = unicode.ReplacementChar
				}
				b = utf8.AppendRune(b, rr)
				continue
			default: // '"', '\\', '/'
				b = append(b, e)
			}
			r += 2
		case c < utf8.RuneSelf:
			b = append(b, c)
			r++
		default:
			rr, size := utf8.DecodeRune(raw[r:])
			r += size
			b = utf8.AppendRune(b, rr)
		}
	}
	s.unq = b
	return b
}

// getu4 decodes the \uXXXX escape at the start of b, or returns -1.
func getu4(b []byte) rune {
	if len(b) < 6 || b[0] != '\\' || b[1] != 'u' {
		return -1
	}
	var r rune
	for _, c := range b[2:6] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return -1
		}
		r = r*16 + rune(c)
	}
	return r
}

// strValue scans the string at s.pos and returns its value, valid until the next fill.
func (s *scanner) strValue() ([]byte, error) {
	raw, plain, err := s.str()
	if err != nil || plain {
		return raw, err
	}
	return s.unquote(raw), nil
}

// number scans the number starting at s.pos and returns its text, valid until the next
// fill. The body may end right after it (a number at the top level).
func (s *scanner) number() ([]byte, error) {
	const (
		start = iota
		minus
		zero // terminal states from here on...
		digits
		dot // ...but not this one
		fraction
		exp
		expSign
		expDigits
	)
	first := s.pos
	i := first
	state := start
	for {
		for i < s.end {
			c := s.buf[i]
			isDigit := '0' <= c && c <= '9'
			switch state {
			case start, minus:
				switch {
				case c == '-' && state == start:
					state = minus
				case c == '0':
					state = zero
				case '1' <= c && c <= '9':
					state = digits
				default:
					return nil, s.syntax(i, "in numeric literal")
				}
			case zero, digits, fraction, expDigits:
				switch {
				case isDigit && state != zero:
				case c == '.' && (state == zero || state == digits):
					state = dot
				case (c == 'e' || c == 'E') && state != expDigits:
					state = exp
				default:
					s.pos = i
					return s.buf[first:i], nil
				}
			case dot:
				if !isDigit {
					return nil, s.syntax(i, "after decimal point in numeric literal")
				}
				state = fraction
			case exp, expSign:
				switch {
				case isDigit:
					state = expDigits
				case (c == '+' || c == '-') && state == exp:
					state = expSign
				default:
					return nil, s.syntax(i, "in exponent of numeric literal")
				}
			}
			i++
		}
		shift, ok := s.fill(first)
		first -= shift
		i -= shift
		if !ok {
			if s.err == nil && (state == zero || state == digits || state == fraction || state == expDigits) {
				s.pos = i
				return s.buf[first:i], nil
			}
			return nil, s.endErr()
		}
	}
}

// literal scans true, false or null (word) at s.pos.
func (s *scanner) literal(word string) error {
	for k := 1; k < len(word); {
		if s.pos+k >= s.end {
			if _, ok := s.fill(s.pos); !ok {
				return s.endErr()
			}
			continue
		}
		if s.buf[s.pos+k] != word[k] {
			return s.syntax(s.pos+k, "in literal "+word+" (expecting "+quoteChar(word[k])+")")
		}
		k++
	}
	s.pos += len(word)
	return nil
}

// skip scans the value starting at s.pos, keeping nothing. limit bounds its nesting:
// beyond it skip fails with errTooDeep (0: no bound, as encoding/json's Token walk).
func (s *scanner) skip(limit int) error {
	var stack []byte // the open containers
	c, err := s.wsIn()
	for {
		if err != nil {
			return err
		}
		// A value starts at c.
		switch c {
		case '{', '[':
			if limit > 0 && len(stack) >= limit {
				return errTooDeep
			}
			s.pos++
			stack = append(stack, c)
			if c, err = s.wsIn(); err != nil {
				return err
			}
			if c == '}' && stack[len(stack)-1] == '{' || c == ']' && stack[len(stack)-1] == '[' { // empty
				s.pos++
				stack = stack[:len(stack)-1]
				break
			}
			if stack[len(stack)-1] == '{' {
				if err = s.key(c); err != nil {
					return err
				}
				c, err = s.wsIn()
			}
			continue
		case '"':
			_, _, err = s.str()
		case 't':
			err = s.literal("true")
		case 'f':
			err = s.literal("false")
		case 'n':
			err = s.literal("null")
		default:
			if c == '-' || '0' <= c && c <= '9' {
				_, err = s.number()
			} else {
				err = s.syntax(s.pos, "looking for beginning of value")
			}
		}
		// After a value.
		for err == nil {
			if len(stack) == 0 {
				return nil
			}
			if c, err = s.wsIn(); err != nil {
				return err
			}
			top := stack[len(stack)-1]
			switch {
			case c == ',':
				s.pos++
				if c, err = s.wsIn(); err == nil && top == '{' {
					if err = s.key(c); err == nil {
						c, err = s.wsIn()
					}
				}
			case c == '}' && top == '{', c == ']' && top == '[':
				s.pos++
				stack = stack[:len(stack)-1]
				continue
			case top == '{':
				err = s.syntax(s.pos, "after object key:value pair")
			default:
				err = s.syntax(s.pos, "after array element")
			}
			break
		}
	}
}

// errTooDeep stops a skip bounded by a nesting limit.
var errTooDeep = &syntaxError{msg: "exceeded the nesting limit"}

// key scans an object key starting at c and the colon after it.
func (s *scanner) key(c byte) error {
	if c != '"' {
		return s.syntax(s.pos, "looking for beginning of object key string")
	}
	if _, _, err := s.str(); err != nil {
		return err
	}
	return s.colon()
}

// colon scans the ':' after an object key.
func (s *scanner) colon() error {
	c, err := s.wsIn()
	if err != nil {
		return err
	}
	if c != ':' {
		return s.syntax(s.pos, "after object key")
	}
	s.pos++
	return nil
}

// readAny decodes the value starting at s.pos as encoding/json decodes into an `any`
// with UseNumber: objects as map[string]any (the last of duplicate keys wins), arrays
// as []any, numbers as json.Number. depth is the nesting of the value's container.
func (s *scanner) readAny(depth int) (any, error) {
	c, err := s.wsIn()
	if err != nil {
		return nil, err
	}
	switch c {
	case '{':
		if depth >= maxDepth {
			return nil, s.syntax(s.pos, "exceeded max depth")
		}
		s.pos++
		m := map[string]any{}
		c, err := s.wsIn()
		if err != nil {
			return nil, err
		}
		if c == '}' {
			s.pos++
			return m, nil
		}
		for {
			if c != '"' {
				return nil, s.syntax(s.pos, "looking for beginning of object key string")
			}
			k, err := s.strValue()
			if err != nil {
				return nil, err
			}
			key := string(k)
			if err := s.colon(); err != nil {
				return nil, err
			}
			v, err := s.readAny(depth + 1)
			if err != nil {
				return nil, err
			}
			m[key] = v
			if c, err = s.wsIn(); err != nil {
				return nil, err
			}
			s.pos++
			switch c {
			case ',':
				if c, err = s.wsIn(); err != nil {
					return nil, err
				}
			case '}':
				return m, nil
			default:
				return nil, s.syntax(s.pos-1, "after object key:value pair")
			}
		}
	case '[':
		if depth >= maxDepth {
			return nil, s.syntax(s.pos, "exceeded max depth")
		}
		s.pos++
		list := []any{}
		c, err := s.wsIn()
		if err != nil {
			return nil, err
		}
		if c == ']' {
			s.pos++
			return list, nil
		}
		for {
			v, err := s.readAny(depth + 1)
			if err != nil {
				return nil, err
			}
			list = append(list, v)
			if c, err = s.wsIn(); err != nil {
				return nil, err
			}
			s.pos++
			switch c {
			case ',':
			case ']':
				return list, nil
			default:
				return nil, s.syntax(s.pos-1, "after array element")
			}
		}
	case '"':
		b, err := s.strValue()
		return string(b), err
	case 't':
		return true, s.literal("true")
	case 'f':
		return false, s.literal("false")
	case 'n':
		return nil, s.literal("null")
	}
	if c == '-' || '0' <= c && c <= '9' {
		b, err := s.number()
		return json.Number(b), err
	}
	return nil, s.syntax(s.pos, "looking for beginning of value")
}
