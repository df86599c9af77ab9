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
	"github.com/faultline-sim/faultline/scenarios"
)

// page is everything index.html shows, formatted: the template only lays
// it out. The first screen answers the scenario's question (the designs,
// each hypothesis's verdict, the trade-off in words and one figure); the
// evidence follows.
type page struct {
	Scenario, Question, Setup, Version, Source string
	Overview                                   string
	Banner                                     banner
	Designs                                    []designRow
	Findings                                   []string
	Lead                                       *figureRef
	Key                                        metricTable
	Verdicts                                   []verdictRow
	Faults                                     []faultRow
	Figures                                    []figureRef
	Phases                                     []phaseTable
	Interval                                   string
	ModelKey, ModelMore                        metricTable
	Runs                                       []runRow
	Seeds                                      string
	Calibration                                []calibrationRow
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

// designRow is one design under test: its name, what it is, and how its
// hypotheses came out.
type designRow struct {
	Variant, Description string
	Color                int
	Checks               []checkMark
}

type checkMark struct {
	Expr, Got string
	Pass      bool
}

type verdictRow struct {
	Variant                 string
	Color                   int
	Expr, Got, Want, Reason string
	Pass                    bool
}

type faultRow struct{ Type, Label, Start, End, Engine string }

type figureRef struct{ ID, PNG, SVG, Title, Caption string }

// cell is a mean and its interval; Best marks the best value of a row
// (every one of them when several tie).
type cell struct {
	Mean, CI string
	Best     bool
}

type phaseTable struct {
	Name string
	Open bool
	Rows []phaseRow
}

type phaseRow struct {
	Variant string
	Color   int
	Cells   []cell
}

// metricTable has a row per metric and a column per variant.
type metricTable struct {
	Variants []variantHead
	Rows     []metricRow
}

type variantHead struct {
	Name  string
	Color int
}

type metricRow struct {
	Name, Note string
	Cells      []cell
}

type runRow struct {
	Variant, Engine, Seed, TraceHash, Events, Requests, Availability string
	Color                                                            int
	Files                                                            []results.File
	Notes                                                            []string
}

// tableMetrics are the columns of the per-phase summary tables.
var tableMetrics = []string{"requests", "availability", "goodput", "throughput", "fast_failures", "p50", "p99", "max", "p99_all"}

func writeHTML(path string, r *results.Report, figs []figureRef) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := pageTemplate.Execute(f, buildPage(r, figs)); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func buildPage(r *results.Report, figs []figureRef) page {
	sc := parseSource(r)
	q, setup := splitQuestion(r.Description)
	p := page{
		Scenario: r.Scenario, Question: q, Setup: setup, Version: r.Version, Source: r.Source,
		Overview: overview(r), Banner: verdictBanner(r), Designs: designs(r, sc), Findings: findings(r),
		Key: keyTable(r), Verdicts: verdictRows(r), Faults: faultRows(r), Phases: phaseTables(r),
		Interval:    intervalName(seedCount(r)),
		Calibration: calibrationRows(r, true), CalibrationMore: calibrationRows(r, false), CalibrationSummary: calibrationSummary(r),
		Runs: runRowsHTML(r), Seeds: seedList(r),
	}
	for i := range figs {
		if figs[i].ID == "tradeoff" && p.Lead == nil {
			lead := figs[i]
			p.Lead = &lead
			continue
		}
		p.Figures = append(p.Figures, figs[i])
	}
	p.ModelKey, p.ModelMore = modelTables(r)
	return p
}

// parseSource reads the scenario file the report ran, for what the schema
// does not carry (the variants' descriptions, an SLO); nil if there is
// none or it no longer parses.
func parseSource(r *results.Report) *scenarios.Scenario {
	if r.Source == "" {
		return nil
	}
	sc, err := scenarios.Parse(r.Scenario+".yaml", []byte(r.Source))
	if err != nil {
		return nil
	}
	return sc
}

// splitQuestion splits a description into its first sentence (the
// scenario's question) and the rest (its setup).
func splitQuestion(d string) (question, rest string) {
	d = strings.Join(strings.Fields(d), " ")
	for i := 0; i+1 < len(d); i++ {
		if (d[i] == '.' || d[i] == '?' || d[i] == '!') && d[i+1] == ' ' && i > 10 {
			return d[:i+1], d[i+2:]
		}
	}
	return d, ""
}

func seconds(x float64) string {
	if !finite(x) {
		return "n/a"
	}
	return fmtNum(x) + " s"
}

// seedCount is the most seeds any variant ran.
func seedCount(r *results.Report) int {
	n := len(r.Seeds)
	for _, v := range r.Variants {
		n = max(n, len(v.Seeds))
	}
	return n
}

// overview is the first sentence: what ran, for how long, under what.
func overview(r *results.Report) string {
	s := fmt.Sprintf("%s compared %s on %s", orUnnamed(r.Scenario), plural(len(r.Variants), "design"), seedsNote(r))
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
	during := r.PhaseWindows().During // the During phase the tables show
	return s + fmt.Sprintf(", with %d fault windows between %s and %s.", len(r.Faults), seconds(during.Start.Seconds()), seconds(during.End.Seconds()))
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

// designs lists each variant with its description (from the scenario
// file) and its hypotheses' verdicts.
func designs(r *results.Report, sc *scenarios.Scenario) []designRow {
	desc := map[string]string{}
	if sc != nil {
		for _, v := range sc.Variants {
			desc[v.Name] = strings.Join(strings.Fields(v.Description), " ")
		}
	}
	out := make([]designRow, len(r.Variants))
	for i := range r.Variants {
		v := &r.Variants[i]
		d := desc[v.Variant]
		if d == "" {
			d = variantSentence(r, v, focusPhase(r))
		}
		out[i] = designRow{Variant: v.Variant, Color: i % len(variantColors), Description: d}
		for _, vd := range r.Verdicts {
			if vd.Variant == v.Variant {
				out[i].Checks = append(out[i].Checks, checkMark{Expr: vd.Expr, Pass: vd.Pass, Got: fmtValue(vd.Metric, vd.Got)})
			}
		}
	}
	return out
}

// variantSentence says in a line what a variant did, for a design the
// scenario file does not describe.
func variantSentence(r *results.Report, v *results.VariantSummary, ph results.Phase) string {
	if req, ok := statOf(v, "requests", results.All); !ok || req.Mean == 0 {
		return "no requests ended in this variant's runs, so there is nothing to measure."
	}
	if req, ok := statOf(v, "requests", ph); !ok || req.Mean == 0 {
		return "no requests ended " + duringText(r) + "."
	}
	var parts []string
	if s, ok := statOf(v, "availability", ph); ok {
		parts = append(parts, "availability "+fmtStat("availability", s)+" "+duringText(r))
	}
	if s, ok := statOf(v, "p99", ph); ok {
		parts = append(parts, "p99 "+fmtStat("p99", s))
	}
	return strings.Join(parts, ", ") + "."
}

// findings are the trade-off in words: per metric of the trade-off (and
// availability and p99), who did best, by how much, and whether the
// seeds separate them; variants whose means print the same are a tie.
func findings(r *results.Report) []string {
	if len(r.Variants) < 2 {
		return nil
	}
	mx, my := tradeoffAxes(r)
	refs := []metricRef{mx, my}
	ph := focusPhase(r)
	for _, m := range []string{"availability", "p99"} {
		ref := metricRef{m, ph}
		if ref != mx && ref != my {
			refs = append(refs, ref)
		}
	}
	var out []string
	for _, m := range refs {
		if s := finding(r, m); s != "" {
			out = append(out, s)
		}
	}
	return out
}

type ranked struct {
	name string
	s    results.Stat
}

// rank orders the variants that have metric m, best first (by mean; in
// report order where the schema does not say which way is better).
func rank(r *results.Report, m metricRef) []ranked {
	var es []ranked
	for i := range r.Variants {
		if s, ok := statOf(&r.Variants[i], m.metric, m.phase); ok {
			es = append(es, ranked{r.Variants[i].Variant, s})
		}
	}
	if b := betterOf(m.metric); b != 0 {
		sort.SliceStable(es, func(i, j int) bool { return float64(b)*es[i].s.Mean > float64(b)*es[j].s.Mean })
	}
	return es
}

func finding(r *results.Report, m metricRef) string {
	es := rank(r, m)
	better := betterOf(m.metric)
	if len(es) < 2 || better == 0 {
		return ""
	}
	// The leaders: every variant whose mean prints as the best one's.
	top := 1
	for top < len(es) && fmtValue(m.metric, es[top].s.Mean) == fmtValue(m.metric, es[0].s.Mean) {
		top++
	}
	word := map[int]string{1: "Highest", -1: "Lowest"}[better]
	what := fmt.Sprintf("%s %s %s", word, m.metric, phasePhrase(m.phase))
	if top == len(es) {
		return fmt.Sprintf("%s: a tie, every design at %s.", what, fmtValue(m.metric, es[0].s.Mean))
	}
	names := make([]string, top)
	for i := range names {
		names[i] = es[i].name
	}
	lead := names[0]
	if top > 1 {
		lead = "a tie between " + joinAnd(names)
	}
	best, next := es[0], es[top]
	s := fmt.Sprintf("%s: %s (%s), then %s (%s)", what, lead, fmtValue(m.metric, best.s.Mean), next.name, fmtValue(m.metric, next.s.Mean))
	blo, bhi := interval(best.s)
	nlo, nhi := interval(next.s)
	switch {
	case best.s.N < 2 || next.s.N < 2:
		return s + "; with one seed there is no interval to tell them apart."
	case blo > nhi || bhi < nlo:
		return s + "; " + intervalPlural(best.s.N) + " do not overlap."
	}
	return s + "; " + intervalPlural(best.s.N) + " overlap, so the difference may be noise."
}

// intervalPlural names two variants' intervals in a sentence.
func intervalPlural(n int) string {
	if n < fewSeeds {
		return "their ranges over the seeds"
	}
	return "their 95% confidence intervals"
}

func joinAnd(xs []string) string {
	if len(xs) <= 1 {
		return strings.Join(xs, "")
	}
	return strings.Join(xs[:len(xs)-1], ", ") + " and " + xs[len(xs)-1]
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
	focus := focusPhase(r)
	for _, ph := range tablePhases(r) {
		t := phaseTable{Name: phaseName(ph), Open: ph == focus || ph == results.All}
		for i := range r.Variants {
			row := phaseRow{Variant: r.Variants[i].Variant, Color: i % len(variantColors)}
			for _, m := range tableMetrics {
				s, ok := r.Variants[i].Stat(m, ph)
				row.Cells = append(row.Cells, statCell(m, s, ok && s.N > 0))
			}
			t.Rows = append(t.Rows, row)
		}
		markBest(r, t.Rows, func(row phaseRow) []cell { return row.Cells })
		out = append(out, t)
	}
	return out
}

// markBest marks, in each column of rows, the best value by its metric's
// direction (tableMetrics order); ties are all marked.
func markBest(r *results.Report, rows []phaseRow, cells func(phaseRow) []cell) {
	for j, m := range tableMetrics {
		col := make([]*cell, len(rows))
		for i := range rows {
			col[i] = &cells(rows[i])[j]
		}
		best(m, col)
	}
}

// best marks the cells of metric m whose value (as printed) is best, if
// the schema says which way is better and not every cell ties.
func best(m string, col []*cell) {
	b := betterOf(m)
	if b == 0 {
		return
	}
	top, seen := math.Inf(-1), 0
	vals := make([]float64, len(col))
	for i, c := range col {
		vals[i] = math.NaN()
		if v, ok := parseShown(c.Mean); ok {
			vals[i] = float64(b) * v
			top = math.Max(top, vals[i])
			seen++
		}
	}
	n := 0
	for _, v := range vals {
		if v == top {
			n++
		}
	}
	if seen < 2 || n == seen {
		return // one value, or all tie: nothing stands out
	}
	for i, v := range vals {
		col[i].Best = v == top
	}
}

// parseShown reads back a printed value ("71.2%", "16 ms") so that cells
// are compared as the reader sees them.
func parseShown(s string) (float64, bool) {
	f := strings.Fields(strings.TrimSuffix(s, "%"))
	if len(f) == 0 {
		return 0, false
	}
	v, err := strconv.ParseFloat(f[0], 64)
	return v, err == nil
}

// keyTable is the first table: per design, the numbers the scenario is
// about, in the focus phase: availability, p99 and goodput, and every
// metric a hypothesis or the trade-off names.
func keyTable(r *results.Report) metricTable {
	ph := focusPhase(r)
	refs := []metricRef{{"availability", ph}, {"p99", ph}, {"goodput", ph}}
	mx, my := tradeoffAxes(r)
	for _, m := range append([]metricRef{mx, my}, verdictMetrics(r)...) {
		if !containsRef(refs, m) {
			refs = append(refs, m)
		}
	}
	return metricRows(r, refs)
}

func containsRef(refs []metricRef, m metricRef) bool {
	for _, x := range refs {
		if x == m {
			return true
		}
	}
	return false
}

// verdictMetrics are the metrics the hypotheses judge, in order.
func verdictMetrics(r *results.Report) []metricRef {
	var out []metricRef
	for _, v := range r.Verdicts {
		ph := v.Phase
		if ph == "" {
			ph = results.All
		}
		if m := (metricRef{v.Metric, ph}); !containsRef(out, m) {
			out = append(out, m)
		}
	}
	return out
}

// metricRows is a table of refs by variant.
func metricRows(r *results.Report, refs []metricRef) metricTable {
	t := metricTable{}
	for i := range r.Variants {
		t.Variants = append(t.Variants, variantHead{r.Variants[i].Variant, i % len(variantColors)})
	}
	for _, m := range refs {
		row := metricRow{Name: m.metric, Note: phasePhrase(m.phase)}
		if u := unitOf(m.metric); u != "" && u != "%" {
			row.Name += " (" + u + ")"
		}
		any := false
		for i := range r.Variants {
			s, ok := statOf(&r.Variants[i], m.metric, m.phase)
			if ok {
				any = true
			}
			row.Cells = append(row.Cells, statCell(m.metric, s, ok))
		}
		if !any {
			continue
		}
		col := make([]*cell, len(row.Cells))
		for i := range row.Cells {
			col[i] = &row.Cells[i]
		}
		best(m.metric, col)
		t.Rows = append(t.Rows, row)
	}
	return t
}

// modelTables split the model-specific metrics (those beyond a Summary's)
// into the key ones (named by a hypothesis or the trade-off, or a history
// check's verdict), shown, and the others, folded; a row per metric.
func modelTables(r *results.Report) (key, more metricTable) {
	known := map[string]bool{}
	for _, m := range results.SummaryMetrics() {
		known[m] = true
	}
	important := map[string]bool{}
	mx, my := tradeoffAxes(r)
	for _, m := range append([]metricRef{mx, my}, verdictMetrics(r)...) {
		important[m.metric] = true
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
	var k, o []metricRef
	for _, m := range names {
		if important[m] || keyCalibration(m) {
			k = append(k, metricRef{m, results.All})
		} else {
			o = append(o, metricRef{m, results.All})
		}
	}
	return metricRows(r, k), metricRows(r, o)
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
