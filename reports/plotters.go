package reports

import (
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/faultline-sim/faultline/results"
)

// faultBands shades each fault window across the whole height of a panel
// and, if labelled, numbers it (F1, F2, ...) at the top of its band, as
// the figure's legend lists them. Adjacent windows keep a white gap
// between them so that they never read as one; outline draws only the
// edges (over a heatmap).
type faultBands struct {
	faults  []results.FaultWindow
	labeled bool
	outline bool
}

func faultName(f results.FaultWindow) string {
	s := f.Label
	if s == "" {
		s = f.Type
	}
	if f.Engine != "" {
		s += " (" + f.Engine + " only)"
	}
	return s
}

// Plot implements plot.Plotter.
func (b faultBands) Plot(c draw.Canvas, p *plot.Plot) {
	trX, _ := p.Transforms(&c)
	edge := draw.LineStyle{Color: faultEdge, Width: vg.Points(0.8)}
	if b.outline {
		edge = draw.LineStyle{Color: color.NRGBA{R: 0x20, G: 0x90, B: 0xFF, A: 0xFF}, Width: vg.Points(1.2), Dashes: []vg.Length{vg.Points(3), vg.Points(2)}}
	}
	var rowEnds []vg.Length // right end of the last label in each row
	for i, f := range b.faults {
		if !finite(f.Start) || !finite(f.End) {
			continue
		}
		x0 := trX(math.Max(f.Start, p.X.Min))
		x1 := trX(math.Min(math.Max(f.End, f.Start), p.X.Max))
		if x1 < x0 {
			continue // outside the axis
		}
		if x1-x0 < vg.Points(1.5) { // an instant fault still shows
			x1 = x0 + vg.Points(1.5)
		}
		if x1-x0 > vg.Points(4) { // a gap from a window that ends where this starts
			x0 += vg.Points(1)
			x1 -= vg.Points(1)
		}
		if !b.outline {
			c.SetColor(faultFill)
			c.Fill(vg.Rectangle{Min: vg.Point{X: x0, Y: c.Min.Y}, Max: vg.Point{X: x1, Y: c.Max.Y}}.Path())
		}
		c.StrokeLine2(edge, x0, c.Min.Y, x0, c.Max.Y)
		c.StrokeLine2(edge, x1, c.Min.Y, x1, c.Max.Y)
		if b.labeled {
			rowEnds = b.label(c, x0, fmt.Sprintf("F%d", i+1), rowEnds)
		}
	}
}

// labelGap is the space around a fault label.
const labelGap = 3 // points

// placeLabel puts a label of width w that wants to start at x within
// [minX, maxX]: moved left if it would stick out, in the first row whose
// last label ends before it. rowEnds holds each row's right end.
func placeLabel(rowEnds []vg.Length, x, w, minX, maxX vg.Length) (row int, at vg.Length, ends []vg.Length) {
	gap := vg.Points(labelGap)
	at = x + gap
	if at+w > maxX {
		at = max(minX, maxX-w-gap)
	}
	for row < len(rowEnds) && rowEnds[row] > at-gap {
		row++
	}
	if row == len(rowEnds) {
		rowEnds = append(rowEnds, 0)
	}
	rowEnds[row] = at + w
	return row, at, rowEnds
}

// label writes name at the top left of a band, in the first row where it
// does not overlap an earlier label, on a white backing so lines under it
// do not hide it.
func (b faultBands) label(c draw.Canvas, x vg.Length, name string, rowEnds []vg.Length) []vg.Length {
	sty := boldStyle(sizeNote, faultText)
	sty.YAlign = draw.YTop
	gap := vg.Points(labelGap)
	w, h := sty.Width(name), sty.Height(name)
	row, x, rowEnds := placeLabel(rowEnds, x, w, c.Min.X, c.Max.X)
	top := c.Max.Y - gap - vg.Length(row)*(h+gap)
	back := vg.Rectangle{Min: vg.Point{X: x - 1, Y: top - h - 1}, Max: vg.Point{X: x + w + 1, Y: top + 1}}
	c.SetColor(color.NRGBA{R: 255, G: 255, B: 255, A: 0xD0})
	c.Fill(back.Path())
	c.FillText(sty, vg.Point{X: x, Y: top}, name)
	return rowEnds
}

// guide is a dashed reference line at a data value with a short label,
// e.g. "p99", at its top (vertical) or under its right end (horizontal),
// where curves rising to the right leave room; it does not change the
// axis ranges.
type guide struct {
	vertical bool
	at       float64
	label    string
}

// Plot implements plot.Plotter.
func (g guide) Plot(c draw.Canvas, p *plot.Plot) {
	sty := draw.LineStyle{Color: guideColor, Width: vg.Points(0.8), Dashes: []vg.Length{vg.Points(4), vg.Points(3)}}
	txt := textStyle(sizeNote, guideColor)
	trX, trY := p.Transforms(&c)
	if g.vertical {
		if g.at < p.X.Min || g.at > p.X.Max {
			return
		}
		x := trX(g.at)
		c.StrokeLine2(sty, x, c.Min.Y, x, c.Max.Y)
		txt.YAlign = draw.YTop
		c.FillText(txt, vg.Point{X: x + vg.Points(3), Y: c.Max.Y - vg.Points(2)}, g.label)
		return
	}
	if g.at < p.Y.Min || g.at > p.Y.Max {
		return
	}
	y := trY(g.at)
	c.StrokeLine2(sty, c.Min.X, y, c.Max.X, y)
	txt.XAlign, txt.YAlign = draw.XRight, draw.YTop
	c.FillText(txt, vg.Point{X: c.Max.X - vg.Points(3), Y: y - vg.Points(2)}, g.label)
}

// bar is one bar of a grouped bar chart, in data coordinates; a bar with
// no colour is not drawn (its value is missing).
type bar struct {
	x, y, lo, hi float64
	color        color.Color
}

// bars draws filled bars of a common width (in data units) from zero.
type bars struct {
	bars  []bar
	width float64
}

// Plot implements plot.Plotter.
func (b bars) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	for _, r := range b.bars {
		if r.color == nil {
			continue
		}
		rect := vg.Rectangle{
			Min: vg.Point{X: trX(r.x - b.width/2), Y: trY(math.Min(0, r.y))},
			Max: vg.Point{X: trX(r.x + b.width/2), Y: trY(math.Max(0, r.y))},
		}
		c.SetColor(r.color)
		c.Fill(rect.Path())
	}
}

// DataRange implements plot.DataRanger.
func (b bars) DataRange() (xmin, xmax, ymin, ymax float64) {
	xmin, xmax, ymin, ymax = math.Inf(1), math.Inf(-1), 0, 0
	for _, r := range b.bars {
		xmin, xmax = math.Min(xmin, r.x-b.width/2), math.Max(xmax, r.x+b.width/2)
		ymin, ymax = math.Min(ymin, math.Min(r.y, r.lo)), math.Max(ymax, math.Max(r.y, r.hi))
	}
	return xmin, xmax, ymin, ymax
}

// segments splits a curve into runs of finite points, so a NaN or an
// infinity leaves a gap instead of failing the plot.
func segments(xs, ys []float64) []plotter.XYs {
	var out []plotter.XYs
	var cur plotter.XYs
	for i := range xs {
		if finite(xs[i]) && finite(ys[i]) {
			cur = append(cur, plotter.XY{X: xs[i], Y: ys[i]})
			continue
		}
		if len(cur) > 0 {
			out, cur = append(out, cur), nil
		}
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

// addCurve draws a curve in sty: a line per finite run, and a dot for a
// run of one point, which a line cannot show.
func addCurve(p *plot.Plot, xs, ys []float64, sty draw.LineStyle) error {
	for _, seg := range segments(xs, ys) {
		if len(seg) == 1 {
			s, err := plotter.NewScatter(seg)
			if err != nil {
				return err
			}
			s.GlyphStyle = draw.GlyphStyle{Color: sty.Color, Radius: vg.Points(2), Shape: draw.CircleGlyph{}}
			p.Add(s)
			continue
		}
		l, err := plotter.NewLine(seg)
		if err != nil {
			return err
		}
		l.LineStyle = sty
		p.Add(l)
	}
	return nil
}

// whiskers returns the points with a finite, non-empty interval and the
// interval's extent below and above each point (along x if horizontal).
func whiskers(pts []bar, horizontal bool) (plotter.XYs, plotter.Errors) {
	var xys plotter.XYs
	var errs plotter.Errors
	for _, b := range pts {
		if !finite(b.x) || !finite(b.y) || !finite(b.lo) || !finite(b.hi) || b.hi <= b.lo {
			continue
		}
		ref := b.y
		if horizontal {
			ref = b.x
		}
		xys = append(xys, plotter.XY{X: b.x, Y: b.y})
		errs = append(errs, struct{ Low, High float64 }{ref - b.lo, b.hi - ref})
	}
	return xys, errs
}

// errorBars adds CI whiskers at the points, in colour col, vertical or
// horizontal; points without an interval get none.
func errorBars(p *plot.Plot, pts []bar, col color.Color, horizontal bool) error {
	xys, errs := whiskers(pts, horizontal)
	if len(xys) == 0 {
		return nil
	}
	line := draw.LineStyle{Color: col, Width: vg.Points(1.2)}
	if horizontal {
		e, err := plotter.NewXErrorBars(struct {
			plotter.XYs
			plotter.XErrors
		}{xys, plotter.XErrors(errs)})
		if err != nil {
			return err
		}
		e.LineStyle, e.CapWidth = line, vg.Points(6)
		p.Add(e)
		return nil
	}
	e, err := plotter.NewYErrorBars(struct {
		plotter.XYs
		plotter.YErrors
	}{xys, plotter.YErrors(errs)})
	if err != nil {
		return err
	}
	e.LineStyle, e.CapWidth = line, vg.Points(6)
	p.Add(e)
	return nil
}

// labels adds text at data points, centred above them by default.
func labels(p *plot.Plot, xys plotter.XYs, texts []string, styles []draw.TextStyle, offset vg.Point) error {
	if len(xys) == 0 {
		return nil
	}
	l, err := plotter.NewLabels(plotter.XYLabels{XYs: xys, Labels: texts})
	if err != nil {
		return err
	}
	l.TextStyle = styles
	l.Offset = offset
	p.Add(l)
	return nil
}
