package reports

import (
	"fmt"
	"html/template"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/faultline-sim/faultline/results"
)

// page is everything index.html shows, formatted: the template only lays
// it out.
type page struct {
	Scenario, Description, Version, Source string
	Overview                               string
	Banner                                 banner
	Story                                  []storyLine
	Findings                               []string
	Verdicts                               []verdictRow
	Faults                                 []faultRow
	Figures                                []figureRef
	Phases                                 []phaseTable
	ModelNames                             []string
	Model                                  []modelRow
	Runs                                   []runRow
	Seeds                                  string
	Calibration                            []calibrationRow
	// CalibrationMore are the calibration rows of per-client, per-fault
	// and model metrics, shown folded under the key ones.
	CalibrationMore []calibrationRow
	// CalibrationSummary counts the targets met, in range and missed.
	CalibrationSummary string
}

type calibrationRow struct {
	Variant, Metric, Sim, Range, Real, Diff, Scale, Target, Within string
	Miss                                                           bool
}

type banner struct{ Class, Text string }

type storyLine struct {
	Variant string
	Color   int
	Text    string
}

type verdictRow struct {
	Variant                 string
	Color                   int
	Expr, Got, Want, Reason string
	Pass                    bool
}

type faultRow struct{ Type, Label, Start, End, Engine string }

type figureRef struct{ PNG, SVG, Title, Caption string }

type cell struct{ Mean, CI string }

type phaseTable struct {
	Name string
	Rows []phaseRow
}

type phaseRow struct {
	Variant string
	Color   int
	Cells   []cell
}

type modelRow struct {
	Variant string
	Color   int
	Cells   []cell
}

type runRow struct {
	Variant, Engine, Seed, TraceHash, Events, Requests, Availability string
	Color                                                            int
	Files                                                            []results.File
	Notes                                                            []string
}

// tableMetrics are the columns of the per-phase summary tables.
var tableMetrics = []string{"requests", "availability", "goodput", "throughput", "p50", "p99", "max"}

func writeHTML(path string, r *results.Report, specs []figureSpec) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := pageTemplate.Execute(f, buildPage(r, specs)); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func buildPage(r *results.Report, specs []figureSpec) page {
	p := page{
		Scenario: r.Scenario, Description: r.Description, Version: r.Version, Source: r.Source,
		Overview: overview(r), Banner: verdictBanner(r), Story: story(r), Findings: findings(r),
		Verdicts: verdictRows(r), Faults: faultRows(r), Phases: phaseTables(r), Calibration: calibrationRows(r, true), CalibrationMore: calibrationRows(r, false), CalibrationSummary: calibrationSummary(r),
		Runs: runRowsHTML(r), Seeds: seedList(r),
	}
	for _, s := range specs {
		p.Figures = append(p.Figures, figureRef{PNG: s.base + ".png", SVG: s.base + ".svg", Title: s.title, Caption: s.caption})
	}
	p.ModelNames, p.Model = modelTable(r)
	return p
}

func seconds(x float64) string {
	if !finite(x) {
		return "n/a"
	}
	return fmtNum(x) + " s"
}

// overview is the first sentence: what ran, for how long, under what.
func overview(r *results.Report) string {
	s := fmt.Sprintf("%s compared %s on %s", orUnnamed(r.Scenario), plural(len(r.Variants), "variant"), seedsNote(r))
	if r.Duration > 0 {
		s += fmt.Sprintf(", %s each", seconds(r.Duration))
	}
	switch len(r.Faults) {
	case 0:
		return s + ", with no faults."
	case 1:
		f := r.Faults[0]
		return s + fmt.Sprintf(", with one fault: %s from %s to %s.", faultName(f), seconds(f.Start), seconds(f.End))
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, f := range r.Faults {
		if finite(f.Start) && finite(f.End) {
			lo, hi = min(lo, f.Start), max(hi, f.End)
		}
	}
	return s + fmt.Sprintf(", with %d fault windows between %s and %s.", len(r.Faults), seconds(lo), seconds(hi))
}

func orUnnamed(s string) string {
	if s == "" {
		return "This scenario"
	}
	return s
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

func verdictBanner(r *results.Report) banner {
	n := len(r.Verdicts)
	failed := 0
	for _, v := range r.Verdicts {
		if !v.Pass {
			failed++
		}
	}
	switch {
	case n == 0:
		return banner{"none", "No hypotheses were stated for this scenario."}
	case failed == 0 && n == 1:
		return banner{"pass", "The hypothesis holds."}
	case failed == 0:
		return banner{"pass", fmt.Sprintf("All %d hypotheses hold.", n)}
	}
	return banner{"fail", fmt.Sprintf("%d of %d hypotheses failed.", failed, n)}
}

// duringText is how a sentence names the focus phase.
func duringText(r *results.Report) string {
	switch len(r.Faults) {
	case 0:
		return "over the whole run"
	case 1:
		return "during the fault"
	}
	return "during the faults"
}

// story is a sentence per variant, e.g. "availability 71.2% during the
// fault (95% CI 70.1–72.3%), p99 812 ms (95% CI 790–834 ms), ...".
func story(r *results.Report) []storyLine {
	ph := focusPhase(r)
	out := make([]storyLine, len(r.Variants))
	for i := range r.Variants {
		v := &r.Variants[i]
		out[i] = storyLine{Variant: v.Variant, Color: i % len(variantColors), Text: variantSentence(r, v, ph)}
	}
	return out
}

func variantSentence(r *results.Report, v *results.VariantSummary, ph results.Phase) string {
	if req, ok := statOf(v, "requests", results.All); !ok || req.Mean == 0 {
		return "no requests ended in this variant's runs, so there is nothing to measure."
	}
	if req, ok := statOf(v, "requests", ph); !ok || req.Mean == 0 {
		return "no requests ended " + duringText(r) + "."
	}
	var parts []string
	if s, ok := statOf(v, "availability", ph); ok {
		mean, c := meanCI("availability", s)
		parts = append(parts, "availability "+mean+" "+duringText(r)+inParens(c))
	}
	for _, m := range []string{"p99", "goodput"} {
		if s, ok := statOf(v, m, ph); ok {
			parts = append(parts, m+" "+fmtStat(m, s))
		}
	}
	text := strings.Join(parts, ", ")
	if ph != results.All {
		a, okA := statOf(v, "availability", results.All)
		p99, okP := statOf(v, "p99", results.All)
		if okA && okP {
			text += "; over the whole run, availability " + fmtPct(a.Mean) + " and p99 " + fmtValue("p99", p99.Mean)
		}
	}
	return text + "."
}

// inParens is " (95% CI ci)", or nothing without an interval.
func inParens(ci string) string {
	if ci == "" {
		return ""
	}
	return " (95% CI " + ci + ")"
}

// findings compare the variants on availability and p99 in the focus
// phase: who did best, by how much, and whether the intervals separate
// them.
func findings(r *results.Report) []string {
	if len(r.Variants) < 2 {
		return nil
	}
	var out []string
	for _, m := range []string{"availability", "p99"} {
		if s := finding(r, m); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func finding(r *results.Report, metric string) string {
	ph := focusPhase(r)
	type entry struct {
		name string
		s    results.Stat
	}
	var es []entry
	for i := range r.Variants {
		if s, ok := statOf(&r.Variants[i], metric, ph); ok {
			es = append(es, entry{r.Variants[i].Variant, s})
		}
	}
	if len(es) < 2 {
		return ""
	}
	better := betterOf(metric)
	sort.SliceStable(es, func(i, j int) bool { return float64(better)*es[i].s.Mean > float64(better)*es[j].s.Mean })
	best, next := es[0], es[1]
	word := map[int]string{1: "Highest", -1: "Lowest"}[better]
	s := fmt.Sprintf("%s %s %s: %s (%s), then %s (%s)", word, metric, duringText(r), best.name, fmtValue(metric, best.s.Mean), next.name, fmtValue(metric, next.s.Mean))
	switch {
	case best.s.N < 2 || next.s.N < 2:
		return s + "; with one seed there is no confidence interval to tell them apart."
	case best.s.Lo > next.s.Hi || best.s.Hi < next.s.Lo:
		return s + "; their 95% confidence intervals do not overlap."
	}
	return s + "; their 95% confidence intervals overlap, so the difference may be noise."
}

func variantIndex(r *results.Report, name string) int {
	for i, v := range r.Variants {
		if v.Variant == name {
			return i % len(variantColors)
		}
	}
	return len(variantColors) - 1
}

func verdictRows(r *results.Report) []verdictRow {
	out := make([]verdictRow, len(r.Verdicts))
	for i, v := range r.Verdicts {
		got := fmtValue(v.Metric, v.Got)
		if finite(v.Got) { // a verdict's CI comes from several seeds when it has one
			got = fmtStat(v.Metric, results.Stat{Mean: v.Got, Lo: v.Lo, Hi: v.Hi, N: 2})
		}
		out[i] = verdictRow{
			Variant: v.Variant, Color: variantIndex(r, v.Variant), Expr: v.Expr,
			Got: got, Want: strings.TrimSpace(v.Op + " " + fmtValue(v.Metric, v.Want)), Reason: v.Reason, Pass: v.Pass,
		}
	}
	return out
}

func faultRows(r *results.Report) []faultRow {
	out := make([]faultRow, len(r.Faults))
	for i, f := range r.Faults {
		engine := f.Engine
		if engine == "" {
			engine = "both"
		}
		out[i] = faultRow{Type: f.Type, Label: f.Label, Start: seconds(f.Start), End: seconds(f.End), Engine: engine}
	}
	return out
}

func statCell(metric string, s results.Stat, ok bool) cell {
	if !ok {
		return cell{Mean: "–"}
	}
	mean, ci := meanCI(metric, s)
	return cell{Mean: mean, CI: ci}
}

// tablePhases are the phases the summary tables show: all four with
// faults; without, only the whole run (the others are empty).
func tablePhases(r *results.Report) []results.Phase {
	if len(r.Faults) == 0 {
		return []results.Phase{results.All}
	}
	return results.Phases()
}

func phaseTables(r *results.Report) []phaseTable {
	var out []phaseTable
	for _, ph := range tablePhases(r) {
		t := phaseTable{Name: phaseName(ph)}
		for i := range r.Variants {
			row := phaseRow{Variant: r.Variants[i].Variant, Color: i % len(variantColors)}
			for _, m := range tableMetrics {
				s, ok := r.Variants[i].Stat(m, ph)
				row.Cells = append(row.Cells, statCell(m, s, ok && s.N > 0))
			}
			t.Rows = append(t.Rows, row)
		}
		out = append(out, t)
	}
	return out
}

// modelTable lists the model-specific metrics (those beyond a Summary's),
// sorted by name, per variant.
func modelTable(r *results.Report) ([]string, []modelRow) {
	known := map[string]bool{}
	for _, m := range results.SummaryMetrics() {
		known[m] = true
	}
	seen := map[string]bool{}
	var names []string
	for _, v := range r.Variants {
		for k := range v.Stats {
			m, ok := strings.CutPrefix(k, string(results.All)+".")
			if ok && !known[m] && !seen[m] {
				seen[m] = true
				names = append(names, m)
			}
		}
	}
	sort.Strings(names)
	if len(names) == 0 {
		return nil, nil
	}
	rows := make([]modelRow, len(r.Variants))
	for i := range r.Variants {
		rows[i] = modelRow{Variant: r.Variants[i].Variant, Color: i % len(variantColors)}
		for _, m := range names {
			s, ok := r.Variants[i].Stat(m, results.All)
			rows[i].Cells = append(rows[i].Cells, statCell(m, s, ok && s.N > 0))
		}
	}
	return names, rows
}

func runRowsHTML(r *results.Report) []runRow {
	var out []runRow
	for _, run := range orderedRuns(r) {
		row := runRow{
			Variant: run.Variant, Color: variantIndex(r, run.Variant), Engine: run.Engine,
			Seed: strconv.FormatUint(run.Seed, 10), TraceHash: run.TraceHash, Events: "–", Requests: "–", Availability: "–",
			Files: run.Files, Notes: run.Notes,
		}
		if run.Events > 0 {
			row.Events = strconv.FormatUint(run.Events, 10)
		}
		if s, ok := run.Phase(results.All); ok {
			row.Requests, row.Availability = strconv.FormatInt(s.Requests, 10), fmtPct(s.Availability)
		}
		out = append(out, row)
	}
	return out
}

func seedList(r *results.Report) string {
	seeds := make([]string, len(r.Seeds))
	for i, s := range r.Seeds {
		seeds[i] = strconv.FormatUint(s, 10)
	}
	return strings.Join(seeds, ", ")
}

// variantCSS gives each palette colour a class, so the page's swatches
// match the pictures' lines.
func variantCSS() string {
	var b strings.Builder
	for i, c := range variantColors {
		fmt.Fprintf(&b, ".v%d{background:#%02x%02x%02x}\n", i, c.R, c.G, c.B)
	}
	return b.String()
}

var pageTemplate = template.Must(template.New("index").Parse(strings.Replace(indexHTML, "/*variant colours*/", variantCSS(), 1)))

const indexHTML = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8"/>
<meta name="viewport" content="width=device-width, initial-scale=1"/>
<title>{{.Scenario}}: faultline report</title>
<style>
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;color:#222;max-width:1100px;margin:0 auto;padding:1.5em}
h1{margin-bottom:.2em}
h2{margin-top:2em;border-bottom:1px solid #ddd;padding-bottom:.2em}
.desc{color:#444;margin-top:0}
.banner{padding:.8em 1em;border-radius:6px;font-size:1.2em;font-weight:600;margin:1em 0}
.banner.pass{background:#e3f4e8;color:#1b5e20;border:1px solid #7bc48a}
.banner.fail{background:#fbe5e3;color:#8b1a10;border:1px solid #e0837a}
.banner.none{background:#f2f2f2;color:#444;border:1px solid #ccc}
table{border-collapse:collapse;margin:.5em 0 1em;font-size:14px}
th,td{border:1px solid #ddd;padding:.3em .6em;text-align:left;vertical-align:top}
th{background:#f6f6f6}
td.num{text-align:right;white-space:nowrap}
td.pass{background:#e3f4e8;color:#1b5e20;font-weight:700}
td.fail{background:#fbe5e3;color:#8b1a10;font-weight:700}
small{color:#666}
.sw{display:inline-block;width:.9em;height:.9em;border-radius:2px;margin-right:.4em;vertical-align:-1px}
/*variant colours*/
ul.story li{margin:.3em 0}
figure{margin:1.5em 0}
figure img{max-width:100%;height:auto;border:1px solid #eee}
figcaption{color:#444;font-size:14px}
pre{background:#f6f6f6;padding:1em;overflow:auto;font-size:13px}
code{font-size:13px}
footer{margin-top:3em;color:#666;font-size:13px}
</style>
</head>
<body>
<h1>{{.Scenario}}</h1>
{{with .Description}}<p class="desc">{{.}}</p>{{end}}
<div class="banner {{.Banner.Class}}">{{.Banner.Text}}</div>

<h2>What happened</h2>
<p>{{.Overview}}</p>
<ul class="story">
{{range .Story}}<li><span class="sw v{{.Color}}"></span><b>{{.Variant}}</b>: {{.Text}}</li>
{{end}}</ul>
{{range .Findings}}<p>{{.}}</p>
{{end}}
<h2>Hypotheses</h2>
{{if .Verdicts}}<table>
<tr><th>variant</th><th>hypothesis</th><th>got (mean over seeds)</th><th>want</th><th>result</th><th>reason</th></tr>
{{range .Verdicts}}<tr><td><span class="sw v{{.Color}}"></span>{{.Variant}}</td><td><code>{{.Expr}}</code></td><td class="num">{{.Got}}</td><td class="num">{{.Want}}</td>{{if .Pass}}<td class="pass">PASS</td>{{else}}<td class="fail">FAIL</td>{{end}}<td>{{.Reason}}</td></tr>
{{end}}</table>{{else}}<p>None stated.</p>{{end}}

{{if .Calibration}}<h2>Simulation vs reality</h2>
<p>Each metric as the simulator predicted it and as the real run measured it, and the difference (real minus simulated). A real run that runs the scenario's schedule faster (time scale below 1: fault times and durations shortened, service times, timeouts and Raft's timers not) is compared with the simulator on that same shortened schedule, over the report's seeds (mean, and the range over seeds); its time series are drawn stretched to the scenario's time. Targets: availability within 0.05, the time to a new leader within 30%, of the simulated mean. One real run is one sample, and some outcomes are chance in both engines (which replica leads when a cut comes, for one): a real value off the mean but within the target of the range the simulated seeds span is marked as such; a miss outside that range is marked in red.</p>
<p>{{.CalibrationSummary}}</p>
<table>
<tr><th>variant</th><th>metric</th><th>time scale</th><th>simulated</th><th>range over seeds</th><th>real</th><th>real − sim</th><th>target</th><th>met</th></tr>
{{range .Calibration}}<tr><td>{{.Variant}}</td><td><code>{{.Metric}}</code></td><td class="num">{{.Scale}}</td><td class="num">{{.Sim}}</td><td class="num">{{.Range}}</td><td class="num">{{.Real}}</td><td class="num">{{.Diff}}</td><td>{{.Target}}</td>{{if .Miss}}<td class="fail">{{.Within}}</td>{{else}}<td>{{.Within}}</td>{{end}}</tr>
{{end}}</table>
{{if .CalibrationMore}}<details><summary>{{len .CalibrationMore}} more rows: per client, per fault, and the models' own counters</summary>
<table>
<tr><th>variant</th><th>metric</th><th>time scale</th><th>simulated</th><th>range over seeds</th><th>real</th><th>real − sim</th><th>target</th><th>met</th></tr>
{{range .CalibrationMore}}<tr><td>{{.Variant}}</td><td><code>{{.Metric}}</code></td><td class="num">{{.Scale}}</td><td class="num">{{.Sim}}</td><td class="num">{{.Range}}</td><td class="num">{{.Real}}</td><td class="num">{{.Diff}}</td><td>{{.Target}}</td>{{if .Miss}}<td class="fail">{{.Within}}</td>{{else}}<td>{{.Within}}</td>{{end}}</tr>
{{end}}</table></details>{{end}}{{end}}

<h2>Fault timeline</h2>
{{if .Faults}}<table>
<tr><th>type</th><th>what</th><th>start</th><th>end</th><th>engine</th></tr>
{{range .Faults}}<tr><td>{{.Type}}</td><td>{{.Label}}</td><td class="num">{{.Start}}</td><td class="num">{{.End}}</td><td>{{.Engine}}</td></tr>
{{end}}</table>{{else}}<p>No faults were injected.</p>{{end}}

<h2>Pictures</h2>
<p>Click a picture for its SVG, which stays sharp when zoomed.</p>
{{range .Figures}}<figure>
<h3>{{.Title}}</h3>
<a href="{{.SVG}}"><img src="{{.PNG}}" alt="{{.Title}}"/></a>
<figcaption>{{.Caption}}</figcaption>
</figure>
{{end}}
<h2>Summary per variant and phase</h2>
<p>Means over the seeds, with the 95% confidence interval below each.</p>
{{range .Phases}}<h3>{{.Name}}</h3>
<table>
<tr><th>variant</th><th>requests</th><th>availability</th><th>goodput</th><th>throughput</th><th>p50</th><th>p99</th><th>max</th></tr>
{{range .Rows}}<tr><td><span class="sw v{{.Color}}"></span>{{.Variant}}</td>{{range .Cells}}<td class="num">{{.Mean}}{{with .CI}}<br/><small>{{.}}</small>{{end}}</td>{{end}}</tr>
{{end}}</table>
{{end}}
{{if .ModelNames}}<h3>model metrics (whole run)</h3>
<table>
<tr><th>variant</th>{{range .ModelNames}}<th>{{.}}</th>{{end}}</tr>
{{range .Model}}<tr><td><span class="sw v{{.Color}}"></span>{{.Variant}}</td>{{range .Cells}}<td class="num">{{.Mean}}{{with .CI}}<br/><small>{{.}}</small>{{end}}</td>{{end}}</tr>
{{end}}</table>{{end}}

<h2>Runs</h2>
<p>Seeds: {{.Seeds}}. Every run replays from its seed: a simulated run with the same seed and version gives the same trace hash.</p>
<table>
<tr><th>variant</th><th>engine</th><th>seed</th><th>trace hash</th><th>events</th><th>requests</th><th>availability</th><th>files</th></tr>
{{range .Runs}}<tr><td><span class="sw v{{.Color}}"></span>{{.Variant}}</td><td>{{.Engine}}</td><td class="num">{{.Seed}}</td><td><code>{{.TraceHash}}</code></td><td class="num">{{.Events}}</td><td class="num">{{.Requests}}</td><td class="num">{{.Availability}}</td><td>{{range .Files}}<a href="{{.Path}}">{{.Label}}</a> {{end}}{{range .Notes}}<br><small>{{.}}</small>{{end}}</td></tr>
{{end}}</table>
<p>Data: <a href="summary.json">summary.json</a> (everything on this page), <a href="runs.csv">runs.csv</a> (a row per run and phase), <a href="timeseries.csv">timeseries.csv</a> (the mean series).</p>

<h2>Scenario source</h2>
{{if .Source}}<pre>{{.Source}}</pre>{{else}}<p>Not recorded.</p>{{end}}

<footer>faultline {{with .Version}}{{.}}{{else}}(version not recorded){{end}}</footer>
</body>
</html>
`

// keyCalibration reports whether a calibration metric is one of those
// shown unfolded: availability overall and per phase, the latency
// percentiles, the mean failover, and the history checks' verdicts.
func keyCalibration(metric string) bool {
	switch metric {
	case "availability", "p50", "p99", "leader_failover_ms", "linearizable", "stale_reads", "lost_writes":
		return true
	}
	return false
}

// calibrationSummary counts the targets met, met only within the seeds'
// range, and missed.
func calibrationSummary(r *results.Report) string {
	met, inRange, missed := 0, 0, 0
	for _, c := range r.Calibration {
		switch {
		case c.Within == nil:
		case *c.Within:
			met++
		case c.InSimRange:
			inRange++
		default:
			missed++
		}
	}
	return fmt.Sprintf("Targets: %d met, %d within the simulated seeds' range, %d missed (of %d).", met, inRange, missed, met+inRange+missed)
}

func calibrationRows(r *results.Report, key bool) []calibrationRow {
	var out []calibrationRow
	for _, c := range r.Calibration {
		if keyCalibration(c.Metric) != key {
			continue
		}
		name := c.Metric
		if c.Phase != results.All {
			name += " (" + string(c.Phase) + ")"
		}
		f := func(v float64) string { return strconv.FormatFloat(v, 'g', 4, 64) }
		row := calibrationRow{Variant: c.Variant, Metric: name, Sim: f(c.Sim), Real: f(c.Real), Diff: f(c.Diff),
			Scale: f(c.TimeScale), Target: c.Target}
		if c.SimSeeds > 1 {
			row.Range = f(c.SimMin) + " – " + f(c.SimMax)
		}
		switch {
		case c.Within == nil:
		case *c.Within:
			row.Within = "yes"
		case c.InSimRange:
			row.Within = "within the seeds' range"
		default:
			row.Within, row.Miss = "no", true
		}
		out = append(out, row)
	}
	return out
}
