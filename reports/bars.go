package reports

import (
	"fmt"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/faultline-sim/faultline/results"
)

// barMetrics are the key metrics of the summary bars, one panel each.
var barMetrics = []struct{ metric, title string }{
	{"availability", "availability (higher is better)"},
	{"p99", "p99 latency (lower is better)"},
	{"goodput", "goodput (higher is better)"},
}

// barPhases are the groups of each panel: the whole run, and the faults if
// there were any.
func barPhases(r *results.Report) []results.Phase {
	if len(r.Faults) > 0 {
		return []results.Phase{results.All, results.During}
	}
	return []results.Phase{results.All}
}

// summaryFigure draws, per key metric, a group of bars per phase with a
// bar per variant, 95% CI whiskers and the mean printed on top.
func summaryFigure(r *results.Report) (figure, error) {
	row := make([]*plot.Plot, len(barMetrics))
	for i, m := range barMetrics {
		p, err := barPanel(r, m.metric, m.title)
		if err != nil {
			return figure{}, fmt.Errorf("%s: %w", m.metric, err)
		}
		row[i] = p
	}
	plots := [][]*plot.Plot{row}
	return figure{
		title:    r.Scenario + ": summary by variant",
		subtitle: "bars are means over " + seedsNote(r) + "; whiskers are 95% confidence intervals; the number on each bar is the mean",
		legend:   variantLegend(variantNames(r)),
		body:     3.6 * vg.Inch,
		draw: func(c draw.Canvas) {
			cs := plot.Align(plots, draw.Tiles{Rows: 1, Cols: len(row), PadX: vg.Points(20)}, c)
			for i, p := range row {
				p.Draw(cs[0][i])
			}
		},
	}, nil
}

func barPanel(r *results.Report, metric, title string) (*plot.Plot, error) {
	p := newPlot(title, "", withUnit(metric, unitOf(metric)), false)
	phases := barPhases(r)
	n := max(len(r.Variants), 1)
	slot := math.Min(0.8/float64(n), 0.3) // one bar alone is a bar, not a block
	var bs []bar
	var texts []string
	for g, ph := range phases {
		for i := range r.Variants {
			x := float64(g) + (float64(i)-float64(n-1)/2)*slot
			s, ok := statOf(&r.Variants[i], metric, ph)
			if !ok { // say so where the bar would be, rather than leave a gap
				bs = append(bs, bar{x: x})
				texts = append(texts, "n/a")
				continue
			}
			k := scaleOf(metric)
			bs = append(bs, bar{x: x, y: s.Mean * k, lo: s.Lo * k, hi: s.Hi * k, color: variantColor(i)})
			texts = append(texts, fmtBare(metric, s.Mean))
		}
	}
	if err := addBars(p, bs, texts, slot, n*len(phases) > 8); err != nil {
		return nil, err
	}
	names := make([]string, len(phases))
	for i, ph := range phases {
		names[i] = phaseName(ph)
	}
	p.NominalX(names...)
	p.X.Min, p.X.Max = -0.5, float64(len(phases))-0.5
	if p.Y.Min > 0 || math.IsInf(p.Y.Min, 0) {
		p.Y.Min = 0
	}
	return p, nil
}

// addBars draws the bars, their whiskers in black and their values above
// the whiskers, turned upright when the bars are too narrow for them.
func addBars(p *plot.Plot, bs []bar, texts []string, slot float64, upright bool) error {
	p.Add(bars{bars: bs, width: slot * 0.85})
	if err := errorBars(p, bs, guideColor, false); err != nil {
		return err
	}
	var at plotter.XYs
	styles := make([]draw.TextStyle, len(bs))
	for i, b := range bs {
		at = append(at, plotter.XY{X: b.x, Y: math.Max(b.y, b.hi)})
		styles[i] = textStyle(sizeNote-0.5, subtleColor)
		styles[i].XAlign, styles[i].YAlign = draw.XCenter, draw.YBottom
		if upright {
			styles[i].Rotation = math.Pi / 2
			styles[i].XAlign, styles[i].YAlign = draw.XLeft, draw.YCenter
		}
	}
	return labels(p, at, texts, styles, vg.Point{Y: vg.Points(2)})
}
