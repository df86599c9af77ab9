package reports

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/faultline-sim/faultline/results"
)

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// variantNames returns the variants' names in report order.
func variantNames(r *results.Report) []string {
	out := make([]string, len(r.Variants))
	for i, v := range r.Variants {
		out[i] = v.Variant
	}
	return out
}

// focusPhase is the phase a reader cares about first: during the faults
// if there were any, else the whole run.
func focusPhase(r *results.Report) results.Phase {
	if len(r.Faults) > 0 {
		return results.During
	}
	return results.All
}

// statOf returns metric in phase p for v if it was measured on at least one
// seed and is a number; model metrics exist for phase All only, so they are
// looked up there whatever p is.
func statOf(v *results.VariantSummary, metric string, p results.Phase) (results.Stat, bool) {
	s, ok := v.Stat(metric, p)
	if !ok {
		s, ok = v.Stat(metric, results.All)
	}
	if !ok || s.N == 0 || !finite(s.Mean) {
		return results.Stat{}, false
	}
	if !finite(s.Lo) || !finite(s.Hi) {
		s.Lo, s.Hi = s.Mean, s.Mean
	}
	return s, true
}

// isFraction reports whether metric is a fraction shown as a percentage.
func isFraction(metric string) bool { return results.IsRatio(metric) }

// scaleOf is the factor from the schema's unit to the unit shown.
func scaleOf(metric string) float64 {
	if isFraction(metric) {
		return 100
	}
	return 1
}

// unitOf is the unit a metric is shown in.
func unitOf(metric string) string {
	if isFraction(metric) {
		return "%"
	}
	return results.MetricUnit(metric)
}

// betterOf is +1 if a higher value of metric is better, -1 if lower is,
// and 0 if neither the schema nor the metric's name says.
func betterOf(metric string) int {
	switch metric {
	case "availability", "goodput", "ok", "linearizable":
		return 1
	case "error_rate", "errors", "timeouts", "rejected", "shed", "fast_failures",
		"p50", "p95", "p99", "max", "mean", "p50_all", "p95_all", "p99_all", "max_all", "mean_all":
		return -1
	case "instance_seconds", "cost", "slo_violation_minutes", "time_to_recover_s", "scaling_direction_changes":
		return -1 // the autoscaling metrics: cost, SLO breaks, oscillation
	}
	for _, w := range []string{"availability", "linearizable", "goodput"} {
		if strings.HasPrefix(metric, w) {
			return 1
		}
	}
	for _, w := range []string{"stale", "lost", "violation", "failover", "_ms", "p99", "duplicate", "orphan", "convergence", "error", "cost"} {
		if strings.Contains(metric, w) {
			return -1
		}
	}
	return 0
}

func phaseName(p results.Phase) string {
	switch p {
	case results.All:
		return "whole run"
	case results.Before:
		return "before faults"
	case results.During:
		return "during faults"
	case results.After:
		return "after faults"
	}
	return string(p)
}

// phasePhrase is how a phase reads after a metric's name.
func phasePhrase(p results.Phase) string {
	switch p {
	case results.All:
		return "over the whole run"
	case results.Before, results.During, results.After:
		return string(p) + " the faults"
	}
	return "in phase " + string(p)
}

// axisLabel is e.g. "availability during the faults (%)"; a latency says
// whose it is: "p99 of successful requests during the faults (ms)".
func axisLabel(metric string, p results.Phase) string {
	s := metric + " " + phasePhrase(p)
	switch metric {
	case "p50", "p95", "p99", "max", "mean":
		s = metric + " of successful requests " + phasePhrase(p)
	case "p50_all", "p95_all", "p99_all", "max_all", "mean_all":
		s = strings.TrimSuffix(metric, "_all") + " of all requests " + phasePhrase(p)
	}
	if u := unitOf(metric); u != "" {
		s += " (" + u + ")"
	}
	return s
}

// withUnit is s followed by the unit, e.g. "p99 (ms)"; just s if none.
func withUnit(s, unit string) string {
	if unit == "" {
		return s
	}
	return s + " (" + unit + ")"
}

// fmtNum prints x with three significant digits and no trailing zeros
// (one rule for every number of the report: 7 ms, 7.25 ms, 16 ms, 0.125),
// never in exponent form for the magnitudes reports show.
func fmtNum(x float64) string {
	a := math.Abs(x)
	switch {
	case !finite(x):
		return "n/a"
	case a >= 100 || x == math.Trunc(x) && a < 1e15:
		return strconv.FormatFloat(math.Round(x), 'f', 0, 64)
	}
	d := 2 - int(math.Floor(math.Log10(a))) // three significant digits
	s := strconv.FormatFloat(x, 'f', d, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	if s == "-0" {
		s = "0"
	}
	return s
}

// pctDecimals is how many decimals a percentage v needs so that a value
// short of 100% never prints as 100%, and a whole one prints bare.
func pctDecimals(v float64) int {
	switch {
	case math.Abs(v-math.Round(v)) < 1e-9:
		return 0
	case v > 99.9 && v < 100:
		return 3
	case v > 99 && v < 100:
		return 2
	}
	return 1
}

func fmtPctD(x float64, d int) string {
	if !finite(x) {
		return "n/a"
	}
	return strconv.FormatFloat(x*100, 'f', d, 64) + "%"
}

// fmtPct prints a fraction as a percentage: "71.2%", "99.95%", "100%".
func fmtPct(x float64) string {
	d := pctDecimals(x * 100)
	s := fmtPctD(x, d)
	if d == 3 {
		s = strings.TrimRight(strings.TrimSuffix(s, "%"), "0") + "%"
	}
	return s
}

// fmtBare is a value of metric in its shown unit, without the unit, for
// labels set side by side: percentages always keep a decimal.
func fmtBare(metric string, x float64) string {
	if isFraction(metric) {
		return strings.TrimSuffix(fmtPctD(x, max(1, pctDecimals(x*100))), "%")
	}
	return fmtNum(x)
}

// fmtValue is a value of metric with its unit, e.g. "71.2%" or "812 ms".
func fmtValue(metric string, x float64) string {
	if isFraction(metric) {
		return fmtPct(x)
	}
	if u := results.MetricUnit(metric); u != "" && finite(x) {
		return fmtNum(x) + " " + u
	}
	return fmtNum(x)
}

// fmtRange is a confidence interval, e.g. "70.1–72.3%" or "790–834 ms";
// both ends of a percentage get the same decimals.
func fmtRange(metric string, lo, hi float64) string {
	if isFraction(metric) && finite(lo) && finite(hi) {
		d := max(pctDecimals(lo*100), pctDecimals(hi*100), 1)
		return strings.TrimSuffix(fmtPctD(lo, d), "%") + "–" + fmtPctD(hi, d)
	}
	return fmtBare(metric, lo) + "–" + fmtValue(metric, hi)
}

// fewSeeds is the number of seeds below which a report shows the seeds'
// range (min–max) rather than a 95% t-interval: with three seeds, the
// t-interval is the mean ± 2.5 standard deviations and often spans zero.
const fewSeeds = 10

// interval is the spread a report shows around s's mean: the range over
// the seeds when there are few of them, else the 95% confidence interval.
func interval(s results.Stat) (lo, hi float64) {
	if s.N < fewSeeds && finite(s.Min) && finite(s.Max) && s.Min <= s.Mean && s.Mean <= s.Max {
		return s.Min, s.Max
	}
	return s.Lo, s.Hi
}

// intervalName says what interval shows for n seeds.
func intervalName(n int) string {
	switch {
	case n <= 1:
		return "no interval with one seed"
	case n < fewSeeds:
		return fmt.Sprintf("the range over the %d seeds (min–max)", n)
	}
	return fmt.Sprintf("the 95%% confidence interval over the %d seeds", n)
}

// intervalShort is intervalName in a few words, for labels.
func intervalShort(n int) string {
	if n < fewSeeds {
		return "seeds' range"
	}
	return "95% CI"
}

// meanCI prints s's mean and its interval ("" when there is none worth
// showing: a single seed, or bounds that print the same). A percentage's
// mean gets as many decimals as its bounds, so "98.90% (98.69–99.19%)"
// never reads as a mean outside its interval.
func meanCI(metric string, s results.Stat) (mean, ci string) {
	mean = fmtValue(metric, s.Mean)
	lo, hi := interval(s)
	if s.N < 2 || !(hi > lo) || fmtBare(metric, lo) == fmtBare(metric, hi) {
		return mean, ""
	}
	if isFraction(metric) && finite(s.Mean) {
		mean = fmtPctD(s.Mean, max(pctDecimals(s.Mean*100), pctDecimals(lo*100), pctDecimals(hi*100), 1))
	}
	return mean, fmtRange(metric, lo, hi)
}

// fmtStat is a mean with its interval, e.g. "71.2% (seeds 70.1–72.3%)".
func fmtStat(metric string, s results.Stat) string {
	mean, ci := meanCI(metric, s)
	if ci != "" {
		return mean + " (" + intervalWord(s.N) + " " + ci + ")"
	}
	return mean
}

// intervalWord names an interval before its bounds.
func intervalWord(n int) string {
	if n < fewSeeds {
		return "seeds"
	}
	return "95% CI"
}
