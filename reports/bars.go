package reports

import (
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/faultline-sim/faultline/results"
)

// barMetrics are the metrics of the summary bars, a panel each:
// availability and p99, then the trade-off's own metrics (the autoscaler's
// cost and SLO minutes, a store's stale reads), or goodput.
func barMetrics(r *results.Report) []string {
	out := []string{"availability", "p99"}
	mx, my := tradeoffAxes(r)
	for _, m := range []string{mx.metric, my.metric} {
		if !slices.Contains(out, m) {
			out = append(out, m)
		}
	}
	if len(out) == 2 {
		out = append(out, "goodput")
	}
	return out
}

// barTitle is a panel's title: the metric and which way is better.
func barTitle(m string) string {
	switch betterOf(m) {
	case 1:
		return m + " (higher is better)"
	case -1:
		return m + " (lower is better)"
	}
	return m
}

// barPhases are the groups of each panel: the whole run, and the faults if
// there were any and the metric has phases.
func barPhases(r *results.Report, metric string) []results.Phase {
	if len(r.Faults) > 0 && slices.Contains(results.SummaryMetrics(), metric) {
		return []results.Phase{results.All, results.During}
	}
	return []results.Phase{results.All}
}

// summaryFigure draws, per key metric, a group of bars per phase with a
// bar per variant, whiskers over the seeds and the mean printed on top;
// the scenario's SLO, if it states one, is a dashed line.
func summaryFigure(r *results.Report) (figure, error) {
	ms := barMetrics(r)
	slo := sloOf(r)
	row := make([]*plot.Plot, len(ms))
	for i, m := range ms {
		p, err := barPanel(r, m, barTitle(m))
		if err != nil {
			return figure{}, fmt.Errorf("%s: %w", m, err)
		}
		if v, ok := slo[m]; ok {
			p.Add(guide{at: v * scaleOf(m), label: "SLO " + fmtValue(m, v)})
			p.Y.Max = math.Max(p.Y.Max, v*scaleOf(m)*1.08)
		}
		row[i] = p
	}
	plots := [][]*plot.Plot{row}
	return figure{
		title:    r.Scenario + ": summary by design",
		subtitle: "bars are means over " + seedsNote(r) + "; whiskers: " + intervalShort(seedCount(r)) + "; the number on each bar is the mean",
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

// sloOf reads the scenario's SLO (an autoscaler's p99 and availability
// targets) from its source, in the schema's units (ms, a fraction).
func sloOf(r *results.Report) map[string]float64 {
	sc := parseSource(r)
	if sc == nil {
		return nil
	}
	for _, svc := range sc.Topology.Services {
		if svc.Autoscale == nil {
			continue
		}
		out := map[string]float64{}
		if p := svc.Autoscale.SLO.P99; p > 0 {
			out["p99"] = float64(p) / 1e6
		}
		if a := svc.Autoscale.SLO.Availability; a > 0 {
			out["availability"] = a
		}
		if len(out) > 0 {
			return out
		}
	}
	return nil
}

func barPanel(r *results.Report, metric, title string) (*plot.Plot, error) {
	p := newPlot(title, "", withUnit(metric, unitOf(metric)), false)
	phases := barPhases(r, metric)
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
			lo, hi := interval(s)
			bs = append(bs, bar{x: x, y: s.Mean * k, lo: lo * k, hi: hi * k, color: variantColor(i)})
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
