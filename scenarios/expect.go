package scenarios

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/faultline-sim/faultline/results"

	"go.yaml.in/yaml/v3"
)

// Expectation is a hypothesis about the results, checked on the mean over
// seeds: "p99 < 800ms", "availability >= 99% during", "stale_reads == 0".
// Written as a string it applies to every variant; as a mapping it may name
// one variant.
type Expectation struct {
	Variant string `yaml:"variant"`
	Check   string `yaml:"check"`
}

// UnmarshalYAML accepts "p99 < 800ms" or {variant: cp, check: "p99 < 800ms"}.
func (e *Expectation) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		e.Check = n.Value
		return nil
	}
	type plain Expectation
	var p plain
	if n.Kind != yaml.MappingNode {
		return errors.New("an expectation is a string or {variant, check}")
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := n.Content[i].Value; k != "variant" && k != "check" {
			return fmt.Errorf("expectation field %q unknown (known: check, variant)", k)
		}
	}
	if err := n.Decode(&p); err != nil {
		return err
	}
	*e = Expectation(p)
	return nil
}

// Hypothesis is a parsed expectation.
type Hypothesis struct {
	Metric string
	Op     string  // <, <=, >, >=, ==, != on the mean; ~= and within on the confidence interval
	Value  float64 // in the metric's unit (ms for latencies, a fraction for ratios)
	// Tol is the half-width of a within band, in the metric's unit.
	Tol   float64
	Phase results.Phase
}

// The confidence-interval forms, for validation scenarios that hold a
// model to a formula:
//
//	mean ~= 50ms                  the 95% interval over seeds contains 50 ms
//	mean within 50ms ± 2%         the interval lies inside [49 ms, 51 ms]
//	availability within 0.9 +- 0.01
//
// A relative tolerance (%) is a share of the value; an absolute one has the
// value's unit. Both need at least two seeds: one seed has no interval.
const (
	opContains = "~="
	opWithin   = "within"
)

var ciRE = regexp.MustCompile(`^\s*([a-z_][a-z0-9_]*)\s*(~=|within)\s*` + number + `\s*` + unit + `(?:\s*(?:±|\+-|\+/-)\s*` + number + `\s*` + unit + `)?\s*` + phase + `\s*$`)

const (
	number = `([-+]?[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)`
	unit   = `(ns|us|µs|ms|s|m|%)?`
	phase  = `(?:(during|before|after)(?:\s+(?:the\s+)?faults?)?)?`
)

var hypRE = regexp.MustCompile(`^\s*([a-z_][a-z0-9_]*)\s*(<=|>=|==|!=|<|>)\s*([-+]?[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*(ns|us|µs|ms|s|m|%)?\s*(?:(during|before|after)(?:\s+(?:the\s+)?faults?)?)?\s*$`)

var unitMs = map[string]float64{"ns": 1e-6, "us": 1e-3, "µs": 1e-3, "ms": 1, "s": 1e3, "m": 60e3}

// ParseHypothesis parses "metric op value[unit] [during|before|after]",
// or one of the confidence-interval forms "metric ~= value[unit] [phase]"
// and "metric within value[unit] ± tol[unit|%] [phase]".
func ParseHypothesis(s string) (Hypothesis, error) {
	if m := ciRE.FindStringSubmatch(s); m != nil {
		return parseCI(s, m)
	}
	m := hypRE.FindStringSubmatch(s)
	if m == nil {
		return Hypothesis{}, fmt.Errorf("must read `metric op value [during|before|after]` (op one of < <= > >= == !=), e.g. `p99 < 800ms during` or `availability >= 0.99`, or `metric ~= value` or `metric within value ± tolerance` on the confidence interval, e.g. `mean within 50ms ± 2%%`; got %q", s)
	}
	v, _ := strconv.ParseFloat(m[3], 64)
	h := Hypothesis{Metric: m[1], Op: m[2], Phase: results.All}
	if m[5] != "" {
		h.Phase = results.Phase(m[5])
	}
	var err error
	h.Value, err = inUnit(h.Metric, v, m[4], s)
	return h, err
}

// inUnit converts v written with unit into metric's own unit.
func inUnit(metric string, v float64, unit, s string) (float64, error) {
	isTime := results.MetricUnit(metric) == "ms"
	switch {
	case isTime && unit == "":
		return v, fmt.Errorf("%s is a latency: give the value a unit, e.g. 800ms, got %q", metric, s)
	case isTime && unit == "%":
		return v, fmt.Errorf("%s is a latency: %% does not apply, got %q", metric, s)
	case isTime:
		return v * unitMs[unit], nil
	case unit == "%":
		return v / 100, nil
	case unit != "":
		return v, fmt.Errorf("%s is not a latency: the unit %q does not apply, got %q", metric, unit, s)
	}
	return v, nil
}

// parseCI parses the confidence-interval forms matched by ciRE: m holds
// the metric, the op, the value and its unit, the tolerance and its unit,
// and the phase.
func parseCI(s string, m []string) (Hypothesis, error) {
	h := Hypothesis{Metric: m[1], Op: m[2], Phase: results.All}
	if m[7] != "" {
		h.Phase = results.Phase(m[7])
	}
	v, _ := strconv.ParseFloat(m[3], 64)
	var err error
	if h.Value, err = inUnit(h.Metric, v, m[4], s); err != nil {
		return h, err
	}
	switch {
	case h.Op == opContains && m[5] != "":
		return h, fmt.Errorf("~= takes no tolerance (it asks whether the confidence interval contains the value); for a band write `%s within %s%s ± %s%s`, got %q", h.Metric, m[3], m[4], m[5], m[6], s)
	case h.Op == opWithin && m[5] == "":
		return h, fmt.Errorf("within needs a tolerance, e.g. `%s within %s%s ± 2%%`, got %q", h.Metric, m[3], m[4], s)
	case h.Op == opContains:
		return h, nil
	}
	tol, _ := strconv.ParseFloat(m[5], 64)
	if m[6] == "%" {
		h.Tol = math.Abs(h.Value) * tol / 100
	} else if h.Tol, err = inUnit(h.Metric, tol, m[6], s); err != nil {
		return h, err
	}
	if !(h.Tol >= 0) || math.IsInf(h.Tol, 0) {
		return h, fmt.Errorf("the tolerance must be a finite number >= 0, got %q", s)
	}
	return h, nil
}

func (h Hypothesis) holds(got float64) bool {
	switch h.Op {
	case "<":
		return got < h.Value
	case "<=":
		return got <= h.Value
	case ">":
		return got > h.Value
	case ">=":
		return got >= h.Value
	case "==":
		return got == h.Value
	}
	return got != h.Value
}

// judge evaluates h on one variant's aggregate.
func (h Hypothesis) judge(expr string, v *results.VariantSummary) results.Verdict {
	out := results.Verdict{Variant: v.Variant, Expr: strings.TrimSpace(expr), Metric: h.Metric, Phase: h.Phase, Op: h.Op, Want: h.Value}
	st, ok := v.Stat(h.Metric, h.Phase)
	switch {
	case !ok:
		out.Reason = fmt.Sprintf("no metric %q in phase %s for this variant", h.Metric, h.Phase)
		return out
	case h.Phase != results.All && phaseEmpty(v, h.Phase):
		out.Reason = fmt.Sprintf("no requests started in phase %s, so it cannot be judged", h.Phase)
		return out
	case math.IsNaN(st.Mean):
		out.Reason = "the metric is undefined (NaN)"
		return out
	}
	out.Got, out.Lo, out.Hi = st.Mean, st.Lo, st.Hi
	switch h.Op {
	case opContains, opWithin:
		if len(v.Seeds) < 2 {
			out.Reason = "a confidence interval needs at least 2 seeds (-seeds 2 or more)"
			return out
		}
		if h.Op == opContains {
			out.Pass = st.Lo <= h.Value && h.Value <= st.Hi
		} else {
			out.Pass = h.Value-h.Tol <= st.Lo && st.Hi <= h.Value+h.Tol
		}
		return out
	}
	out.Pass = h.holds(st.Mean)
	return out
}

func phaseEmpty(v *results.VariantSummary, p results.Phase) bool {
	st, ok := v.Stat("requests", p)
	return !ok || st.Max == 0
}
