package backfill

import (
	"bytes"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// eof ends an OpenMetrics text; promtool imports nothing without it.
const eof = "# EOF\n"

// Output writes timestamped samples as OpenMetrics, one report's day at a time, so that a
// run that stops keeps every finished day. promtool takes a family again further on; each
// series stays in time order. A regular file ends with "# EOF" after every day (the next
// writes over it), to be imported whenever the run stops, even killed; another writer
// gets it from Close.
type Output struct {
	w       io.Writer
	file    *os.File // w, when it is a regular file
	labels  []*dto.LabelPair
	samples int   // written
	err     error // the first write error: nothing is written after it
}

// NewOutput returns an Output writing to w that adds labels to every sample: the labels
// the scrape adds to the live series (job), so that queries selecting on them find both.
func NewOutput(w io.Writer, labels map[string]string) (*Output, error) {
	o := &Output{w: w}
	f, _ := w.(*os.File)
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() { // a nil *os.File says os.ErrInvalid
		o.file = f
	}
	for _, name := range slices.Sorted(maps.Keys(labels)) {
		if !model.LegacyValidation.IsValidLabelName(name) || strings.HasPrefix(name, "__") {
			return nil, fmt.Errorf("label %q: not a valid label name", name)
		}
		value := labels[name]
		o.labels = append(o.labels, &dto.LabelPair{Name: &name, Value: &value})
	}
	return o, nil
}

// Add writes one report's metric families of one day (one sample per series) at once.
// An error writing them is kept: Add and Close return it from then on, and write nothing.
func (o *Output) Add(mfs []*dto.MetricFamily) error {
	var b bytes.Buffer
	samples := 0
	for _, mf := range mfs {
		for _, m := range mf.Metric {
			for _, l := range o.labels {
				if slices.ContainsFunc(m.Label, func(x *dto.LabelPair) bool { return x.GetName() == l.GetName() }) {
					return fmt.Errorf("label %q: %s has it already", l.GetName(), mf.GetName())
				}
			}
			m.Label = append(m.Label, o.labels...)
			slices.SortFunc(m.Label, func(a, b *dto.LabelPair) int { return strings.Compare(a.GetName(), b.GetName()) })
		}
		samples += len(mf.Metric)
		if _, err := expfmt.MetricFamilyToOpenMetrics(&b, mf); err != nil {
			return err
		}
	}
	if o.file != nil {
		b.WriteString(eof)
	}
	if o.write(b.Bytes()) == nil {
		o.samples += samples
		if o.file != nil { // back before the "# EOF": the next day, or Close, writes over it
			_, o.err = o.file.Seek(-int64(len(eof)), io.SeekCurrent)
		}
	}
	return o.err
}

// write writes b unless an earlier write failed; it keeps the first error.
func (o *Output) write(b []byte) error {
	if o.err != nil {
		return o.err
	}
	if _, err := o.w.Write(b); err != nil {
		o.err = fmt.Errorf("writing the output: %w", err)
	}
	return o.err
}

// Close ends the output with "# EOF" (a file has it already: Close writes it again over
// itself). It does not close the writer. Call it once.
func (o *Output) Close() error { return o.write([]byte(eof)) }
