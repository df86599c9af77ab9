package reports

import (
	"fmt"
	"image/color"
	"math"
	"slices"
	"strings"

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
// over the whole run when there were none. Both axes take the same phase:
// when one metric exists only over the whole run (a model's), so does the
// other, so that the picture never compares a phase with the whole.
func tradeoffAxes(r *results.Report) (x, y metricRef) {
	def := focusPhase(r)
	if len(r.Compare) < 2 {
		return metricRef{"availability", def}, metricRef{"p99", def}
	}
	x, y = parseMetric(r.Compare[0], def), parseMetric(r.Compare[1], def)
	explicit := strings.Contains(r.Compare[0], ".") || strings.Contains(r.Compare[1], ".")
	if !explicit && x.phase != y.phase {
		x.phase, y.phase = results.All, results.All
	}
	return x, y
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

// tradeoffCaption explains the trade-off picture for r.
func tradeoffCaption(r *results.Report) string {
	mx, my := tradeoffAxes(r)
	s := fmt.Sprintf("Each design as a point: %s against %s, %s. Whiskers show %s.", mx.metric, my.metric, phasePhrase(mx.phase), intervalName(seedCount(r)))
	var better []string
	for _, h := range []string{hint(mx, "right", "left"), hint(my, "up", "down")} {
		if h != "" {
			better = append(better, h)
		}
	}
	if len(better) > 0 {
		s += " Better is " + strings.Join(better, " and ") + "."
	}
	return s
}

// isLatency reports whether a metric is a latency in ms, drawn on a log
// axis when it spans more than a decade.
func isLatency(metric string) bool {
	return unitOf(metric) == "ms" || strings.HasSuffix(metric, "_ms")
}

// tradeoffFigure draws one point per variant at (x, y) with whiskers both
// ways; names are placed where they overlap no other name or point (with
// a lead line when moved away), else the point is numbered and named in
// the legend.
func tradeoffFigure(r *results.Report) (figure, error) {
	mx, my := tradeoffAxes(r)
	title := fmt.Sprintf("%s: trade-off, %s against %s", r.Scenario, mx.metric, my.metric)
	type pt struct {
		i      int
		name   string
		sx, sy results.Stat
	}
	var pts []pt
	for i := range r.Variants {
		v := &r.Variants[i]
		sx, okx := statOf(v, mx.metric, mx.phase)
		sy, oky := statOf(v, my.metric, my.phase)
		if okx && oky {
			pts = append(pts, pt{i, v.Variant, sx, sy})
		}
	}
	if len(pts) == 0 {
		return noteFigure(title, "no variant has both "+mx.metric+" and "+my.metric), nil
	}
	logX, logY := isLatency(mx.metric), isLatency(my.metric)
	span := func(get func(pt) results.Stat) (lo, hi float64) {
		lo, hi = math.Inf(1), math.Inf(-1)
		for _, p := range pts {
			a, b := interval(get(p))
			lo, hi = math.Min(lo, math.Min(a, get(p).Mean)), math.Max(hi, math.Max(b, get(p).Mean))
		}
		return lo, hi
	}
	if lo, hi := span(func(p pt) results.Stat { return p.sx }); lo <= 0 || hi/lo < 10 {
		logX = false
	}
	if lo, hi := span(func(p pt) results.Stat { return p.sy }); lo <= 0 || hi/lo < 10 {
		logY = false
	}
	xl, yl := axisLabel(mx.metric, mx.phase), axisLabel(my.metric, my.phase)
	if h := hint(mx, "right", "left"); h != "" {
		xl += ", better " + strings.SplitN(h, " ", 2)[0]
	}
	if h := hint(my, "up", "down"); h != "" {
		yl += ", better " + strings.SplitN(h, " ", 2)[0]
	}
	if logX {
		xl += ", log scale"
	}
	if logY {
		yl += ", log scale"
	}
	p := newPlot("", xl, yl, true)
	tx := axisMap(logX, scaleOf(mx.metric))
	ty := axisMap(logY, scaleOf(my.metric))
	lab := &pointLabels{}
	for _, q := range pts {
		col := variantColor(q.i)
		x, y := tx(q.sx.Mean), ty(q.sy.Mean)
		xlo, xhi := interval(q.sx)
		ylo, yhi := interval(q.sy)
		if err := errorBars(p, []bar{{x: x, y: y, lo: tx(xlo), hi: tx(xhi)}}, col, true); err != nil {
			return figure{}, err
		}
		if err := errorBars(p, []bar{{x: x, y: y, lo: ty(ylo), hi: ty(yhi)}}, col, false); err != nil {
			return figure{}, err
		}
		s, err := plotter.NewScatter(plotter.XYs{{X: x, Y: y}})
		if err != nil {
			return figure{}, err
		}
		s.GlyphStyle = draw.GlyphStyle{Color: col, Radius: vg.Points(5), Shape: draw.CircleGlyph{}}
		p.Add(s)
		lab.pts = append(lab.pts, labelPoint{x: x, y: y, name: q.name, color: col})
	}
	p.Add(lab)
	pad(&p.X, 0.12)
	pad(&p.Y, 0.12)
	if logX {
		setLog(&p.X)
	}
	if logY {
		setLog(&p.Y)
	}
	sub := "each point is a design (mean over " + seedsNote(r) + "); whiskers: " + intervalShort(seedCount(r))
	if mx.phase == results.All && focusPhase(r) != results.All {
		sub += "; both axes over the whole run (a model's metrics have no phases)"
	}
	f := figure{title: title, subtitle: sub, body: 4.6 * vg.Inch}
	f.draw = func(c draw.Canvas) { p.Draw(c) }
	// The legend numbers the points whose names found no place; placement
	// needs the canvas, so a dry run on the real size decides it.
	lab.place(p, f)
	for _, l := range lab.pts {
		if l.number > 0 {
			f.legend = append(f.legend, legendItem{name: fmt.Sprintf("%d %s", l.number, l.name), swatch: dotSwatch(l.color)})
		}
	}
	return f, nil
}

// axisMap maps a metric's value to the axis: scaled to the unit shown,
// and log10 on a log axis.
func axisMap(logAxis bool, k float64) func(float64) float64 {
	if logAxis {
		return func(v float64) float64 { return log10(v * k) }
	}
	return func(v float64) float64 { return v * k }
}

func dotSwatch(c color.Color) func(draw.Canvas, vg.Rectangle) {
	return func(cv draw.Canvas, r vg.Rectangle) {
		cv.DrawGlyph(draw.GlyphStyle{Color: c, Radius: vg.Points(4), Shape: draw.CircleGlyph{}}, vg.Point{X: (r.Min.X + r.Max.X) / 2, Y: (r.Min.Y + r.Max.Y) / 2})
	}
}
