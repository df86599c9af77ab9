package autoscale

import (
	"fmt"
	"strings"

	"github.com/faultline-sim/faultline/sim"
)

// HPA is the Kubernetes Horizontal Pod Autoscaler's control loop for one
// target, as a state machine: it remembers its past recommendations (for
// stabilisation) and the scaling it decided (for the rate limits), and
// nothing else. The caller applies the replica count Reconcile returns.
type HPA struct {
	cfg   HPAConfig
	recs  []stamped // unstabilised recommendations, oldest first
	ups   []stamped // scale-up events: replicas added
	downs []stamped // scale-down events: replicas removed
	seen  bool      // whether Reconcile has run (the initial recommendation)
}

// stamped is a replica count (or change) and when it was decided.
type stamped struct {
	n  int
	at sim.Time
}

// NewHPA returns an HPA with cfg's defaults filled in, or an error naming
// the first invalid field.
func NewHPA(cfg HPAConfig) (*HPA, error) {
	cfg.SetDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &HPA{cfg: cfg}, nil
}

// Config returns the configuration in use, defaults filled in.
func (h *HPA) Config() HPAConfig { return h.cfg }

// Reconcile is one sync of the controller at virtual time now, with the
// target's current replica count (its spec.replicas) and the samples of
// each metric. It returns the replica count to set and why, in words.
// Call it every SyncPeriod; a scaling decision is recorded as an event
// that later calls' rate limits count, so call it once per sync.
func (h *HPA) Reconcile(now sim.Time, current int, metrics []MetricSample) (desired int, why string) {
	if !h.seen {
		h.seen = true
		h.recs = append(h.recs, stamped{current, now})
	}
	desired, why = h.decide(now, current, metrics)
	if desired != current {
		h.recordScale(now, current, desired)
	}
	return desired, why
}

func (h *HPA) decide(now sim.Time, current int, metrics []MetricSample) (int, string) {
	switch {
	case current == 0:
		return 0, "scaling is disabled since the replica count of the target is zero"
	case current > h.cfg.MaxReplicas:
		return h.cfg.MaxReplicas, fmt.Sprintf("current %d above max_replicas: set to %d", current, h.cfg.MaxReplicas)
	case current < h.cfg.MinReplicas:
		return h.cfg.MinReplicas, fmt.Sprintf("current %d below min_replicas: set to %d", current, h.cfg.MinReplicas)
	}
	proposed, why, ok := h.proposeForMetrics(now, current, metrics)
	if !ok {
		return current, why
	}
	stabilised, swhy := h.stabilise(now, current, proposed)
	if swhy != "" {
		why += "; " + swhy
	}
	final, lwhy := h.limit(now, current, stabilised)
	if lwhy != "" {
		why += "; " + lwhy
	}
	return final, why
}

// proposeForMetrics takes the largest recommendation over the metrics.
// As in the controller, a metric that cannot be computed blocks a
// scale-down (ok false) but not a scale-up by the others.
func (h *HPA) proposeForMetrics(now sim.Time, current int, metrics []MetricSample) (int, string, bool) {
	if len(metrics) == 0 {
		return current, "no metrics: no change", false
	}
	best, whys, invalid := proposal{replicas: -1}, make([]string, 0, len(metrics)), 0
	for _, m := range metrics {
		if m.Type == "" {
			m.Type = Utilization
		}
		p, err := h.replicasFor(now, current, m)
		if err != nil {
			invalid++
			whys = append(whys, err.Error())
			continue
		}
		whys = append(whys, fmt.Sprintf("%s → %d", p.why, p.replicas))
		if p.replicas > best.replicas {
			best = p
		}
	}
	why := strings.Join(whys, "; ")
	if invalid == len(metrics) || (invalid > 0 && best.replicas < current) {
		return current, why + "; invalid metrics: no change", false
	}
	if len(metrics) > 1 {
		why += fmt.Sprintf("; largest: %d", best.replicas)
	}
	return best.replicas, why, true
}

// stabilise clamps the proposal between the lowest recommendation of the
// scale-up window and the highest of the scale-down window, starting from
// the current count, then remembers the proposal.
func (h *HPA) stabilise(now sim.Time, current, proposed int) (int, string) {
	up, down := h.cfg.Behavior.ScaleUp, h.cfg.Behavior.ScaleDown
	upCut, downCut := now.Add(-up.window()), now.Add(-down.window())
	upRec, downRec := proposed, proposed
	for _, r := range h.recs {
		if r.at > upCut {
			upRec = min(upRec, r.n)
		}
		if r.at > downCut {
			downRec = max(downRec, r.n)
		}
	}
	rec := min(max(current, upRec), downRec)
	keep := now.Add(-max(up.window(), down.window()))
	h.recs = prune(h.recs, keep)
	h.recs = append(h.recs, stamped{proposed, now})
	switch {
	case rec == proposed:
		return rec, ""
	case proposed < current:
		return rec, fmt.Sprintf("scale-down stabilised at %d: the highest recommendation of the last %v", rec, down.window())
	default:
		return rec, fmt.Sprintf("scale-up stabilised at %d: the lowest recommendation of the last %v", rec, up.window())
	}
}

// limit applies the rate limits of the direction of change and the
// replica bounds.
func (h *HPA) limit(now sim.Time, current, desired int) (int, string) {
	cfg := h.cfg
	switch {
	case desired > current:
		limit := max(h.scaleUpLimit(now, current), current)
		if cfg.MaxReplicas <= limit {
			if desired > cfg.MaxReplicas {
				return cfg.MaxReplicas, fmt.Sprintf("clamped to max_replicas %d", cfg.MaxReplicas)
			}
			return desired, ""
		}
		if desired > limit {
			return limit, fmt.Sprintf("limited by the scale_up policies (%s) to %d", cfg.Behavior.ScaleUp.SelectPolicy, limit)
		}
	case desired < current:
		limit := min(h.scaleDownLimit(now, current), current)
		if cfg.MinReplicas >= limit {
			if desired < cfg.MinReplicas {
				return cfg.MinReplicas, fmt.Sprintf("clamped to min_replicas %d", cfg.MinReplicas)
			}
			return desired, ""
		}
		if desired < limit {
			return limit, fmt.Sprintf("limited by the scale_down policies (%s) to %d", cfg.Behavior.ScaleDown.SelectPolicy, limit)
		}
	}
	return desired, ""
}

// periodStart is the replica count at the start of a policy's period:
// the current count less the changes decided within it.
func (h *HPA) periodStart(now sim.Time, current int, p ScalingPolicy) int {
	cut := now.Add(-secondsDuration(p.PeriodSeconds))
	return current - changesAfter(h.ups, cut) + changesAfter(h.downs, cut)
}

// scaleUpLimit is the highest count the scale-up policies allow (Max:
// the most permissive policy; Min: the least; Disabled: current).
func (h *HPA) scaleUpLimit(now sim.Time, current int) int {
	r := h.cfg.Behavior.ScaleUp
	if r.SelectPolicy == SelectDisabled {
		return current
	}
	result := 0
	for i, p := range r.Policies {
		start := h.periodStart(now, current, p)
		proposed := start + p.Value
		if p.Type == PolicyPercent {
			// Rounded up, or a small target could never grow.
			proposed = ceilInt(float64(start) * (1 + float64(p.Value)/100))
		}
		result = pick(r.SelectPolicy == SelectMin, i == 0, result, proposed, false)
	}
	return result
}

// scaleDownLimit is the lowest count the scale-down policies allow (Max:
// the largest change, so the lowest count; Min: the highest count).
func (h *HPA) scaleDownLimit(now sim.Time, current int) int {
	r := h.cfg.Behavior.ScaleDown
	if r.SelectPolicy == SelectDisabled {
		return current
	}
	result := 0
	for i, p := range r.Policies {
		start := h.periodStart(now, current, p)
		proposed := start - p.Value
		if p.Type == PolicyPercent {
			proposed = int(float64(start) * (1 - float64(p.Value)/100)) // truncated, as the controller does
		}
		result = pick(r.SelectPolicy == SelectMin, i == 0, result, proposed, true)
	}
	return result
}

// pick folds one policy's proposal into the result: the largest change
// for Max, the smallest for Min. down inverts "largest change".
func pick(minChange, first bool, result, proposed int, down bool) int {
	if first {
		return proposed
	}
	if minChange != down { // Min on scale-up, Max on scale-down: the lower count
		return min(result, proposed)
	}
	return max(result, proposed)
}

// recordScale remembers a decided change for the rate limits, forgetting
// events older than the direction's longest policy period.
func (h *HPA) recordScale(now sim.Time, from, to int) {
	if to > from {
		h.ups = prune(h.ups, now.Add(-h.cfg.Behavior.ScaleUp.longestPeriod()))
		h.ups = append(h.ups, stamped{to - from, now})
		return
	}
	h.downs = prune(h.downs, now.Add(-h.cfg.Behavior.ScaleDown.longestPeriod()))
	h.downs = append(h.downs, stamped{from - to, now})
}

// changesAfter sums the changes strictly after cut.
func changesAfter(events []stamped, cut sim.Time) int {
	n := 0
	for _, e := range events {
		if e.at > cut {
			n += e.n
		}
	}
	return n
}

// prune drops the entries at or before cut, which no window can see.
func prune(s []stamped, cut sim.Time) []stamped {
	i := 0
	for i < len(s) && s[i].at <= cut {
		i++
	}
	return s[i:]
}
