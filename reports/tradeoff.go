package reports

import (
	"fmt"
	"slices"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/faultline-sim/faultline/results"
)

// metricRef is a metric in a phase, e.g. p99 during the faults.
type metricRef struct {
	metric string
	phase  results.Phase
}

// parseMetric reads "p99" (in phase def) or "during.p99".
func parseMetric(s string, def results.Phase) metricRef {
	if i := strings.IndexByte(s, '.'); i > 0 {
		for _, p := range results.Phases() {
			if string(p) == s[:i] {
				return metricRef{s[i+1:], p}
			}
		}
	}
	if !slices.Contains(results.SummaryMetrics(), s) {
		def = results.All // model metrics are per run, without phases
	}
	return metricRef{s, def}
}

// tradeoffAxes are the metrics of the trade-off plot: Report.Compare if it
// names two, else availability (x) against p99 (y) during the faults, or
// over the whole run when there were none.
func tradeoffAxes(r *results.Report) (x, y metricRef) {
	def := focusPhase(r)
	if len(r.Compare) >= 2 {
		return parseMetric(r.Compare[0], def), parseMetric(r.Compare[1], def)
	}
	return metricRef{"availability", def}, metricRef{"p99", def}
}

// hint says which way is better along an axis, e.g. "down (lower p99)",
// if the schema knows.
func hint(m metricRef, up, down string) string {
	switch betterOf(m.metric) {
	case 1:
		return up + " (higher " + m.metric + ")"
	case -1:
		return down + " (lower " + m.metric + ")"
	}
	return ""
}

// tradeoffFigure draws one point per variant at (x, y) with 95% CI
// whiskers both ways, labelled with the variant's name.
func tradeoffFigure(r *results.Report) (figure, error) {
	mx, my := tradeoffAxes(r)
	title := fmt.Sprintf("%s: trade-off, %s against %s", r.Scenario, mx.metric, my.metric)
	p := newPlot("", axisLabel(mx.metric, mx.phase), axisLabel(my.metric, my.phase), true)
	drawn := 0
	for i := range r.Variants {
		v := &r.Variants[i]
		sx, okx := statOf(v, mx.metric, mx.phase)
		sy, oky := statOf(v, my.metric, my.phase)
		if !okx || !oky {
			continue
		}
		if err := tradeoffPoint(p, i, v.Variant, sx, sy, scaleOf(mx.metric), scaleOf(my.metric)); err != nil {
			return figure{}, fmt.Errorf("%s: %w", v.Variant, err)
		}
		drawn++
	}
	if drawn == 0 {
		return noteFigure(title, "no variant has both "+mx.metric+" and "+my.metric), nil
	}
	pad(&p.X, 0.08)
	pad(&p.Y, 0.08)
	sub := "each point is a variant (mean over " + seedsNote(r) + "); whiskers are 95% confidence intervals"
	var better []string
	for _, h := range []string{hint(mx, "right", "left"), hint(my, "up", "down")} {
		if h != "" {
			better = append(better, h)
		}
	}
	if len(better) > 0 {
		sub += "; better is " + strings.Join(better, " and ")
	}
	return figure{
		title:    title,
		subtitle: sub,
		body:     4.6 * vg.Inch,
		draw:     func(c draw.Canvas) { p.Draw(c) },
	}, nil
}

func tradeoffPoint(p *plot.Plot, i int, name string, sx, sy results.Stat, kx, ky float64) error {
	col := variantColor(i)
	pt := bar{x: sx.Mean * kx, y: sy.Mean * ky}
	h, v := pt, pt
	h.lo, h.hi = sx.Lo*kx, sx.Hi*kx
	v.lo, v.hi = sy.Lo*ky, sy.Hi*ky
	if err := errorBars(p, []bar{h}, col, true); err != nil {
		return err
	}
	if err := errorBars(p, []bar{v}, col, false); err != nil {
		return err
	}
	s, err := plotter.NewScatter(plotter.XYs{{X: pt.x, Y: pt.y}})
	if err != nil {
		return err
	}
	s.GlyphStyle = draw.GlyphStyle{Color: col, Radius: vg.Points(5), Shape: draw.CircleGlyph{}}
	p.Add(s)
	sty := boldStyle(sizeLabel, col)
	sty.YAlign = draw.YBottom
	return labels(p, plotter.XYs{{X: pt.x, Y: pt.y}}, []string{name}, []draw.TextStyle{sty}, vg.Point{X: vg.Points(6), Y: vg.Points(4)})
}
