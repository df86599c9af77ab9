package reports

import (
	"cmp"
	"encoding/csv"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/faultline-sim/faultline/results"
)

// runsHeader is the header of runs.csv: one row per run and phase.
var runsHeader = []string{
	"variant", "seed", "engine", "phase", "requests", "ok", "errors", "timeouts", "rejected", "shed",
	"availability", "goodput", "throughput", "p50_ms", "p95_ms", "p99_ms", "max_ms", "trace_hash",
}

// num prints a float exactly (shortest round-trip form), NaN as "NaN".
func num(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }

func writeCSV(path string, rows [][]string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := csv.NewWriter(f)
	if err := w.WriteAll(rows); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// seriesRows are timeseries.csv: a row per variant and interval, a column
// per series name, from the variants' mean series. A cell is empty where a
// variant lacks the series or the series is shorter.
func seriesRows(r *results.Report) [][]string {
	keys := seriesKeys(r)
	header := []string{"variant", "t_s"}
	for _, k := range keys {
		header = append(header, k.name)
	}
	rows := [][]string{header}
	for _, v := range r.Variants {
		n, step := 0, 0.0
		for i := range v.Series {
			if len(v.Series[i].Values) > n {
				n, step = len(v.Series[i].Values), stepOf(r, &v.Series[i])
			}
		}
		for j := range n {
			row := []string{v.Variant, num(float64(j) * step)}
			for _, k := range keys {
				cell := ""
				if s := findSeries(v.Series, k.name); s != nil && j < len(s.Values) {
					cell = num(s.Values[j])
				}
				row = append(row, cell)
			}
			rows = append(rows, row)
		}
	}
	return rows
}

// orderedRuns returns the runs grouped by variant in report order (runs of
// variants the report does not list come last), in their order within.
func orderedRuns(r *results.Report) []*results.Run {
	rank := map[string]int{}
	for i := len(r.Variants) - 1; i >= 0; i-- {
		rank[r.Variants[i].Variant] = i
	}
	rankOf := func(run *results.Run) int {
		if k, ok := rank[run.Variant]; ok {
			return k
		}
		return len(r.Variants)
	}
	out := make([]*results.Run, len(r.Runs))
	for i := range r.Runs {
		out[i] = &r.Runs[i]
	}
	slices.SortStableFunc(out, func(a, b *results.Run) int { return cmp.Compare(rankOf(a), rankOf(b)) })
	return out
}

// runRows are runs.csv: one row per run and phase.
func runRows(r *results.Report) [][]string {
	rows := [][]string{runsHeader}
	for _, run := range orderedRuns(r) {
		for _, s := range run.Phases {
			rows = append(rows, []string{
				run.Variant, strconv.FormatUint(run.Seed, 10), run.Engine, string(s.Phase),
				strconv.FormatInt(s.Requests, 10), strconv.FormatInt(s.OK, 10), strconv.FormatInt(s.Errors, 10),
				strconv.FormatInt(s.Timeouts, 10), strconv.FormatInt(s.Rejected, 10), strconv.FormatInt(s.Shed, 10),
				num(s.Availability), num(s.Goodput), num(s.Throughput),
				num(s.Latency.P50), num(s.Latency.P95), num(s.Latency.P99), num(s.Latency.Max), run.TraceHash,
			})
		}
	}
	return rows
}

func writeSeriesCSV(dir string, r *results.Report) error {
	return writeCSV(filepath.Join(dir, "timeseries.csv"), seriesRows(r))
}

func writeRunsCSV(dir string, r *results.Report) error {
	return writeCSV(filepath.Join(dir, "runs.csv"), runRows(r))
}
