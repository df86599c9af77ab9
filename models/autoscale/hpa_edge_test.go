package autoscale

import (
	"strings"
	"testing"
)

// TestHPAToleranceEdge puts the usage ratio exactly on the tolerance
// band's edge and just past it, with a tolerance and values exact in
// binary (0.125, targets 8 and 80), so that no rounding decides: as in
// the controller, a ratio of exactly 1 ± tolerance changes nothing and
// anything past it scales. Both places that compare with the tolerance
// are covered: the plain ratio, and the ratio recomputed with a missing
// pod counted as 0 on a scale-up.
func TestHPAToleranceEdge(t *testing.T) {
	const tol = 0.125
	tests := []struct {
		name    string
		current int
		metric  MetricSample
		want    int
	}{
		{"average value at 1 + tolerance (9 of 8): no change", 4, avg("qps", 8, pods(4, 9)...), 4},
		{"average value just above (9.0625 of 8, ratio 1.1328125): 4.53 -> 5", 4, avg("qps", 8, pods(4, 9.0625)...), 5},
		{"average value at 1 - tolerance (7 of 8): no change", 8, avg("qps", 8, pods(8, 7)...), 8},
		{"average value just below (6.9375 of 8, ratio 0.8671875): 6.94 -> 7", 8, avg("qps", 8, pods(8, 6.9375)...), 7},
		{"utilisation at 1 + tolerance (90% of 80%): no change", 4, cpu(80, pods(4, 90)...), 4},
		{"utilisation one percent above (91% of 80%, ratio 1.1375): 4.55 -> 5", 4, cpu(80, pods(4, 91)...), 5},
		{"utilisation at 1 - tolerance (70% of 80%): no change", 8, cpu(80, pods(8, 70)...), 8},
		{"utilisation one percent below (69% of 80%, ratio 0.8625): 6.9 -> 7", 8, cpu(80, pods(8, 69)...), 7},
		{"utilisation truncated to a whole percent (90.75% reads 90%, of 80%): no change", 4, cpu(80, pods(4, 90.75)...), 4},
		{"recomputed with a missing pod at 1 + tolerance ((12+12+12+0)/4 = 9 of 8): no change",
			4, avg("qps", 8, pod(12), pod(12), pod(12), missing), 4},
		{"recomputed with a missing pod just above ((12+12+12.25+0)/4 = 9.0625 of 8): 4.53 -> 5",
			4, avg("qps", 8, pod(12), pod(12), pod(12.25), missing), 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := HPAConfig{Tolerance: new(float64)}
			*cfg.Tolerance = tol
			algorithmOnly(&cfg)
			h, err := NewHPA(cfg)
			if err != nil {
				t.Fatal(err)
			}
			got, why := h.Reconcile(coolNow, tt.current, []MetricSample{tt.metric})
			if got != tt.want {
				t.Errorf("Reconcile(current=%d) with tolerance %g = %d (%s); want %d", tt.current, tol, got, why, tt.want)
			}
			if (got == tt.current) != strings.Contains(why, "within tolerance") {
				t.Errorf("why = %q: says within tolerance iff nothing changes", why)
			}
		})
	}
}
