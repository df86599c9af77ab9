package reports

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"errors"
	"flag"
	"fmt"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/plot/vg"

	"github.com/faultline-sim/faultline/results"
)

var (
	update = flag.Bool("update", false, "rewrite testdata/summary_schema.golden")
	look   = flag.String("look", "", "also write the synthetic reports under this directory, to look at")
)

// writeReport writes r into a temporary directory, and into -look/name if
// set, and returns the temporary one.
func writeReport(t *testing.T, name string, r *results.Report) string {
	t.Helper()
	dir := t.TempDir()
	index, err := Write(dir, r)
	require.NoError(t, err)
	require.Equal(t, filepath.Join(dir, "index.html"), index)
	if *look != "" {
		_, err := Write(filepath.Join(*look, name), r)
		require.NoError(t, err)
	}
	return dir
}

func requirePNG(t *testing.T, path string) {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	img, err := png.Decode(f)
	require.NoError(t, err, path)
	b := img.Bounds()
	assert.Equal(t, int(math.Round(float64(figureWidth/vg.Inch)*figureDPI)), b.Dx(), "%s width", path)
	assert.Greater(t, b.Dy(), 100, "%s height", path)
}

func requireSVG(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	d := xml.NewDecoder(bytes.NewReader(b))
	root := ""
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err, path)
		if se, ok := tok.(xml.StartElement); ok && root == "" {
			root = se.Name.Local
		}
	}
	assert.Equal(t, "svg", root, path)
}

// requireFigures checks that base.png and base.svg exist and are valid.
func requireFigures(t *testing.T, dir string, bases ...string) {
	t.Helper()
	for _, b := range bases {
		requirePNG(t, filepath.Join(dir, b+".png"))
		requireSVG(t, filepath.Join(dir, b+".svg"))
	}
}

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	require.NoError(t, err)
	return rows
}

// requireHTML parses index.html as lenient XML and returns its text.
func requireHTML(t *testing.T, dir string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "index.html"))
	require.NoError(t, err)
	d := xml.NewDecoder(bytes.NewReader(b))
	d.Strict, d.AutoClose, d.Entity = false, xml.HTMLAutoClose, xml.HTMLEntity
	for {
		_, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
	}
	page := string(b)
	assert.NotContains(t, page, "http://")
	assert.NotContains(t, page, "https://")
	return page
}

func TestWrite(t *testing.T) {
	r := partitionReport()
	dir := writeReport(t, "partition", r)

	requireFigures(t, dir, "timeseries", "latency_cdf", "summary", "tradeoff")
	for _, f := range []string{"heatmap.png", "heatmap_p99.png", "sweep.png"} {
		assert.NoFileExists(t, filepath.Join(dir, f), "no sweep, no sweep pictures")
	}

	t.Run("summary.json round-trips", func(t *testing.T) {
		b, err := os.ReadFile(filepath.Join(dir, "summary.json"))
		require.NoError(t, err)
		var got results.Report
		require.NoError(t, json.Unmarshal(b, &got))
		require.Equal(t, *r, got)
	})

	t.Run("runs.csv", func(t *testing.T) {
		rows := readCSV(t, filepath.Join(dir, "runs.csv"))
		require.Equal(t, runsHeader, rows[0])
		assert.Len(t, rows, 1+len(r.Runs)*len(results.Phases()))
		assert.Equal(t, []string{"cp", "1", "sim", "all"}, rows[1][:4])
		assert.Equal(t, r.Runs[0].TraceHash, rows[1][len(rows[1])-1])
	})

	t.Run("timeseries.csv", func(t *testing.T) {
		rows := readCSV(t, filepath.Join(dir, "timeseries.csv"))
		require.Equal(t, []string{"variant", "t_s", "offered", "throughput", "goodput", "errors", "p99", "queue_depth", "breaker_state"}, rows[0])
		assert.Len(t, rows, 1+len(r.Variants)*int(fixDuration))
		assert.Equal(t, []string{"cp", "0"}, rows[1][:2])
		assert.Empty(t, rows[1][8], "cp has no breaker")
	})

	t.Run("index.html", func(t *testing.T) {
		page := requireHTML(t, dir)
		assert.Contains(t, page, `class="banner fail">1 of 3 hypotheses failed.`)
		for i, v := range r.Variants {
			assert.Contains(t, page, fmt.Sprintf(`<td class="name"><span class="sw v%d"></span>%s</td><td class="desc">availability `, i, templateEscape(v.Variant)), "a design row for %s", v.Variant)
		}
		assert.Contains(t, page, "availability 54.5% (seeds 54.4–54.5%) during the faults, p99 1050 ms", "a design without a description says what it did")
		assert.Contains(t, page, "<li>Highest availability during the faults: ap (98.9%), then ap&#43;breaker (74.9%); their ranges over the seeds do not overlap.</li>")
		assert.Contains(t, page, `<figure id="fig-tradeoff">`, "the trade-off figure is on the first screen")
		assert.Less(t, strings.Index(page, `id="fig-tradeoff"`), strings.Index(page, `id="key"`), "before the evidence")
		for _, v := range r.Verdicts {
			assert.Contains(t, page, "<code>"+templateEscape(v.Expr)+"</code>")
		}
		assert.Equal(t, 2, strings.Count(page, `<td class="pass">PASS</td>`))
		assert.Equal(t, 1, strings.Count(page, `<td class="fail">FAIL</td>`))
		for _, b := range []string{"timeseries", "latency_cdf", "summary", "tradeoff"} {
			assert.Contains(t, page, `<a href="`+b+`.svg"><img src="`+b+`.png"`)
		}
		assert.Contains(t, page, "partition db-1 | rest (black-hole)")
		assert.Contains(t, page, "&lt;&amp;&gt; escaped?", "the source is escaped")
		assert.Contains(t, page, r.Runs[0].TraceHash)
		assert.Contains(t, page, "stale_reads")
		assert.Contains(t, page, r.Version)
	})
}

// templateEscape is what html/template makes of s in text.
func templateEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "'", "&#39;", "+", "&#43;").Replace(s)
}

func TestWriteSweep(t *testing.T) {
	t.Run("two parameters", func(t *testing.T) {
		t.Parallel()
		dir := writeReport(t, "sweep2", sweepReport(false))
		requireFigures(t, dir, "timeseries", "latency_cdf", "summary", "tradeoff", "heatmap", "heatmap_p99")
		assert.NoFileExists(t, filepath.Join(dir, "sweep.png"))
		page := requireHTML(t, dir)
		assert.Contains(t, page, `<img src="heatmap_p99.png"`)
	})
	t.Run("one parameter", func(t *testing.T) {
		t.Parallel()
		dir := writeReport(t, "sweep1", sweepReport(true))
		requireFigures(t, dir, "sweep")
		assert.NoFileExists(t, filepath.Join(dir, "heatmap.png"))
	})
}

// TestWriteEdgeCases: reports that are legal but thin or broken still give
// every file, with gaps where the data is missing.
func TestWriteEdgeCases(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(r *results.Report)
	}{
		{"one variant, no faults", func(r *results.Report) {
			r.Variants, r.Runs, r.Verdicts, r.Faults = r.Variants[:1], r.Runs[:2], nil, nil
		}},
		{"variant with no requests", func(r *results.Report) {
			v := &r.Variants[1]
			v.Series, v.CDF = []results.Series{{Name: "offered", Unit: "req/s", Step: 1}}, nil
			for k, s := range v.Stats {
				if strings.HasSuffix(k, ".requests") || strings.HasSuffix(k, ".p99") || strings.HasSuffix(k, ".goodput") {
					v.Stats[k] = results.Stat{N: s.N}
				}
			}
		}},
		{"NaN and Inf", func(r *results.Report) {
			v := &r.Variants[0]
			v.Series[0].Values[3], v.Series[4].Values[25] = math.NaN(), math.Inf(1)
			v.CDF[10].Ms = math.NaN()
			v.Stats["during.p99"] = results.Stat{Mean: math.Inf(1), Lo: math.NaN(), Hi: math.Inf(1), N: 2}
			r.Runs[0].Metrics = map[string]float64{"stale_reads": math.NaN()}
			r.Verdicts[0].Got, r.Verdicts[0].Reason = math.NaN(), "no requests during the fault"
		}},
		{"overlapping, instant and out-of-range faults", func(r *results.Report) {
			r.Faults = append(r.Faults,
				results.FaultWindow{Type: "crash", Label: "crash api-1", Start: 22, End: 22},
				results.FaultWindow{Type: "pause", Label: "pause db-2 (GC)", Start: 24, End: 30, Engine: "real"},
				results.FaultWindow{Type: "latency", Label: "after the run", Start: 70, End: 80},
				results.FaultWindow{Type: "loss", Start: math.NaN(), End: 3})
		}},
		{"zero latencies", func(r *results.Report) {
			for i := range r.Variants {
				for j := range r.Variants[i].CDF {
					r.Variants[i].CDF[j].Ms = 0
				}
			}
		}},
		{"no variants", func(r *results.Report) { r.Variants, r.Runs, r.Verdicts = nil, nil, nil }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			r := partitionReport()
			c.mutate(r)
			dir := writeReport(t, "edge-"+strings.ReplaceAll(c.name, " ", "-"), r)
			requireFigures(t, dir, "timeseries", "latency_cdf", "summary", "tradeoff")
			requireHTML(t, dir)
			b, err := os.ReadFile(filepath.Join(dir, "summary.json"))
			require.NoError(t, err)
			assert.True(t, json.Valid(b))
		})
	}
}

func TestWriteErrors(t *testing.T) {
	_, err := Write(t.TempDir(), nil)
	assert.Error(t, err)
	file := filepath.Join(t.TempDir(), "file")
	require.NoError(t, os.WriteFile(file, nil, 0o644))
	_, err = Write(filepath.Join(file, "out"), partitionReport())
	assert.ErrorContains(t, err, "reports: ")
}

func TestSummaryJSONNullsNonFinite(t *testing.T) {
	r := partitionReport()
	r.Verdicts[0].Got = math.NaN()
	b, err := marshalReport(r)
	require.NoError(t, err)
	var got struct {
		Verdicts []map[string]any `json:"verdicts"`
	}
	require.NoError(t, json.Unmarshal(b, &got))
	assert.Contains(t, got.Verdicts[0], "got")
	assert.Nil(t, got.Verdicts[0]["got"])
}

// TestNullNonFiniteMatchesEncodingJSON: the fallback encoder writes a
// finite report exactly as encoding/json does, so the schema does not
// depend on whether a NaN was present.
func TestNullNonFiniteMatchesEncodingJSON(t *testing.T) {
	for _, r := range []*results.Report{partitionReport(), sweepReport(false)} {
		want, err := json.MarshalIndent(r, "", "  ")
		require.NoError(t, err)
		got, err := json.MarshalIndent(nullNonFinite(reflect.ValueOf(r)), "", "  ")
		require.NoError(t, err)
		require.Equal(t, string(want), string(got))
	}
}

// keyPaths lists every key path in a JSON document, with [] for array
// elements and {} for the keys of maps whose keys are data.
func keyPaths(v any, prefix string, data map[string]bool, out map[string]bool) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			p := prefix + "." + k
			if data[prefix] {
				p = prefix + "{}"
			}
			out[p] = true
			keyPaths(e, p, data, out)
		}
	case []any:
		for _, e := range x {
			keyPaths(e, prefix+"[]", data, out)
		}
	}
}

// TestGoldenSummarySchema pins summary.json's field names, so that a schema
// change is a reviewed diff: go test ./reports -run Golden -update.
func TestGoldenSummarySchema(t *testing.T) {
	r := sweepReport(false)
	full := partitionReport()
	r.Faults[0].Engine = "real"
	r.Runs[0].Metrics = full.Runs[2].Metrics
	r.Verdicts = full.Verdicts
	r.Verdicts[0].Reason = "a reason"
	b, err := marshalReport(r)
	require.NoError(t, err)
	var doc any
	require.NoError(t, json.Unmarshal(b, &doc))
	paths := map[string]bool{}
	keyPaths(doc, "", map[string]bool{".variants[].stats": true, ".runs[].metrics": true}, paths)
	var lines []string
	for p := range paths {
		lines = append(lines, strings.TrimPrefix(p, "."))
	}
	sort.Strings(lines)
	got := strings.Join(lines, "\n") + "\n"
	golden := filepath.Join("testdata", "summary_schema.golden")
	if *update {
		require.NoError(t, os.WriteFile(golden, []byte(got), 0o644))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err, "regenerate with: go test ./reports -run Golden -update")
	assert.Equal(t, string(want), got, "summary.json's schema changed; if intended: go test ./reports -run Golden -update")
}

func TestFormat(t *testing.T) {
	pct := []struct {
		in   float64
		want string
	}{{1, "100%"}, {0, "0%"}, {0.71234, "71.2%"}, {0.9912, "99.12%"}, {0.9995, "99.95%"}, {0.99999, "99.999%"}, {math.NaN(), "n/a"}}
	for _, c := range pct {
		assert.Equal(t, c.want, fmtPct(c.in), "fmtPct(%v)", c.in)
	}
	num := []struct {
		in   float64
		want string
	}{{812.4, "812"}, {3, "3"}, {12.34, "12.3"}, {1.234, "1.23"}, {0.1234, "0.123"}, {math.Inf(1), "n/a"},
		{7, "7"}, {7.001, "7"}, {7.25, "7.25"}, {16.04, "16"}, {0.125, "0.125"}, {0.1, "0.1"}, {-2.5, "-2.5"}}
	for _, c := range num {
		assert.Equal(t, c.want, fmtNum(c.in), "fmtNum(%v)", c.in)
	}
	assert.Equal(t, "71.2% (seeds 70.5–72.0%)", fmtStat("availability", results.Stat{Mean: 0.712, Lo: 0.601, Hi: 0.823, Min: 0.705, Max: 0.72, N: 3}),
		"with few seeds, the seeds' range")
	assert.Equal(t, "71.2% (95% CI 70.1–72.3%)", fmtStat("availability", results.Stat{Mean: 0.712, Lo: 0.701, Hi: 0.723, Min: 0.6, Max: 0.8, N: 12}),
		"with many, the 95% confidence interval")
	assert.Equal(t, "812 ms", fmtStat("p99", results.Stat{Mean: 812, Lo: 812, Hi: 812, N: 1}))
}

func TestLogTicks(t *testing.T) {
	labelled := func(lo, hi float64) []string {
		var out []string
		for _, tk := range (logTicks{}).Ticks(math.Log10(lo), math.Log10(hi)) {
			if tk.Label != "" {
				out = append(out, tk.Label)
			}
		}
		return out
	}
	assert.Equal(t, []string{"10", "20", "50", "100", "200", "500", "1000"}, labelled(8, 1200))
	assert.Equal(t, []string{"0.1", "1", "10", "100", "1000", "10000"}, labelled(0.1, 10000))
	assert.Equal(t, []string{"82", "84", "86", "88"}, labelled(81, 89), "a narrow range falls back to linear ticks")
}

// TestHeatmapColoursEveryCell: a value at either end of the colour map
// must get a colour, not the grey of a cell without data (palette.Reverse
// can put it a rounding error outside the range).
func TestHeatmapColoursEveryCell(t *testing.T) {
	for _, metric := range []string{"availability", "p99"} {
		cm := colorMapFor(metric, 0.174, 1)
		for _, z := range []float64{0.174, 0.5, 0.9999999999999999, 1, 1.5, -3} {
			c, ok := colorAt(cm, z)
			require.True(t, ok, "%s at %v", metric, z)
			require.NotNil(t, c)
		}
	}
}

// TestOverviewNamesTheDuringPhase: the first sentence gives the During
// window the phase tables use (results.PhasesOf): from the first fault's
// start to the last one's end, within the run.
func TestOverviewNamesTheDuringPhase(t *testing.T) {
	r := &results.Report{Scenario: "s", Duration: 60, Variants: []results.VariantSummary{{Variant: "a"}},
		Faults: []results.FaultWindow{{Type: "latency", Start: 40, End: 70}, {Type: "partition", Start: 20, End: 35}}}
	assert.True(t, strings.HasSuffix(overview(r), ", 60 s each, with 2 fault windows between 20 s and 60 s."), overview(r))
	r.Faults = r.Faults[1:]
	assert.Contains(t, overview(r), "with one fault: ")
	assert.Contains(t, overview(r), " from 20 s to 35 s.")
}
