package scenarios

import (
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
		return fmt.Errorf("line %d: an expectation is a string or {variant, check}", n.Line)
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := n.Content[i].Value; k != "variant" && k != "check" {
			return fmt.Errorf("line %d: expectation field %q unknown (known: check, variant)", n.Content[i].Line, k)
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
	Op     string
	Value  float64 // in the metric's unit (ms for latencies, a fraction for ratios)
	Phase  results.Phase
}

var hypRE = regexp.MustCompile(`^\s*([a-z_][a-z0-9_]*)\s*(<=|>=|==|!=|<|>)\s*([-+]?[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*(ns|us|µs|ms|s|m|%)?\s*(?:(during|before|after)(?:\s+(?:the\s+)?faults?)?)?\s*$`)

var unitMs = map[string]float64{"ns": 1e-6, "us": 1e-3, "µs": 1e-3, "ms": 1, "s": 1e3, "m": 60e3}

// ParseHypothesis parses "metric op value[unit] [during|before|after]".
func ParseHypothesis(s string) (Hypothesis, error) {
	m := hypRE.FindStringSubmatch(s)
	if m == nil {
		return Hypothesis{}, fmt.Errorf("must read `metric op value [during|before|after]`, e.g. `p99 < 800ms during` or `availability >= 0.99`, got %q", s)
	}
	v, _ := strconv.ParseFloat(m[3], 64)
	h := Hypothesis{Metric: m[1], Op: m[2], Value: v, Phase: results.All}
	if m[5] != "" {
		h.Phase = results.Phase(m[5])
	}
	unit := m[4]
	isTime := results.MetricUnit(h.Metric) == "ms"
	switch {
	case isTime && unit == "":
		return h, fmt.Errorf("%s is a latency: give the value a unit, e.g. 800ms, got %q", h.Metric, s)
	case isTime && unit == "%":
		return h, fmt.Errorf("%s is a latency: %% does not apply, got %q", h.Metric, s)
	case isTime:
		h.Value *= unitMs[unit]
	case unit == "%":
		h.Value /= 100
	case unit != "":
		return h, fmt.Errorf("%s is not a latency: the unit %q does not apply, got %q", h.Metric, unit, s)
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
	out.Pass = h.holds(st.Mean)
	return out
}

func phaseEmpty(v *results.VariantSummary, p results.Phase) bool {
	st, ok := v.Stat("requests", p)
	return !ok || st.Max == 0
}
