package world

import (
	"math"

	"github.com/faultline-sim/faultline/models/service"
	"github.com/faultline-sim/faultline/results"
)

// report judges the run against the SLO of the first autoscaled
// service that sets one, interval by interval on the run's p99, errors
// and throughput series (every request the load generators ended). It
// adds the series slo_violated (1 in an interval that breaks the SLO,
// else 0) and the metrics slo_violation_minutes (the intervals that break
// it, in minutes) and, when the scenario has faults, time_to_recover_s:
// from the start of the first fault window (the spike, in the autoscale
// scenario) to the end of the last interval that breaks the SLO, 0 if
// none does after the start; a run that still breaks the SLO in its last
// interval has not recovered, and gets the time to the end of the run (a
// lower bound).
func (ss *scalers) report(run *results.Run) {
	slo, ok := ss.slo()
	p99, errs, ended := run.SeriesNamed("p99"), run.SeriesNamed("errors"), run.SeriesNamed("throughput")
	if !ok || p99 == nil || errs == nil || ended == nil {
		return
	}
	bad := make([]float64, len(p99.Values))
	n := 0
	for i := range bad {
		avail := math.NaN()
		if ended.Values[i] > 0 {
			avail = 1 - errs.Values[i]/ended.Values[i]
		}
		if slo.Breaks(p99.Values[i], avail) {
			bad[i] = 1
			n++
		}
	}
	step := p99.Step
	run.Series = append(run.Series, results.Series{Name: "slo_violated", Unit: "share of seeds", Step: step, Values: bad})
	run.Metrics["slo_violation_minutes"] = float64(n) * step / 60
	if len(ss.e.sc.Faults) == 0 {
		return
	}
	start := ss.e.phases.During.Start
	recovered := start.Seconds()
	for i, b := range bad {
		if end := float64(i+1) * step; b == 1 && end > start.Seconds() {
			recovered = end
		}
	}
	run.Metrics["time_to_recover_s"] = recovered - start.Seconds()
}

// slo returns the first SLO an autoscaled service sets.
func (ss *scalers) slo() (service.SLO, bool) {
	for _, s := range ss.list {
		if s.cfg.SLO.Set() {
			return s.cfg.SLO, true
		}
	}
	return service.SLO{}, false
}
