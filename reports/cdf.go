package reports

import (
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/faultline-sim/faultline/results"
)

// tailX maps a quantile to the tail view's x: each step of 1 is one more
// nine (90%, 99%, 99.9%...), so the tail gets as much room as the body.
func tailX(q float64) float64 { return -math.Log10(1 - q) }

// quantileAt interpolates the latency at q on a CDF; NaN if out of range.
func quantileAt(cdf []results.Quantile, q float64) float64 {
	for i := 1; i < len(cdf); i++ {
		a, b := cdf[i-1], cdf[i]
		if q < a.Q || q > b.Q {
			continue
		}
		if b.Q == a.Q {
			return b.Ms
		}
		return a.Ms + (b.Ms-a.Ms)*(q-a.Q)/(b.Q-a.Q)
	}
	return math.NaN()
}

// hasLatency reports whether any CDF has a latency a log axis can show.
func hasLatency(r *results.Report) bool {
	for _, v := range r.Variants {
		for _, q := range v.CDF {
			if q.Ms > 0 && finite(q.Ms) && finite(q.Q) {
				return true
			}
		}
	}
	return false
}

// cdfFigure draws each variant's latency CDF (left) and its tail, one nine
// per step (right), with p50 and p99 marked.
func cdfFigure(r *results.Report) (figure, error) {
	title := r.Scenario + ": latency distribution"
	if !hasLatency(r) {
		return noteFigure(title, "no latency data in this report"), nil
	}
	body, err := cdfPanel(r)
	if err != nil {
		return figure{}, err
	}
	tail, err := tailPanel(r)
	if err != nil {
		return figure{}, err
	}
	names := variantNames(r)
	for i, v := range r.Variants {
		if len(v.CDF) == 0 {
			names[i] += " (no latency data)"
		}
	}
	plots := [][]*plot.Plot{{tail, body}}
	return figure{
		title:    title,
		subtitle: "the successful requests of the whole run (a failed request is not a fast one: see fast failures and p99_all in the tables), mean over " + seedsNote(r) + " of each quantile's latency; dots mark p50 and p99",
		legend:   variantLegend(names),
		body:     3.8 * vg.Inch,
		draw: func(c draw.Canvas) {
			cs := plot.Align(plots, draw.Tiles{Rows: 1, Cols: 2, PadX: vg.Points(24)}, c)
			tail.Draw(cs[0][0])
			body.Draw(cs[0][1])
		},
	}, nil
}

// curve returns the CDF's points as (x, y) through fx and fy. Points fx or
// fy cannot place (log10 of zero, tailX of 1) are NaN and become gaps.
func curve(cdf []results.Quantile, fx, fy func(results.Quantile) float64) (xs, ys []float64) {
	for _, q := range cdf {
		xs, ys = append(xs, fx(q)), append(ys, fy(q))
	}
	return xs, ys
}

func cdfPanel(r *results.Report) (*plot.Plot, error) {
	p := newPlot("CDF: share of requests at or below a latency", "latency (ms, log scale)", "quantile", true)
	p.Add(guide{at: 0.5, label: "p50"}, guide{at: 0.99, label: "p99"})
	ms := func(q results.Quantile) float64 { return log10(q.Ms) }
	qq := func(q results.Quantile) float64 { return q.Q }
	for i, v := range r.Variants {
		xs, ys := curve(v.CDF, ms, qq)
		if err := addCurve(p, xs, ys, variantLine(i)); err != nil {
			return nil, err
		}
		if err := marks(p, i, logMarks(v.CDF), []float64{0.5, 0.99}); err != nil {
			return nil, err
		}
	}
	setLog(&p.X)
	p.Y.Min, p.Y.Max = 0, 1
	return p, nil
}

func tailPanel(r *results.Report) (*plot.Plot, error) {
	p := newPlot("latency by percentile (as HdrHistogram plots it)", "percentile (one step per nine)", "latency (ms, log scale)", true)
	p.Add(guide{vertical: true, at: tailX(0.5)}, guide{vertical: true, at: tailX(0.99)}) // the ticks name them
	tx := func(q results.Quantile) float64 { return tailX(q.Q) }
	ms := func(q results.Quantile) float64 { return log10(q.Ms) }
	maxX := 0.0
	for i, v := range r.Variants {
		xs, ys := curve(v.CDF, tx, ms)
		for _, x := range xs {
			if finite(x) {
				maxX = math.Max(maxX, x)
			}
		}
		if err := addCurve(p, xs, ys, variantLine(i)); err != nil {
			return nil, err
		}
		if err := marks(p, i, []float64{tailX(0.5), tailX(0.99)}, logMarks(v.CDF)); err != nil {
			return nil, err
		}
	}
	p.X.Min, p.X.Max = 0, math.Max(maxX, tailX(0.99))
	p.X.Tick.Marker = percentileTicks{}
	setLog(&p.Y)
	return p, nil
}

// logMarks are log10 of the p50 and p99 latencies on a CDF.
func logMarks(cdf []results.Quantile) []float64 {
	return []float64{log10(quantileAt(cdf, 0.5)), log10(quantileAt(cdf, 0.99))}
}

// marks adds variant i's dots at the finite points given.
func marks(p *plot.Plot, i int, xs, ys []float64) error {
	var pts plotter.XYs
	for j := range xs {
		if finite(xs[j]) && finite(ys[j]) {
			pts = append(pts, plotter.XY{X: xs[j], Y: ys[j]})
		}
	}
	if len(pts) == 0 {
		return nil
	}
	s, err := plotter.NewScatter(pts)
	if err != nil {
		return err
	}
	s.GlyphStyle = draw.GlyphStyle{Color: variantColor(i), Radius: vg.Points(3.5), Shape: draw.CircleGlyph{}}
	p.Add(s)
	return nil
}

// percentileTicks label the tail axis in percentiles.
type percentileTicks struct{}

// Ticks implements plot.Ticker.
func (percentileTicks) Ticks(lo, hi float64) []plot.Tick {
	named := []struct {
		q     float64
		label string
	}{{0, ""}, {0.5, "p50"}, {0.9, "p90"}, {0.99, "p99"}, {0.999, "p99.9"}, {0.9999, "p99.99"}, {0.99999, "p99.999"}}
	var ticks []plot.Tick
	for _, n := range named {
		if x := tailX(n.q); x >= lo && x <= hi {
			ticks = append(ticks, plot.Tick{Value: x, Label: n.label})
		}
	}
	return ticks
}
