package reports

import (
	"cmp"
	"fmt"
	"image/color"
	"math"
	"slices"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/faultline-sim/faultline/results"
)

// sweepVariant returns the index in r.Variants of the point's variant.
func sweepVariant(r *results.Report, pt results.SweepPoint) (int, bool) {
	for i := range r.Variants {
		if r.Variants[i].Variant == pt.Variant {
			return i, true
		}
	}
	return 0, false
}

// axisValues returns the distinct finite values of parameter k, sorted.
func axisValues(sw *results.Sweep, k int) []float64 {
	var vs []float64
	for _, pt := range sw.Points {
		if len(pt.Values) == len(sw.Params) && finite(pt.Values[k]) {
			vs = append(vs, pt.Values[k])
		}
	}
	slices.Sort(vs)
	return slices.Compact(vs)
}

// grid is a metric over a two-parameter sweep: z[j][i] at x[i], y[j], with
// the variant that ran each cell.
type grid struct {
	x, y    []float64
	z       [][]float64
	variant [][]string
}

func sweepGrid(r *results.Report, m metricRef) grid {
	sw := r.Sweep
	g := grid{x: axisValues(sw, 0), y: axisValues(sw, 1)}
	g.z, g.variant = make([][]float64, len(g.y)), make([][]string, len(g.y))
	for j := range g.y {
		g.z[j], g.variant[j] = make([]float64, len(g.x)), make([]string, len(g.x))
		for i := range g.x {
			g.z[j][i] = math.NaN()
		}
	}
	for _, pt := range sw.Points {
		vi, ok := sweepVariant(r, pt)
		if !ok || len(pt.Values) != 2 {
			continue
		}
		i, j := slices.Index(g.x, pt.Values[0]), slices.Index(g.y, pt.Values[1])
		if i < 0 || j < 0 {
			continue
		}
		g.variant[j][i] = pt.Variant
		if s, ok := statOf(&r.Variants[vi], m.metric, m.phase); ok {
			g.z[j][i] = s.Mean * scaleOf(m.metric)
		}
	}
	return g
}

func (g grid) span() (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, row := range g.z {
		for _, z := range row {
			if finite(z) {
				lo, hi = math.Min(lo, z), math.Max(hi, z)
			}
		}
	}
	if lo > hi {
		return 0, 1
	}
	if lo == hi {
		d := math.Max(math.Abs(lo)*0.01, 0.5)
		return lo - d, hi + d
	}
	return lo, hi
}

// cells draws a grid's cells coloured by value, each with its value and
// its variant's name printed in a colour that stays readable on it.
type cells struct {
	g      grid
	cmap   palette.ColorMap
	metric string
	// oneVariant is set when every point is of the same variant.
	oneVariant bool
}

var noDataColor = color.NRGBA{R: 0xEE, G: 0xEE, B: 0xEE, A: 0xFF}

// Plot implements plot.Plotter.
func (c cells) Plot(dc draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&dc)
	for j := range c.g.y {
		for i := range c.g.x {
			r := vg.Rectangle{
				Min: vg.Point{X: trX(float64(i) - 0.5), Y: trY(float64(j) - 0.5)},
				Max: vg.Point{X: trX(float64(i) + 0.5), Y: trY(float64(j) + 0.5)},
			}
			c.cell(dc, r, c.g.z[j][i], c.g.variant[j][i])
		}
	}
}

func (c cells) cell(dc draw.Canvas, r vg.Rectangle, z float64, variant string) {
	fill := color.Color(noDataColor)
	text := "no data"
	if finite(z) {
		if at, ok := colorAt(c.cmap, z); ok {
			fill = at
		}
		text = fmtBare(c.metric, z/scaleOf(c.metric))
	}
	dc.SetColor(fill)
	dc.Fill(r.Path())
	dc.StrokeLines(draw.LineStyle{Color: color.White, Width: vg.Points(1.5)}, []vg.Point{r.Min, {X: r.Min.X, Y: r.Max.Y}, r.Max, {X: r.Max.X, Y: r.Min.Y}, r.Min})
	ink := inkOn(fill)
	mid := vg.Point{X: (r.Min.X + r.Max.X) / 2, Y: (r.Min.Y + r.Max.Y) / 2}
	size := math.Min(13, float64((r.Max.Y-r.Min.Y)/vg.Points(3.2)))
	val := boldStyle(size, ink)
	val.XAlign, val.YAlign = draw.XCenter, draw.YBottom
	dc.FillText(val, mid, text)
	name := textStyle(math.Max(size*0.7, 7), ink)
	name.XAlign, name.YAlign = draw.XCenter, draw.YTop
	dc.FillText(name, vg.Point{X: mid.X, Y: mid.Y - vg.Points(2)}, c.label(variant))
}

// colorAt is cm's colour for z, clamped to the map's range. A value at
// either end can fall a rounding error outside it (palette.Reverse maps v
// to max-(v-min)), which gonum reports as an error; such a value is
// nudged inward. Only a map without a range has no colour.
func colorAt(cm palette.ColorMap, z float64) (color.Color, bool) {
	lo, hi := cm.Min(), cm.Max()
	v := math.Min(math.Max(z, lo), hi)
	mid := (lo + hi) / 2
	for _, f := range []float64{0, 1e-9, 1e-6} {
		if c, err := cm.At(v + f*(mid-v)); err == nil { // a fraction f of the way to the middle
			return c, true
		}
	}
	return nil, false
}

// label is what a cell says under its value: the variant's name without the
// swept values (the axes give those), and nothing when every cell is of
// one variant.
func (c cells) label(variant string) string {
	base, _, _ := strings.Cut(variant, "@")
	if c.oneVariant {
		return ""
	}
	return base
}

// inkOn is black on light colours and white on dark ones.
func inkOn(c color.Color) color.Color {
	r, g, b, _ := c.RGBA()
	if 0.299*float64(r)+0.587*float64(g)+0.114*float64(b) > 0.55*0xFFFF {
		return color.Black
	}
	return color.White
}

// DataRange implements plot.DataRanger.
func (c cells) DataRange() (xmin, xmax, ymin, ymax float64) {
	return -0.5, float64(len(c.g.x)) - 0.5, -0.5, float64(len(c.g.y)) - 0.5
}

// indexTicks label grid indices with the parameter values.
func indexTicks(vs []float64) plot.ConstantTicks {
	ts := make(plot.ConstantTicks, len(vs))
	for i, v := range vs {
		ts[i] = plot.Tick{Value: float64(i), Label: fmtNum(v)}
	}
	return ts
}

// colorMapFor is green for good values and red for bad, white between.
func colorMapFor(metric string, lo, hi float64) palette.ColorMap {
	var cm palette.ColorMap = moreland.SmoothGreenRed()
	if betterOf(metric) > 0 {
		cm = palette.Reverse(cm)
	}
	cm.SetMin(lo)
	cm.SetMax(hi)
	return cm
}

func oneVariant(sw *results.Sweep) bool {
	first := ""
	for i, pt := range sw.Points {
		base, _, _ := strings.Cut(pt.Variant, "@")
		if i == 0 {
			first = base
		} else if base != first {
			return false
		}
	}
	return true
}

// heatmapFigure draws metric m over a two-parameter sweep, with a colour
// bar on the right.
func heatmapFigure(r *results.Report, m metricRef) (figure, error) {
	g := sweepGrid(r, m)
	title := fmt.Sprintf("%s: %s %s, over the sweep", r.Scenario, m.metric, phasePhrase(m.phase))
	if len(g.x) == 0 || len(g.y) == 0 {
		return noteFigure(title, "the sweep has no points"), nil
	}
	lo, hi := g.span()
	cm := colorMapFor(m.metric, lo, hi)
	heat := newPlot("", r.Sweep.Params[0], r.Sweep.Params[1], false)
	heat.Add(cells{g: g, cmap: cm, metric: m.metric, oneVariant: oneVariant(r.Sweep)})
	heat.X.Tick.Marker, heat.Y.Tick.Marker = indexTicks(g.x), indexTicks(g.y)
	bar := newPlot("", "", axisLabel(m.metric, m.phase), false)
	bar.Add(&plotter.ColorBar{ColorMap: cm, Vertical: true})
	bar.HideX()
	bar.X.Padding, bar.Y.Padding = 0, 0
	sub := "each cell is the variant that ran those parameters (mean over " + seedsNote(r) + "); "
	if betterOf(m.metric) != 0 {
		sub += "green is better, red worse; "
	}
	sub += "grey cells have no data"
	return figure{
		title:    title,
		subtitle: sub,
		body:     vg.Length(math.Max(3, 0.9*float64(len(g.y))+1)) * vg.Inch,
		draw: func(c draw.Canvas) {
			// The bar's own axis (label and ticks) takes about 0.9 in of its
			// canvas; what is left is the bar.
			left := draw.Crop(c, 0, -1.6*vg.Inch, 0, 0)
			heat.Draw(left)
			dc := heat.DataCanvas(left)
			right := c
			right.Min.X, right.Max.X = c.Max.X-1.4*vg.Inch, c.Max.X-0.1*vg.Inch
			right.Min.Y, right.Max.Y = dc.Min.Y, dc.Max.Y
			bar.Draw(right)
		},
	}, nil
}

// sweepFigure draws availability and p99 against the one swept parameter,
// with CI whiskers.
func sweepFigure(r *results.Report) (figure, error) {
	ph := focusPhase(r)
	var row []*plot.Plot
	for _, metric := range []string{"availability", "p99"} {
		p, err := sweepPanel(r, metricRef{metric, ph})
		if err != nil {
			return figure{}, fmt.Errorf("%s: %w", metric, err)
		}
		row = append(row, p)
	}
	plots := [][]*plot.Plot{row}
	return figure{
		title:    fmt.Sprintf("%s: sweep of %s", r.Scenario, r.Sweep.Params[0]),
		subtitle: "each point is the variant that ran that value (mean over " + seedsNote(r) + "); whiskers are 95% confidence intervals",
		legend:   variantLegend(variantNames(r)),
		body:     3.6 * vg.Inch,
		draw: func(c draw.Canvas) {
			cs := plot.Align(plots, draw.Tiles{Rows: 1, Cols: len(row), PadX: vg.Points(24)}, c)
			for i, p := range row {
				p.Draw(cs[0][i])
			}
		},
	}, nil
}

func sweepPanel(r *results.Report, m metricRef) (*plot.Plot, error) {
	p := newPlot(m.metric+" "+phasePhrase(m.phase), r.Sweep.Params[0], axisLabel(m.metric, m.phase), true)
	type point struct {
		x float64
		s results.Stat
		i int
	}
	var pts []point
	for _, sp := range r.Sweep.Points {
		vi, ok := sweepVariant(r, sp)
		if !ok || len(sp.Values) != 1 || !finite(sp.Values[0]) {
			continue
		}
		if s, ok := statOf(&r.Variants[vi], m.metric, m.phase); ok {
			pts = append(pts, point{sp.Values[0], s, vi})
		}
	}
	slices.SortStableFunc(pts, func(a, b point) int { return cmp.Compare(a.x, b.x) })
	k := scaleOf(m.metric)
	var xs, ys []float64
	for _, pt := range pts {
		xs, ys = append(xs, pt.x), append(ys, pt.s.Mean*k)
	}
	if err := addCurve(p, xs, ys, trendLine); err != nil {
		return nil, err
	}
	for _, pt := range pts {
		b := bar{x: pt.x, y: pt.s.Mean * k, lo: pt.s.Lo * k, hi: pt.s.Hi * k}
		if err := errorBars(p, []bar{b}, variantColor(pt.i), false); err != nil {
			return nil, err
		}
		if err := marks(p, pt.i, []float64{b.x}, []float64{b.y}); err != nil {
			return nil, err
		}
	}
	pad(&p.X, 0.05)
	pad(&p.Y, 0.05)
	return p, nil
}
