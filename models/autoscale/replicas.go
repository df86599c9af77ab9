package autoscale

import (
	"fmt"
	"math"
	"time"

	"github.com/faultline-sim/faultline/sim"
)

// MetricType says how a MetricSample's values and target are read.
type MetricType string

const (
	// Utilization values are percentages of each pod's request (a
	// Resource metric with target.type Utilization). All pods are assumed
	// to request the same amount, so the utilisation of the set is the
	// mean of the pods' percentages, truncated to a whole percent as the
	// controller does.
	Utilization MetricType = "Utilization"
	// AverageValue values are raw per-pod values (a Pods metric, or a
	// Resource metric with target.type AverageValue).
	AverageValue MetricType = "AverageValue"
)

// CPU is the metric name for which pod readiness and start time matter:
// the controller sets aside unready pods only for the cpu resource.
const CPU = "cpu"

// PodMetric is one pod's scraped value and state.
type PodMetric struct {
	// Value is the pod's metric (a percentage of its request for
	// Utilization metrics).
	Value float64
	// Ready is the pod's Ready condition.
	Ready bool
	// Missing means no sample came back for this pod.
	Missing bool
	// Pending means the pod is not running yet (phase Pending): it is
	// set aside as not ready for every metric, sample or not.
	Pending bool
	// Started is when the pod started (status.startTime).
	Started sim.Time
	// ReadyChanged is when Ready last changed (the condition's
	// lastTransitionTime).
	ReadyChanged sim.Time
}

// MetricSample is what the caller scraped for one metric of the HPA's
// spec, at the time it passes to Reconcile.
type MetricSample struct {
	// Name identifies the metric in explanations; "cpu" also turns on the
	// readiness rules (see CPU).
	Name string
	// Type is Utilization (the default when empty) or AverageValue.
	Type MetricType
	// Target is the desired utilisation in percent, or the desired
	// average value per pod. Must be > 0.
	Target float64
	// Pods are the HPA's pods, one entry each.
	Pods []PodMetric
	// Window is the span over which each sample was averaged (the
	// metrics pipeline's window). During the cpu initialisation period a
	// pod's sample is distrusted unless a whole window has passed since
	// the pod became ready.
	Window time.Duration
}

// proposal is one metric's recommendation.
type proposal struct {
	replicas int
	why      string
}

// podGroups is the controller's grouping of the pods of one metric.
type podGroups struct {
	values  []float64 // samples of ready pods, the basis of the first ratio
	unready int       // pods set aside as not (yet) ready
	missing int       // pods without a sample
}

// group sorts the pods into ready-with-sample, unready and missing, in
// the controller's order: pending first, then missing, then (cpu only)
// readiness and initialisation.
func (h *HPA) group(now sim.Time, m MetricSample) podGroups {
	var g podGroups
	for _, p := range m.Pods {
		switch {
		case p.Pending:
			g.unready++
		case p.Missing:
			g.missing++
		case m.Name == CPU && h.unready(now, p, m.Window):
			g.unready++
		default:
			g.values = append(g.values, p.Value)
		}
	}
	return g
}

// unready reports whether a cpu sample must be set aside: during the
// initialisation period, unless the pod is ready and has been for a
// whole metric window; after it, only if the pod is not ready and has
// never been (its readiness last changed within the initial delay).
func (h *HPA) unready(now sim.Time, p PodMetric, window time.Duration) bool {
	if p.Started.Add(h.cfg.CPUInitializationPeriod) > now {
		return !p.Ready || now < p.ReadyChanged.Add(window)
	}
	return !p.Ready && p.Started.Add(h.cfg.InitialReadinessDelay) > p.ReadyChanged
}

// usage returns the metric of a set of values as the controller computes
// it: a whole percent for utilisation, the mean for average values.
func usage(t MetricType, values []float64) float64 {
	var sum float64
	for _, v := range values {
		sum += v
	}
	mean := sum / float64(len(values))
	if t == Utilization {
		return math.Floor(mean + 1e-9) // int32(total*100/requests) in the controller
	}
	return mean
}

// replicasFor is the replica calculator for one metric: the ratio of the
// ready pods' usage to the target, then, if pods were set aside, the
// documented conservative recomputation.
func (h *HPA) replicasFor(now sim.Time, current int, m MetricSample) (proposal, error) {
	if len(m.Pods) == 0 {
		return proposal{}, fmt.Errorf("metric %q: no pods", m.Name)
	}
	g := h.group(now, m)
	if len(g.values) == 0 {
		return proposal{}, fmt.Errorf("metric %q: no metrics for any ready pod", m.Name)
	}
	tol := *h.cfg.Tolerance
	u := usage(m.Type, g.values)
	ratio := u / m.Target
	rebalance := g.unready > 0 && ratio > 1
	if !rebalance && g.missing == 0 {
		if math.Abs(1-ratio) <= tol {
			return proposal{current, fmt.Sprintf("%s %g of %g, ratio %.3f within tolerance %g", m.Name, u, m.Target, ratio, tol)}, nil
		}
		n := ceilInt(ratio * float64(len(g.values)))
		return proposal{n, fmt.Sprintf("%s %g of %g, ratio %.3f over %d ready pods", m.Name, u, m.Target, ratio, len(g.values))}, nil
	}
	values := g.values
	if v, ok := missingValue(m, ratio); ok && g.missing > 0 {
		values = appendN(values, g.missing, v)
	}
	if rebalance {
		values = appendN(values, g.unready, 0)
	}
	u2 := usage(m.Type, values)
	ratio2 := u2 / m.Target
	why := fmt.Sprintf("%s %g of %g (ratio %.3f), recomputed with %d missing and %d unready pods: %g (ratio %.3f)",
		m.Name, u, m.Target, ratio, g.missing, boolInt(rebalance)*g.unready, u2, ratio2)
	switch {
	case math.Abs(1-ratio2) <= tol:
		return proposal{current, why + ", within tolerance"}, nil
	case (ratio < 1 && ratio2 > 1) || (ratio > 1 && ratio2 < 1):
		return proposal{current, why + ", which would reverse the direction: no change"}, nil
	}
	n := ceilInt(ratio2 * float64(len(values)))
	if (ratio2 < 1 && n > current) || (ratio2 > 1 && n < current) {
		return proposal{current, why + fmt.Sprintf(", %d pods would reverse the direction: no change", n)}, nil
	}
	return proposal{n, why + fmt.Sprintf(" over %d pods", len(values))}, nil
}

// missingValue is what a pod without a sample is assumed to use: nothing
// on a scale-up; on a scale-down the target itself for average values,
// and max(100%, target) of its request for utilisation (kubernetes PR
// #112178, for targets above 100%). At a ratio of exactly 1 the
// controller leaves missing pods out of utilisation metrics (ok false)
// but counts them as 0 for average values.
func missingValue(m MetricSample, ratio float64) (v float64, ok bool) {
	switch {
	case ratio < 1 && m.Type == Utilization:
		return max(100, m.Target), true
	case ratio < 1:
		return m.Target, true
	case ratio == 1 && m.Type == Utilization:
		return 0, false
	default:
		return 0, true
	}
}

func appendN(s []float64, n int, v float64) []float64 {
	out := make([]float64, len(s), len(s)+n)
	copy(out, s)
	for range n {
		out = append(out, v)
	}
	return out
}

func ceilInt(x float64) int { return int(math.Ceil(x)) }

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
