package reports

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"sort"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/faultline-sim/faultline/results"
)

// panelHeight is the height of one time-series panel.
const panelHeight = 2.0 * vg.Inch

// maxPanelRows bounds the rows of panels in one picture, so that no
// picture is taller than about 3 400 px (the page's limit is 4 000 px):
// a group with more becomes several pictures.
const maxPanelRows = 12

// manyServices is the number of services above which the per-service
// detail is drawn as heatmaps (services × time) and the top services as
// lines, so that the picture does not grow with the services.
const manyServices = 6

// topServices is how many services get line panels when there are many.
const topServices = 4

// seriesInfo says in words what a series counts, and its unit when the
// engine gives none. Names match a series' name, or its last part after
// a store's prefix (kv_leader).
var seriesInfo = map[string]struct{ title, unit string }{
	"offered":    {"offered load: requests by intended start", ""},
	"throughput": {"throughput: requests that ended", ""},
	"goodput":    {"goodput: requests that succeeded", ""},
	"errors":     {"errors: requests that failed, timed out or were refused", ""},
	"p99":        {"p99 latency of the successful requests that ended in each interval (a gap: none succeeded)", ""},

	"instances":         {"instances ready to take traffic", ""},
	"desired_instances": {"desired instances: the autoscaler's count, pending pods included", ""},
	"pending_pods":      {"pending pods: wanted, but no room in the cluster yet", ""},
	"slo_violated":      {"SLO violated: share of seeds whose interval breaks the SLO", ""},
	"instance_size":     {"instance size: workers of the biggest live instance", ""},
	"utilization":       {"utilisation of the instances' workers", ""},
	"nodes":             {"cluster nodes", ""},

	"divergence":        {"divergence: keys whose replicas disagree", "keys"},
	"leader":            {"leader: the replica that leads (-1: none), per seed", "replica"},
	"term":              {"term: Raft's election term, per seed", "term"},
	"commit_index":      {"commit index: log entries committed", "entries"},
	"hints_pending":     {"hinted handoff: hints waiting for their replica", "hints"},
	"read_repairs":      {"read repairs done since the start", "repairs"},
	"anti_entropy_keys": {"anti-entropy: keys repaired since the start", "keys"},
	"log_length":        {"the primary's log length", "entries"},
	"replication_lag":   {"replication lag: entries the followers miss", "entries"},

	"queue_depth":  {"requests waiting in the instances' queues", ""},
	"in_service":   {"requests being served", ""},
	"instances_up": {"instances up", ""},
	"lag":          {"consumer lag: records not yet consumed", ""},
	"consumers":    {"consumers in the group", ""},
	"retries":      {"retries sent", ""},

	"fallbacks":     {"fallbacks: calls answered from the fallback", ""},
	"breaker_open":  {"breaker open: share of the interval", ""},
	"calls_refused": {"calls refused (breaker, bulkhead or budget)", ""},
	"calls":         {"calls made", ""},
	"rerouted":      {"calls rerouted", ""},
}

// seriesKey names a series and its unit.
type seriesKey struct{ name, unit string }

// describe returns a series' title and unit: the known words for its
// family, with the call or service it is about.
func describe(k seriesKey) (title, unit string) {
	fam, target := k.name, ""
	if i := strings.IndexByte(k.name, '.'); i > 0 {
		fam, target = k.name[:i], k.name[i+1:]
	}
	info, ok := seriesInfo[fam]
	if !ok {
		if j := strings.LastIndexByte(fam, '_'); j > 0 { // a store's prefix
			for base, in := range seriesInfo {
				if strings.HasSuffix(fam, "_"+base) {
					info, ok = in, true
					fam = base
				}
			}
		}
	}
	title, unit = k.name, k.unit
	if ok {
		title = info.title
		if unit == "" {
			unit = info.unit
		}
		if target != "" {
			title += " — " + target
		}
	}
	return title, unit
}

// seriesKeys lists the series the variants' mean series hold, in order of
// first appearance (the recorder's built-ins first, then model series).
func seriesKeys(r *results.Report) []seriesKey {
	var keys []seriesKey
	seen := map[string]bool{}
	for _, v := range r.Variants {
		for _, s := range v.Series {
			if seen[s.Name] || len(s.Values) == 0 {
				continue
			}
			seen[s.Name] = true
			keys = append(keys, seriesKey{s.Name, s.Unit})
		}
	}
	return keys
}

func findSeries(ss []results.Series, name string) *results.Series {
	for i := range ss {
		if ss[i].Name == name {
			return &ss[i]
		}
	}
	return nil
}

// stepOf is the series step, falling back to the report's interval and
// then to one second when the schema's step is missing.
func stepOf(r *results.Report, s *results.Series) float64 {
	for _, st := range []float64{s.Step, r.Interval} {
		if st > 0 && finite(st) {
			return st
		}
	}
	return 1
}

// timeSpan is the length of the x axis: the run, or the longest series.
func timeSpan(r *results.Report) float64 {
	if r.Duration > 0 && finite(r.Duration) {
		return r.Duration
	}
	span := 0.0
	for _, v := range r.Variants {
		for i := range v.Series {
			span = math.Max(span, float64(len(v.Series[i].Values))*stepOf(r, &v.Series[i]))
		}
	}
	return span
}

func seedsNote(r *results.Report) string {
	return plural(seedCount(r), "seed")
}

// seriesGroup is a concern the time series are grouped by.
type seriesGroup int

const (
	groupOutcome seriesGroup = iota
	groupLatency
	groupState
	groupServices
)

// groupOf puts a series in its concern: the requests' outcome, their
// latency, the scenario's own mechanisms and state (a leader, a breaker,
// fallbacks, lag), or per-service detail (queues, workers, instances).
func groupOf(name string) seriesGroup {
	switch name {
	case "offered", "throughput", "goodput", "errors":
		return groupOutcome
	case "p99":
		return groupLatency
	}
	if strings.Contains(name, ".") && !strings.Contains(name, "->") {
		return groupServices
	}
	return groupState
}

// timeseriesSpecs are the time-series pictures, a group per concern.
func timeseriesSpecs(r *results.Report) []figureSpec {
	groups := []struct {
		g                    seriesGroup
		base, title, caption string
	}{
		{groupOutcome, "timeseries", "Over time: load and outcome", "Requests per second, interval by interval: offered, ended, succeeded and failed. Each line is a design's mean over the seeds; the numbered bands are the fault windows (listed above the panels). Look at how deep each line dips inside a band and how fast it comes back after it."},
		{groupLatency, "timeseries_latency", "Over time: latency", "The p99 latency of the successful requests that ended in each interval (a gap where none succeeded), on a log scale when it spans more than a decade, so that normal and degraded latency both show."},
		{groupState, "timeseries_state", "Over time: the designs' own state", "What the mechanisms under test did: leaders and terms (per seed, never averaged), breakers, fallbacks, replication, hints, lag, instances."},
		{groupServices, "timeseries_services", "Over time: per service", "Queues, requests in service and instances per service. With many services, a heatmap per design (a row per service, darker is more) and the busiest services as lines."},
	}
	keys := seriesKeys(r)
	var specs []figureSpec
	for _, g := range groups {
		var ks []seriesKey
		for _, k := range keys {
			if groupOf(k.name) == g.g {
				ks = append(ks, k)
			}
		}
		if len(ks) == 0 {
			if g.g == groupOutcome { // the page always has a time-series picture
				specs = append(specs, one(g.base, g.title, g.caption, func(r *results.Report) (figure, error) {
					return noteFigure(r.Scenario+": time series", "no time series in this report"), nil
				}))
			}
			continue
		}
		g, ks := g, ks
		specs = append(specs, func(r *results.Report) ([]picture, error) {
			return seriesPictures(r, g.g, g.base, g.title, g.caption, ks)
		})
	}
	return specs
}

// panel is one cell of a picture's grid.
type panel struct {
	p      *plot.Plot
	header bool // a heading row spanning the grid's width
}

// seriesPictures draws a group's series: a panel per series that is not
// constant (those are listed in the caption), split into pictures of at
// most maxPanelRows rows.
func seriesPictures(r *results.Report, g seriesGroup, base, title, caption string, keys []seriesKey) ([]picture, error) {
	var plots []*plot.Plot
	var constant []string
	cols := 1
	if g == groupServices {
		var err error
		plots, constant, err = servicePanels(r, keys)
		if err != nil {
			return nil, err
		}
		cols = 2
	} else {
		for _, k := range keys {
			if c, ok := constantNote(r, k.name); ok {
				constant = append(constant, c)
				continue
			}
			p, err := seriesPanel(r, k, g == groupLatency)
			if err != nil {
				return nil, fmt.Errorf("series %q: %w", k.name, err)
			}
			plots = append(plots, p)
		}
	}
	if len(constant) > 0 {
		caption += " Left out, constant over the run: " + strings.Join(constant, "; ") + "."
	}
	if len(plots) == 0 {
		return []picture{{base, title, caption, noteFigure(r.Scenario+": "+strings.ToLower(title), "every series of this group is constant (listed below)")}}, nil
	}
	per := maxPanelRows * cols
	var out []picture
	for i := 0; i < len(plots); i += per {
		chunk := plots[i:min(len(plots), i+per)]
		b, t := base, title
		if i > 0 {
			n := i/per + 1
			b, t = fmt.Sprintf("%s_%d", base, n), fmt.Sprintf("%s (%d)", title, n)
		}
		out = append(out, picture{b, t, caption, gridFigure(r, r.Scenario+": "+strings.ToLower(t), chunk, cols)})
	}
	return out, nil
}

// gridFigure lays panels out in cols columns under the variants' legend
// and the fault windows' key.
func gridFigure(r *results.Report, title string, plots []*plot.Plot, cols int) figure {
	rows := (len(plots) + cols - 1) / cols
	grid := make([][]*plot.Plot, rows)
	for i := range grid {
		grid[i] = make([]*plot.Plot, cols)
		for j := range cols {
			if k := i*cols + j; k < len(plots) {
				grid[i][j] = plots[k]
			}
		}
	}
	legend := variantLegend(variantNames(r))
	sub := "each line is a design's mean over " + seedsNote(r) + " (integer state: one line per seed); "
	if len(r.Faults) > 0 {
		sub += "numbered bands are the fault windows"
		legend = append(legend, faultLegend(r)...)
	} else {
		sub += "no faults were injected"
	}
	h := panelHeight
	if cols > 1 {
		h = 1.7 * vg.Inch
	}
	return figure{
		title:    title,
		subtitle: sub,
		legend:   legend,
		body:     vg.Length(rows) * h,
		draw: func(c draw.Canvas) {
			cs := plot.Align(grid, draw.Tiles{Rows: rows, Cols: cols, PadY: vg.Points(10), PadX: vg.Points(18)}, c)
			for i := range grid {
				for j, p := range grid[i] {
					if p != nil {
						p.Draw(cs[i][j])
					}
				}
			}
		},
	}
}

// faultLegend names each fault window by its number, with its times in
// seconds, as the bands are numbered.
func faultLegend(r *results.Report) []legendItem {
	var items []legendItem
	for i, f := range r.Faults {
		items = append(items, boxItem(fmt.Sprintf("F%d %s–%s s: %s", i+1, fmtNum(f.Start), fmtNum(f.End), faultName(f)), faultFill, faultEdge))
	}
	return items
}

// flat reports whether a series holds one value throughout.
func flat(vs []float64) (float64, bool) {
	first, set := 0.0, false
	for _, v := range vs {
		if !finite(v) {
			continue
		}
		if !set {
			first, set = v, true
			continue
		}
		if math.Abs(v-first) > 1e-9*math.Max(1, math.Abs(first)) {
			return 0, false
		}
	}
	return first, set
}

// constantNote says "name = value" (or value per design) when the series
// is flat for every variant.
func constantNote(r *results.Report, name string) (string, bool) {
	var vals []string
	same := true
	for i := range r.Variants {
		s := findSeries(r.Variants[i].Series, name)
		if s == nil {
			continue
		}
		v, ok := flat(s.Values)
		if !ok {
			return "", false
		}
		vals = append(vals, r.Variants[i].Variant+" "+fmtNum(v))
		if len(vals) > 1 && strings.SplitN(vals[0], " ", 2)[1] != fmtNum(v) {
			same = false
		}
	}
	if len(vals) == 0 {
		return "", false
	}
	if same {
		return name + " = " + strings.SplitN(vals[0], " ", 2)[1], true
	}
	return name + " (" + strings.Join(vals, ", ") + ")", true
}

// identical reports whether every variant's series is the same, so that
// one line stands for all instead of a blend of colours.
func identical(r *results.Report, name string) bool {
	var ref []float64
	n := 0
	for i := range r.Variants {
		s := findSeries(r.Variants[i].Series, name)
		if s == nil {
			return false
		}
		n++
		if ref == nil {
			ref = s.Values
			continue
		}
		if len(s.Values) != len(ref) {
			return false
		}
		for j := range ref {
			if math.Abs(s.Values[j]-ref[j]) > 1e-9*math.Max(1, math.Abs(ref[j])) {
				return false
			}
		}
	}
	return n > 1
}

// integral reports whether every run's values of the series are integers:
// discrete state (a leader, a term, a count of instances), which is drawn
// per seed, since a mean of identifiers means nothing.
func integral(r *results.Report, name string) bool {
	if groupOf(name) == groupOutcome || name == "p99" {
		return false
	}
	found := false
	for i := range r.Runs {
		s := r.Runs[i].SeriesNamed(name)
		if s == nil {
			continue
		}
		found = true
		for _, v := range s.Values {
			if finite(v) && v != math.Trunc(v) {
				return false
			}
		}
	}
	return found
}

// xsOf are the middles of a series' intervals.
func xsOf(r *results.Report, s *results.Series) []float64 {
	step := stepOf(r, s)
	xs := make([]float64, len(s.Values))
	for j := range xs {
		xs[j] = (float64(j) + 0.5) * step
	}
	return xs
}

// seriesPanel draws series k for every variant: one grey line when all
// variants are identical, a step per seed for integer state, else each
// variant's mean; logY draws a latency on a log scale when it spans more
// than a decade.
func seriesPanel(r *results.Report, k seriesKey, logY bool) (*plot.Plot, error) {
	title, unit := describe(k)
	p := newPlot(title, "time (s)", withUnit(shortName(k.name), unit), true)
	p.X.Min, p.X.Max = 0, timeSpan(r)
	p.X.Tick.Marker = linearTicks{12}
	if len(r.Faults) > 0 {
		p.Add(faultBands{faults: r.Faults, labeled: true})
	}
	lo, hi, minPos := math.Inf(1), math.Inf(-1), math.Inf(1)
	track := func(vs []float64) {
		for _, y := range vs {
			if finite(y) {
				lo, hi = math.Min(lo, y), math.Max(hi, y)
				if y > 0 {
					minPos = math.Min(minPos, y)
				}
			}
		}
	}
	logY = logY && hi > 0 // decided below, once the range is known
	type curveData struct {
		xs, ys []float64
		sty    draw.LineStyle
	}
	var curves []curveData
	switch {
	case identical(r, k.name):
		s := findSeries(r.Variants[0].Series, k.name)
		sty := trendLine
		sty.Width = vg.Points(1.6)
		curves = append(curves, curveData{xsOf(r, s), s.Values, sty})
		p.Title.Text += " (the same for every design)"
	case integral(r, k.name):
		for i := range r.Runs {
			s := r.Runs[i].SeriesNamed(k.name)
			if s == nil {
				continue
			}
			sty := variantLine(variantIndex(r, r.Runs[i].Variant))
			sty.Width = vg.Points(1.2)
			xs, ys := steps(r, s)
			curves = append(curves, curveData{xs, ys, sty})
		}
	default:
		for vi := range r.Variants {
			s := findSeries(r.Variants[vi].Series, k.name)
			if s == nil {
				continue
			}
			curves = append(curves, curveData{xsOf(r, s), s.Values, variantLine(vi)})
		}
	}
	for _, c := range curves {
		track(c.ys)
	}
	logY = logY && minPos < math.Inf(1) && hi/minPos > 10
	for _, c := range curves {
		ys := c.ys
		if logY {
			ys = make([]float64, len(c.ys))
			for j, y := range c.ys {
				ys[j] = log10(y)
			}
		}
		if err := addCurve(p, c.xs, ys, c.sty); err != nil {
			return nil, err
		}
	}
	if logY {
		p.Y.Label.Text = withUnit(shortName(k.name), unit+", log scale")
		p.Y.Min, p.Y.Max = math.Log10(minPos)-0.05, math.Log10(hi)+0.25
		setLog(&p.Y)
		return p, nil
	}
	fitY(p, lo, hi, 1)
	return p, nil
}

// shortName is the series' name without its target, for an axis label.
func shortName(name string) string {
	if i := strings.IndexByte(name, '.'); i > 0 {
		return name[:i]
	}
	return name
}

// steps turns a per-interval series into a step line: each value held
// over its interval, so that integer state reads as states, not slopes.
func steps(r *results.Report, s *results.Series) (xs, ys []float64) {
	step := stepOf(r, s)
	for j, v := range s.Values {
		xs = append(xs, float64(j)*step, float64(j+1)*step)
		ys = append(ys, v, v)
	}
	return xs, ys
}

// fitY sets the y range: from zero for quantities that cannot go negative,
// so a dip looks as deep as it is, with headroom for a row of fault labels.
func fitY(p *plot.Plot, lo, hi float64, rows int) {
	if lo > hi { // nothing finite to draw
		p.Y.Min, p.Y.Max = 0, 1
		return
	}
	if lo >= 0 {
		lo = 0
	}
	if hi == lo {
		hi = lo + 1
	}
	room := 0.05
	if rows > 0 {
		f := math.Min(0.6, (12*float64(rows)+6)/110)
		room = f / (1 - f)
	}
	p.Y.Min, p.Y.Max = lo, hi+room*(hi-lo)
}

// serviceSeries is one family of per-service series (queue_depth.tier1,
// queue_depth.tier2, ...).
type serviceSeries struct {
	family   string
	unit     string
	services []string // in order of first appearance
}

// serviceFamilies groups per-service series by family, in order.
func serviceFamilies(keys []seriesKey) []serviceSeries {
	var out []serviceSeries
	index := map[string]int{}
	for _, k := range keys {
		i := strings.IndexByte(k.name, '.')
		fam, svc := k.name[:i], k.name[i+1:]
		j, ok := index[fam]
		if !ok {
			j = len(out)
			index[fam] = j
			out = append(out, serviceSeries{family: fam, unit: k.unit})
		}
		out[j].services = append(out[j].services, svc)
	}
	return out
}

// servicePanels draws the per-service series: a panel per series that is
// not constant when there are few services; with many, per family a
// heatmap per design and the busiest services as lines.
func servicePanels(r *results.Report, keys []seriesKey) (plots []*plot.Plot, constant []string, err error) {
	for _, fam := range serviceFamilies(keys) {
		var moving []string
		for _, svc := range fam.services {
			name := fam.family + "." + svc
			if c, ok := constantNote(r, name); ok {
				if len(fam.services) <= manyServices {
					constant = append(constant, c)
				}
				continue
			}
			moving = append(moving, svc)
		}
		if len(fam.services) > manyServices {
			if len(moving) < len(fam.services) {
				constant = append(constant, fmt.Sprintf("%s at %d of %d services", fam.family, len(fam.services)-len(moving), len(fam.services)))
			}
			if len(moving) == 0 {
				continue
			}
			for vi := range r.Variants {
				plots = append(plots, heatPanel(r, vi, fam, moving))
			}
			moving = busiest(r, fam.family, moving, topServices)
		}
		for _, svc := range moving {
			p, err := seriesPanel(r, seriesKey{fam.family + "." + svc, fam.unit}, false)
			if err != nil {
				return nil, nil, err
			}
			plots = append(plots, p)
		}
	}
	return plots, constant, nil
}

// busiest returns the n services whose series peak highest over every
// design, highest first.
func busiest(r *results.Report, family string, services []string, n int) []string {
	peak := make(map[string]float64, len(services))
	for _, svc := range services {
		for vi := range r.Variants {
			if s := findSeries(r.Variants[vi].Series, family+"."+svc); s != nil {
				for _, v := range s.Values {
					if finite(v) {
						peak[svc] = math.Max(peak[svc], v)
					}
				}
			}
		}
	}
	out := append([]string(nil), services...)
	sort.SliceStable(out, func(i, j int) bool { return peak[out[i]] > peak[out[j]] })
	return out[:min(n, len(out))]
}

// heatPanel draws one design's family over services × time as an image
// of a pixel per service and interval, so that its size does not depend
// on how many services there are.
func heatPanel(r *results.Report, vi int, fam serviceSeries, services []string) *plot.Plot {
	v := &r.Variants[vi]
	cols := 0
	hi := 0.0
	rows := make([][]float64, len(services))
	for i, svc := range services {
		if s := findSeries(v.Series, fam.family+"."+svc); s != nil {
			rows[i] = s.Values
			cols = max(cols, len(s.Values))
			for _, x := range s.Values {
				if finite(x) {
					hi = math.Max(hi, x)
				}
			}
		}
	}
	_, unit := describe(seriesKey{fam.family + ".x", fam.unit})
	p := newPlot(fmt.Sprintf("%s: %s by service (0 to %s %s)", v.Variant, fam.family, fmtNum(hi), unit), "time (s)", fmt.Sprintf("%d services", len(services)), false)
	if cols == 0 {
		return p
	}
	img := image.NewRGBA(image.Rect(0, 0, cols, len(services)))
	cm := moreland.BlackBody()
	cm.SetMin(0)
	cm.SetMax(math.Max(hi, 1e-9))
	for i, row := range rows {
		for j := range cols {
			c := color.Color(color.White)
			if j < len(row) && finite(row[j]) {
				if cc, err := cm.At(hi - math.Min(row[j], hi)); err == nil { // darker is more
					c = cc
				}
			}
			img.Set(j, i, c)
		}
	}
	span := timeSpan(r)
	p.Add(plotter.NewImage(img, 0, 0, span, float64(len(services))))
	p.X.Min, p.X.Max = 0, span
	p.Y.Min, p.Y.Max = 0, float64(len(services))
	p.X.Tick.Marker = linearTicks{12}
	p.Y.Tick.Marker = plot.ConstantTicks{}
	if len(r.Faults) > 0 {
		p.Add(faultBands{faults: r.Faults, labeled: true, outline: true})
	}
	return p
}
