package reports

import (
	"fmt"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/faultline-sim/faultline/results"
)

// panelHeight is the height of one time-series panel.
const panelHeight = 2.2 * vg.Inch

// seriesTitles say in words what the recorder's built-in series count.
var seriesTitles = map[string]string{
	"offered":    "offered load: requests by intended start",
	"throughput": "throughput: requests that ended",
	"goodput":    "goodput: requests that succeeded",
	"errors":     "errors: requests that failed, timed out or were refused",
	"p99":        "p99 latency of the requests that ended in each interval",

	"instances":         "instances: ready to take traffic",
	"desired_instances": "desired instances: the autoscaler's count, pending pods included",
	"pending_pods":      "pending pods: wanted, but no room in the cluster yet",
	"slo_violated":      "SLO violated: share of seeds whose interval breaks the SLO",
	"instance_size":     "instance size: workers of the biggest live instance",
}

// seriesKey names a series and its unit.
type seriesKey struct{ name, unit string }

// seriesKeys lists the series the variants' mean series hold, in order of
// first appearance (the recorder's built-ins first, then model series).
func seriesKeys(r *results.Report) []seriesKey {
	var keys []seriesKey
	seen := map[string]bool{}
	for _, v := range r.Variants {
		for _, s := range v.Series {
			if seen[s.Name] || len(s.Values) == 0 {
				continue
			}
			seen[s.Name] = true
			keys = append(keys, seriesKey{s.Name, s.Unit})
		}
	}
	return keys
}

func findSeries(ss []results.Series, name string) *results.Series {
	for i := range ss {
		if ss[i].Name == name {
			return &ss[i]
		}
	}
	return nil
}

// stepOf is the series step, falling back to the report's interval and
// then to one second when the schema's step is missing.
func stepOf(r *results.Report, s *results.Series) float64 {
	for _, st := range []float64{s.Step, r.Interval} {
		if st > 0 && finite(st) {
			return st
		}
	}
	return 1
}

// timeSpan is the length of the x axis: the run, or the longest series.
func timeSpan(r *results.Report) float64 {
	if r.Duration > 0 && finite(r.Duration) {
		return r.Duration
	}
	span := 0.0
	for _, v := range r.Variants {
		for i := range v.Series {
			span = math.Max(span, float64(len(v.Series[i].Values))*stepOf(r, &v.Series[i]))
		}
	}
	return span
}

func seedsNote(r *results.Report) string {
	n := len(r.Seeds)
	for _, v := range r.Variants {
		n = max(n, len(v.Seeds))
	}
	if n == 1 {
		return "1 seed"
	}
	return fmt.Sprintf("%d seeds", n)
}

// timeseriesFigure stacks one panel per series, every variant overlaid and
// every fault window shaded.
func timeseriesFigure(r *results.Report) (figure, error) {
	title := r.Scenario + ": time series"
	keys := seriesKeys(r)
	if len(keys) == 0 {
		return noteFigure(title, "no time series in this report"), nil
	}
	plots := make([][]*plot.Plot, len(keys))
	for i, k := range keys {
		p, err := seriesPanel(r, k, i == 0)
		if err != nil {
			return figure{}, fmt.Errorf("series %q: %w", k.name, err)
		}
		plots[i] = []*plot.Plot{p}
	}
	legend := variantLegend(variantNames(r))
	sub := "each line is a variant's mean over " + seedsNote(r) + ", point by point; "
	if len(r.Faults) > 0 {
		legend = append(legend, boxItem("fault window", faultFill, faultEdge))
		sub += "the shaded bands are the fault windows"
	} else {
		sub += "no faults were injected"
	}
	return figure{
		title:    title,
		subtitle: sub,
		legend:   legend,
		body:     vg.Length(len(keys)) * panelHeight,
		draw: func(c draw.Canvas) {
			cs := plot.Align(plots, draw.Tiles{Rows: len(plots), Cols: 1, PadY: vg.Points(8)}, c)
			for i := range plots {
				plots[i][0].Draw(cs[i][0])
			}
		},
	}, nil
}

// seriesPanel draws series k for every variant. The first panel carries the
// fault labels and leaves headroom for them.
func seriesPanel(r *results.Report, k seriesKey, first bool) (*plot.Plot, error) {
	title := seriesTitles[k.name]
	if title == "" {
		title = k.name
	}
	p := newPlot(title, "time (s)", withUnit(k.name, k.unit), true)
	p.X.Min, p.X.Max = 0, timeSpan(r)
	p.X.Tick.Marker = linearTicks{12}
	if len(r.Faults) > 0 {
		p.Add(faultBands{faults: r.Faults, labeled: first})
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for vi := range r.Variants {
		s := findSeries(r.Variants[vi].Series, k.name)
		if s == nil {
			continue
		}
		step := stepOf(r, s)
		xs := make([]float64, len(s.Values))
		for j := range xs {
			xs[j] = (float64(j) + 0.5) * step // the middle of the interval
		}
		if err := addCurve(p, xs, s.Values, variantLine(vi)); err != nil {
			return nil, err
		}
		for _, y := range s.Values {
			if finite(y) {
				lo, hi = math.Min(lo, y), math.Max(hi, y)
			}
		}
	}
	rows := 0
	if first {
		rows = faultLabelRows(r)
	}
	fitY(p, lo, hi, rows)
	return p, nil
}

// faultLabelRows estimates how many rows of fault labels the first panel
// needs, placing them as faultBands will on a panel of about the real
// width, so that the panel leaves room for them above the data.
func faultLabelRows(r *results.Report) int {
	width := figureWidth - 2*vg.Points(margin) - vg.Points(60) // less the y axis
	span := timeSpan(r)
	sty := boldStyle(sizeNote, faultText)
	var ends []vg.Length
	rows := 0
	for _, f := range r.Faults {
		if !finite(f.Start) || !finite(f.End) || f.Start > span || f.End < 0 || span <= 0 {
			continue
		}
		x := vg.Length(math.Max(f.Start, 0)/span) * width
		var row int
		row, _, ends = placeLabel(ends, x, sty.Width(faultName(f)), 0, width)
		rows = max(rows, row+1)
	}
	return rows
}

// fitY sets the y range: from zero for quantities that cannot go negative,
// so a dip looks as deep as it is, with headroom for rows of fault labels.
func fitY(p *plot.Plot, lo, hi float64, rows int) {
	if lo > hi { // nothing finite to draw
		p.Y.Min, p.Y.Max = 0, 1
		return
	}
	if lo >= 0 {
		lo = 0
	}
	if hi == lo {
		hi = lo + 1
	}
	// A row of labels is about 12 pt of a data area about 110 pt high;
	// room is the fraction of the data's span that leaves that much free.
	room := 0.05
	if rows > 0 {
		f := math.Min(0.6, (12*float64(rows)+6)/110)
		room = f / (1 - f)
	}
	p.Y.Min, p.Y.Max = lo, hi+room*(hi-lo)
}
