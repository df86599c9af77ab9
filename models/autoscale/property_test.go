package autoscale

import (
	"math"
	"testing"
	"time"

	"github.com/faultline-sim/faultline/sim"

	"pgregory.net/rapid"
)

// TestHPAProperties: whatever the metrics, with the default behavior and
// a sync every 15 s, the result stays within [min, max], a scale-up
// never exceeds max(2×, +4) of the current count, and two HPAs fed the
// same syncs decide the same (rapid prints the failing draws and the
// -rapid.seed to replay them).
func TestHPAProperties(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		minR := rapid.IntRange(1, 5).Draw(rt, "min")
		cfg := HPAConfig{MinReplicas: minR, MaxReplicas: rapid.IntRange(minR, 60).Draw(rt, "max")}
		a, _ := NewHPA(cfg)
		b, _ := NewHPA(cfg)
		current := rapid.IntRange(1, 60).Draw(rt, "start")
		for i := range rapid.IntRange(1, 40).Draw(rt, "syncs") {
			now := sim.At(time.Duration(i) * 15 * time.Second)
			ps := make([]PodMetric, current)
			for j := range ps {
				ps[j] = PodMetric{
					Value:   rapid.Float64Range(0, 500).Draw(rt, "util"),
					Ready:   rapid.IntRange(0, 9).Draw(rt, "ready") > 0,
					Missing: rapid.IntRange(0, 9).Draw(rt, "missing") == 0,
				}
			}
			m := []MetricSample{cpu(rapid.Float64Range(10, 150).Draw(rt, "target"), ps...)}
			got, why := a.Reconcile(now, current, m)
			if again, _ := b.Reconcile(now, current, m); again != got {
				rt.Fatalf("sync %d: same inputs gave %d and %d", i, got, again)
			}
			inRange := current < cfg.MinReplicas || current > cfg.MaxReplicas ||
				(got >= cfg.MinReplicas && got <= cfg.MaxReplicas && got <= max(2*current, current+4))
			if !inRange {
				rt.Fatalf("sync %d: %d → %d out of bounds or too fast (%s)", i, current, got, why)
			}
			current = got
		}
	})
}

// TestKPAProperties: one decision stays within [floor(ready/2),
// ceil(1000×ready)] and, in panic, never goes below the previous one.
func TestKPAProperties(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		a, _ := NewKPA(KPAConfig{})
		ready, prev, wasPanicking := rapid.IntRange(1, 50).Draw(rt, "ready"), 0, false
		for s := range rapid.IntRange(1, 300).Draw(rt, "seconds") {
			a.Record(sec(s), rapid.Float64Range(0, 5000).Draw(rt, "concurrency"))
			got, panicking := a.Desired(sec(s), ready)
			lo, hi := int(math.Floor(float64(ready)/2)), int(math.Ceil(1000*float64(ready)))
			if got < lo || got > hi {
				rt.Fatalf("t=%ds ready=%d: %d outside [%d, %d]", s, ready, got, lo, hi)
			}
			if panicking && wasPanicking && got < prev {
				rt.Fatalf("t=%ds: scaled down from %d to %d in panic", s, prev, got)
			}
			prev, wasPanicking = got, panicking
			ready = max(1, rapid.IntRange(prev/2, prev+1).Draw(rt, "nextReady"))
		}
	})
}
