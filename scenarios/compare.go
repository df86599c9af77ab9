package scenarios

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/faultline-sim/faultline/results"
)

// Compare runs every case of s once more on a second engine (the real one)
// and adds those runs to rep beside the first engine's: as variants named
// "<case> (<engine>)", and as calibration rows comparing each key metric.
// Cases for which skip(err) is true (no counterpart on that engine) are
// left out and returned.
//
// A run made at a time scale (metric time_scale) has its series stretched
// to the scenario's time so the plots overlay. Its calibration rows do
// not compare it with rep's runs, which ran the scenario's own schedule:
// if ref is set (the engine rep came from, the simulator), the case runs
// again on ref at the same time scale, on rep's seeds, and the rows
// compare with those runs; with ref nil they compare with rep's variant.
func Compare(ctx context.Context, rep *results.Report, s *Scenario, eng, ref Engine, opt Options, skip func(error) bool) ([]string, error) {
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
		scale := runs[0].Metrics["time_scale"]
		if scale <= 0 {
			scale = 1
		}
		base := rep.Variant(c.Name)
		if ref != nil && scale != 1 {
			if base, err = atScale(ctx, ref, c, scale, rep.Seeds); err != nil {
				return skipped, err
			}
		}
		if base != nil {
			rows := calibrate(c.Name, base, &v, scale)
			if stopped(runs) {
				// A run its stop condition ended early is not the
				// scenario's run: show the numbers, judge none.
				for i := range rows {
					if rows[i].Target != "" {
						rows[i].Target, rows[i].Within, rows[i].InSimRange = "none: stopped early", nil, false
					}
				}
			}
			rep.Calibration = append(rep.Calibration, rows...)
		}
	}
	return skipped, nil
}

// stopped reports whether a stop condition ended any of the runs early.
func stopped(runs []results.Run) bool {
	for _, r := range runs {
		if r.Metrics["stopped"] == 1 {
			return true
		}
	}
	return false
}

// atScale runs case c on eng with its schedule scaled, on seeds, and
// summarises the runs.
func atScale(ctx context.Context, eng Engine, c Case, scale float64, seeds []uint64) (*results.VariantSummary, error) {
	sc, err := c.Scenario.Scaled(scale)
	if err != nil {
		return nil, err
	}
	c.Scenario = sc
	var runs []results.Run
	for _, seed := range seeds {
		r, err := eng.Run(ctx, c, seed)
		if err != nil {
			return nil, fmt.Errorf("%s on %s at time scale %g: %w", c.Name, eng.Name(), scale, err)
		}
		r.Variant, r.Seed, r.Engine = c.Name, seed, eng.Name()
		runs = append(runs, r)
	}
	v := results.Aggregate(runs)
	return &v, nil
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
	{"availability", results.All}, {"availability", results.Before}, {"availability", results.During}, {"availability", results.After},
	{"p50", results.All}, {"p99", results.All},
}

func calibrate(name string, sim, real *results.VariantSummary, scale float64) []results.Calibration {
	var out []results.Calibration
	add := func(metric string, p results.Phase) {
		a, ok1 := sim.Stat(metric, p)
		b, ok2 := real.Stat(metric, p)
		if ok1 && ok2 && a.N > 0 && b.N > 0 {
			c := results.Calibration{Variant: name, Metric: metric, Phase: p, Sim: a.Mean, SimMin: a.Min, SimMax: a.Max,
				SimSeeds: a.N, Real: b.Mean, Diff: b.Mean - a.Mean, TimeScale: scale}
			c.Target, c.Within, c.InSimRange = calibrationTarget(metric, a, b.Mean)
			out = append(out, c)
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

// calibrationTarget is the agreement the simulator aims for: availability
// (overall, per phase, per client) within 5 percentage points, and the
// time until a new leader (failover_ms_*, leader_failover_ms) within 30%
// where every simulated seed needed one (a fault that cuts off the leader
// on some seeds only, as a zone partition does, averages a bimodal
// outcome). It returns the target, whether real meets it against the
// simulated mean, and whether real is within it of the simulated range.
// Other metrics have no target: they are shown for the reader to judge.
func calibrationTarget(metric string, sim results.Stat, real float64) (string, *bool, bool) {
	switch {
	case metric == "availability" || strings.HasPrefix(metric, "availability_"):
		const tol = 0.05 + 1e-9
		ok := math.Abs(real-sim.Mean) <= tol
		return "±0.05", &ok, real >= sim.Min-tol && real <= sim.Max+tol
	case (strings.HasPrefix(metric, "failover_ms_") || strings.HasSuffix(metric, LeaderFailoverMetric)) && sim.Min > 0:
		ok := real > 0 && math.Abs(real-sim.Mean) <= 0.3*sim.Mean
		return "±30%", &ok, real >= 0.7*sim.Min && real <= 1.3*sim.Max
	}
	return "", nil, false
}

func isSummaryMetric(name string) bool {
	for _, m := range results.SummaryMetrics() {
		if m == name {
			return true
		}
	}
	return false
}
