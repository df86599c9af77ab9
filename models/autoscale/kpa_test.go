package autoscale

import (
	"strings"
	"testing"
	"time"

	"github.com/faultline-sim/faultline/sim"
)

// Sources cited by the KPA tests.
const (
	knDocs     = "knative.dev/docs/serving/autoscaling/kpa-specific/ and config-autoscaler defaults"
	knScaling  = "knative/serving pkg/autoscaler/scaling/autoscaler.go (Scale)"
	knBuckets  = "knative/serving pkg/autoscaler/aggregation/bucketing.go (WindowAverage)"
	knDefaults = "knative/serving config-autoscaler.yaml"
)

func sec(s int) sim.Time { return sim.At(time.Duration(s) * time.Second) }

// feed records concurrency c once a second for seconds [from, to].
func feed(a *KPA, from, to int, c float64) {
	for s := from; s <= to; s++ {
		a.Record(sec(s), c)
	}
}

func newKPA(t *testing.T, cfg KPAConfig) *KPA {
	t.Helper()
	a, err := NewKPA(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// kpaCall is one Desired call after the row's feed.
type kpaCall struct {
	at, ready int
	want      int
	panicking bool
}

type feedSpan struct {
	from, to int
	c        float64
}

func TestKPA(t *testing.T) {
	tests := []struct {
		name   string
		source string
		cfg    KPAConfig
		feeds  []feedSpan
		calls  []kpaCall
	}{
		{"stable mode: ceil(average concurrency over 60 s / (100 × 70%)) — 350 in flight need 5 pods",
			knDocs, KPAConfig{}, []feedSpan{{0, 59, 350}},
			[]kpaCall{{59, 4, 5, false}}},
		{"a window not yet full is averaged over the seconds recorded so far",
			knBuckets, KPAConfig{}, []feedSpan{{0, 5, 140}},
			[]kpaCall{{5, 2, 2, false}}},
		{"seconds without records inside the window count as 0: 140 then a 1 s gap then 140 average 93.3",
			knBuckets, KPAConfig{}, []feedSpan{{0, 0, 140}, {2, 2, 140}},
			[]kpaCall{{2, 2, 2, false}}},
		{"no data within the stable window: no decision, the ready count stands",
			knScaling, KPAConfig{}, nil,
			[]kpaCall{{10, 3, 3, false}}},
		{"panic window 6 s (10% of 60 s): a spike over 2× the ready pods' capacity enters panic and sizes for it",
			knScaling, KPAConfig{}, []feedSpan{{0, 59, 100}, {60, 65, 400}},
			[]kpaCall{{65, 2, 6, true}}},
		{"panic threshold is ≥ 200%: exactly twice the ready pods panics",
			knScaling, KPAConfig{}, []feedSpan{{0, 59, 280}, {60, 65, 560}},
			[]kpaCall{{65, 4, 8, true}}},
		{"below 200% of the ready pods there is no panic: 3 pods wanted for 2 ready",
			knScaling, KPAConfig{}, []feedSpan{{0, 59, 140}, {60, 65, 210}},
			[]kpaCall{{65, 2, 3, false}}},
		{"never scale down in panic, stay in panic until a stable window after the last panic-worthy decision, then scale down at most by half",
			knScaling, KPAConfig{}, []feedSpan{{0, 59, 100}, {60, 65, 400}, {66, 200, 0}},
			[]kpaCall{{65, 2, 6, true}, {80, 6, 6, true}, {125, 6, 6, true}, {126, 6, 3, false}, {127, 3, 1, false}}},
		{"in panic the pod count only grows",
			knScaling, KPAConfig{}, []feedSpan{{0, 59, 100}, {60, 65, 400}, {66, 71, 800}},
			[]kpaCall{{65, 2, 6, true}, {71, 6, 12, true}}},
		{"max scale-up rate 1000: one decision adds at most 1000× the ready pods",
			knDefaults, KPAConfig{}, []feedSpan{{0, 59, 1e6}},
			[]kpaCall{{59, 1, 1000, true}}},
		{"max scale-up rate 2 (configured): from 1 ready pod at most 2",
			knDefaults, KPAConfig{MaxScaleUpRate: 2}, []feedSpan{{0, 59, 1000}},
			[]kpaCall{{59, 1, 2, true}}},
		{"max scale-down rate 2: with no load, 10 ready pods halve to 5",
			knDefaults, KPAConfig{}, []feedSpan{{0, 59, 0}},
			[]kpaCall{{59, 10, 5, false}, {60, 5, 2, false}}},
		{"max_scale bounds the result",
			knDocs, KPAConfig{MaxScale: 3}, []feedSpan{{0, 59, 350}},
			[]kpaCall{{59, 4, 3, false}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newKPA(t, tt.cfg)
			next := 0 // the next second to feed
			for _, c := range tt.calls {
				// Feed what was observed up to the call, as the simulation would.
				for _, f := range tt.feeds {
					if lo, hi := max(f.from, next), min(f.to, c.at); lo <= hi {
						feed(a, lo, hi, f.c)
					}
				}
				next = c.at + 1
				got, panicking := a.Desired(sec(c.at), c.ready)
				if got != c.want || panicking != c.panicking {
					t.Fatalf("t=%ds ready=%d: got %d panicking=%v, want %d panicking=%v\nsource: %s",
						c.at, c.ready, got, panicking, c.want, c.panicking, tt.source)
				}
			}
		})
	}
}

func TestKPADefaults(t *testing.T) {
	a := newKPA(t, KPAConfig{})
	c := a.Config()
	if c.TargetPerPod() != 70 || c.StableWindow != time.Minute || c.panicWindowSeconds() != 6 ||
		c.PanicThresholdPercentage != 200 || c.MaxScaleUpRate != 1000 || c.MaxScaleDownRate != 2 {
		t.Fatalf("defaults: %+v", c)
	}
}

func TestKPAConfigValidate(t *testing.T) {
	tests := []struct {
		cfg   KPAConfig
		field string
	}{
		{KPAConfig{TargetUtilizationPercentage: 101}, "target_utilization_percentage"},
		{KPAConfig{StableWindow: 5 * time.Second}, "stable_window"},
		{KPAConfig{StableWindow: 6500 * time.Millisecond}, "stable_window"},
		{KPAConfig{PanicThresholdPercentage: 100}, "panic_threshold_percentage"},
		{KPAConfig{MaxScaleDownRate: 1}, "max_scale_down_rate"},
		{KPAConfig{MinScale: 5, MaxScale: 2}, "max_scale"},
		{KPAConfig{StableWindow: 6 * time.Second, PanicWindowPercentage: 10}, "panic_window_percentage"},
	}
	for _, tt := range tests {
		_, err := NewKPA(tt.cfg)
		if err == nil || !strings.Contains(err.Error(), tt.field+":") {
			t.Errorf("NewKPA(%+v) = %v, want an error naming %s", tt.cfg, err, tt.field)
		}
	}
}
