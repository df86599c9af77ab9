package reports

import (
	"fmt"
	"image/color"
	"math"
	"sort"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/faultline-sim/faultline/results"
)

// waterfallRows caps the spans drawn per trace: a retry storm can give a
// trace hundreds; the first ones tell the story.
const waterfallRows = 24

var (
	okFill    = color.NRGBA{R: 0x4c, G: 0x78, B: 0xa8, A: 0xff}
	failFill  = color.NRGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff}
	queueFill = color.NRGBA{R: 0xbb, G: 0xbb, B: 0xbb, A: 0xff}
)

// hasTraces reports whether any run of r carries traces.
func hasTraces(r *results.Report) bool {
	for _, run := range r.Runs {
		if len(run.Traces) > 0 {
			return true
		}
	}
	return false
}

// slowestTrace returns variant v's slowest trace over its runs whose
// request succeeded (ok) or did not, and the seed of the run it came from.
func slowestTrace(r *results.Report, v string, ok bool) ([]results.Span, uint64) {
	var best []results.Span
	var seed uint64
	for _, run := range r.Runs {
		if run.Variant != v {
			continue
		}
		for _, t := range run.Traces {
			if succeeded(t) != ok {
				continue
			}
			if best == nil || duration(t) > duration(best) {
				best, seed = t, run.Seed
			}
		}
	}
	return best, seed
}

// succeeded reports whether a trace's request (its root span) ended ok.
func succeeded(t []results.Span) bool {
	for _, s := range t {
		if s.Parent == 0 {
			return s.Status == "ok"
		}
	}
	return false
}

// duration is a trace's root span's length.
func duration(t []results.Span) int64 {
	for _, s := range t {
		if s.Parent == 0 {
			return s.EndNs - s.StartNs
		}
	}
	return 0
}

// waterfallFigure draws, per variant, its slowest traced successful
// request and its slowest failed one as waterfalls: a bar per span from
// its start to its end, in ms since the request's intended start, the
// axis fitted to the request; a server span's grey part is the wait in
// the instance's queue; red marks spans that did not end ok.
func waterfallFigure(r *results.Report) (figure, error) {
	var panels []*plot.Plot
	var heights []vg.Length
	for _, v := range variantNames(r) {
		for _, ok := range []bool{true, false} {
			t, seed := slowestTrace(r, v, ok)
			if t == nil {
				continue
			}
			what := "slowest successful request"
			if !ok {
				what = "slowest failed request"
			}
			p, rows := waterfallPanel(fmt.Sprintf("%s: %s (seed %d, %s ms)", v, what, seed, fmtNum(float64(duration(t))/1e6)), t)
			panels = append(panels, p)
			heights = append(heights, vg.Points(float64(44+13*rows)))
		}
	}
	if len(panels) == 0 {
		return noteFigure(r.Scenario+": request waterfalls", "no traced request ended"), nil
	}
	// Bound the picture's height: the panels of the first variants that fit.
	var body vg.Length
	n := 0
	for n < len(heights) && body+heights[n] <= maxWaterfall {
		body += heights[n]
		n++
	}
	panels, heights = panels[:max(n, 1)], heights[:max(n, 1)]
	if n == 0 {
		body = heights[0]
	}
	return figure{
		title:    r.Scenario + ": request waterfalls",
		subtitle: "per design, its slowest sampled successful and failed request over all seeds; a bar per span (client attempts, instances serving, calls); the axis ends where the request ended",
		legend: []legendItem{boxItem("ok", okFill, okFill), boxItem("failed, timed out or refused", failFill, failFill),
			boxItem("queued at the instance", queueFill, queueFill)},
		body: body,
		draw: func(c draw.Canvas) {
			top := c.Max.Y
			for i, p := range panels {
				sub := c
				sub.Max.Y, sub.Min.Y = top, top-heights[i]
				p.Draw(sub)
				top -= heights[i]
			}
		},
	}, nil
}

// maxWaterfall bounds the waterfalls' height (about 3 400 px).
const maxWaterfall = 28 * vg.Inch

// waterfallPanel draws one trace, its axis fitted to the request: spans
// that start after the request ended are left out (and counted in the
// title), spans that run past it are cut at the edge with an arrow.
func waterfallPanel(title string, spans []results.Span) (*plot.Plot, int) {
	spans = append([]results.Span(nil), spans...)
	sort.SliceStable(spans, func(i, j int) bool { return spans[i].StartNs < spans[j].StartNs })
	t0 := spans[0].StartNs
	end := t0 + duration(spans)
	kept := spans[:0]
	late := 0
	for _, s := range spans {
		if s.StartNs > end && duration(spans) > 0 {
			late++
			continue
		}
		kept = append(kept, s)
	}
	spans = kept
	if len(spans) > waterfallRows {
		late += len(spans) - waterfallRows
		spans = spans[:waterfallRows]
	}
	if late > 0 {
		title += fmt.Sprintf("; %d later spans not drawn", late)
	}
	p := newPlot(title, "ms since the request's intended start", "", true)
	p.Y.Tick.Marker = spanTicks(spans)
	p.Y.Scale = plot.InvertedScale{Normalizer: plot.LinearScale{}}
	p.Add(spanBars{spans: spans, t0: t0, end: end})
	p.Y.Min, p.Y.Max = -0.6, float64(len(spans))-0.4
	p.X.Min, p.X.Max = 0, math.Max(float64(end-t0)/1e6, 1e-3)*1.02
	return p, len(spans)
}

// spanTicks labels each row with its span: the request, an instance, or
// a call with its attempt.
type spanTicks []results.Span

func (s spanTicks) Ticks(lo, hi float64) []plot.Tick {
	ticks := make([]plot.Tick, len(s))
	for i, sp := range s {
		label := sp.Name
		switch sp.Kind {
		case "server":
			label = sp.Instance
		case "client":
			label = fmt.Sprintf("%s #%d", sp.Name, sp.Attempt)
		case "request":
			label = sp.Name + " request"
		}
		ticks[i] = plot.Tick{Value: float64(i), Label: label}
	}
	return ticks
}

// spanBars draws the spans as horizontal bars, one row each.
type spanBars struct {
	spans   []results.Span
	t0, end int64 // the request's start and end: the axis
}

func (b spanBars) ms(ns int64) float64 { return float64(ns-b.t0) / 1e6 }

func (b spanBars) Plot(c draw.Canvas, p *plot.Plot) {
	tx, ty := p.Transforms(&c)
	half := 0.35
	for i, s := range b.spans {
		y0, y1 := ty(float64(i)-half), ty(float64(i)+half)
		fill := okFill
		if s.Status != "ok" {
			fill = failFill
		}
		start := b.ms(s.StartNs)
		if s.Kind == "server" && s.QueuedNs > s.StartNs {
			q := b.ms(min(s.QueuedNs, b.end))
			c.FillPolygon(queueFill, rect(tx(start), tx(q), y0, y1))
			start = q
		}
		end := max(b.ms(min(s.EndNs, b.end)), start)
		x0, x1 := tx(start), tx(end)
		if x1-x0 < vg.Points(1) {
			x1 = x0 + vg.Points(1) // a span too short to see still shows
		}
		c.FillPolygon(fill, rect(x0, x1, y0, y1))
		if s.EndNs > b.end { // runs past the request's end
			mid := (y0 + y1) / 2
			c.FillPolygon(fill, []vg.Point{{X: x1, Y: y0}, {X: x1 + vg.Points(5), Y: mid}, {X: x1, Y: y1}})
		}
	}
}

func rect(x0, x1, y0, y1 vg.Length) []vg.Point {
	return []vg.Point{{X: x0, Y: y0}, {X: x1, Y: y0}, {X: x1, Y: y1}, {X: x0, Y: y1}}
}
