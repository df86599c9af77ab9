package reports

import (
	"image/color"
	"math"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// labelPoint is a point of a scatter to name: where it is (in data
// coordinates), its name, and where the name goes once placed.
type labelPoint struct {
	x, y  float64
	name  string
	color color.Color

	dx, dy vg.Length // the label's bottom-left corner from the point
	lead   bool      // moved away: a line joins it to the point
	number int       // no room: the point is numbered, named in the legend
}

// pointLabels names the points of a scatter without overlap: each name
// goes in the first of a ring of places around its point (right, left,
// above, below, the diagonals, then farther out with a lead line) that
// overlaps no other name, no point and stays inside the plot; a name with
// no such place becomes a number beside its point.
type pointLabels struct {
	pts []labelPoint
}

// labelRadius is the room a point's dot takes.
const labelRadius = 7 // points

func labelStyle(c color.Color) draw.TextStyle {
	sty := boldStyle(sizeLabel, c)
	sty.XAlign, sty.YAlign = draw.XLeft, draw.YBottom
	return sty
}

// place decides every label's place on a canvas of f's body size, which
// is the size it is drawn at.
func (l *pointLabels) place(p *plot.Plot, f figure) {
	w := figureWidth - 2*vg.Points(margin)
	img := vgimg.New(w, f.body)
	dc := p.DataCanvas(draw.New(img))
	trX, trY := p.Transforms(&dc)
	at := make([]vg.Point, len(l.pts))
	for i, q := range l.pts {
		at[i] = vg.Point{X: trX(q.x), Y: trY(q.y)}
	}
	var taken []vg.Rectangle
	for _, a := range at {
		r := vg.Points(labelRadius)
		taken = append(taken, vg.Rectangle{Min: vg.Point{X: a.X - r, Y: a.Y - r}, Max: vg.Point{X: a.X + r, Y: a.Y + r}})
	}
	next := 1
	for i := range l.pts {
		q := &l.pts[i]
		sty := labelStyle(q.color)
		tw, th := sty.Width(q.name), sty.Height(q.name)
		placed := false
		for ring := 1; ring <= 4 && !placed; ring++ {
			for _, d := range labelOffsets(tw, th, vg.Length(ring)) {
				rect := vg.Rectangle{Min: vg.Point{X: at[i].X + d.X, Y: at[i].Y + d.Y}}
				rect.Max = vg.Point{X: rect.Min.X + tw, Y: rect.Min.Y + th}
				if !inside(rect, dc.Rectangle) || overlapsAny(rect, taken) {
					continue
				}
				q.dx, q.dy, q.lead, placed = d.X, d.Y, ring > 1, true
				taken = append(taken, rect)
				break
			}
		}
		if !placed {
			q.number = next
			next++
		}
	}
}

// labelOffsets are the candidate corners of a label of size w × h around a
// point, at a distance that grows with ring.
func labelOffsets(w, h, ring vg.Length) []vg.Point {
	g := vg.Points(labelRadius) * ring
	return []vg.Point{
		{X: g, Y: -h / 2},              // right
		{X: -g - w, Y: -h / 2},         // left
		{X: -w / 2, Y: g},              // above
		{X: -w / 2, Y: -g - h},         // below
		{X: g * 0.7, Y: g * 0.7},       // upper right
		{X: g * 0.7, Y: -g*0.7 - h},    // lower right
		{X: -g*0.7 - w, Y: g * 0.7},    // upper left
		{X: -g*0.7 - w, Y: -g*0.7 - h}, // lower left
	}
}

func inside(r, box vg.Rectangle) bool {
	return r.Min.X >= box.Min.X && r.Max.X <= box.Max.X && r.Min.Y >= box.Min.Y && r.Max.Y <= box.Max.Y
}

func overlapsAny(r vg.Rectangle, rs []vg.Rectangle) bool {
	for _, o := range rs {
		if r.Min.X < o.Max.X && o.Min.X < r.Max.X && r.Min.Y < o.Max.Y && o.Min.Y < r.Max.Y {
			return true
		}
	}
	return false
}

// Plot implements plot.Plotter.
func (l *pointLabels) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	for _, q := range l.pts {
		a := vg.Point{X: trX(q.x), Y: trY(q.y)}
		sty := labelStyle(q.color)
		if q.number > 0 {
			n := strconv.Itoa(q.number)
			c.FillText(sty, vg.Point{X: a.X + vg.Points(6), Y: a.Y + vg.Points(2)}, n)
			continue
		}
		at := vg.Point{X: a.X + q.dx, Y: a.Y + q.dy}
		if q.lead {
			mid := vg.Point{X: at.X + sty.Width(q.name)/2, Y: at.Y + sty.Height(q.name)/2}
			dx, dy := mid.X-a.X, mid.Y-a.Y
			d := vg.Length(math.Hypot(float64(dx), float64(dy)))
			if d > 0 {
				from := vg.Point{X: a.X + dx*vg.Points(5)/d, Y: a.Y + dy*vg.Points(5)/d}
				c.StrokeLine2(draw.LineStyle{Color: q.color, Width: vg.Points(0.7)}, from.X, from.Y, mid.X-dx*0.45, mid.Y-dy*0.45)
			}
		}
		c.FillText(sty, at, q.name)
	}
}
