package reports

import (
	"image/color"

	"golang.org/x/image/font"
	"gonum.org/v1/plot"
	pfont "gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// variantColors are the Okabe–Ito colours, safe for colour-blind readers,
// then Paul Tol's muted ones for larger comparisons. Variant i always gets
// variantColors[i%12], so a variant has one colour on every picture and in
// the page's tables.
var variantColors = []color.NRGBA{
	{0x00, 0x72, 0xB2, 0xFF}, // blue
	{0xD5, 0x5E, 0x00, 0xFF}, // vermillion
	{0x00, 0x9E, 0x73, 0xFF}, // bluish green
	{0xCC, 0x79, 0xA7, 0xFF}, // reddish purple
	{0xE6, 0x9F, 0x00, 0xFF}, // orange
	{0x56, 0xB4, 0xE9, 0xFF}, // sky blue
	{0x33, 0x22, 0x88, 0xFF}, // indigo
	{0x88, 0x22, 0x55, 0xFF}, // wine
	{0x99, 0x99, 0x33, 0xFF}, // olive
	{0x44, 0xAA, 0x99, 0xFF}, // teal
	{0x33, 0x33, 0x33, 0xFF}, // near black
	{0x99, 0x99, 0x99, 0xFF}, // grey
}

// variantDashes tell apart variants that share a colour once there are more
// variants than colours.
var variantDashes = [][]vg.Length{nil, {vg.Points(6), vg.Points(3)}, {vg.Points(2), vg.Points(2)}}

var (
	faultFill   = color.NRGBA{R: 0xC0, G: 0x39, B: 0x2B, A: 0x30}
	faultEdge   = color.NRGBA{R: 0xC0, G: 0x39, B: 0x2B, A: 0x90}
	faultText   = color.NRGBA{R: 0x8B, G: 0x1A, B: 0x10, A: 0xFF}
	guideColor  = color.NRGBA{R: 0x55, G: 0x55, B: 0x55, A: 0xFF}
	gridColor   = color.NRGBA{R: 0xDD, G: 0xDD, B: 0xDD, A: 0xFF}
	subtleColor = color.NRGBA{R: 0x55, G: 0x55, B: 0x55, A: 0xFF}
	trendLine   = draw.LineStyle{Color: color.NRGBA{R: 0x44, G: 0x44, B: 0x44, A: 0xFF}, Width: vg.Points(1.2)}
)

func variantColor(i int) color.NRGBA { return variantColors[i%len(variantColors)] }

// variantLine is variant i's line. Earlier variants are drawn wider, so a
// line that another covers exactly (the same offered load, say) still
// shows as a coloured edge around it.
func variantLine(i int) draw.LineStyle {
	return draw.LineStyle{
		Color:  variantColor(i),
		Width:  vg.Points(max(1.3, 2.6-0.5*float64(i))),
		Dashes: variantDashes[(i/len(variantColors))%len(variantDashes)],
	}
}

// Font sizes in points; the pictures are drawn 10 in wide and read on a
// screen, so nothing is smaller than 9 pt.
const (
	sizeFigTitle = 14
	sizeTitle    = 11
	sizeLabel    = 10
	sizeTick     = 9
	sizeNote     = 9
)

var sans = pfont.Font{Typeface: "Liberation", Variant: "Sans"}

func textStyle(size float64, c color.Color) text.Style {
	return text.Style{
		Color:   c,
		Font:    pfont.From(sans, vg.Points(size)),
		XAlign:  draw.XLeft,
		YAlign:  draw.YBottom,
		Handler: plot.DefaultTextHandler,
	}
}

func boldStyle(size float64, c color.Color) text.Style {
	s := textStyle(size, c)
	s.Font.Weight = font.WeightBold
	return s
}

// newPlot returns a plot in the house style: sans fonts, the given title
// and axis labels, and a light grid (vertical lines too if vgrid).
func newPlot(title, xLabel, yLabel string, vgrid bool) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font = boldStyle(sizeTitle, color.Black).Font
	p.Title.Padding = vg.Points(4)
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font = pfont.From(sans, vg.Points(sizeLabel))
		a.Tick.Label.Font = pfont.From(sans, vg.Points(sizeTick))
		a.Tick.Length = vg.Points(4)
		a.Padding = vg.Points(3)
	}
	p.X.Label.Text, p.Y.Label.Text = xLabel, yLabel
	p.X.Tick.Marker, p.Y.Tick.Marker = linearTicks{10}, linearTicks{5}
	g := &plotter.Grid{Horizontal: draw.LineStyle{Color: gridColor, Width: vg.Points(0.5)}}
	if vgrid {
		g.Vertical = g.Horizontal
	}
	p.Add(g)
	return p
}
