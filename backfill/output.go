package backfill

import (
	"cmp"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
)

// Output collects timestamped samples and writes them as OpenMetrics, each family once
// and whole (OpenMetrics wants a family's samples together), each series in time order.
type Output struct {
	families map[string]*dto.MetricFamily
}

// NewOutput returns an empty Output.
func NewOutput() *Output { return &Output{families: map[string]*dto.MetricFamily{}} }

// Add adds one report's metrics of one day (one sample per series).
func (o *Output) Add(ms []prometheus.Metric) error {
	reg := prometheus.NewPedanticRegistry()
	if err := reg.Register(metrics(ms)); err != nil {
		return err
	}
	mfs, err := reg.Gather()
	if err != nil {
		return err
	}
	for _, mf := range mfs {
		if f, ok := o.families[mf.GetName()]; ok {
			f.Metric = append(f.Metric, mf.Metric...)
		} else {
			o.families[mf.GetName()] = mf
		}
	}
	return nil
}

// Samples is the number of samples added.
func (o *Output) Samples() int {
	n := 0
	for _, f := range o.families {
		n += len(f.Metric)
	}
	return n
}

// WriteTo writes the OpenMetrics text, ending with # EOF.
func (o *Output) WriteTo(w io.Writer) (int64, error) {
	var n int64
	for _, name := range slices.Sorted(maps.Keys(o.families)) {
		f := o.families[name]
		slices.SortStableFunc(f.Metric, func(a, b *dto.Metric) int {
			return cmp.Or(compareLabels(a.GetLabel(), b.GetLabel()), cmp.Compare(a.GetTimestampMs(), b.GetTimestampMs()))
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

func compareLabels(a, b []*dto.LabelPair) int {
	for i := range min(len(a), len(b)) {
		if c := cmp.Or(strings.Compare(a[i].GetName(), b[i].GetName()), strings.Compare(a[i].GetValue(), b[i].GetValue())); c != 0 {
			return c
		}
	}
	return cmp.Compare(len(a), len(b))
}

// metrics is a collector of fixed metrics, unchecked (it describes none).
type metrics []prometheus.Metric

func (metrics) Describe(chan<- *prometheus.Desc) {}

func (ms metrics) Collect(ch chan<- prometheus.Metric) {
	for _, m := range ms {
		ch <- m
	}
}
