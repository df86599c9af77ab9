package scenarios

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"faultline/reports/results"
)

// Compare runs every case of s once more on a second engine (the real one)
// and adds those runs to rep beside the first engine's: as variants named
// "<case> (<engine>)", and as calibration rows comparing each key metric.
// Cases for which skip(err) is true (no counterpart on that engine) are
// left out and returned. A run made at a time scale (metric time_scale)
// has its series stretched to the scenario's time so the plots overlay.
func Compare(ctx context.Context, rep *results.Report, s *Scenario, eng Engine, opt Options, skip func(error) bool) ([]string, error) {
	cases, err := s.Cases()
	if err != nil {
		return nil, err
	}
	seeds := seedList(s, opt)
	var skipped []string
	for _, c := range cases {
		runs, err := runCase(ctx, eng, c, seeds)
		if err != nil {
			if skip != nil && skip(err) {
				skipped = append(skipped, fmt.Sprintf("%s: %v", c.Name, err))
				continue
			}
			return skipped, fmt.Errorf("%s on %s: %w", c.Name, eng.Name(), err)
		}
		v := results.Aggregate(runs)
		rep.Variants = append(rep.Variants, v)
		rep.Runs = append(rep.Runs, runs...)
		if base := rep.Variant(c.Name); base != nil {
			rep.Calibration = append(rep.Calibration, calibrate(c.Name, base, &v)...)
		}
	}
	return skipped, nil
}

func runCase(ctx context.Context, eng Engine, c Case, seeds []uint64) ([]results.Run, error) {
	var runs []results.Run
	for _, seed := range seeds {
		r, err := eng.Run(ctx, c, seed)
		if err != nil {
			return nil, err
		}
		r.Variant, r.Seed, r.Engine = c.Name+" ("+eng.Name()+")", seed, eng.Name()
		if scale := r.Metrics["time_scale"]; scale > 0 && scale != 1 {
			for i := range r.Series {
				r.Series[i].Step /= scale
			}
		}
		runs = append(runs, r)
	}
	return runs, nil
}

// calibrationMetrics are compared whenever both engines have them, in this
// order; any other model metric both have follows, sorted.
var calibrationMetrics = []struct {
	name  string
	phase results.Phase
}{
	{"availability", results.All}, {"availability", results.During}, {"p50", results.All}, {"p99", results.All},
}

func calibrate(name string, sim, real *results.VariantSummary) []results.Calibration {
	var out []results.Calibration
	add := func(metric string, p results.Phase) {
		a, ok1 := sim.Stat(metric, p)
		b, ok2 := real.Stat(metric, p)
		if ok1 && ok2 && a.N > 0 && b.N > 0 {
			out = append(out, results.Calibration{Variant: name, Metric: metric, Phase: p, Sim: a.Mean, Real: b.Mean, Diff: b.Mean - a.Mean})
		}
	}
	for _, m := range calibrationMetrics {
		add(m.name, m.phase)
	}
	var model []string
	for key := range real.Stats {
		metric, ok := strings.CutPrefix(key, string(results.All)+".")
		if ok && !isSummaryMetric(metric) {
			model = append(model, metric)
		}
	}
	sort.Strings(model)
	for _, m := range model {
		add(m, results.All)
	}
	return out
}

func isSummaryMetric(name string) bool {
	for _, m := range results.SummaryMetrics() {
		if m == name {
			return true
		}
	}
	return false
}
