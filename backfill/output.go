package backfill

import (
	"cmp"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Output collects timestamped samples and writes them as OpenMetrics, each family once
// and whole (OpenMetrics wants a family's samples together), each series in time order.
type Output struct {
	families map[string]*dto.MetricFamily
	labels   []*dto.LabelPair
	samples  int
}

// NewOutput returns an empty Output that adds labels to every sample: the labels the
// scrape adds to the live series (job), so that queries selecting on them find both.
func NewOutput(labels map[string]string) (*Output, error) {
	o := &Output{families: map[string]*dto.MetricFamily{}}
	for _, name := range slices.Sorted(maps.Keys(labels)) {
		if !model.LegacyValidation.IsValidLabelName(name) || strings.HasPrefix(name, "__") {
			return nil, fmt.Errorf("label %q: not a valid label name", name)
		}
		value := labels[name]
		o.labels = append(o.labels, &dto.LabelPair{Name: &name, Value: &value})
	}
	return o, nil
}

// Add adds one report's metrics of one day (one sample per series).
func (o *Output) Add(ms []prometheus.Metric) error {
	reg := prometheus.NewPedanticRegistry()
	if err := reg.Register(prometheus.CollectorFunc(func(ch chan<- prometheus.Metric) {
		for _, m := range ms {
			ch <- m
		}
	})); err != nil {
		return err
	}
	mfs, err := reg.Gather()
	if err != nil {
		return err
	}
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
		o.samples += len(mf.Metric)
		if f, ok := o.families[mf.GetName()]; ok {
			f.Metric = append(f.Metric, mf.Metric...)
		} else {
			o.families[mf.GetName()] = mf
		}
	}
	return nil
}

// Samples is the number of samples added.
func (o *Output) Samples() int { return o.samples }

// WriteTo writes the OpenMetrics text, ending with # EOF.
func (o *Output) WriteTo(w io.Writer) (int64, error) {
	var n int64
	for _, name := range slices.Sorted(maps.Keys(o.families)) {
		f := o.families[name]
		slices.SortStableFunc(f.Metric, func(a, b *dto.Metric) int {
			byLabel := slices.CompareFunc(a.GetLabel(), b.GetLabel(), func(x, y *dto.LabelPair) int {
				return cmp.Or(strings.Compare(x.GetName(), y.GetName()), strings.Compare(x.GetValue(), y.GetValue()))
			})
			return cmp.Or(byLabel, cmp.Compare(a.GetTimestampMs(), b.GetTimestampMs()))
		})
		k, err := expfmt.MetricFamilyToOpenMetrics(w, f)
		n += int64(k)
		if err != nil {
			return n, err
		}
	}
	k, err := expfmt.FinalizeOpenMetrics(w)
	return n + int64(k), err
}
