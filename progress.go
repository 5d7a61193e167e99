package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
)

// progressBar shows backfill's progress lines ("team-week: 3/13 requests ...") on a
// terminal as one line redrawn in place with a bar; other lines pass through. Not on a
// terminal, plain lines stay plain (see newProgress).
type progressBar struct {
	w       io.Writer
	partial []byte
	open    bool // a bar line is drawn and not ended
}

// newProgress returns w itself unless it is a terminal.
func newProgress(w io.Writer) io.Writer {
	if f, ok := w.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			return &progressBar{w: w}
		}
	}
	return w
}

var fraction = regexp.MustCompile(`^(.*?): (\d+)/(\d+) (.*)$`)

func (p *progressBar) Write(b []byte) (int, error) {
	p.partial = append(p.partial, b...)
	for {
		i := bytes.IndexByte(p.partial, '\n')
		if i < 0 {
			return len(b), nil
		}
		p.line(string(p.partial[:i]))
		p.partial = p.partial[i+1:]
	}
}

func (p *progressBar) line(s string) {
	m := fraction.FindStringSubmatch(s)
	if m == nil {
		if p.open {
			fmt.Fprint(p.w, "\n")
			p.open = false
		}
		fmt.Fprintln(p.w, s)
		return
	}
	done, _ := strconv.Atoi(m[2])
	total, _ := strconv.Atoi(m[3])
	const width = 30
	filled := 0
	if total > 0 {
		filled = min(width*done/total, width)
	}
	fmt.Fprintf(p.w, "\r\033[K%s [%s%s] %d/%d %s", m[1], strings.Repeat("#", filled), strings.Repeat(".", width-filled), done, total, m[4])
	p.open = done < total
	if !p.open {
		fmt.Fprint(p.w, "\n")
	}
}
