package reports

import (
	"fmt"
	"math"

	"github.com/faultline-sim/faultline/results"
)

// The synthetic reports below stand in for an engine's output: numbers
// shaped like a partition scenario (a clear dip during the fault), built
// without randomness so every run of the tests sees the same report.

const (
	fixDuration = 60.0
	fixStart    = 20.0 // partition
	fixEnd      = 35.0
	slowStart   = 40.0 // latency fault
	slowEnd     = 45.0
)

// wobble is deterministic noise in [-1, 1] for seed and t.
func wobble(seed uint64, t float64) float64 {
	return math.Sin(float64(seed)*12.9898 + t*78.233)
}

// profile is how a variant behaves: availability and p99 in and out of
// the partition.
type profile struct {
	name               string
	availOK, availBad  float64
	p99OK, p99Bad      float64 // ms
	slowP99            float64 // ms, during the latency fault
	breaker, staleRead bool
}

var fixProfiles = []profile{
	{name: "cp", availOK: 0.999, availBad: 0.31, p99OK: 42, p99Bad: 1000, slowP99: 260},
	{name: "ap", availOK: 0.999, availBad: 0.985, p99OK: 40, p99Bad: 95, slowP99: 250, staleRead: true},
	{name: "ap+breaker", availOK: 0.998, availBad: 0.62, p99OK: 41, p99Bad: 35, slowP99: 240, breaker: true, staleRead: true},
}

func (p profile) at(t float64, seed uint64) (avail, p99 float64) {
	n := wobble(seed, t)
	switch {
	case t >= fixStart && t < fixEnd:
		return math.Min(1, p.availBad+0.01*n), p.p99Bad * (1 + 0.05*n)
	case t >= slowStart && t < slowEnd:
		return p.availOK, p.slowP99 * (1 + 0.05*n)
	case t >= fixEnd && t < fixEnd+3: // recovery
		return (p.availOK + p.availBad) / 2, (p.p99OK + p.p99Bad) / 2
	}
	return math.Min(1, p.availOK+0.0005*n), p.p99OK * (1 + 0.05*n)
}

// cdfQs are the quantiles a recorder keeps.
func cdfQs() []float64 {
	var qs []float64
	for i := 0; i < 90; i += 2 {
		qs = append(qs, float64(i)/100)
	}
	for i := 900; i < 990; i += 5 {
		qs = append(qs, float64(i)/1000)
	}
	for i := 990; i < 1000; i++ {
		qs = append(qs, float64(i)/1000)
	}
	return append(qs, 0.9995, 0.9999, 1)
}

func phaseOf(t float64) results.Phase {
	switch {
	case t < fixStart:
		return results.Before
	case t < slowEnd:
		return results.During
	}
	return results.After
}

func fixRun(p profile, seed uint64) results.Run {
	n := int(fixDuration)
	offered, thr, good, errs, p99 := make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
	queue := make([]float64, n)
	breaker := make([]float64, n)
	sums := map[results.Phase]*results.Summary{}
	for _, ph := range results.Phases() {
		sums[ph] = &results.Summary{Phase: ph}
	}
	for i := range n {
		t := float64(i)
		a, l := p.at(t, seed)
		offered[i] = math.Round(100 + 3*wobble(seed+7, t))
		thr[i] = offered[i]
		good[i] = math.Round(offered[i] * a)
		errs[i] = thr[i] - good[i]
		p99[i] = l
		queue[i] = math.Max(0, l/20+wobble(seed+3, t))
		if p.breaker && t >= fixStart+2 && t < fixEnd {
			breaker[i] = 2
		}
		for _, ph := range []results.Phase{results.All, phaseOf(t)} {
			s := sums[ph]
			s.Seconds++
			s.Requests += int64(offered[i])
			s.OK += int64(good[i])
			s.Errors += int64(errs[i] / 2)
			s.Timeouts += int64(errs[i]) - int64(errs[i]/2)
			s.Latency.P99 = math.Max(s.Latency.P99, l)
		}
	}
	run := results.Run{
		Engine: "sim", Variant: p.name, Seed: seed,
		TraceHash: fmt.Sprintf("%016x", uint64(len(p.name))*0x9E3779B97F4A7C15^seed), Events: 1_000_000 + seed*17,
		Series: []results.Series{
			{Name: "offered", Unit: "req/s", Step: 1, Values: offered},
			{Name: "throughput", Unit: "req/s", Step: 1, Values: thr},
			{Name: "goodput", Unit: "req/s", Step: 1, Values: good},
			{Name: "errors", Unit: "req/s", Step: 1, Values: errs},
			{Name: "p99", Unit: "ms", Step: 1, Values: p99},
			{Name: "queue_depth", Unit: "", Step: 1, Values: queue},
		},
	}
	if p.breaker {
		run.Series = append(run.Series, results.Series{Name: "breaker_state", Unit: "", Step: 1, Values: breaker})
	}
	if p.staleRead {
		run.Metrics = map[string]float64{"stale_reads": 120 + 10*float64(seed)}
	}
	for _, ph := range results.Phases() {
		s := *sums[ph]
		s.Availability = 1
		if s.Requests > 0 {
			s.Availability = float64(s.OK) / float64(s.Requests)
		}
		s.ErrorRate = 1 - s.Availability
		if s.Seconds > 0 {
			s.Goodput, s.Throughput = float64(s.OK)/s.Seconds, float64(s.Requests)/s.Seconds
		}
		s.Latency.P50 = p.p99OK / 3
		s.Latency.P95 = s.Latency.P99 * 0.6
		s.Latency.Max = s.Latency.P99 * 1.3
		s.Latency.Mean = p.p99OK / 2.5
		run.Phases = append(run.Phases, s)
	}
	for _, q := range cdfQs() {
		tail := math.Min(-math.Log10(1-math.Min(q, 0.99999)), 5)
		ms := p.p99OK / 4 * math.Pow(10, tail/2.2) * math.Pow(p.p99Bad/p.p99OK, math.Max(0, tail-1.3)/3.7) * (1 + 0.01*wobble(seed, q))
		run.CDF = append(run.CDF, results.Quantile{Q: q, Ms: math.Round(ms*100) / 100})
	}
	return run
}

func fixVerdict(v results.VariantSummary, expr, metric, op string, want float64) results.Verdict {
	s, _ := v.Stat(metric, results.During)
	pass := s.Mean < want
	if op == ">=" {
		pass = s.Mean >= want
	}
	return results.Verdict{Variant: v.Variant, Expr: expr, Metric: metric, Phase: results.During, Op: op, Want: want, Got: s.Mean, Lo: s.Lo, Hi: s.Hi, Pass: pass}
}

// partitionReport is three variants on two seeds each through a partition
// and a latency fault, with a failing and two passing hypotheses.
func partitionReport() *results.Report {
	r := &results.Report{
		Scenario:    "partition",
		Description: "A store behind an API loses one replica to a partition. Does the CP store or the AP store keep serving, and at what latency?",
		Source:      "name: partition\nload: {rate: 100/s}\nfaults:\n  - partition: {between: [db-1, rest], at: 20s, for: 15s}\n  - latency: {link: api->db-2, add: 200ms, at: 40s, for: 5s}\nexpect:\n  - availability >= 99% during\n  - p99 < 800ms during  # <&> escaped?\n",
		Duration:    fixDuration, Interval: 1, Seeds: []uint64{1, 2}, Version: "v0.1.0-test",
		Faults: []results.FaultWindow{
			{Type: "partition", Label: "partition db-1 | rest (black-hole)", Start: fixStart, End: fixEnd},
			{Type: "latency", Label: "latency +200ms api->db-2", Start: slowStart, End: slowEnd},
		},
	}
	for _, p := range fixProfiles {
		runs := []results.Run{fixRun(p, 1), fixRun(p, 2)}
		r.Runs = append(r.Runs, runs...)
		r.Variants = append(r.Variants, results.Aggregate(runs))
	}
	r.Verdicts = []results.Verdict{
		fixVerdict(r.Variants[0], "availability >= 99% during", "availability", ">=", 0.99),
		fixVerdict(r.Variants[1], "p99 < 800ms during", "p99", "<", 800),
		fixVerdict(r.Variants[2], "availability >= 50% during", "availability", ">=", 0.5),
	}
	return r
}

// sweepReport is a 3×3 sweep of timeout and retries, two seeds a cell;
// with oneParam, a sweep of timeout alone.
func sweepReport(oneParam bool) *results.Report {
	r := &results.Report{Scenario: "retry-storm", Description: "Timeouts and retries against an overloaded dependency.", Duration: fixDuration, Interval: 1, Seeds: []uint64{1, 2}, Version: "v0.1.0-test",
		Faults: []results.FaultWindow{{Type: "latency", Label: "dependency slows down", Start: fixStart, End: slowEnd}}}
	sw := &results.Sweep{Params: []string{"timeout_ms", "retries"}}
	retries := []float64{0, 1, 2}
	if oneParam {
		sw.Params, retries = sw.Params[:1], []float64{0}
	}
	for _, rt := range retries {
		for _, to := range []float64{100, 250, 500} {
			name := fmt.Sprintf("t%.0f-r%.0f", to, rt)
			var runs []results.Run
			for _, seed := range []uint64{1, 2} {
				p := profile{name: name, availOK: 0.999, availBad: math.Min(0.999, 0.5+to/1500+0.12*rt-0.05*rt*rt), p99OK: 30, p99Bad: to * (1 + rt) * 0.9, slowP99: to * (1 + rt) * 0.9}
				run := fixRun(p, seed)
				run.Series = run.Series[:5]
				runs = append(runs, run)
			}
			r.Runs = append(r.Runs, runs...)
			r.Variants = append(r.Variants, results.Aggregate(runs))
			vals := []float64{to, rt}
			if oneParam {
				vals = vals[:1]
			}
			sw.Points = append(sw.Points, results.SweepPoint{Values: vals, Variant: name})
		}
	}
	r.Sweep = sw
	r.Compare = []string{"during.availability", "p99"}
	return r
}
