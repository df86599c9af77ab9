package reports

import (
	"fmt"
	"image/color"
	"io"
	"os"
	"path/filepath"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// figureDPI sets the PNG resolution: 10 in become 1200 px, sharp on
// high-density screens and still small files.
const figureDPI = 120

// figureWidth is the width of every picture.
const figureWidth = 10 * vg.Inch

// margin is the blank border around a figure's body.
const margin = 8 // points

// legendItem is one entry of a figure's legend: a swatch and a name.
type legendItem struct {
	name   string
	swatch func(c draw.Canvas, r vg.Rectangle)
}

// lineItem is the legend entry of variant i drawn as a line.
func lineItem(name string, i int) legendItem {
	sty := variantLine(i)
	sty.Width = vg.Points(2.5)
	return legendItem{name: name, swatch: func(c draw.Canvas, r vg.Rectangle) {
		y := (r.Min.Y + r.Max.Y) / 2
		c.StrokeLine2(sty, r.Min.X, y, r.Max.X, y)
	}}
}

// boxItem is a legend entry drawn as a filled box with an optional edge.
func boxItem(name string, fill, edge color.Color) legendItem {
	return legendItem{name: name, swatch: func(c draw.Canvas, r vg.Rectangle) {
		c.SetColor(fill)
		c.Fill(r.Path())
		if edge != nil {
			c.StrokeLines(draw.LineStyle{Color: edge, Width: vg.Points(0.8)}, []vg.Point{r.Min, {X: r.Min.X, Y: r.Max.Y}, r.Max, {X: r.Max.X, Y: r.Min.Y}, r.Min})
		}
	}}
}

// variantLegend lists the variants as lines, in report order.
func variantLegend(names []string) []legendItem {
	items := make([]legendItem, len(names))
	for i, n := range names {
		items[i] = lineItem(n, i)
	}
	return items
}

// figure is one picture: a header (title, subtitle, legend) above a body
// drawn by draw. It is drawn the same way onto the PNG and the SVG canvas.
type figure struct {
	title, subtitle string
	legend          []legendItem
	body            vg.Length // height of the area under the header
	draw            func(c draw.Canvas)
}

const (
	swatchW   = 22 // points
	legendGap = 16 // points between legend entries
	rowH      = 15 // points per legend row
)

// legendRows places the legend's entries in rows that fit width, and
// returns each entry's row and x offset.
func (f figure) legendRows(width vg.Length) (row []int, x []vg.Length) {
	sty := textStyle(sizeLabel, color.Black)
	var cur vg.Length
	r := 0
	for _, it := range f.legend {
		w := vg.Points(swatchW+4) + sty.Width(it.name)
		if cur > 0 && cur+w > width {
			r, cur = r+1, 0
		}
		row, x = append(row, r), append(x, cur)
		cur += w + vg.Points(legendGap)
	}
	return row, x
}

func (f figure) headerHeight() vg.Length {
	h := vg.Points(margin + sizeFigTitle + 6)
	if f.subtitle != "" {
		h += vg.Points(sizeNote + 5)
	}
	if rows, _ := f.legendRows(figureWidth - 2*vg.Points(margin)); len(rows) > 0 {
		h += vg.Length(rows[len(rows)-1]+1) * vg.Points(rowH)
	}
	return h + vg.Points(4)
}

func (f figure) height() vg.Length { return f.headerHeight() + f.body + vg.Points(margin) }

// render draws the whole figure onto c.
func (f figure) render(c draw.Canvas) {
	c.SetColor(color.White)
	c.Fill(c.Rectangle.Path())
	left := c.Min.X + vg.Points(margin)
	y := c.Max.Y - vg.Points(margin)
	title := boldStyle(sizeFigTitle, color.Black)
	title.YAlign = draw.YTop
	c.FillText(title, vg.Point{X: left, Y: y}, f.title)
	y -= vg.Points(sizeFigTitle + 6)
	if f.subtitle != "" {
		sub := textStyle(sizeNote, subtleColor)
		sub.YAlign = draw.YTop
		c.FillText(sub, vg.Point{X: left, Y: y}, f.subtitle)
		y -= vg.Points(sizeNote + 5)
	}
	f.renderLegend(c, left, y)
	body := c
	body.Max.Y = c.Max.Y - f.headerHeight()
	body.Min.Y = body.Max.Y - f.body
	body.Min.X += vg.Points(margin)
	body.Max.X -= vg.Points(margin)
	f.draw(body)
}

func (f figure) renderLegend(c draw.Canvas, left, top vg.Length) {
	sty := textStyle(sizeLabel, color.Black)
	sty.YAlign = draw.YCenter
	rows, xs := f.legendRows(figureWidth - 2*vg.Points(margin))
	for i, it := range f.legend {
		mid := top - vg.Length(rows[i])*vg.Points(rowH) - vg.Points(rowH)/2
		x := left + xs[i]
		r := vg.Rectangle{Min: vg.Point{X: x, Y: mid - vg.Points(4)}, Max: vg.Point{X: x + vg.Points(swatchW), Y: mid + vg.Points(4)}}
		it.swatch(c, r)
		c.FillText(sty, vg.Point{X: x + vg.Points(swatchW+4), Y: mid}, it.name)
	}
}

// noteFigure is a figure whose body only says why there is nothing to draw,
// so that every file the page links to exists.
func noteFigure(title, note string) figure {
	return figure{title: title, body: vg.Inch, draw: func(c draw.Canvas) {
		sty := textStyle(sizeLabel+1, subtleColor)
		sty.XAlign, sty.YAlign = draw.XCenter, draw.YCenter
		c.FillText(sty, c.Center(), note)
	}}
}

// writeFigure writes f as base.png and base.svg in dir.
func writeFigure(dir, base string, f figure) (err error) {
	// gonum/plot panics on some inputs (e.g. a log axis over zero). The
	// builders filter those out; this turns any that slip through into an
	// error naming the picture instead of losing the whole report.
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("drawing %s: %v", base, p)
		}
	}()
	w, h := figureWidth, f.height()
	png := vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(figureDPI))}
	f.render(draw.New(png))
	if err := writeTo(filepath.Join(dir, base+".png"), png); err != nil {
		return err
	}
	svg := vgsvg.New(w, h)
	f.render(draw.New(svg))
	return writeTo(filepath.Join(dir, base+".svg"), svg)
}

// writeTo writes w's contents to a new file at path.
func writeTo(path string, w io.WriterTo) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := w.WriteTo(f); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", filepath.Base(path), err)
	}
	return f.Close()
}
